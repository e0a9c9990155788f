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
        REQUEST_REJECTED
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
