package io.irqfabric.msi;

import io.irqfabric.DispatchMode;
import io.irqfabric.UnknownGsiException;
import io.irqfabric.testing.ControllerFixture;
import io.irqfabric.testing.StallingSink;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static io.irqfabric.msi.MsixTable.CONTROL_ENABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Device-side consume of a pending interrupt: a device that handled its own condition withdraws
 * the interrupt before the guest sees it, so unmasking delivers nothing.
 */
class ConsumePendingTest {
    private static final int BASE = 64;
    private static final long ADDRESS = MsiMessage.encodeAddress(0, false, false);

    private static void program(MsixTable t, int v, boolean masked) {
        t.tableWrite(16L * v, 4, ADDRESS);
        t.tableWrite(16L * v + 4, 4, 0);
        t.tableWrite(16L * v + 8, 4, 0x40 + v);
        t.tableWrite(16L * v + 12, 4, masked ? 1 : 0);
    }

    private static boolean pba(MsixTable t, int v) {
        return (t.pbaRead(0, 8) >>> v & 1) != 0;
    }

    @Test
    void aConsumedPendingBitIsNotDeliveredOnUnmask() {
        try (ControllerFixture f = ControllerFixture.plain()) {
            MsixTable t = f.fabric.createMsixTable(BASE, 4);
            t.writeMessageControl(CONTROL_ENABLE);
            program(t, 1, true);
            program(t, 2, true);
            t.trigger(1);
            t.trigger(2);
            assertTrue(pba(t, 1) && pba(t, 2));
            assertTrue(t.consumePending(1), "vector 1 was pending");
            assertFalse(pba(t, 1), "its PBA bit is clear");
            assertTrue(pba(t, 2), "other vectors keep theirs");
            assertFalse(t.consumePending(1), "nothing left to consume");
            program(t, 1, false);
            program(t, 2, false);
            assertEquals(0, f.fired(BASE + 1), "withdrawn: the guest never sees it");
            assertEquals(1, f.fired(BASE + 2), "not withdrawn: delivered on unmask");
            assertFalse(t.consumePending(2), "already delivered: cannot be taken back");
            assertThrows(UnknownGsiException.class, () -> t.consumePending(4));
        }
    }

    @Test
    void aTriggerNotYetDeliveredIsWithdrawnFromItsBatch() throws Exception {
        // The dispatcher is held inside a delivery of GSI 10, so the trigger and the consume
        // published meanwhile are handled in one batch: the consume takes the trigger out of it.
        try (ControllerFixture f = ControllerFixture.custom(b -> b.dispatchMode(DispatchMode.DEDICATED), sink -> new StallingSink(sink, 10))) {
            StallingSink stall = (StallingSink) f.fabric.sink();
            MsiCapability msi = f.fabric.createMsi(BASE, 1);
            msi.configWrite(4, 4, ADDRESS);
            msi.configWrite(0xC, 2, 0x41);
            msi.configWrite(2, 2, MsiCapability.CONTROL_ENABLE);
            f.fabric.sync();
            f.fabric.trigger(10);
            assertTrue(stall.awaitStalled());
            boolean[] result = new boolean[1];
            Thread device = new Thread(() -> {
                msi.trigger(0);
                result[0] = msi.consumePending(0);
            });
            device.start();
            // The device thread parks (waiting for its answer) only after it published both the
            // trigger and the consume request: then let the dispatcher go.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (device.getState() != Thread.State.TIMED_WAITING && device.getState() != Thread.State.WAITING) {
                assertTrue(System.nanoTime() < deadline, "device thread did not reach its wait");
                Thread.onSpinWait();
            }
            stall.release();
            device.join(10_000);
            assertTrue(result[0], "the trigger was still undelivered");
            assertEquals(0, f.fired(BASE), "withdrawn from its batch: no delivery");
            assertEquals(1, f.fired(10));
            msi.trigger(0);
            assertEquals(1, f.fired(BASE), "later triggers deliver as usual");
        }
    }
}
