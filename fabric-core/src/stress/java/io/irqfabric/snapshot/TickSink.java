package io.irqfabric.snapshot;

import io.irqfabric.InterruptSink;
import io.irqfabric.eventfd.EventFdSink;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * A sink on real eventfds that stamps every delivery with a tick of a global logical clock
 * (taken when the delivery starts), and, as a {@link HeldInterruptSource} that holds nothing,
 * stamps the snapshot cut and copies the last delivery tick of every GSI at that moment. All of
 * it runs on the dispatcher thread, so "delivered before the cut" is exact.
 */
final class TickSink implements InterruptSink, HeldInterruptSource {
    final EventFdSink inner;
    final AtomicLong clock;
    /** Dispatcher-written; read by the test after the fabric has closed or answered a request. */
    final long[] lastDelivery;
    long cutTick;
    long[] lastDeliveryAtCut;

    TickSink(int gsis, AtomicLong clock) {
        this.inner = EventFdSink.create(gsis);
        this.clock = clock;
        this.lastDelivery = new long[gsis];
    }

    /** Extra time each delivery takes (a slow sink keeps the dispatcher behind its producers). */
    long slowNanos;

    @Override
    public int deliver(int gsi) {
        lastDelivery[gsi] = clock.incrementAndGet();
        int r = inner.deliver(gsi);
        if (slowNanos > 0) {
            long until = System.nanoTime() + slowNanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        }
        return r;
    }

    @Override
    public void collectHeld(IntConsumer gsi) {
        cutTick = clock.incrementAndGet();
        lastDeliveryAtCut = lastDelivery.clone();
    }
}
