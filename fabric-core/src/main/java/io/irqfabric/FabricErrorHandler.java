package io.irqfabric;

/**
 * Receives errors that happen on the dispatcher thread. It is never allowed to stop the
 * dispatcher: whatever it throws is swallowed. Each error is also counted per GSI
 * ({@link FabricCounters#errors(int)}). Called on the dispatcher thread; keep it cheap.
 *
 * <p>The default, {@link #logging()}, writes to {@link System.Logger} at WARNING, at most one
 * line per error kind per second, and says how many were suppressed.
 */
@FunctionalInterface
public interface FabricErrorHandler {
    /** What went wrong. */
    enum Kind {
        /** The sink reported {@link InterruptSink#FAILED}; detail is the sink's errno. */
        DELIVERY_FAILED,
        /** The sink threw; cause is set. */
        SINK_EXCEPTION,
        /** Handling a ring event threw (a bug); cause is set. */
        HANDLER_EXCEPTION,
        /** A guest register access was malformed and ignored; detail is the offset. */
        GUEST_ACCESS_INVALID,
        /** A request (MSI address, requester ID) was rejected; detail says what. */
        REQUEST_REJECTED,
        /**
         * The dispatcher thread found its interrupt flag set (someone interrupted it, or a sink
         * restored a flag it had caught); the flag was cleared and the dispatcher waits on as its
         * {@link DispatcherWait} says.
         */
        STRAY_INTERRUPT,
        /**
         * An error escaped the dispatcher loop's own guards (a bug, or an OutOfMemoryError); the
         * loop resumed where it was. Cause is set; detail counts such errors since the last
         * completed batch. If they go on without a batch completing, {@link #FABRIC_FAILED} follows.
         */
        DISPATCHER_ERROR,
        /**
         * A write to the counters file failed (a full disk, say); the fabric stopped writing it
         * and goes on counting in memory ({@link InterruptFabric#counters()}). Reported once.
         * Cause is the failure.
         */
        COUNTERS_FILE,
        /**
         * The level-line storm guard tripped: IOAPIC pin {@code gsi} (level-triggered) was EOIed
         * {@code detail} times in a row with its line still high, so its re-injection is delayed
         * by 10 ms (as KVM's and QEMU's IOAPICs do) instead of following the EOI at once. The
         * line is not lost: it is re-injected after the delay if still high. Reported once per
         * trip.
         */
        LEVEL_STORM,
        /**
         * The dispatcher stopped for good without being closed: the fabric is now failed and
         * refuses every call with {@link FabricFailedException}. Cause is why. Reported once.
         */
        FABRIC_FAILED
    }

    /**
     * @param kind   what went wrong
     * @param gsi    the GSI concerned, or -1
     * @param detail kind-specific detail (errno, offset, address), or 0
     * @param cause  the throwable, or null
     */
    void onError(Kind kind, int gsi, long detail, Throwable cause);

    /** @return the default rate-limited {@link System.Logger} handler */
    static FabricErrorHandler logging() {
        return new RateLimitedLogHandler(System.getLogger("io.irqfabric"), 1_000_000_000L);
    }
}
