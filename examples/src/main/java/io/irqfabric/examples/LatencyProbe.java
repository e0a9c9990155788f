package io.irqfabric.examples;

import io.irqfabric.InterruptSink;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Delivery latency of every GSI, measured from each assertion's <em>intended</em> send time:
 * a sink decorator on the dispatcher thread.
 *
 * <p>Per GSI it keeps the earliest intended time of an assertion not yet delivered
 * ({@link #stamp}, producer side, before {@code trigger}; 0 = none). When the dispatcher
 * delivers the GSI it takes that stamp (and clears it) before the eventfd write and records
 * write-completed minus stamp when the write returns. A delivery that took a stamp started after
 * the stamp was set, so it covers that assertion and every later one stamped before it: one
 * sample per delivery, the latency of the oldest assertion it covers (the worst of the ones it
 * coalesced). For a paced pattern the stamp is the schedule's time, not the time the producer
 * got to send: a producer behind schedule shows its lateness in the latency.
 *
 * <p>The quiet GSI (the latency-sensitive one) records into its own histogram. Recording is
 * allocation-free and lock-free (HdrHistogram {@link SingleWriterRecorder}s, single writer: the
 * dispatcher); {@link #interval} hands another thread what was recorded since its last call.
 */
final class LatencyProbe implements InterruptSink {
    /** The longest latency tracked: 10 s (longer ones are recorded as 10 s). */
    static final long MAX_NANOS = 10_000_000_000L;
    private static final VarHandle STAMPS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Stamps one cache line apart (8 longs): producers of different GSIs do not share a line. */
    private static final int SPREAD = 8;

    private final InterruptSink delegate;
    private final int quietGsi;
    private final LongSupplier clock;
    private final long[] stamps;
    private final SingleWriterRecorder storm = new SingleWriterRecorder(MAX_NANOS, 3);
    private final SingleWriterRecorder quiet = new SingleWriterRecorder(MAX_NANOS, 3);

    /**
     * @param delegate where deliveries go
     * @param gsiCount the GSIs that may be stamped and delivered: 0 .. gsiCount - 1
     * @param quietGsi the latency-sensitive GSI, recorded on its own (-1: none)
     * @param clock    the time source of stamps and deliveries (System::nanoTime)
     */
    LatencyProbe(InterruptSink delegate, int gsiCount, int quietGsi, LongSupplier clock) {
        this.delegate = delegate;
        this.quietGsi = quietGsi;
        this.clock = clock;
        this.stamps = new long[gsiCount * SPREAD];
    }

    /** @return the latency-sensitive GSI, or -1 */
    int quietGsi() {
        return quietGsi;
    }

    /**
     * Producer, before it asserts {@code gsi}: the assertion was meant to be sent at
     * {@code intendedNanos} (on {@code clock}). Keeps the earliest undelivered time.
     *
     * @param gsi           the GSI about to be asserted
     * @param intendedNanos when the schedule meant it to be sent (non-zero)
     */
    void stamp(int gsi, long intendedNanos) {
        int i = gsi * SPREAD;
        intendedNanos = intendedNanos == 0 ? 1 : intendedNanos; // 0 means none
        long cur = (long) STAMPS.getVolatile(stamps, i);
        while (cur == 0 || intendedNanos < cur) {
            long witness = (long) STAMPS.compareAndExchange(stamps, i, cur, intendedNanos);
            if (witness == cur) {
                return;
            }
            cur = witness;
        }
    }

    /**
     * Flat-out producer: stamps the send time, but only if nothing is undelivered on the GSI
     * (one volatile read per assertion; the clock is read only then).
     *
     * @param gsi the GSI about to be asserted
     */
    void stampNowIfClear(int gsi) {
        int i = gsi * SPREAD;
        if ((long) STAMPS.getVolatile(stamps, i) == 0) {
            long now = clock.getAsLong();
            STAMPS.compareAndSet(stamps, i, 0L, now == 0 ? 1 : now); // 0 means none
        }
    }

    @Override
    public int deliver(int gsi) {
        long t0 = (long) STAMPS.getAndSet(stamps, gsi * SPREAD, 0L);
        int r = delegate.deliver(gsi);
        if (t0 != 0) {
            long ns = Math.min(Math.max(0, clock.getAsLong() - t0), MAX_NANOS);
            (gsi == quietGsi ? quiet : storm).recordValue(ns);
        }
        return r;
    }

    @Override
    public int lastErrno(int gsi) {
        return delegate.lastErrno(gsi);
    }

    @Override
    public void endOfBatch() {
        delegate.endOfBatch();
    }

    @Override
    public int gsiCapacity() {
        return delegate.gsiCapacity();
    }

    /**
     * Another thread (one only): what was recorded since its last call.
     *
     * @param quietOnes the quiet GSI's samples, else the others'
     * @param recycle   the histogram this call returned last time for this kind, or null
     * @return the samples recorded since the last call
     */
    Histogram interval(boolean quietOnes, Histogram recycle) {
        return (quietOnes ? quiet : storm).getIntervalHistogram(recycle);
    }

    /**
     * @param h latencies in ns
     * @return p50, p90, p99, p99.9 and max in us, with the sample count
     */
    static String summary(Histogram h) {
        if (h.getTotalCount() == 0) {
            return "no samples";
        }
        return String.format(Locale.ROOT, "p50 %.1f us, p90 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us (%d deliveries)",
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3,
                h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3,
                h.getMaxValue() / 1e3, h.getTotalCount());
    }
}
