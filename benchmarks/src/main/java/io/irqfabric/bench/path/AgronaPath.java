package io.irqfabric.bench.path;

import io.irqfabric.InterruptSink;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Baseline "agrona": Agrona's {@link ManyToOneConcurrentArrayQueue} (lock-free, CAS on the
 * tail) to a dispatcher that drains it in batches and busy-spins when it is empty
 * ({@link BusySpinIdleStrategy}), as an Agrona agent would. Producers retry a full queue
 * (back-pressure; never drop), spinning briefly and then yielding.
 */
final class AgronaPath extends QueueDispatcherPath {
    private static final int FULL_SPINS = 100;

    private final ManyToOneConcurrentArrayQueue<Integer> queue;
    private final IdleStrategy idle = new BusySpinIdleStrategy();
    private final Consumer<Integer> handler = gsi -> onAssertion(gsi);
    private final int batchLimit;

    AgronaPath(int gsiCount, int capacity) {
        this(gsiCount, capacity, UnaryOperator.identity());
    }

    AgronaPath(int gsiCount, int capacity, UnaryOperator<InterruptSink> decorate) {
        super("agrona", gsiCount, decorate);
        this.queue = new ManyToOneConcurrentArrayQueue<>(capacity);
        this.batchLimit = capacity;
        start();
    }

    @Override
    void offer(int gsi) {
        Integer box = box(gsi);
        int tries = 0;
        while (!queue.offer(box)) {
            // Full: spin briefly, then yield, so a producer never starves the dispatcher of the
            // CPU it needs to empty the queue (there are 2 cores and more runnable threads).
            if (++tries < FULL_SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    @Override
    int drainBatch() {
        return queue.drain(handler, batchLimit);
    }

    @Override
    int awaitBatch() {
        idle.idle();
        return 0;
    }

    @Override
    void wakeForClose() {
        // The dispatcher spins: it sees the closing flag on its next turn.
    }

    /** {@inheritDoc} Here: it busy-spins. */
    @Override
    public boolean dispatcherSleepsWhenIdle() {
        return false;
    }
}
