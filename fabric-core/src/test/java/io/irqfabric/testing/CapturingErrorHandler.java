package io.irqfabric.testing;

import io.irqfabric.FabricErrorHandler;

import java.util.ArrayList;
import java.util.List;

/**
 * An error handler for tests that provoke errors on purpose: it records each report instead of
 * logging it, so the build log shows only real trouble.
 */
public final class CapturingErrorHandler implements FabricErrorHandler {
    /** One report. */
    public static final class Report {
        public final Kind kind;
        public final int gsi;
        public final long detail;
        public final Throwable cause;

        Report(Kind kind, int gsi, long detail, Throwable cause) {
            this.kind = kind;
            this.gsi = gsi;
            this.detail = detail;
            this.cause = cause;
        }

        @Override
        public String toString() {
            return kind + ":" + gsi + ":" + detail + (cause == null ? "" : ":" + cause);
        }
    }

    private final List<Report> reports = new ArrayList<>();

    @Override
    public synchronized void onError(Kind kind, int gsi, long detail, Throwable cause) {
        reports.add(new Report(kind, gsi, detail, cause));
    }

    /** @return a copy of every report so far */
    public synchronized List<Report> reports() {
        return new ArrayList<>(reports);
    }

    /**
     * @param kind a kind
     * @return how many reports of that kind so far
     */
    public synchronized long count(Kind kind) {
        return reports.stream().filter(r -> r.kind == kind).count();
    }

    /**
     * @param kind a kind
     * @return the first report of that kind, or null
     */
    public synchronized Report first(Kind kind) {
        return reports.stream().filter(r -> r.kind == kind).findFirst().orElse(null);
    }
}
