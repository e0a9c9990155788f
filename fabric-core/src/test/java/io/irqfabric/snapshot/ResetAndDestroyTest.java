package io.irqfabric.snapshot;

import io.irqfabric.FabricConfigException;
import io.irqfabric.FabricErrorHandler;
import io.irqfabric.FabricStateException;
import io.irqfabric.InterruptSourceGroup;
import io.irqfabric.InterruptSourceType;
import io.irqfabric.SourceDestroyedException;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.IoapicState;
import io.irqfabric.ioapic.RedirectionEntry;
import io.irqfabric.msi.MsiCapability;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.testing.ControllerFixture;
import io.irqfabric.virtio.VirtioMmioInterrupt;
import io.irqfabric.virtio.VirtioPciVectors;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reset (reboot, FLR) and destroy (hot-unplug) rules, one behaviour per test, on real eventfds. */
class ResetAndDestroyTest {
    private static final long LAPIC0 = MsiMessage.encodeAddress(0, false, false);

    private static void program(MsixTable t, int v, int vector, boolean masked) {
        t.tableWrite(16L * v, 8, LAPIC0);
        t.tableWrite(16L * v + 8, 8, vector | (masked ? 1L << 32 : 0));
    }

    @Test
    void ioapicResetMasksEveryPinClearsRegistersRemovesRoutesAndKeepsLineLevels() {
        try (ControllerFixture f = ControllerFixture.withIoapic()) {
            IoapicPort io = f.fabric.ioapic();
            ControllerFixture.writeEntry(io, 5, 0x31);                       // edge, unmasked
            ControllerFixture.writeEntry(io, 7, 0x32 | RedirectionEntry.TRIGGER_LEVEL);
            io.setLevel(7, true);
            assertEquals(1, f.fired(7));
            io.mmioWrite(IoapicPort.IOREGSEL, 4, 0);
            io.mmioWrite(IoapicPort.IOWIN, 4, 0x0300_0000);
            f.takeRoutes();
            io.pulse(5);
            io.reset();
            assertEquals(1, f.fired(5), "a pulse accepted before the reset is delivered");
            List<String> routes = f.takeRoutes();
            assertTrue(routes.contains("remove 5") && routes.contains("remove 7"), routes.toString());
            IoapicState s = io.state();
            assertEquals(0, s.ioregsel());
            assertEquals(0, s.id());
            for (int p = 0; p < IoapicPort.PINS; p++) {
                assertEquals(RedirectionEntry.RESET, io.redirectionEntry(p), "pin " + p);
            }
            assertEquals(1 << 7, s.lineLevels(), "line levels are the devices' wires: kept");
            io.pulse(5);
            assertEquals(0, f.fired(5), "masked after reset: an edge is lost, as on hardware");
            ControllerFixture.writeEntry(io, 7, 0x32 | RedirectionEntry.TRIGGER_LEVEL);
            assertEquals(1, f.fired(7), "the line still high fires once the guest unmasks it again");
        }
    }

    @Test
    void msixResetMasksEverythingAndKeepsPendingBitsForTheNextUnmask() {
        try (ControllerFixture f = ControllerFixture.plain()) {
            MsixTable t = f.fabric.createMsixTable(32, 4);
            program(t, 0, 0x40, false);
            program(t, 1, 0x41, true);
            t.writeMessageControl(MsixTable.CONTROL_ENABLE);
            t.trigger(0);
            assertEquals(1, f.fired(32));
            t.trigger(1);
            f.takeRoutes();
            t.reset();
            assertTrue(f.takeRoutes().contains("remove 32"));
            assertEquals(3, t.readMessageControl(), "disabled, function mask clear, table size read-only");
            assertEquals(MsixTable.VECTOR_CONTROL_MASK, t.tableRead(12, 4));
            assertEquals(0L, t.tableRead(0, 8));
            assertEquals(0b10L, t.pbaRead(0, 8), "the pending bit survives the reset");
            t.trigger(0);
            assertEquals(0, f.fired(32), "masked after reset");
            assertEquals(0b11L, t.pbaRead(0, 8));
            program(t, 0, 0x40, false);
            program(t, 1, 0x41, false);
            t.writeMessageControl(MsixTable.CONTROL_ENABLE);
            assertEquals(1, f.fired(32), "delivered once the new driver unmasks");
            assertEquals(1, f.fired(33));
        }
    }

    @Test
    void msiResetDisablesAndKeepsPendingBits() {
        try (ControllerFixture f = ControllerFixture.plain()) {
            MsiCapability m = f.fabric.createMsi(40, 2);
            m.configWrite(4, 4, LAPIC0);
            m.configWrite(12, 2, 0x50);
            m.configWrite(16, 4, 1);                                // vector 0 masked
            m.configWrite(2, 2, MsiCapability.CONTROL_ENABLE);
            m.trigger(0);
            assertEquals(0, f.fired(40));
            m.reset();
            assertEquals(0L, m.configRead(4, 4));
            assertEquals(0L, m.configRead(2, 2) & MsiCapability.CONTROL_ENABLE);
            assertEquals(1L, m.configRead(20, 4), "pending bit kept");
            m.configWrite(4, 4, LAPIC0);
            m.configWrite(12, 2, 0x50);
            m.configWrite(2, 2, MsiCapability.CONTROL_ENABLE);
            assertEquals(1, f.fired(40));
        }
    }

    @Test
    void aDestroyedTableRefusesEverythingFreesItsGsisAndRemovesItsRoutes() {
        try (ControllerFixture f = ControllerFixture.plain()) {
            MsixTable t = f.fabric.createMsixTable(32, 4);
            program(t, 0, 0x40, false);
            program(t, 1, 0x41, true);
            t.writeMessageControl(MsixTable.CONTROL_ENABLE);
            t.trigger(0);
            t.trigger(1);                       // masked: pending, dropped by the destroy
            f.takeRoutes();
            long rejected = f.reported(FabricErrorHandler.Kind.REQUEST_REJECTED);
            f.fabric.destroy(t);
            assertEquals(1, f.fired(32), "an assertion accepted on an unmasked vector is delivered");
            assertEquals(0, f.fired(33), "a masked vector's pending bit is dropped ...");
            assertEquals(rejected + 1, f.reported(FabricErrorHandler.Kind.REQUEST_REJECTED), "... and reported");
            assertTrue(f.takeRoutes().contains("remove 32"));
            assertThrows(SourceDestroyedException.class, () -> t.trigger(0));
            assertThrows(SourceDestroyedException.class, () -> t.tableRead(0, 4));
            assertThrows(SourceDestroyedException.class, () -> t.tableWrite(0, 4, 0));
            assertThrows(SourceDestroyedException.class, t::state);
            assertThrows(SourceDestroyedException.class, t::reset);
            assertThrows(SourceDestroyedException.class, () -> f.fabric.destroy(t));
            f.fabric.trigger(33);
            assertEquals(1, f.fired(33), "the GSI is a plain GSI again: open");
            MsixTable again = f.fabric.createMsixTable(32, 4);
            again.trigger(0);
            assertEquals(0, f.fired(32), "a new table on the freed GSIs starts masked");
        }
    }

    @Test
    void virtioDevicesAreDestroyedAndAPciMapBeforeItsTable() {
        try (ControllerFixture f = ControllerFixture.plain()) {
            MsixTable t = f.fabric.createMsixTable(32, 2);
            VirtioPciVectors pci = f.fabric.createVirtioPci(t, 2);
            VirtioMmioInterrupt mmio = f.fabric.createVirtioMmio(50);
            assertThrows(FabricStateException.class, () -> f.fabric.destroy(t));
            f.fabric.destroy(pci);
            assertThrows(SourceDestroyedException.class, () -> pci.signalQueue(0));
            f.fabric.destroy(t);
            assertThrows(SourceDestroyedException.class, () -> f.fabric.createVirtioPci(t, 1));
            mmio.signalUsedBuffer();
            f.fabric.destroy(mmio);
            assertEquals(1, f.fired(50), "signalled before the destroy: delivered");
            assertThrows(SourceDestroyedException.class, mmio::signalUsedBuffer);
            assertThrows(SourceDestroyedException.class, () -> mmio.mmioRead(0x60, 4));
            f.fabric.createVirtioMmio(50);
        }
    }

    @Test
    void aDestroyedGroupRefusesTriggersAndLeavesTheSnapshot() {
        try (ControllerFixture f = ControllerFixture.plain(); ControllerFixture other = ControllerFixture.plain()) {
            InterruptSourceGroup g = f.fabric.createGroup(InterruptSourceType.MSI, 100, 2);
            byte[] withGroup = f.fabric.snapshot();
            g.trigger(1);
            f.fabric.destroy(g);
            assertEquals(1, f.fired(101), "accepted before the destroy: delivered");
            assertThrows(SourceDestroyedException.class, () -> g.trigger(0));
            assertThrows(SourceDestroyedException.class, () -> f.fabric.destroy(g));
            assertThrows(FabricConfigException.class, () -> other.fabric.destroy(g));
            other.fabric.restore(f.fabric.snapshot());
            assertEquals(SnapshotFormatException.Reason.MISMATCH,
                    assertThrows(SnapshotFormatException.class, () -> other.fabric.restore(withGroup)).reason());
            f.fabric.createGroup(InterruptSourceType.MSI, 100, 2).trigger(0); // its GSIs are free again
            assertEquals(1, f.fired(100));
        }
    }
}
