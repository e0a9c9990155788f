package io.irqfabric.kvm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test guest boots and counts interrupts injected with KVM_SIGNAL_MSI and KVM_IRQ_LINE. */
class GuestBootTest {
    @Test
    void guestBootsAndCountsSignalledMsis() {
        KvmAssumptions.assumeKvm("guestBootsAndCountsSignalledMsis");
        try (KvmGuestVm guest = KvmGuestVm.builder().boot()) {
            assertEquals(0, guest.handled(0x40));
            for (int i = 1; i <= 3; i++) {
                assertTrue(guest.signalMsi(0x40) > 0, "KVM_SIGNAL_MSI delivered");
                final long want = i;
                assertTrue(guest.awaitHandled(0x40, want, 2_000), "guest handled MSI " + i + ", failure=" + guest.failure());
            }
            assertEquals(3, guest.handled(0x40), "one count per signalled MSI");
            assertEquals(0, guest.handled(0x41), "no other vector counted");
            assertNull(guest.failure());
        }
    }
}
