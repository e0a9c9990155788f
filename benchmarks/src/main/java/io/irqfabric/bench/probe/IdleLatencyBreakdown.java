package io.irqfabric.bench.probe;

import io.irqfabric.DispatcherWait;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSink;
import io.irqfabric.eventfd.EventFdSink;

import java.util.Arrays;

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
 * same gap ({@code direct}). Each timestamp costs a {@code System.nanoTime()} (~20-25 ns here).
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.irqfabric.bench.probe.IdleLatencyBreakdown [invocations]}
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
        long[] trigger = new long[n];
        long[] pickup = new long[n];
        long[] write = new long[n];
        long[] handBack = new long[n];
        long[] total = new long[n];
        long[] direct = new long[n];
        try (EventFdSink fds = EventFdSink.create(1)) {
            InterruptSink timed = gsi -> {
                deliverStart = System.nanoTime();
                int r = fds.deliver(gsi);
                deliverEnd = System.nanoTime();
                writes = writes + 1; // dispatcher thread only
                return r;
            };
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(1).sink(timed)
                    .waitStrategy(DispatcherWait.BUSY_SPIN).build()) {
                for (int pass = 0; pass < 2; pass++) { // the first pass is warm-up
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
                        trigger[i] = t1 - t0;
                        pickup[i] = deliverStart - t1;
                        write[i] = deliverEnd - deliverStart;
                        handBack[i] = t2 - deliverEnd;
                        total[i] = t2 - t0;
                    }
                }
            }
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < n; i++) {
                    gap();
                    long t0 = System.nanoTime();
                    fds.deliver(0);
                    direct[i] = System.nanoTime() - t0;
                }
            }
        }
        System.out.printf("fabric_spin idle latency, %d invocations after a %d us spun gap (ns):%n", n, GAP_NANOS / 1000);
        print("trigger()", trigger);
        print("pickup", pickup);
        print("write (dispatcher)", write);
        print("hand-back", handBack);
        print("total", total);
        print("direct write", direct);
        System.out.printf("total / direct at p50: %.2f%n", (double) median(total) / median(direct));
    }

    private static void gap() {
        long start = System.nanoTime();
        while (System.nanoTime() - start < GAP_NANOS) {
            Thread.onSpinWait();
        }
    }

    private static long median(long[] x) {
        long[] c = x.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    private static void print(String what, long[] x) {
        long[] c = x.clone();
        Arrays.sort(c);
        System.out.printf("  %-20s p50 %6d   p90 %6d   p99 %6d%n", what, c[c.length / 2], c[c.length * 9 / 10], c[c.length * 99 / 100]);
    }
}
