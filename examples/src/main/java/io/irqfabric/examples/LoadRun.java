package io.irqfabric.examples;

import io.irqfabric.FabricCounters;
import io.irqfabric.InterruptFabric;
import io.irqfabric.ModerationPolicy;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * One run of the storm under one moderation policy: starts the producers on their schedules,
 * prints a progress line a second, keeps a time series, and closes the fabric (which delivers
 * everything accepted). The caller verifies loss and prints the result.
 */
final class LoadRun {
    private LoadRun() {
    }

    /**
     * What the command line asked for.
     *
     * @param producers  producer threads
     * @param pattern    the storm's pattern
     * @param rate       the storm's offered assertions/s over all stormed GSIs (0 for flat-out)
     * @param burst      assertions per burst (bursty)
     * @param quietRate  the quiet GSI's steady assertions/s (0: no quiet GSI)
     * @param seconds    how long
     * @param seed       the seed of the schedules and the GSI choice
     */
    record Spec(int producers, LoadSchedule.Pattern pattern, double rate, int burst, double quietRate,
                double seconds, long seed) {
    }

    /**
     * One second of a run.
     *
     * @param t          seconds since the start (end of the second)
     * @param offered    assertions/s the schedules intended (NaN for flat-out)
     * @param achieved   assertions/s sent
     * @param deliveries eventfd (irqfd) writes/s
     * @param guest      interrupts/s the guest handled (NaN without a guest)
     * @param p99Us      the second's p99 latency of the stormed GSIs, us (NaN: no delivery)
     * @param quietP99Us the second's p99 latency of the quiet GSI, us (NaN: no delivery)
     */
    record Second(double t, double offered, double achieved, double deliveries, double guest, double p99Us, double quietP99Us) {
    }

    /** What one policy's run measured. */
    static final class Result {
        String policy;
        String target;
        double seconds;
        /** Accepted assertions per GSI (fabric GSI numbering). */
        long[] accepted;
        long assertions;
        double offeredPerSec;
        long deliveries;
        /** Interrupts the guest handled; -1 without a guest. */
        long guestHandled = -1;
        final Histogram storm = new Histogram(LatencyProbe.MAX_NANOS, 3);
        final Histogram quiet = new Histogram(LatencyProbe.MAX_NANOS, 3);
        double dispatcherCpuMsPerSec;
        long lost;
        long errors;
        final List<Second> series = new ArrayList<>();

        double assertionsPerSec() {
            return assertions / seconds;
        }

        double deliveriesPerSec() {
            return deliveries / seconds;
        }

        double guestPerSec() {
            return guestHandled < 0 ? Double.NaN : guestHandled / seconds;
        }

        double coalescing() {
            return StormCommand.ratio(assertions, deliveries);
        }
    }

    /**
     * Runs the producers for the spec's duration, then closes the fabric.
     *
     * @param spec     the load
     * @param policy   the policy applied to every GSI (already set on the fabric by the caller)
     * @param fabric   the fabric, its sink {@code probe}
     * @param probe    the latency probe
     * @param baseGsi  the first stormed GSI
     * @param stormed  stormed GSIs from baseGsi (the quiet GSI, if any, is {@code probe.quietGsi()})
     * @param guest    interrupts the guest handled so far, or null without a guest
     * @param writes   what a delivery is called ("eventfd writes")
     * @param out      where progress goes
     * @param stop     true once the run should end early
     * @return the result, loss not yet verified
     * @throws InterruptedException if interrupted while waiting for the producers
     */
    static Result run(Spec spec, ModerationPolicy policy, InterruptFabric fabric, LatencyProbe probe, int baseGsi,
                      int stormed, LongSupplier guest, String writes, PrintStream out, BooleanSupplier stop)
            throws InterruptedException {
        int producers = spec.producers();
        int span = stormed + 1; // the quiet GSI's count at index stormed
        long[][] accepted = new long[producers][span];
        AtomicLongArray progress = new AtomicLongArray(producers * 16); // one cache line per producer
        boolean paced = spec.pattern() != LoadSchedule.Pattern.FLAT_OUT;
        boolean hasQuiet = probe.quietGsi() >= 0 && spec.quietRate() > 0;
        List<OpenLoopProducer> work = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            LoadSchedule storm = new LoadSchedule(spec.pattern(), paced ? spec.rate() / producers : 0, spec.burst(),
                    spec.seed() * 31 + p);
            LoadSchedule quiet = p == 0 && hasQuiet
                    ? new LoadSchedule(LoadSchedule.Pattern.STEADY, spec.quietRate(), 1, 0) : null;
            work.add(new OpenLoopProducer(fabric::trigger, probe, System::nanoTime, OpenLoopProducer.REAL, storm, quiet,
                    baseGsi, stormed, accepted[p], progress, p * 16, stop, 0x9E3779B97F4A7C15L * (spec.seed() + p + 1)));
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            OpenLoopProducer w = work.get(p);
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                w.run();
            }, "storm-producer-" + p);
            threads.add(t);
            t.start();
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long dispatcherId = fabric.dispatcherThread().getId();
        FabricCounters c = fabric.counters();
        Result r = new Result();
        r.policy = policy.toString();
        long durationNanos = (long) (spec.seconds() * 1e9);
        long t0 = System.nanoTime() + 2_000_000; // the producers are waiting on the latch: start 2 ms from now
        for (OpenLoopProducer w : work) {
            w.window(t0, t0 + durationNanos);
        }
        double offered = paced ? spec.rate() + (hasQuiet ? spec.quietRate() : 0) : Double.NaN;
        long cpu0 = mx.getThreadCpuTime(dispatcherId);
        long guest0 = guest == null ? 0 : guest.getAsLong();
        go.countDown();
        Histogram stormInterval = null;
        Histogram quietInterval = null;
        long lastSent = 0;
        long lastDelivered = 0;
        long lastGuest = guest0;
        long lastT = t0;
        int tick = 1;
        boolean terminal = System.console() != null && out == System.out;
        boolean running = true;
        while (running) {
            long nextTick = t0 + tick * 1_000_000_000L;
            long wait = nextTick - System.nanoTime();
            if (wait > 0) {
                threads.get(0).join(Math.max(1, wait / 1_000_000)); // the progress clock, not synchronisation
            }
            running = false;
            for (Thread t : threads) {
                running |= t.isAlive();
            }
            if (running && System.nanoTime() - nextTick < 0) {
                continue;
            }
            tick++;
            long now = System.nanoTime();
            long sent = 0;
            for (int p = 0; p < producers; p++) {
                sent += progress.get(p * 16);
            }
            long delivered = c.totalDelivered();
            long handled = guest == null ? 0 : guest.getAsLong();
            stormInterval = probe.interval(false, stormInterval);
            quietInterval = probe.interval(true, quietInterval);
            r.storm.add(stormInterval);
            r.quiet.add(quietInterval);
            double dt = (now - lastT) / 1e9;
            if (dt > 0.05) {
                Second s = new Second((now - t0) / 1e9, offered, (sent - lastSent) / dt, (delivered - lastDelivered) / dt,
                        guest == null ? Double.NaN : (handled - lastGuest) / dt, p99Us(stormInterval), p99Us(quietInterval));
                r.series.add(s);
                String line = progressLine(r.policy, s, writes, r.storm, hasQuiet ? r.quiet : null);
                if (terminal) {
                    out.print("\r" + line + "\u001b[K");
                    out.flush();
                } else {
                    out.println(line);
                }
            }
            lastSent = sent;
            lastDelivered = delivered;
            lastGuest = handled;
            lastT = now;
        }
        if (terminal) {
            out.println();
        }
        long tEnd = System.nanoTime();
        r.seconds = Math.max(1e-9, (tEnd - t0) / 1e9);
        long cpu1 = mx.getThreadCpuTime(dispatcherId);
        r.dispatcherCpuMsPerSec = cpu0 < 0 || cpu1 < 0 ? Double.NaN : (cpu1 - cpu0) / 1e6 / r.seconds;
        if (stop.getAsBoolean()) {
            out.printf(Locale.ROOT, "interrupted after %.1f s: draining the fabric, then the result so far%n", r.seconds);
        }
        fabric.close();
        r.storm.add(probe.interval(false, stormInterval));
        r.quiet.add(probe.interval(true, quietInterval));
        r.offeredPerSec = offered;
        r.accepted = new long[baseGsi + span];
        for (long[] a : accepted) {
            for (int g = 0; g < stormed; g++) {
                r.accepted[baseGsi + g] += a[g];
            }
            if (hasQuiet) {
                r.accepted[probe.quietGsi()] += a[stormed];
            }
        }
        for (long a : r.accepted) {
            r.assertions += a;
        }
        return r;
    }

    private static double p99Us(Histogram h) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(99) / 1e3;
    }

    static String progressLine(String policy, Second s, String writes, Histogram storm, Histogram quiet) {
        StringBuilder b = new StringBuilder(160);
        b.append(String.format(Locale.ROOT, "  t=%4.1fs [%s]  ", s.t(), policy));
        if (!Double.isNaN(s.offered())) {
            b.append("offered ").append(rate(s.offered())).append("  ");
        }
        b.append("sent ").append(rate(s.achieved())).append("  ").append(writes).append(' ').append(rate(s.deliveries()));
        if (!Double.isNaN(s.guest())) {
            b.append("  guest handled ").append(rate(s.guest()));
        }
        b.append(String.format(Locale.ROOT, "  coalescing %.1f:1", s.deliveries() == 0 ? 0 : s.achieved() / s.deliveries()));
        b.append("  p99 ").append(us(storm.getTotalCount() == 0 ? Double.NaN : storm.getValueAtPercentile(99) / 1e3));
        if (quiet != null) {
            b.append("  quiet p99 ").append(us(quiet.getTotalCount() == 0 ? Double.NaN : quiet.getValueAtPercentile(99) / 1e3));
        }
        return b.toString();
    }

    /**
     * @param perSec a rate
     * @return it with a k or M suffix and "/s"
     */
    static String rate(double perSec) {
        if (Double.isNaN(perSec)) {
            return "-";
        }
        if (perSec >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM/s", perSec / 1e6);
        }
        if (perSec >= 1e3) {
            return String.format(Locale.ROOT, "%.1fk/s", perSec / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f/s", perSec);
    }

    /**
     * @param us microseconds
     * @return them with a unit ("-" for NaN)
     */
    static String us(double us) {
        if (Double.isNaN(us)) {
            return "-";
        }
        return us >= 1_000 ? String.format(Locale.ROOT, "%.2fms", us / 1e3) : String.format(Locale.ROOT, "%.1fus", us);
    }
}
