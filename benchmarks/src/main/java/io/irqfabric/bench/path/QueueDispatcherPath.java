package io.irqfabric.bench.path;

import io.irqfabric.InterruptSink;
import io.irqfabric.eventfd.EventFdSink;

import java.util.function.UnaryOperator;

/**
 * Common part of the queue baselines (abq, agrona): a dispatcher thread takes GSIs off a
 * multi-producer queue in batches and coalesces exactly as the fabric does, so the
 * comparison is about the hand-off, not the coalescing: per batch, each distinct GSI is
 * written once, at the end of the batch, in arrival order.
 *
 * <p>Subclasses supply the queue: {@link #offer(int)} on producers, {@link #drainBatch()} on
 * the dispatcher (which calls {@link #onAssertion(int)} per element and returns how many it
 * took), {@link #idle()} when a drain found nothing, and {@link #wakeForClose()}.
 *
 * <p>Boxed GSIs come from a table made up front ({@link #box(int)}), so the producers and the
 * dispatcher allocate nothing: as a competent engineer would write it.
 */
abstract class QueueDispatcherPath implements TriggerPath, Runnable {
    private final String name;
    private final Integer[] boxes;
    private final AuditSink audit;
    /** What the dispatcher delivers to: the audit sink, or a decorator around it. */
    private final InterruptSink out;
    /** Assertions taken in per GSI; dispatcher thread only, read after it has terminated. */
    private final long[] takenIn;
    private final long[] pendingBits;
    private final int[] pendingList;
    private int pendingCount;
    private volatile boolean closing;
    private final Thread thread;

    QueueDispatcherPath(String name, int gsiCount) {
        this(name, gsiCount, UnaryOperator.identity());
    }

    QueueDispatcherPath(String name, int gsiCount, UnaryOperator<InterruptSink> decorate) {
        this.name = name;
        this.boxes = new Integer[gsiCount];
        for (int g = 0; g < gsiCount; g++) {
            boxes[g] = Integer.valueOf(g);
        }
        this.audit = new AuditSink(EventFdSink.create(gsiCount));
        this.out = decorate.apply(audit);
        this.takenIn = new long[gsiCount];
        this.pendingBits = new long[(gsiCount + 63) >>> 6];
        this.pendingList = new int[gsiCount];
        audit.assertedSoFar(g -> takenIn[g]);
        this.thread = new Thread(this, name + "-dispatcher");
        thread.setDaemon(true);
    }

    /** Starts the dispatcher; the subclass constructor calls it once its queue exists. */
    final void start() {
        thread.start();
    }

    /**
     * @param gsi the GSI
     * @return its preallocated box
     */
    final Integer box(int gsi) {
        return boxes[gsi];
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final void trigger(int gsi) {
        offer(gsi);
    }

    /** Producer side: enqueue {@code gsi}, waiting for room if the queue is full (never drops). */
    abstract void offer(int gsi);

    /** Dispatcher side: take up to one batch, calling {@link #onAssertion} for each; returns the count. */
    abstract int drainBatch();

    /**
     * Dispatcher side: the queue was empty; wait as this baseline waits (block, spin), then take
     * what arrived, as {@link #drainBatch()} does.
     *
     * @return the number of assertions taken (0 if the wait ended with nothing)
     */
    abstract int awaitBatch();

    /** Called once after {@code closing} is set, so a dispatcher blocked in {@link #idle()} wakes. */
    abstract void wakeForClose();

    /**
     * Dispatcher side: one assertion taken off the queue.
     *
     * @param gsi the GSI
     */
    final void onAssertion(int gsi) {
        takenIn[gsi]++;
        int w = gsi >>> 6;
        long bit = 1L << (gsi & 63);
        if ((pendingBits[w] & bit) == 0) {
            pendingBits[w] |= bit;
            pendingList[pendingCount++] = gsi;
        }
    }

    @Override
    public final void run() {
        while (true) {
            boolean last = closing;
            if (drainBatch() > 0) {
                flush();
                continue;
            }
            if (last) {
                return; // closing was set before a drain that found the queue empty
            }
            if (closing) {
                // close() began during that drain, and the drain may have eaten its wake-up
                // token: do not block; go round once more for a final drain.
                continue;
            }
            if (awaitBatch() > 0) {
                flush();
            }
        }
    }

    private void flush() {
        for (int i = 0; i < pendingCount; i++) {
            int gsi = pendingList[i];
            pendingBits[gsi >>> 6] = 0;
            out.deliver(gsi);
        }
        pendingCount = 0;
    }

    @Override
    public final long eventFdWrites() {
        return audit.writes();
    }

    @Override
    public final Thread dispatcherThread() {
        return thread;
    }

    @Override
    public final void close() {
        if (!closing) {
            closing = true;
            wakeForClose();
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public final LossReport verify(long[] triggered) {
        close();
        return audit.verify(name, triggered, g -> takenIn[g]);
    }
}
