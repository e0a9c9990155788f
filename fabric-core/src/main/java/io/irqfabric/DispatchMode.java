package io.irqfabric;

/**
 * Who writes the eventfd of an assertion: always the dispatcher thread, or the asserting thread
 * itself when the fabric is idle. Set with {@link InterruptFabric.Builder#dispatchMode}.
 *
 * <p>Both modes keep every invariant of the fabric: every assertion is delivered by a write
 * that starts after it, a thread's assertions are delivered in order with its register
 * writes, one thread at a time owns the controllers' state, and an asserting thread never
 * waits for another. The dispatcher thread exists in both: it is the ring's only consumer and
 * handles storms, register traffic and requests.
 */
public enum DispatchMode {
    /**
     * The dispatcher thread writes every eventfd: an assertion costs its thread a ring publish
     * (tens of ns) and reaches the eventfd after a hand-off to the dispatcher's core (and, for
     * a parked dispatcher, its wake-up). The asserting thread never runs embedder code and never
     * makes a syscall (an unpark of a parked dispatcher aside).
     */
    DEDICATED,
    /**
     * When the fabric is idle (the dispatcher thread has found the ring empty for 20 us and is
     * waiting, nobody is delivering, and no inline delivery happened in the last few write
     * times), the asserting thread takes the dispatcher role
     * with one compare-and-set, writes the GSI's eventfd itself, and gives the role back. That
     * removes the cross-core hand-off from an idle interrupt's path: on hosts where the vCPU,
     * the device thread and the dispatcher share few cores it is the lower-latency mode. The
     * default (see {@link InterruptFabric.Builder#dispatchMode} for the measurement).
     * Anything else (the role taken, events in the ring, a masked or blocked GSI, a storm)
     * publishes to the ring as in {@link #DEDICATED}; a storm therefore ends up with the
     * dispatcher after at most one inline write.
     *
     * <p>What the asserting thread then runs: {@link InterruptSink#deliver}, {@link
     * InterruptSink#endOfBatch} and, on a failed write, {@link InterruptSink#lastErrno} and the
     * {@link FabricErrorHandler}; with a counters file, at most once per 10 ms, a positional
     * write of it. So a sink must not take a lock that an asserting thread may hold while it
     * calls {@code trigger} (or the sink waits for that thread), and a sink that blocks blocks
     * that producer. The dispatcher thread may park while producers deliver.
     */
    INLINE_WHEN_IDLE
}
