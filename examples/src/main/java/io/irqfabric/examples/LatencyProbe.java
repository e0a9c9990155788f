package io.irqfabric.examples;

import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSink;
import org.HdrHistogram.Histogram;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * The latency of a quiet GSI while the others storm: from its assertion to its eventfd (irqfd)
 * write completed. No thread of its own (on a 2-core host a third runnable thread would measure
 * the scheduler): the first storming producer calls {@link #maybeSample} every
 * {@link #EVERY} assertions; if no sample is in flight it stamps the time and asserts the quiet
 * GSI, which only it asserts. This sink decorator, on the dispatcher thread, reads the stamp
 * before the quiet GSI's write and records the time when the write returns. A delivery that read
 * a stamp started after the stamp was taken, so it covers that assertion. Recorded in an
 * HdrHistogram (ns, 3 significant digits), read after the storm.
 */
final class LatencyProbe implements InterruptSink {
    /** Storm assertions between two samples. */
    static final int EVERY = 4096;
    private static final VarHandle STAMP;

    static {
        try {
            STAMP = MethodHandles.lookup().findVarHandle(LatencyProbe.class, "stamp", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final InterruptSink delegate;
    private final int quietGsi;
    private final Histogram histogram = new Histogram(10_000_000_000L, 3);
    /** The sample in flight: the time its assertion was made, or 0. */
    @SuppressWarnings("unused") // accessed through STAMP
    private volatile long stamp;
    /** Assertions the probe made (producer thread; read after the storm). */
    private long triggered;

    LatencyProbe(InterruptSink delegate, int quietGsi) {
        this.delegate = delegate;
        this.quietGsi = quietGsi;
    }

    /** @return the GSI only the probe asserts */
    int quietGsi() {
        return quietGsi;
    }

    /** Producer: asserts the quiet GSI, stamped, unless a sample is still in flight. */
    void maybeSample(InterruptFabric fabric) {
        if ((long) STAMP.getVolatile(this) == 0) {
            STAMP.setVolatile(this, System.nanoTime());
            fabric.trigger(quietGsi);
            triggered++;
        }
    }

    @Override
    public int deliver(int gsi) {
        if (gsi != quietGsi) {
            return delegate.deliver(gsi);
        }
        long t0 = (long) STAMP.getVolatile(this);
        int r = delegate.deliver(gsi);
        if (t0 != 0) {
            histogram.recordValue(Math.min(Math.max(0, System.nanoTime() - t0), histogram.getHighestTrackableValue()));
            STAMP.setVolatile(this, 0L);
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
     * @param gsi a GSI
     * @return the assertions the probe made on it (part of the storm's accepted assertions)
     */
    long triggered(int gsi) {
        return gsi == quietGsi ? triggered : 0;
    }

    String summary() {
        if (histogram.getTotalCount() == 0) {
            return "no samples";
        }
        return String.format(Locale.ROOT, "p50 %.1f us, p90 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us (%d samples)",
                histogram.getValueAtPercentile(50) / 1e3, histogram.getValueAtPercentile(90) / 1e3,
                histogram.getValueAtPercentile(99) / 1e3, histogram.getValueAtPercentile(99.9) / 1e3,
                histogram.getMaxValue() / 1e3, histogram.getTotalCount());
    }
}
