package io.irqfabric;

/**
 * Who writes the eventfd of an assertion.
 */
public enum DispatchMode {
    /** Always the dispatcher thread: every assertion is handed over through the ring. */
    DEDICATED,
    /**
     * When the fabric is idle (nothing in the ring, nobody delivering), the asserting thread
     * takes the dispatcher role for one delivery and writes the eventfd itself; otherwise, as
     * {@link #DEDICATED}.
     */
    INLINE_WHEN_IDLE
}
