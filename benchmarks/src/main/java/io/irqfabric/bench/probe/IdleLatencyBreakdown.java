package io.irqfabric.bench.probe;

import io.irqfabric.DispatcherWait;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSink;
import io.irqfabric.eventfd.EventFdSink;

import org.HdrHistogram.Histogram;

/**
 * Where the idle latency of {@code fabric_spin} goes: a diagnostic beside
 * {@code IdleLatencyBenchmark}, not a benchmark of its own. The same invocation as the JMH
 * figure (a 200 us spun quiet gap, then one assertion of GSI 0, then spin until the write has
 * completed), with timestamps at four points, so the total splits into
 * <ol>
 *   <li>{@code trigger()}: the producer's claim and publish, cold after the gap;</li>
 *   <li>pickup: from {@code trigger()} returning to the dispatcher entering the sink;</li>
 *   <li>write: the eventfd write(2) on the dispatcher thread;</li>
 *   <li>hand-back: from the write completing to the producer seeing it;</li>
 * </ol>
 * and, after the fabric is closed, the same write made by the producer thread itself after the
 * same gap ({@code direct}). Each timestamp costs a {@code System.nanoTime()} (~20-25 ns on the
 * machines of {@code perf-results/}). Percentiles come from an HdrHistogram per part (ns, 3
 * significant digits) over the second of two passes; the first is warm-up.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.irqfabric.bench.probe.IdleLatencyBreakdown [invocations]};
 * add {@code -Dirqfabric.eventfd.io=jna} on JDK 22+ to see the write through JNA instead of
 * {@code java.lang.foreign}.
 */
public final class IdleLatencyBreakdown {
    private static final long GAP_NANOS = 200_000;

    private static volatile long deliverStart;
    private static volatile long deliverEnd;
    private static volatile long writes;

    private IdleLatencyBreakdown() {
    }

    /**
     * @param args optional: invocations per part (default 20000)
     */
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        Histogram trigger = histogram();
        Histogram pickup = histogram();
        Histogram write = histogram();
        Histogram handBack = histogram();
        Histogram total = histogram();
        Histogram direct = histogram();
        try (EventFdSink fds = EventFdSink.create(1)) {
            InterruptSink timed = gsi -> {
                deliverStart = System.nanoTime();
                int r = fds.deliver(gsi);
                deliverEnd = System.nanoTime();
                writes = writes + 1; // dispatcher thread only
                return r;
            };
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(1).sink(timed)
                    .waitStrategy(DispatcherWait.BUSY_SPIN).dispatchMode(io.irqfabric.DispatchMode.DEDICATED).build()) {
                for (int pass = 0; pass < 2; pass++) { // the first pass is warm-up
                    for (Histogram h : new Histogram[]{trigger, pickup, write, handBack, total}) {
                        h.reset();
                    }
                    for (int i = 0; i < n; i++) {
                        gap();
                        long before = writes;
                        long t0 = System.nanoTime();
                        fabric.trigger(0);
                        long t1 = System.nanoTime();
                        while (writes == before) {
                            Thread.onSpinWait();
                        }
                        long t2 = System.nanoTime();
                        record(trigger, t1 - t0);
                        record(pickup, deliverStart - t1);
                        record(write, deliverEnd - deliverStart);
                        record(handBack, t2 - deliverEnd);
                        record(total, t2 - t0);
                    }
                }
            }
            for (int pass = 0; pass < 2; pass++) { // the first pass is warm-up
                direct.reset();
                for (int i = 0; i < n; i++) {
                    gap();
                    long t0 = System.nanoTime();
                    fds.deliver(0);
                    record(direct, System.nanoTime() - t0);
                }
            }
        }
        System.out.printf("fabric_spin idle latency, %d invocations after a %d us spun gap, eventfd calls through %s (ns):%n",
                n, GAP_NANOS / 1000, io.irqfabric.eventfd.EventFd.ioPath());
        print("trigger()", trigger);
        print("pickup", pickup);
        print("write (dispatcher)", write);
        print("hand-back", handBack);
        print("total", total);
        print("direct write", direct);
        System.out.printf("total / direct at p50: %.2f%n",
                (double) total.getValueAtPercentile(50) / direct.getValueAtPercentile(50));
    }

    private static void gap() {
        long start = System.nanoTime();
        while (System.nanoTime() - start < GAP_NANOS) {
            Thread.onSpinWait();
        }
    }

    /** @return a histogram of nanoseconds up to 10 s, 3 significant digits */
    private static Histogram histogram() {
        return new Histogram(10_000_000_000L, 3);
    }

    /** Records a duration; a negative one (timestamps of two threads, the same instant) counts as 0. */
    private static void record(Histogram h, long nanos) {
        h.recordValue(Math.min(Math.max(0, nanos), h.getHighestTrackableValue()));
    }

    private static void print(String what, Histogram h) {
        System.out.printf("  %-20s p50 %6d   p90 %6d   p99 %6d%n", what,
                h.getValueAtPercentile(50), h.getValueAtPercentile(90), h.getValueAtPercentile(99));
    }
}
