package io.irqfabric.bench.probe;

import io.irqfabric.DispatcherWait;
import io.irqfabric.InterruptFabric;
import io.irqfabric.eventfd.EventFd;
import io.irqfabric.eventfd.EventFdSink;

import java.util.Arrays;

/**
 * What a notifier eventfd adds to an assertion: after a quiet gap, the time from an external
 * writer's signal on a GSI's notifier to the fabric's eventfd write for that GSI, next to the
 * same path started with a direct {@code trigger()}. The difference is the notifier reader's
 * wake-up (it sleeps in poll(2)) plus its read(2). Both with a spinning and with a parking
 * dispatcher. The probe thread spins on a non-blocking read of the sink's eventfd, so the
 * figures include that read (the same for both paths).
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.irqfabric.bench.probe.NotifierLatencyProbe [invocations]}
 */
public final class NotifierLatencyProbe {
    private static final long GAP_NANOS = 200_000;

    private NotifierLatencyProbe() {
    }

    /**
     * @param args optional: invocations per configuration (default 5000)
     */
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        for (DispatcherWait wait : new DispatcherWait[]{DispatcherWait.BUSY_SPIN, DispatcherWait.PARKING}) {
            long[] direct = new long[n];
            long[] notifier = new long[n];
            try (EventFdSink sink = EventFdSink.create(2);
                 InterruptFabric fabric = InterruptFabric.builder().gsiCount(2).sink(sink).waitStrategy(wait).build()) {
                EventFd in = fabric.notifier(1);
                EventFd out0 = sink.eventFd(0);
                EventFd out1 = sink.eventFd(1);
                for (int pass = 0; pass < 2; pass++) { // the first pass is warm-up
                    for (int i = 0; i < n; i++) {
                        gap();
                        long t0 = System.nanoTime();
                        fabric.trigger(0);
                        while (out0.read() == 0) {
                            Thread.onSpinWait();
                        }
                        direct[i] = System.nanoTime() - t0;
                        gap();
                        t0 = System.nanoTime();
                        in.signal();
                        while (out1.read() == 0) {
                            Thread.onSpinWait();
                        }
                        notifier[i] = System.nanoTime() - t0;
                    }
                }
            }
            System.out.printf("%s dispatcher, %d invocations after a %d us spun gap (ns to the sink's eventfd write):%n",
                    wait, n, GAP_NANOS / 1000);
            print("trigger()", direct);
            print("notifier signal", notifier);
        }
    }

    private static void gap() {
        long start = System.nanoTime();
        while (System.nanoTime() - start < GAP_NANOS) {
            Thread.onSpinWait();
        }
    }

    private static void print(String what, long[] x) {
        long[] c = x.clone();
        Arrays.sort(c);
        System.out.printf("  %-16s p50 %7d   p90 %7d   p99 %7d%n", what, c[c.length / 2], c[c.length * 9 / 10], c[c.length * 99 / 100]);
    }
}
