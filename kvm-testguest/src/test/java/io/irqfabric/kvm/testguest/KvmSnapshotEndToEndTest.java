package io.irqfabric.kvm.testguest;

import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSourceGroup;
import io.irqfabric.InterruptSourceType;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.RedirectionEntry;
import io.irqfabric.kvm.IrqchipMode;
import io.irqfabric.msi.MsixTable;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshot of a fabric in front of one real KVM guest, restored onto a new fabric in front of a
 * second, new KVM VM running the test guest: what was pending at the snapshot reaches the new
 * guest, and the restored routes work.
 */
class KvmSnapshotEndToEndTest {
    private static final int GSIS = 64;
    private static final int TABLE_GSI = 32;
    private static final int HELD_GSI = 40;
    private static final int BASE_VECTOR = 0x40;
    private static final int HELD_VECTOR = 0x50;
    private static final long WAIT_MS = 3_000;

    private static MsixTable programmedTable(InterruptFabric fabric) {
        return fabric.createMsixTable(TABLE_GSI, 4);
    }

    @Test
    void aSnapshotRestoredOntoANewVmDeliversWhatWasPendingAndItsRoutesWork() {
        KvmAssumptions.assumeKvm("aSnapshotRestoredOntoANewVmDeliversWhatWasPendingAndItsRoutesWork");
        byte[] snapshot;
        try (KvmGuestVm guest = KvmGuestVm.builder().gsiCount(GSIS).boot();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(guest.sink())
                     .routeListener(guest.routing()).build()) {
            MsixTable table = programmedTable(fabric);
            InterruptSourceGroup legacy = fabric.createGroup(InterruptSourceType.MSI, HELD_GSI, 1);
            for (int v = 0; v < 4; v++) {
                table.tableWrite(16L * v, 4, TestMsi.address(0));
                table.tableWrite(16L * v + 4, 4, 0);
                table.tableWrite(16L * v + 8, 4, BASE_VECTOR + v);
                table.tableWrite(16L * v + 12, 4, v == 2 ? MsixTable.VECTOR_CONTROL_MASK : 0);
            }
            table.writeMessageControl(MsixTable.CONTROL_ENABLE);
            table.trigger(0);
            assertTrue(guest.awaitHandled(BASE_VECTOR, 1, WAIT_MS), "the source VM's route works; failure=" + guest.failure());
            table.trigger(2); // masked: a pending bit in the fabric
            // A GSI the VMM routes itself and masks in KVM: the fabric delivers, the count waits
            // in the eventfd behind the deassigned irqfd.
            guest.routing().setMsiRoute(HELD_GSI, TestMsi.address(0), TestMsi.edge(HELD_VECTOR));
            guest.routing().commitRoutes();
            guest.routing().setMasked(HELD_GSI, true);
            guest.routing().commitRoutes();
            assertFalse(guest.routing().isIrqFdAssigned(HELD_GSI));
            legacy.trigger(0);
            fabric.sync();
            assertTrue(fabric.counters().delivered(HELD_GSI) >= 1, "written to the eventfd");
            assertEquals(1L, table.pbaRead(0, 8) >>> 2 & 1, "vector 2 pending");

            snapshot = fabric.snapshot();

            // The source keeps what it held: unmasking in KVM still delivers it there.
            guest.routing().setMasked(HELD_GSI, false);
            guest.routing().commitRoutes();
            assertTrue(guest.awaitHandled(HELD_VECTOR, 1, WAIT_MS), "the snapshot left the held count in the source VM");
            assertEquals(0, guest.handled(BASE_VECTOR + 2), "the masked vector stays masked in the source");
        }

        try (KvmGuestVm guest = KvmGuestVm.builder().gsiCount(GSIS).boot();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(guest.sink())
                     .routeListener(guest.routing()).build()) {
            MsixTable table = programmedTable(fabric);
            fabric.createGroup(InterruptSourceType.MSI, HELD_GSI, 1);
            // The VMM re-creates the route it owns itself; the fabric's routes come from the snapshot.
            guest.routing().setMsiRoute(HELD_GSI, TestMsi.address(0), TestMsi.edge(HELD_VECTOR));
            guest.routing().commitRoutes();

            long commitsBefore = guest.routing().routingCommits();
            long assignsBefore = guest.routing().irqfdAssigns();
            fabric.restore(snapshot);
            fabric.sync();
            // Within a commit the table goes to KVM before any irqfd (KvmRoutingManagerTest traces
            // the calls); here: the restore reached KVM as a routing table and irqfds.
            assertTrue(guest.routing().routingCommits() > commitsBefore, "the restored routes were set in KVM");
            assertTrue(guest.routing().irqfdAssigns() > assignsBefore, "the restored routes got their irqfds");

            assertTrue(guest.awaitHandled(HELD_VECTOR, 1, WAIT_MS),
                    "the interrupt held in the old VM's eventfd is raised in the new VM; failure=" + guest.failure());
            for (int v : new int[] {0, 1, 3}) {
                assertTrue(guest.routing().kvmGsi(TABLE_GSI + v) >= 0, "vector " + v + " routed in the new VM");
                assertTrue(guest.routing().isIrqFdAssigned(TABLE_GSI + v), "vector " + v + " has its irqfd");
            }
            // Vector 2 was masked since it was programmed, so it had no route in the source either.
            assertEquals(-1, guest.routing().kvmGsi(TABLE_GSI + 2), "the never-unmasked vector has no route, as in the source");
            assertEquals(1L, table.pbaRead(0, 8) >>> 2 & 1, "vector 2 still pending after restore");

            table.trigger(1);
            assertTrue(guest.awaitHandled(BASE_VECTOR + 1, 1, WAIT_MS), "a restored route works");
            assertEquals(0, guest.handled(BASE_VECTOR + 2), "nothing on the masked vector yet");
            table.tableWrite(2 * 16 + 12, 4, 0); // the guest unmasks vector 2
            assertTrue(guest.awaitHandled(BASE_VECTOR + 2, 1, WAIT_MS), "the pending vector arrives on unmask");
            assertTrue(guest.signalMsi(0x30) > 0);
            assertTrue(guest.awaitHandled(0x30, 1, WAIT_MS));
            assertEquals(1, guest.handled(BASE_VECTOR + 2), "exactly once");
            assertEquals(1, guest.handled(HELD_VECTOR), "the held interrupt exactly once");
            assertNull(guest.failure());
        }
    }

    @Test
    void theFabricIoapicRestoredOntoANewSplitIrqchipVmRecreatesItsPinRoutes() {
        KvmAssumptions.assumeKvm("theFabricIoapicRestoredOntoANewSplitIrqchipVmRecreatesItsPinRoutes");
        final int edgePin = 3;
        final int edgeVector = 0x58;
        final int levelPin = 5;
        final int levelVector = 0x59;
        GuestImage programs = GuestImage.withIoapicEntries(List.of(
                new GuestImage.IoapicEntry(edgePin, edgeVector, false),
                new GuestImage.IoapicEntry(levelPin, levelVector, true)));
        byte[] snapshot;
        try (KvmGuestVm guest = KvmGuestVm.builder().irqchip(IrqchipMode.SPLIT).gsiCount(32).image(programs).create();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(32).ioapic(true)
                     .sink(guest.sink()).routeListener(guest.routing()).build()) {
            guest.start(UserspaceIoapic.of(fabric.ioapic()));
            fabric.ioapic().pulse(edgePin);
            assertTrue(guest.awaitHandled(edgeVector, 1, WAIT_MS), "failure=" + guest.failure());
            snapshot = fabric.snapshot();
        }
        // The new VM's guest programs nothing: every IOAPIC route there comes from the snapshot.
        try (KvmGuestVm guest = KvmGuestVm.builder().irqchip(IrqchipMode.SPLIT).gsiCount(32)
                .image(GuestImage.withIoapicEntries(List.of())).create();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(32).ioapic(true)
                     .sink(guest.sink()).routeListener(guest.routing()).build()) {
            IoapicPort io = fabric.ioapic();
            guest.start(UserspaceIoapic.of(io));
            assertEquals(-1, guest.routing().kvmGsi(edgePin), "nothing routed before the restore");
            fabric.restore(snapshot);
            fabric.sync();
            assertEquals(edgeVector, RedirectionEntry.vector(io.redirectionEntry(edgePin)));
            assertTrue(RedirectionEntry.isLevelTriggered(io.redirectionEntry(levelPin)));
            assertEquals(edgePin, guest.routing().kvmGsi(edgePin), "the pin's route is on its own KVM GSI again");
            assertEquals(levelPin, guest.routing().kvmGsi(levelPin));
            assertTrue(guest.routing().isIrqFdAssigned(edgePin) && guest.routing().isIrqFdAssigned(levelPin));
            io.pulse(edgePin);
            assertTrue(guest.awaitHandled(edgeVector, 1, WAIT_MS), "an edge through the restored route; failure=" + guest.failure());
            io.setLevel(levelPin, true);
            assertTrue(guest.awaitHandled(levelVector, 1, WAIT_MS), "a level through the restored route");
            io.setLevel(levelPin, false);
            assertNull(guest.failure());
        }
    }
}
