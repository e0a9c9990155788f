package io.irqfabric.bench.path;

import io.irqfabric.InterruptSink;

import java.util.ArrayList;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.function.UnaryOperator;

/**
 * Baseline "abq": {@link ArrayBlockingQueue} (one lock, two conditions) to a dispatcher that
 * blocks in {@code take()} when idle and then {@code drainTo}s the rest of the batch, the
 * idiomatic way to use it. Producers {@code put()} (they block when it is full, never drop).
 */
final class AbqPath extends QueueDispatcherPath {
    /** Element that wakes a dispatcher blocked in take() at close; not an assertion. */
    private static final Integer WAKE = -1;

    private final ArrayBlockingQueue<Integer> queue;
    private final ArrayList<Integer> batch;
    private final int batchLimit;

    AbqPath(int gsiCount, int capacity) {
        this(gsiCount, capacity, UnaryOperator.identity());
    }

    AbqPath(int gsiCount, int capacity, UnaryOperator<InterruptSink> decorate) {
        super("abq", gsiCount, decorate);
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.batchLimit = capacity;
        this.batch = new ArrayList<>(capacity);
        start();
    }

    @Override
    void offer(int gsi) {
        Integer box = box(gsi);
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(box);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    int drainBatch() {
        int n = queue.drainTo(batch, batchLimit);
        int taken = 0;
        for (int i = 0; i < n; i++) {
            int gsi = batch.get(i);
            if (gsi >= 0) {
                onAssertion(gsi);
                taken++;
            }
        }
        batch.clear();
        return taken;
    }

    @Override
    int awaitBatch() {
        int first;
        try {
            first = queue.take();
        } catch (InterruptedException e) {
            return 0;
        }
        int taken = 0;
        if (first >= 0) {
            onAssertion(first);
            taken = 1;
        }
        return taken + drainBatch();
    }

    @Override
    void wakeForClose() {
        queue.offer(WAKE);
    }

    /** {@inheritDoc} Here: take() parks the dispatcher on the queue's condition. */
    @Override
    public boolean dispatcherSleepsWhenIdle() {
        return true;
    }
}
