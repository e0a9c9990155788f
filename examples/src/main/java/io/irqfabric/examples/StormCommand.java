package io.irqfabric.examples;

import io.irqfabric.DispatcherWait;
import io.irqfabric.FabricCounters;
import io.irqfabric.InterruptFabric;
import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.kvm.Kvm;
import io.irqfabric.NativeCallException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The main job: an interrupt storm through the fabric into real eventfds. P producer threads
 * assert interrupts over G GSIs as fast as they can for a few seconds; the dispatcher coalesces
 * them into eventfd writes. At the end the eventfds are read back and the run is checked for
 * loss.
 */
@Command(name = "storm", mixinStandardHelpOptions = true, versionProvider = Main.ManifestVersion.class,
        description = {"Interrupt storm through the fabric into real eventfds (or a KVM guest).",
            "Ctrl-C ends the storm early: the result so far is printed and a counters file the storm created is removed."})
public final class StormCommand implements Callable<Integer> {
    /** The longest storm accepted: a day. */
    static final double MAX_SECONDS = 86_400;

    @Spec
    CommandSpec spec;

    @Option(names = {"-p", "--producers"}, paramLabel = "N", description = "producer threads (default: ${DEFAULT-VALUE})")
    int producers = 1;

    @Option(names = {"-g", "--gsis"}, paramLabel = "N", description = "GSIs the producers spread over (default: ${DEFAULT-VALUE})")
    int gsis = 64;

    @Option(names = {"-d", "--duration"}, paramLabel = "SECONDS", description = "seconds of storm, at most a day (default: ${DEFAULT-VALUE})")
    double seconds = 5;

    @Option(names = "--ring", paramLabel = "SLOTS", description = "ring slots, a power of two (default: ${DEFAULT-VALUE})")
    int ringSize = 4096;

    @Option(names = "--wait", paramLabel = "STRATEGY", description = "dispatcher wait strategy: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    DispatcherWait wait = DispatcherWait.YIELDING;

    @Option(names = "--counters-file", paramLabel = "FILE", description = "keep the fabric's counters in this file, readable live by './irqfabric stats FILE'")
    java.nio.file.Path countersFile;

    /** Applies the options every mode shares to a fabric builder. */
    InterruptFabric.Builder configure(InterruptFabric.Builder b) {
        b.ringSize(ringSize).waitStrategy(wait);
        if (countersFile != null) {
            b.countersFile(countersFile);
        }
        return b;
    }

    /** Where the deliveries go. */
    enum Target { auto, eventfd, kvm }

    @Option(names = "--target", paramLabel = "TARGET", description = "auto (a KVM guest when /dev/kvm is usable, else eventfds), eventfd, kvm (default: ${DEFAULT-VALUE})")
    Target target = Target.auto;

    /** Set when the JVM is shutting down (Ctrl-C): the producers end the storm early. */
    private static volatile boolean stopRequested;

    @Override
    public Integer call() throws Exception {
        validate();
        // Ctrl-C: the shutdown hook ends the storm; this thread closes the fabric (delivering
        // everything accepted) and prints the result so far; then the hook removes the counters
        // file if this storm created it.
        boolean createsCounters = countersFile != null && !Files.exists(countersFile);
        CountDownLatch reported = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopRequested = true;
            try {
                reported.await(30, TimeUnit.SECONDS); // bounded: the JVM is going down regardless
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (createsCounters) {
                try {
                    Files.deleteIfExists(countersFile);
                } catch (IOException e) {
                    System.err.println("storm: could not remove " + countersFile + ": " + e.getMessage());
                }
            }
        }, "storm-interrupted");
        stopRequested = false;
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return storm();
        } finally {
            reported.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it removes the counters file now that the result is printed
            }
        }
    }

    private void validate() {
        if (producers < 1) {
            throw new ParameterException(spec.commandLine(), "--producers must be at least 1, was " + producers);
        }
        if (gsis < 1) {
            throw new ParameterException(spec.commandLine(), "--gsis must be at least 1, was " + gsis);
        }
        if (!(seconds > 0 && seconds <= MAX_SECONDS)) { // also refuses NaN
            throw new ParameterException(spec.commandLine(),
                    "--duration must be a number of seconds in (0, " + (long) MAX_SECONDS + "], was " + seconds);
        }
        InterruptFabric.builder().ringSize(ringSize); // refuses what the fabric would, before anything starts
    }

    private int storm() throws Exception {
        if (target != Target.eventfd) {
            String why = Kvm.unavailableReason();
            if (why == null) {
                return KvmStorm.run(this);
            }
            if (target == Target.kvm) {
                throw new Main.UserException("--target kvm but /dev/kvm is not usable: " + why);
            }
            System.out.println("storm: /dev/kvm not usable (" + why + "): storming real eventfds instead");
        }
        System.out.printf(Locale.ROOT, "irqfabric storm: %d producer(s) x %d GSIs for %.1f s, ring %d, dispatcher %s, sink: real eventfds%n",
                producers, gsis, seconds, ringSize, wait);
        try (EventFdSink sink = createEventFds(gsis)) {
            LatencyProbe probe = new LatencyProbe(sink, gsis - 1);
            try (InterruptFabric fabric = configure(InterruptFabric.builder().gsiCount(gsis)).sink(probe).build()) {
                StormResult r = runStorm(fabric, producers, 0, gsis, seconds, probe, "eventfd writes"); // closes the fabric
                long[] readBack = new long[gsis];
                for (int g = 0; g < gsis; g++) {
                    readBack[g] = sink.eventFd(g).read();
                }
                return report(r, fabric.counters(), readBack, probe);
            }
        }
    }

    /** One eventfd per GSI; running out of file descriptors is the user's limit, not a bug. */
    private static EventFdSink createEventFds(int count) {
        try {
            return EventFdSink.create(count);
        } catch (NativeCallException e) {
            if (e.errno() == EMFILE || e.errno() == ENFILE) {
                throw new Main.UserException("cannot open " + count + " eventfds (one per GSI): " + e.getMessage()
                        + "; use fewer --gsis or raise the open-file limit (ulimit -n)");
            }
            throw e;
        }
    }

    private static final int ENFILE = 23;
    private static final int EMFILE = 24;

    /** What the producers did. */
    static final class StormResult {
        final long[] accepted;
        final double elapsedSeconds;

        StormResult(long[] accepted, double elapsedSeconds) {
            this.accepted = accepted;
            this.elapsedSeconds = elapsedSeconds;
        }
    }

    /** Extra text for the progress line (the KVM mode adds guest-handled/s); may be null. */
    static java.util.function.Supplier<String> progressExtra;

    /**
     * Runs the producers for {@code seconds}, prints a progress line a second, then closes the
     * fabric (which delivers everything accepted).
     */
    static StormResult runStorm(InterruptFabric fabric, int producers, int baseGsi, int gsis, double seconds,
                                LatencyProbe probe, String writes) throws InterruptedException {
        long[][] accepted = new long[producers][gsis];
        // The producers storm every GSI but the probe's quiet one (the last): the latency it
        // measures is a quiet device's while the others storm.
        final int stormed = gsis > 1 ? gsis - 1 : 1;
        AtomicLongArray progress = new AtomicLongArray(producers * 16); // one cache line per producer
        CountDownLatch start = new CountDownLatch(1);
        long durationNanos = (long) (seconds * 1e9);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            final int id = p;
            Thread t = new Thread(() -> {
                long[] mine = accepted[id];
                long x = 0x9E3779B97F4A7C15L * (id + 1); // xorshift: a cheap, allocation-free GSI pattern
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                long end = System.nanoTime() + durationNanos;
                long n = 0;
                while (true) {
                    for (int i = 0; i < 256; i++) {
                        x ^= x << 13;
                        x ^= x >>> 7;
                        x ^= x << 17;
                        int g = (int) ((x >>> 33) % stormed);
                        fabric.trigger(baseGsi + g);
                        mine[g]++;
                    }
                    if (id == 0 && (n & (LatencyProbe.EVERY - 1)) == 0) {
                        probe.maybeSample(fabric);
                    }
                    n += 256;
                    progress.lazySet(id * 16, n);
                    if (System.nanoTime() >= end || stopRequested) {
                        break;
                    }
                }
            }, "storm-producer-" + p);
            threads.add(t);
            t.start();
        }
        FabricCounters c = fabric.counters();
        long t0 = System.nanoTime();
        start.countDown();
        long lastAsserted = 0;
        long lastDelivered = 0;
        long lastT = t0;
        boolean running = true;
        while (running) {
            threads.get(0).join(1000);
            running = false;
            for (Thread t : threads) {
                running |= t.isAlive();
            }
            long now = System.nanoTime();
            long produced = 0;
            for (int p = 0; p < producers; p++) {
                produced += progress.get(p * 16);
            }
            long delivered = c.totalDelivered();
            String extra = progressExtra == null ? "" : progressExtra.get();
            double dt = (now - lastT) / 1e9;
            if (dt > 0.05) {
                System.out.printf(Locale.ROOT, "  t=%4.1fs  assertions %7.2f M/s  %s %6.3f M/s  coalescing %6.1f:1  overflowed %d%s%n",
                        (now - t0) / 1e9, (produced - lastAsserted) / dt / 1e6, writes, (delivered - lastDelivered) / dt / 1e6,
                        ratio(produced - lastAsserted, delivered - lastDelivered), c.totalOverflowed(), extra);
            }
            lastAsserted = produced;
            lastDelivered = delivered;
            lastT = now;
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        if (stopRequested) {
            System.out.printf(Locale.ROOT, "interrupted after %.1f s: draining the fabric, then the result so far%n", elapsed);
        }
        fabric.close();
        long[] total = new long[baseGsi + gsis];
        for (long[] a : accepted) {
            for (int g = 0; g < gsis; g++) {
                total[baseGsi + g] += a[g];
            }
        }
        for (int g = baseGsi; g < baseGsi + gsis; g++) {
            total[g] += probe.triggered(g);
        }
        return new StormResult(total, elapsed);
    }

    /**
     * Prints the result and checks for loss; returns the exit code (0 if nothing lost).
     *
     * <p>What "lost: 0" checks, GSI by GSI, after close() has drained the fabric: the dispatcher
     * took in exactly the assertions the producers had accepted; the eventfd read-back equals the
     * writes the fabric made (no write went missing between the fabric and the kernel); and every
     * GSI that was asserted was delivered. (The stronger "a delivery starts after every assertion"
     * is proven with a logical clock in the coverage stress tests, which would slow a storm.)
     */
    static int report(StormResult r, FabricCounters c, long[] readBack, LatencyProbe probe) {
        long asserted = 0;
        long writes = 0;
        long lost = 0;
        long errors = 0;
        for (int g = 0; g < readBack.length; g++) {
            asserted += r.accepted[g];
            writes += readBack[g];
            errors += c.errors(g);
            lost += Math.abs(r.accepted[g] - c.asserted(g));
            lost += Math.abs(c.delivered(g) - readBack[g]);
            if (r.accepted[g] > 0 && c.delivered(g) == 0) {
                lost += r.accepted[g];
            }
        }
        double s = r.elapsedSeconds;
        System.out.println("result:");
        System.out.printf(Locale.ROOT, "  assertions        %,15d   (%.2f M/s)%n", asserted, asserted / s / 1e6);
        System.out.printf(Locale.ROOT, "  eventfd writes    %,15d   (%.3f M/s, read back from the eventfds)%n", writes, writes / s / 1e6);
        System.out.printf(Locale.ROOT, "  coalescing ratio  %15.1f   assertions per eventfd write%n", ratio(asserted, writes));
        System.out.printf(Locale.ROOT, "  overflowed        %,15d   (%.4f%% of assertions took the ring-full overflow log)%n",
                c.totalOverflowed(), 100.0 * c.totalOverflowed() / Math.max(1, asserted));
        long atSource = 0;
        for (int g = 0; g < c.gsiCount(); g++) {
            atSource += c.coalescedAtSource(g);
        }
        System.out.printf(Locale.ROOT, "  at the source     %,15d   (%.1f%% of assertions rode on an event already in the ring)%n",
                atSource, 100.0 * atSource / Math.max(1, asserted));
        System.out.printf(Locale.ROOT, "  errors            %,15d%n", errors);
        System.out.println("  quiet GSI latency assertion -> eventfd write completed of GSI " + (c.gsiCount() - 1)
                + ", which the first producer asserts every " + LatencyProbe.EVERY + " of its storm assertions: " + probe.summary());
        System.out.printf(Locale.ROOT, "lost: %d   (per GSI: taken in = accepted, eventfd read-back = writes, every asserted GSI delivered)%n", lost);
        return lost == 0 && errors == 0 ? 0 : 1;
    }

    static double ratio(long a, long b) {
        return b == 0 ? 0 : (double) a / b;
    }
}
