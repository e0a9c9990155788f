package io.irqfabric.bench.path;

/**
 * One way of getting an interrupt assertion from a producer thread to an eventfd write: the
 * fabric, or one of the baselines. Every JMH method calls only this interface, so the code
 * measured around the path is identical for all of them.
 *
 * <p>Life cycle: {@link TriggerPaths#open} makes a running path with one eventfd per GSI;
 * producers call {@link #trigger(int)}; once they have stopped, {@link #close()} delivers
 * everything accepted and stops the dispatcher (if any); {@link #verify(long[])} then checks
 * that nothing was lost.
 */
public interface TriggerPath extends AutoCloseable {
    /** @return the configuration name used in results ({@code fabric_spin}, {@code direct}, ...) */
    String name();

    /**
     * Asserts an edge interrupt on {@code gsi}. Any producer thread.
     *
     * @param gsi the GSI, below the count the path was opened with
     */
    void trigger(int gsi);

    /**
     * @return eventfd writes completed so far: a release-published count, so a thread that
     *         sees it change also sees the write done
     */
    long eventFdWrites();

    /**
     * Asserts {@code gsi} and returns once the eventfd write that delivers it has completed.
     * For one thread on an otherwise quiet path: the first write after the call is its own.
     *
     * @param gsi the GSI
     * @return the write count seen (keeps the JIT honest)
     */
    default long triggerAndAwaitWrite(int gsi) {
        long before = eventFdWrites();
        trigger(gsi);
        long now;
        while ((now = eventFdWrites()) == before) {
            Thread.onSpinWait();
        }
        return now;
    }

    /**
     * @return true if producers write the eventfd themselves (no dispatcher thread, no coalescing)
     */
    default boolean writesOnProducer() {
        return false;
    }

    /**
     * @return assertions that took the fabric's overflow path (the ring was full) so far; 0 for
     *         a path without one
     */
    default long overflowed() {
        return 0;
    }

    /** @return the dispatcher thread, or null for a path without one */
    Thread dispatcherThread();

    /**
     * @return true if the dispatcher sleeps in the kernel when idle (parks or blocks), so an
     *         idle-latency measurement must first wait until it does
     */
    boolean dispatcherSleepsWhenIdle();

    /**
     * Producers must have stopped. Delivers every accepted assertion, stops the dispatcher,
     * keeps the eventfds open for {@link #verify(long[])}. Idempotent.
     */
    @Override
    void close();

    /**
     * After {@link #close()}: checks that nothing was lost and closes the eventfds.
     *
     * @param triggered assertions made per GSI, as counted by the producers
     * @return the verdict
     */
    LossReport verify(long[] triggered);
}
