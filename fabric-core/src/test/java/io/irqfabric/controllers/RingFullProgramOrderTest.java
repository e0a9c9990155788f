package io.irqfabric.controllers;

import io.irqfabric.DispatcherWait;
import io.irqfabric.InterruptFabric;
import io.irqfabric.RouteListener;
import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.RedirectionEntry;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.testing.ControllerFixture;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ring-full record must not overtake the same thread's earlier ring events (RingFence).
 * Each test stalls the dispatcher inside a batch (in a RouteListener callback), publishes a
 * configuration change that lands after that batch, fills the ring, then asserts: the assertion
 * goes to the ring-full path and would be drained at the end of the stalled batch, before the
 * configuration change is handled. Found by review; both failed before the fence.
 */
class RingFullProgramOrderTest {

    /** A route listener that blocks the dispatcher in setMsiRoute(stallGsi) until released. */
    private static final class StallingRoutes implements RouteListener {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final int stallGsi;

        StallingRoutes(int stallGsi) {
            this.stallGsi = stallGsi;
        }

        @Override
        public void setMsiRoute(int gsi, long address, int data) {
            if (gsi == stallGsi && entered.getCount() > 0) {
                entered.countDown();
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        throw new AssertionError("never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void removeRoute(int gsi) {
        }
    }

    private static long edge(int vector, boolean masked) {
        return RedirectionEntry.of(vector, 0, false, false, false, masked, 0);
    }

    @Test
    void aPulseAfterAnUnmaskIsDeliveredEvenWhenTheRingIsFull() throws Exception {
        StallingRoutes routes = new StallingRoutes(6);
        try (ControllerFixture f = ControllerFixture.custom(b -> b.ioapic(true).ringSize(8).routeListener(routes), null)) {
            IoapicPort io = f.fabric.ioapic();
            ControllerFixture.writeEntry(io, 5, edge(0x41, true));     // edge pin 5, masked
            f.fabric.sync();
            ControllerFixture.writeEntry(io, 6, edge(0x42, false));    // dispatcher stalls routing pin 6
            assertTrue(routes.entered.await(10, TimeUnit.SECONDS));
            ControllerFixture.writeEntry(io, 5, edge(0x41, false));    // unmask pin 5: after the stalled batch
            long overflowed = 0;
            for (int i = 0; i < 64; i++) {
                f.fabric.trigger(100 + i % 16);                        // fill the ring: distinct GSIs,
            }                                                          // as one would coalesce at the source
            for (int g = 100; g < 116; g++) {
                overflowed += f.fabric.counters().overflowed(g);
            }
            assertTrue(overflowed > 0, "the ring is full");
            io.pulse(5);                                               // ring-full path
            routes.release.countDown();
            assertEquals(1, f.fired(5), "the pulse follows the unmask in program order: delivered once");
        }
    }

    @Test
    void aTriggerAfterAnAddressFixIsDeliveredEvenWhenTheRingIsFull() throws Exception {
        StallingRoutes routes = new StallingRoutes(33);
        try (EventFdSink sink = EventFdSink.create(64);
             InterruptFabric f = InterruptFabric.builder().gsiCount(64).ringSize(8).waitStrategy(DispatcherWait.YIELDING)
                     .sink(sink).routeListener(routes).errorHandler((k, g, d, c) -> { }).build()) {
            MsixTable t = f.createMsixTable(32, 2);
            t.writeMessageControl(MsixTable.CONTROL_ENABLE);
            t.tableWrite(0, 4, 0x1000);                                // vector 0: invalid address,
            t.tableWrite(8, 4, 0x40);
            t.tableWrite(12, 4, 0);                                    // unmasked: blocked
            t.tableWrite(16, 4, MsiMessage.encodeAddress(0, false, false));
            t.tableWrite(24, 4, 0x41);
            f.sync();
            t.tableWrite(28, 4, 0);                                    // unmask vector 1: the dispatcher stalls
            assertTrue(routes.entered.await(10, TimeUnit.SECONDS));
            t.tableWrite(0, 4, MsiMessage.encodeAddress(0, false, false)); // the guest fixes vector 0
            long overflowed = 0;
            for (int i = 0; i < 64; i++) {
                f.trigger(40 + i % 16);                                // fill the ring: distinct GSIs,
            }                                                          // as one would coalesce at the source
            for (int g = 40; g < 56; g++) {
                overflowed += f.counters().overflowed(g);
            }
            assertTrue(overflowed > 0, "the ring is full");
            t.trigger(0);                                              // ring-full path, after the fix
            routes.release.countDown();
            f.sync();
            assertEquals(1, sink.eventFd(32).read(), "the trigger follows the address fix: delivered, not rejected");
            assertEquals(0, f.counters().errors(32));
        }
    }

    /**
     * A rejected requester ID on a full ring, raised from the dispatcher thread (a device model
     * reacting inside a listener): it must not wait for a slot only the dispatcher can free.
     * Found by review: it deadlocked the fabric.
     */
    @Test
    void aRejectedRequestOnAFullRingNeverWaitsForASlot() throws Exception {
        java.util.concurrent.atomic.AtomicReference<MsixTable> table = new java.util.concurrent.atomic.AtomicReference<>();
        CountDownLatch inListener = new CountDownLatch(1);
        CountDownLatch ringFull = new CountDownLatch(1);
        RouteListener listener = new RouteListener() {
            @Override
            public void setMsiRoute(int gsi, long address, int data) {
                inListener.countDown();
                try {
                    if (!ringFull.await(30, TimeUnit.SECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                table.get().trigger(1, 9 << 8); // requester on bus 9, outside the device's 0..1
            }

            @Override
            public void removeRoute(int gsi) {
            }
        };
        try (EventFdSink sink = EventFdSink.create(64);
             InterruptFabric f = InterruptFabric.builder().gsiCount(64).ringSize(8).waitStrategy(DispatcherWait.YIELDING)
                     .sink(sink).routeListener(listener).errorHandler((k, g, d, c) -> { }).build()) {
            MsixTable t = f.createMsixTable(32, 2, 0, new io.irqfabric.msi.BusRange(0, 1));
            table.set(t);
            t.writeMessageControl(MsixTable.CONTROL_ENABLE);
            t.tableWrite(0, 4, MsiMessage.encodeAddress(0, false, false));
            t.tableWrite(8, 4, 0x40);
            t.tableWrite(12, 4, 0);                 // unmask vector 0: setMsiRoute on the dispatcher
            assertTrue(inListener.await(10, TimeUnit.SECONDS));
            for (int i = 0; i < 64; i++) {
                f.trigger(40);                      // the ring is full
            }
            ringFull.countDown();
            f.sync();                               // returns: the dispatcher did not wait for itself
            assertEquals(1, f.counters().rejectedRequests(), "the rejection is counted all the same");
        }
    }
}
