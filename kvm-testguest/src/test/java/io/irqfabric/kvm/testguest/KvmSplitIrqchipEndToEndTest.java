package io.irqfabric.kvm.testguest;

import io.irqfabric.InterruptFabric;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.RedirectionEntry;
import io.irqfabric.kvm.IrqchipMode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End-to-end test 2 on the real /dev/kvm, split irqchip (KVM_CAP_SPLIT_IRQCHIP, 24 pins): the
 * guest programs the fabric's IOAPIC itself through MMIO exits; its redirection entries become
 * MSI routes on KVM GSIs 0-23; edge and level pin interrupts arrive; the guest's EOIs come back
 * as KVM_EXIT_IOAPIC_EOI and clear remote IRR; a level line still asserted at EOI is delivered
 * again, and falls silent once lowered.
 */
class KvmSplitIrqchipEndToEndTest {
    private static final int EDGE_PIN = 3;
    private static final int EDGE_VECTOR = 0x58;
    private static final int LEVEL_PIN = 5;
    private static final int LEVEL_VECTOR = 0x59;
    private static final long WAIT_MS = 3_000;

    /** Lets the test drop the vCPU's EOI forwarding, to show that EOI exits clear remote IRR. */
    private static volatile boolean forwardEois = true;

    /** The fabric's IOAPIC as the vCPU loop sees it, with a switch to drop EOIs. */
    private static UserspaceIoapic adapter(IoapicPort io) {
        UserspaceIoapic fabricIoapic = UserspaceIoapic.of(io);
        return new UserspaceIoapic() {
            @Override
            public long mmioRead(long offset, int size) {
                return fabricIoapic.mmioRead(offset, size);
            }

            @Override
            public void mmioWrite(long offset, int size, long value) {
                fabricIoapic.mmioWrite(offset, size, value);
            }

            @Override
            public void eoi(int vector) {
                if (forwardEois) {
                    fabricIoapic.eoi(vector);
                }
            }
        };
    }

    @Test
    void guestProgramsTheFabricIoapicAndReceivesEdgeAndLevelPinsWithEoiExits() {
        KvmAssumptions.assumeKvm("guestProgramsTheFabricIoapicAndReceivesEdgeAndLevelPinsWithEoiExits");
        GuestImage image = GuestImage.withIoapicEntries(List.of(
                new GuestImage.IoapicEntry(EDGE_PIN, EDGE_VECTOR, false),
                new GuestImage.IoapicEntry(LEVEL_PIN, LEVEL_VECTOR, true)));
        try (KvmGuestVm guest = KvmGuestVm.builder().irqchip(IrqchipMode.SPLIT).gsiCount(32).image(image).create();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(32).ioapic(true)
                     .sink(guest.sink()).routeListener(guest.routing()).build()) {
            IoapicPort ioapic = fabric.ioapic();
            guest.start(adapter(ioapic));

            // The guest read the version register and programmed both entries through MMIO exits.
            assertEquals(IoapicPort.VERSION, guest.ioapicVersionSeenByGuest());
            assertTrue(guest.ioapicMmioExits() >= 2 + 4 * 2, "IOREGSEL/IOWIN accesses went through the fabric");
            long edgeEntry = ioapic.redirectionEntry(EDGE_PIN);
            long levelEntry = ioapic.redirectionEntry(LEVEL_PIN);
            assertEquals(EDGE_VECTOR, RedirectionEntry.vector(edgeEntry));
            assertFalse(RedirectionEntry.isMasked(edgeEntry));
            assertFalse(RedirectionEntry.isLevelTriggered(edgeEntry));
            assertEquals(LEVEL_VECTOR, RedirectionEntry.vector(levelEntry));
            assertTrue(RedirectionEntry.isLevelTriggered(levelEntry));
            // ... and the fabric handed them to KVM as MSI routes on the pins' own GSIs.
            assertEquals(EDGE_PIN, guest.routing().kvmGsi(EDGE_PIN));
            assertEquals(LEVEL_PIN, guest.routing().kvmGsi(LEVEL_PIN));
            assertTrue(guest.routing().isIrqFdAssigned(EDGE_PIN) && guest.routing().isIrqFdAssigned(LEVEL_PIN));

            // Edge pin: one interrupt per pulse, no EOI exit for an edge vector.
            for (int n = 1; n <= 3; n++) {
                ioapic.pulse(EDGE_PIN);
                assertTrue(guest.awaitHandled(EDGE_VECTOR, n, WAIT_MS), "edge pulse " + n + "; failure=" + guest.failure());
            }
            assertEquals(0, guest.eoiExits(), "edge vectors do not exit on EOI");

            // Level pin held high: delivered, EOI exit clears remote IRR, still high -> delivered again.
            ioapic.setLevel(LEVEL_PIN, true);
            assertTrue(guest.awaitHandled(LEVEL_VECTOR, 4, WAIT_MS),
                    "level line re-delivered after each EOI while asserted: handled " + guest.handled(LEVEL_VECTOR)
                            + ", EOI exits " + guest.eoiExits() + ", failure=" + guest.failure());
            assertTrue(guest.eoiExits() >= 3, "each level delivery was EOI'd through KVM_EXIT_IOAPIC_EOI");

            // Lowered: the interrupt in flight is EOI'd, remote IRR clears, and nothing more comes.
            ioapic.setLevel(LEVEL_PIN, false);
            assertTrue(KvmGuestVm.awaitCondition(() -> !RedirectionEntry.remoteIrr(ioapic.redirectionEntry(LEVEL_PIN))
                            && guest.eoiExits() == guest.handled(LEVEL_VECTOR), WAIT_MS),
                    "every level delivery EOI'd and remote IRR clear: handled " + guest.handled(LEVEL_VECTOR)
                            + ", EOI exits " + guest.eoiExits());
            long quiet = guest.handled(LEVEL_VECTOR);
            long edges = guest.handled(EDGE_VECTOR);
            for (int n = 1; n <= 3; n++) {
                ioapic.pulse(EDGE_PIN);
                assertTrue(guest.awaitHandled(EDGE_VECTOR, edges + n, WAIT_MS), "the guest keeps taking edge interrupts");
            }
            assertEquals(quiet, guest.handled(LEVEL_VECTOR), "a lowered level line stays silent");
            assertEquals(quiet, guest.eoiExits());

            // The EOI exit is what clears remote IRR: with the vCPU's EOI forwarding cut off, an
            // asserted level line is delivered once and then stays in remote IRR ...
            forwardEois = false;
            try {
                ioapic.setLevel(LEVEL_PIN, true);
                assertTrue(KvmGuestVm.awaitCondition(() -> guest.eoiExits() == quiet + 1, WAIT_MS), "the guest EOI'd it");
                assertEquals(quiet + 1, guest.handled(LEVEL_VECTOR));
                assertTrue(RedirectionEntry.remoteIrr(ioapic.redirectionEntry(LEVEL_PIN)), "remote IRR stays set without the EOI");
                long before = guest.handled(EDGE_VECTOR);
                ioapic.pulse(EDGE_PIN);
                assertTrue(guest.awaitHandled(EDGE_VECTOR, before + 1, WAIT_MS));
                assertEquals(quiet + 1, guest.handled(LEVEL_VECTOR), "no re-delivery while remote IRR is set");
            } finally {
                forwardEois = true;
            }
            // ... until the EOI reaches the IOAPIC: remote IRR clears, the line is still high,
            // so the interrupt is delivered again.
            ioapic.eoi(LEVEL_VECTOR);
            assertTrue(guest.awaitHandled(LEVEL_VECTOR, quiet + 3, WAIT_MS), "re-delivered after the EOI");
            ioapic.setLevel(LEVEL_PIN, false);
            assertTrue(KvmGuestVm.awaitCondition(() -> !RedirectionEntry.remoteIrr(ioapic.redirectionEntry(LEVEL_PIN))
                    && guest.eoiExits() == guest.handled(LEVEL_VECTOR), WAIT_MS));

            assertEquals(0, fabric.counters().totalErrors());
            assertEquals(0, guest.invalidMmioAccesses());
            assertNull(guest.failure());
        }
    }
}
