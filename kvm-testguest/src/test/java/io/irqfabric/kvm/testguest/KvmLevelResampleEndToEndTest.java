package io.irqfabric.kvm.testguest;

import io.irqfabric.InterruptFabric;
import io.irqfabric.kvm.LevelIrqFd;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End-to-end test 3 on the real /dev/kvm, in-kernel irqchip: a level-triggered IOAPIC pin
 * bound with KVM_IRQFD_FLAG_RESAMPLE is re-asserted after each guest EOI while the device
 * holds the line high, and falls silent once the line is lowered.
 */
class KvmLevelResampleEndToEndTest {
    private static final int PIN = 20;
    private static final int VECTOR = 0x60;
    private static final long WAIT_MS = 3_000;

    @Test
    void levelPinIsReassertedAfterEoiWhileHighAndSilentOnceLowered() {
        KvmAssumptions.assumeKvm("levelPinIsReassertedAfterEoiWhileHighAndSilentOnceLowered");
        GuestImage image = GuestImage.withIoapicEntries(List.of(new GuestImage.IoapicEntry(PIN, VECTOR, true)));
        try (KvmGuestVm guest = KvmGuestVm.builder().gsiCount(32).image(image).boot();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(32).sink(guest.sink()).build()) {
            assertEquals(0x170011, guest.ioapicVersionSeenByGuest(), "the guest read the in-kernel IOAPIC's version");
            LevelIrqFd line = guest.routing().levelPin(PIN).assertAction(() -> fabric.trigger(PIN));

            line.setLevel(true);
            // Each guest EOI resamples; the line is still high, so it is asserted again.
            assertTrue(guest.awaitHandled(VECTOR, 5, WAIT_MS),
                    "re-asserted after EOI while high: handled " + guest.handled(VECTOR) + ", failure=" + guest.failure());
            assertTrue(line.resamples() >= 4, "every EOI came back as a resample");

            line.setLevel(false);
            // Quiet: every assertion (the last one possibly made while the line was being
            // lowered) was handled by the guest exactly once and resampled. The guest's counter
            // store is waited for too: on this host a resample can be seen a moment before the
            // guest's count of that interrupt is.
            assertTrue(KvmGuestVm.awaitCondition(() -> line.resamples() == line.asserts()
                            && guest.handled(VECTOR) == line.asserts(), WAIT_MS),
                    "one guest interrupt per assertion of the level line, each EOI'd: asserts=" + line.asserts()
                            + " resamples=" + line.resamples() + " handled=" + guest.handled(VECTOR));
            long quiet = guest.handled(VECTOR);
            // The guest keeps running and taking other interrupts; the lowered line stays silent.
            for (int n = 1; n <= 3; n++) {
                assertTrue(guest.signalMsi(0x40) > 0);
                assertTrue(guest.awaitHandled(0x40, n, WAIT_MS));
            }
            assertEquals(quiet, guest.handled(VECTOR), "silent once lowered");
            assertEquals(line.asserts(), line.resamples());

            // Raising it again delivers again: the pin is not stuck.
            line.setLevel(true);
            assertTrue(guest.awaitHandled(VECTOR, quiet + 2, WAIT_MS), "raised again: delivered and re-asserted");
            line.setLevel(false);
            assertTrue(KvmGuestVm.awaitCondition(() -> line.resamples() == line.asserts()
                    && guest.handled(VECTOR) == line.asserts(), WAIT_MS),
                    "asserts=" + line.asserts() + " resamples=" + line.resamples() + " handled=" + guest.handled(VECTOR));
            assertEquals(0, fabric.counters().errors(PIN));
            assertNull(guest.failure());
        }
    }
}
