package io.irqfabric.examples;

import io.irqfabric.FabricClosedException;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSink;
import org.HdrHistogram.Histogram;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Latency from assertion to eventfd write completed, sampled during a storm.
 *
 * <p>A sink decorator counts, per GSI, the deliveries started and completed (dispatcher thread
 * only). A probe thread, every {@code intervalMicros}, takes a timestamp, triggers a GSI, then
 * reads the GSI's started count {@code s}: delivery number {@code s + 1} certainly started after
 * the assertion was accepted, so it covers it, and the probe spins until that delivery has
 * completed. The sample is therefore an upper bound: when the covering delivery was one that
 * started between the publish and the read, the probe waits one batch longer. Recorded in an
 * HdrHistogram (ns, 3 significant digits).
 */
final class LatencyProbe implements InterruptSink {
    private final InterruptSink delegate;
    private final AtomicLongArray started;
    private final AtomicLongArray completed;
    private final Histogram histogram = new Histogram(10_000_000_000L, 3);
    private volatile boolean stop;
    private Thread thread;
    /** Assertions the probe made, per GSI (probe thread; read after {@link #stop()}). */
    private long[] triggered;

    LatencyProbe(InterruptSink delegate, int gsiCount) {
        this.delegate = delegate;
        this.started = new AtomicLongArray(gsiCount);
        this.completed = new AtomicLongArray(gsiCount);
    }

    @Override
    public int deliver(int gsi) {
        started.lazySet(gsi, started.get(gsi) + 1);
        int r = delegate.deliver(gsi);
        completed.lazySet(gsi, completed.get(gsi) + 1);
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

    /** Starts the probe thread over GSIs {@code baseGsi .. baseGsi+gsis-1}. */
    void start(InterruptFabric fabric, int baseGsi, int gsis, long intervalMicros) {
        triggered = new long[baseGsi + gsis];
        thread = new Thread(() -> {
            int i = 0;
            while (!stop) {
                LockSupport.parkNanos(intervalMicros * 1_000L); // pacing between samples
                int g = baseGsi + (i++ % gsis);
                long t0 = System.nanoTime();
                try {
                    fabric.trigger(g);
                } catch (FabricClosedException closed) {
                    return;
                }
                triggered[g]++;
                long target = started.get(g) + 1;
                while (completed.get(g) < target) {
                    if (stop) {
                        return;
                    }
                    Thread.onSpinWait();
                }
                histogram.recordValue(Math.min(System.nanoTime() - t0, histogram.getHighestTrackableValue()));
            }
        }, "storm-latency-probe");
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops the probe and waits for it (before the fabric closes). */
    void stop() throws InterruptedException {
        stop = true;
        if (thread != null) {
            thread.join();
        }
    }

    /**
     * @param gsi a GSI
     * @return the assertions the probe made on it (part of the storm's accepted assertions)
     */
    long triggered(int gsi) {
        return triggered == null || gsi >= triggered.length ? 0 : triggered[gsi];
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
