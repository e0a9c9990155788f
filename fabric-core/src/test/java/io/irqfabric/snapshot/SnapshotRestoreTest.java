package io.irqfabric.snapshot;

import io.irqfabric.FabricClosedException;
import io.irqfabric.InterruptSink;
import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.testing.ControllerFixture;
import org.junit.jupiter.api.Test;

import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What a restore raises, on real eventfds: owed deliveries, pending bits, and nothing else. */
class SnapshotRestoreTest {
    /** A sink that says it holds undelivered interrupts on some GSIs (as the KVM backend's eventfds can). */
    static final class HoldingSink implements InterruptSink, HeldInterruptSource {
        final EventFdSink inner;
        final int[] held;
        volatile int cuts;

        HoldingSink(EventFdSink inner, int... held) {
            this.inner = inner;
            this.held = held;
        }

        @Override
        public int deliver(int gsi) {
            return inner.deliver(gsi);
        }

        @Override
        public void collectHeld(IntConsumer gsi) {
            cuts++;
            for (int g : held) {
                gsi.accept(g);
            }
        }
    }

    private static void program(MsixTable t, int v, int vector, boolean masked) {
        t.tableWrite(16L * v, 8, MsiMessage.encodeAddress(0, false, false));
        t.tableWrite(16L * v + 8, 8, vector | (masked ? 1L << 32 : 0));
    }

    @Test
    void owedDeliveriesAreRaisedAgainAfterRestoreAndPendingBitsWaitForUnmask() {
        HoldingSink[] holder = new HoldingSink[1];
        byte[] s;
        try (SnapshotRig a = new SnapshotRig(ControllerFixture.custom(b -> b.ioapic(true),
                sink -> holder[0] = new HoldingSink(sink, 7, SnapshotRig.TABLE_A + 1)))) {
            MsixTable t = a.tableA;
            for (int v = 0; v < 8; v++) {
                program(t, v, 0x40 + v, v == 1 || v == 2);
            }
            t.writeMessageControl(MsixTable.CONTROL_ENABLE);
            t.trigger(2); // masked: a pending bit
            a.f.drainAll();
            s = a.f.fabric.snapshot();
            assertEquals(1, holder[0].cuts, "the held source is asked once, at the cut");
            for (int g = 0; g < ControllerFixture.GSIS; g++) {
                assertEquals(0, a.f.fired(g), "a snapshot delivers nothing in the source (GSI " + g + ")");
            }
        }
        try (SnapshotRig b = new SnapshotRig()) {
            b.f.fabric.restore(s);
            assertEquals(1, b.f.fired(7), "a held plain GSI is raised: delivered after restore");
            assertEquals(0, b.f.fired(SnapshotRig.TABLE_A + 1), "a held GSI whose vector is masked is not delivered ...");
            assertEquals(0b110L, b.tableA.pbaRead(0, 8), "... it becomes a pending bit, like vector 2's");
            for (int g = 0; g < ControllerFixture.GSIS; g++) {
                assertEquals(0, b.f.fired(g), "nothing else is raised (GSI " + g + ")");
            }
            b.tableA.tableWrite(16 + 12, 4, 0);
            b.tableA.tableWrite(2 * 16 + 12, 4, 0);
            assertEquals(1, b.f.fired(SnapshotRig.TABLE_A + 1), "delivered once on unmask");
            assertEquals(1, b.f.fired(SnapshotRig.TABLE_A + 2), "delivered once on unmask");
            assertEquals(0, b.tableA.pbaRead(0, 8));
        }
    }

    @Test
    void restoredRoutesAreStagedBeforeTheirGatesOpenAndCommittedOnce() {
        byte[] s;
        try (SnapshotRig a = new SnapshotRig()) {
            program(a.tableA, 0, 0x41, false);
            a.tableA.writeMessageControl(MsixTable.CONTROL_ENABLE);
            a.f.fabric.sync();
            s = a.f.fabric.snapshot();
        }
        try (SnapshotRig b = new SnapshotRig()) {
            b.f.takeRoutes();
            b.f.fabric.restore(s);
            java.util.List<String> routes = b.f.takeRoutes();
            int route = routes.indexOf("route 32 0xfee00000 0x41");
            int unmask = routes.indexOf("unmask 32");
            int commit = routes.lastIndexOf("commit");
            assertEquals(true, route >= 0 && route < unmask && unmask < commit, "route, unmask, commit in that order: " + routes);
            b.tableA.trigger(0);
            assertEquals(1, b.f.fired(SnapshotRig.TABLE_A));
        }
    }

    @Test
    void aClosedFabricRefusesSnapshotAndRestore() {
        SnapshotRig a = new SnapshotRig();
        byte[] s = a.f.fabric.snapshot();
        a.close();
        assertThrows(FabricClosedException.class, a.f.fabric::snapshot);
        assertThrows(FabricClosedException.class, () -> a.f.fabric.restore(s));
        assertThrows(FabricClosedException.class, a.io::state);
    }
}
