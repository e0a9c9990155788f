package io.irqfabric;

/**
 * Receives the fabric's coalesced deliveries: one {@link #deliver(int)} per pending GSI at the
 * end of each dispatcher batch. {@link io.irqfabric.eventfd.EventFdSink} is the Linux
 * implementation (one eventfd write per GSI, which KVM injects when the eventfd is an irqfd).
 *
 * <p>Threading: every method is called on the dispatcher thread only, so an implementation
 * needs no synchronisation for state it touches only from these callbacks.
 *
 * <p>Implementations should not throw: a failure is reported as {@link #FAILED} and the fabric
 * counts it for that GSI and tells its {@link FabricErrorHandler}. A throw is caught and
 * treated the same way; it never stops the dispatcher.
 */
public interface InterruptSink {
    /** {@link #deliver(int)} result: the interrupt was signalled. */
    int DELIVERED = 0;
    /** {@link #deliver(int)} result: the target already had this interrupt pending (eventfd EAGAIN). */
    int ALREADY_PENDING = 1;
    /** {@link #deliver(int)} result: the delivery failed; {@link #lastErrno(int)} may say why. */
    int FAILED = 2;

    /**
     * Signals one interrupt on {@code gsi}. Called on the dispatcher thread.
     *
     * @param gsi the GSI, within the fabric's range
     * @return {@link #DELIVERED}, {@link #ALREADY_PENDING} or {@link #FAILED}
     */
    int deliver(int gsi);

    /**
     * The errno (or another sink-specific code) of the last failed delivery on {@code gsi}.
     *
     * @param gsi the GSI
     * @return the code, 0 if unknown
     */
    default int lastErrno(int gsi) {
        return 0;
    }

    /**
     * How many GSIs this sink can deliver ({@code 0..gsiCapacity()-1}). The fabric's builder
     * refuses a sink smaller than the fabric. The default is unbounded.
     *
     * @return the number of GSIs this sink serves
     */
    default int gsiCapacity() {
        return Integer.MAX_VALUE;
    }

    /** Called on the dispatcher thread after the deliveries of one batch. */
    default void endOfBatch() {
    }
}
