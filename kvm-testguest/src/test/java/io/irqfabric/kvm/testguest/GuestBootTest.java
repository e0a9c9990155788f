package io.irqfabric.kvm.testguest;

import io.irqfabric.kvm.Kvm;
import io.irqfabric.kvm.KvmException;
import io.irqfabric.kvm.KvmVm;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    @Test
    void guestProgramsTheInKernelIoapicAndCountsKvmIrqLineEdges() {
        KvmAssumptions.assumeKvm("guestProgramsTheInKernelIoapicAndCountsKvmIrqLineEdges");
        GuestImage image = GuestImage.withIoapicEntries(List.of(new GuestImage.IoapicEntry(21, 0x61, false)));
        try (KvmGuestVm guest = KvmGuestVm.builder().image(image).boot()) {
            for (int i = 1; i <= 3; i++) {
                guest.vm().irqLine(21, true);
                guest.vm().irqLine(21, false);
                assertTrue(guest.awaitHandled(0x61, i, 2_000), "edge " + i + " on IOAPIC pin 21 arrived as vector 0x61");
            }
            assertTrue(guest.signalMsi(0x30) > 0);
            assertTrue(guest.awaitHandled(0x30, 1, 2_000));
            assertEquals(3, guest.handled(0x61), "one interrupt per edge");
            assertNull(guest.failure());
        }
    }

    @Test
    void failedIoctlsNameTheIoctlAndErrno() {
        KvmAssumptions.assumeKvm("failedIoctlsNameTheIoctlAndErrno");
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm()) {
            vm.createIrqchip();
            KvmException e = assertThrows(KvmException.class, vm::createIrqchip);
            assertEquals("KVM_CREATE_IRQCHIP", e.call());
            assertTrue(e.errno() > 0 && e.getMessage().contains("errno " + e.errno()), e.getMessage());
        }
        KvmException missing = assertThrows(KvmException.class, () -> Kvm.open("/dev/no-such-kvm"));
        assertEquals(2, missing.errno(), "ENOENT");
    }
}
