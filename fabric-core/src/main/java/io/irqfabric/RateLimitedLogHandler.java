package io.irqfabric;

/**
 * The default {@link FabricErrorHandler}: logs at most one line per {@link Kind} per interval
 * and reports how many were suppressed since the last line. Dispatcher thread only.
 */
final class RateLimitedLogHandler implements FabricErrorHandler {
    private final System.Logger logger;
    private final long intervalNanos;
    private final long[] lastLogged = new long[Kind.values().length];
    private final long[] suppressed = new long[Kind.values().length];
    private final boolean[] everLogged = new boolean[Kind.values().length];

    RateLimitedLogHandler(System.Logger logger, long intervalNanos) {
        this.logger = logger;
        this.intervalNanos = intervalNanos;
    }

    @Override
    public void onError(Kind kind, int gsi, long detail, Throwable cause) {
        int k = kind.ordinal();
        long now = System.nanoTime();
        if (everLogged[k] && now - lastLogged[k] < intervalNanos) {
            suppressed[k]++;
            return;
        }
        long dropped = suppressed[k];
        suppressed[k] = 0;
        lastLogged[k] = now;
        everLogged[k] = true;
        String msg = "irqfabric " + kind + " gsi=" + gsi + " detail=" + detail
                + (dropped > 0 ? " (" + dropped + " similar suppressed)" : "");
        if (cause != null) {
            logger.log(System.Logger.Level.WARNING, msg, cause);
        } else {
            logger.log(System.Logger.Level.WARNING, msg);
        }
    }
}
