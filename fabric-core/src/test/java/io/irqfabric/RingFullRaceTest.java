package io.irqfabric;

import io.irqfabric.eventfd.EventFdSink;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sharpest edge of the ring-full protocol, made deterministic: a producer's claim fails,
 * and before it records the assertion in the overflow log the dispatcher finishes its batch,
 * drains the (empty) log and goes idle. Nothing else will ever arrive. The record must still be
 * delivered: that is what the producer's second claim and OVERFLOW event are for.
 */
class RingFullRaceTest {

    @Test
    void aRecordMadeAfterTheDispatchersLastDrainIsStillDelivered() throws Exception {
        CountDownLatch holdFirst = new CountDownLatch(1);
        CountDownLatch inFirst = new CountDownLatch(1);
        AtomicInteger deliveries = new AtomicInteger();
        try (EventFdSink fds = EventFdSink.create(8)) {
            InterruptSink sink = gsi -> {
                if (gsi == 0) {
                    inFirst.countDown();
                    await(holdFirst);
                }
                int r = fds.deliver(gsi);
                deliveries.incrementAndGet();
                return r;
            };
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(8).ringSize(2)
                    .dispatchMode(DispatchMode.DEDICATED) // the dispatcher thread is held in the sink
                    .waitStrategy(DispatcherWait.PARKING).sink(sink).build()) {
                fabric.trigger(0);                       // dispatcher takes it and blocks in deliver(0)
                assertTrue(inFirst.await(10, TimeUnit.SECONDS));
                fabric.trigger(1);                       // ring slot 1
                fabric.trigger(2);                       // ring slot 2: the ring is now full
                fabric.beforeOverflowRecord(() -> {
                    // Between the failed claim and the record: let the dispatcher handle 1 and 2,
                    // drain the still-empty overflow log, deliver, and go idle.
                    holdFirst.countDown();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (deliveries.get() < 3) {
                        if (System.nanoTime() > deadline) {
                            throw new AssertionError("dispatcher did not finish its batch");
                        }
                        Thread.onSpinWait();
                    }
                });
                fabric.trigger(5);                       // claim fails -> hook -> overflow record
                fabric.beforeOverflowRecord(null);
                assertEquals(1, fabric.counters().overflowed(5), "GSI 5 went through the overflow log");
                // No further traffic: GSI 5 must arrive on its own.
                assertEquals(1, fds.eventFd(5).await(10_000), "GSI 5 delivered with no later event to flush it");
                // The dispatcher counts a delivery after the eventfd write returns: let it finish.
                fabric.sync();
                assertEquals(1, fabric.counters().asserted(5));
                assertEquals(1, fabric.counters().delivered(5));
            }
        }
    }

    private static void await(CountDownLatch l) {
        try {
            if (!l.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
