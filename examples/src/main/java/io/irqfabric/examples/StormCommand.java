package io.irqfabric.examples;

import io.irqfabric.DispatcherWait;
import io.irqfabric.FabricCounters;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSink;
import io.irqfabric.ModerationPolicy;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The main job: an interrupt storm through the fabric into real eventfds (or a KVM guest), and
 * an open-loop load tester. P producer threads assert interrupts over G GSIs, flat out (the
 * default) or on a schedule (steady, Poisson, bursty) at an offered rate; the last GSI is the
 * quiet, latency-sensitive one, asserted at a low steady rate while the others storm. Latency is
 * measured from each assertion's intended time. {@code --compare} runs the same load under
 * several moderation policies and prints them side by side. At the end the eventfds are read
 * back and every run is checked for loss.
 */
@Command(name = "storm", aliases = "load", mixinStandardHelpOptions = true, versionProvider = Main.ManifestVersion.class,
        description = {"Interrupt storm and open-loop load tester through the fabric into real eventfds (or a KVM guest).",
            "Ctrl-C ends the storm early: the result so far is printed and a counters file the storm created is removed."})
public final class StormCommand implements Callable<Integer> {
    /** The longest storm accepted: a day. */
    static final double MAX_SECONDS = 86_400;
    /** The policies the noisy-neighbour preset compares when no --compare or --policy is given. */
    static final String DEFAULT_COMPARE = "none,batch,window:50us,ratecap:20000,adaptive";

    @Spec
    CommandSpec spec;

    @Option(names = {"-p", "--producers"}, paramLabel = "N", description = "producer threads (default: ${DEFAULT-VALUE})")
    int producers = 1;

    @Option(names = {"-g", "--gsis"}, paramLabel = "N", description = "GSIs: the producers storm all but the last, the quiet one (default: ${DEFAULT-VALUE})")
    int gsis = 64;

    @Option(names = {"-d", "--duration"}, paramLabel = "SECONDS", description = "seconds of storm per policy, at most a day (default: ${DEFAULT-VALUE})")
    double seconds = 5;

    @Option(names = "--ring", paramLabel = "SLOTS", description = "ring slots, a power of two (default: ${DEFAULT-VALUE})")
    int ringSize = 4096;

    @Option(names = "--wait", paramLabel = "STRATEGY", description = "dispatcher wait strategy: ${COMPLETION-CANDIDATES} "
            + "(default: YIELDING for one flat-out run, else PARKING, so the dispatcher's CPU time is its work, not its wait)")
    DispatcherWait wait;

    @Option(names = "--counters-file", paramLabel = "FILE", description = "keep the fabric's counters in this file, readable live by './irqfabric stats FILE'")
    java.nio.file.Path countersFile;

    @Option(names = "--pattern", paramLabel = "PATTERN", description = "offered load: flat-out (as fast as possible), steady, poisson, "
            + "bursty (on/off: --burst assertions back to back, at --rate on average) (default: flat-out)")
    String patternText = "flat-out";

    @Option(names = "--rate", paramLabel = "RATE", description = "offered assertions/s over all stormed GSIs together (200k, 1.5M); steady, poisson and bursty need it or --rate-per-gsi")
    String rateText;

    @Option(names = "--rate-per-gsi", paramLabel = "RATE", description = "offered assertions/s per stormed GSI (instead of --rate)")
    String ratePerGsiText;

    @Option(names = "--burst", paramLabel = "N", description = "assertions per burst for --pattern bursty (default: ${DEFAULT-VALUE})")
    int burst = 64;

    @Option(names = "--quiet-rate", paramLabel = "RATE", description = "steady assertions/s of the quiet GSI, the last; 0: none (default: ${DEFAULT-VALUE})")
    String quietRateText = "1k";

    @Option(names = "--policy", paramLabel = "POLICY", description = "moderation policy of every GSI: none, batch, window:50us[:MAX], ratecap:N, adaptive[:TARGET[:MAX_DELAY]] (default: batch)")
    String policyText;

    @Option(names = "--compare", paramLabel = "POLICIES", description = "run the same load under each policy in turn (comma-separated) and print them side by side, e.g. " + DEFAULT_COMPARE)
    String compareText;

    @Option(names = "--preset", paramLabel = "PRESET", description = "noisy-neighbour: 8 stormed GSIs flat out, the quiet GSI at 1k/s steady, "
            + "and the policies " + DEFAULT_COMPARE + " compared (options given explicitly win)")
    String preset;

    @Option(names = "--out", paramLabel = "DIR", description = "write results.json, results.csv, series.csv and PNG charts into this directory")
    java.nio.file.Path outDir;

    @Option(names = "--seed", paramLabel = "N", description = "seed of the schedules and GSI choices (default: ${DEFAULT-VALUE})")
    long seed = 1;

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

    /** @return whether Ctrl-C asked the storm to end */
    static boolean stopRequested() {
        return stopRequested;
    }

    /** The load, resolved from the options by {@link #validate()}. */
    LoadRun.Spec load;
    /** The policies to run, in order. */
    List<ModerationPolicy> policies;

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

    private boolean given(String option) {
        return spec.commandLine().getParseResult() != null && spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    void validate() {
        if (preset != null) {
            if (!preset.equals("noisy-neighbour") && !preset.equals("noisy-neighbor")) {
                throw new Main.UserException("unknown --preset '" + preset + "' (noisy-neighbour)");
            }
            if (!given("--gsis")) {
                gsis = 9;
            }
            if (!given("--quiet-rate")) {
                quietRateText = "1k";
            }
            if (compareText == null && policyText == null) {
                compareText = DEFAULT_COMPARE;
            }
        }
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
        if (burst < 1) {
            throw new Main.UserException("--burst must be at least 1, was " + burst);
        }
        LoadSchedule.Pattern pattern;
        try {
            pattern = LoadSchedule.Pattern.parse(patternText);
        } catch (IllegalArgumentException e) {
            throw new Main.UserException("--pattern: " + e.getMessage());
        }
        if (rateText != null && ratePerGsiText != null) {
            throw new Main.UserException("--rate and --rate-per-gsi are exclusive: give one");
        }
        int stormed = gsis > 1 ? gsis - 1 : 1;
        double rate = 0;
        if (pattern == LoadSchedule.Pattern.FLAT_OUT) {
            if (rateText != null || ratePerGsiText != null) {
                throw new Main.UserException("--pattern flat-out sends as fast as it can: --rate is for steady, poisson and bursty");
            }
        } else if (rateText != null) {
            rate = parseRate(rateText, "--rate", false);
        } else if (ratePerGsiText != null) {
            rate = parseRate(ratePerGsiText, "--rate-per-gsi", false) * stormed;
        } else {
            throw new Main.UserException("--pattern " + pattern.text() + " needs an offered rate: --rate (all GSIs) or --rate-per-gsi");
        }
        double quietRate = gsis > 1 ? parseRate(quietRateText, "--quiet-rate", true) : 0;
        load = new LoadRun.Spec(producers, pattern, rate, burst, quietRate, seconds, seed);
        if (compareText != null && policyText != null) {
            throw new Main.UserException("--policy and --compare are exclusive: give one");
        }
        policies = new ArrayList<>();
        for (String t : (compareText != null ? compareText : policyText != null ? policyText : "batch").split(",", -1)) {
            try {
                policies.add(ModerationPolicy.parse(t));
            } catch (IllegalArgumentException e) {
                throw new Main.UserException((compareText != null ? "--compare: " : "--policy: ") + e.getMessage());
            }
        }
        if (wait == null) {
            wait = policies.size() == 1 && pattern == LoadSchedule.Pattern.FLAT_OUT ? DispatcherWait.YIELDING : DispatcherWait.PARKING;
        }
        InterruptFabric.builder().ringSize(ringSize); // refuses what the fabric would, before anything starts
        checkPoliciesSupported(policies);
        if (outDir != null) {
            try {
                Files.createDirectories(outDir);
            } catch (IOException | UnsupportedOperationException e) {
                throw new Main.UserException("--out: cannot create directory " + outDir + ": " + e.getMessage());
            }
            if (!Files.isDirectory(outDir) || !Files.isWritable(outDir)) {
                throw new Main.UserException("--out: " + outDir + " is not a writable directory");
            }
        }
    }

    /** A policy this build's dispatcher does not implement is the user's mistake: said before anything runs. */
    private static void checkPoliciesSupported(List<ModerationPolicy> policies) {
        InterruptSink none = gsi -> 0;
        try (InterruptFabric f = InterruptFabric.builder().gsiCount(1).waitStrategy(DispatcherWait.PARKING).sink(none).build()) {
            for (ModerationPolicy p : policies) {
                try {
                    f.moderate(0, p);
                } catch (UnsupportedOperationException e) {
                    throw new Main.UserException("policy " + p + ": " + e.getMessage());
                }
            }
        }
    }

    /**
     * @param text    for example 200k, 1.5M, 20000
     * @param option  the option, for the message
     * @param zeroOk  whether 0 is accepted
     * @return the rate per second
     * @throws Main.UserException if it is not a rate
     */
    static double parseRate(String text, String option, boolean zeroOk) {
        String t = text.trim();
        double unit = 1;
        if (t.endsWith("k") || t.endsWith("K")) {
            unit = 1e3;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m") || t.endsWith("M")) {
            unit = 1e6;
            t = t.substring(0, t.length() - 1);
        }
        double v;
        try {
            v = Double.parseDouble(t) * unit;
        } catch (NumberFormatException e) {
            throw new Main.UserException(option + ": '" + text + "' is not a rate (assertions/s: 20000, 200k, 1.5M)");
        }
        if (!(v >= 0 && v <= 1e9) || (v == 0 && !zeroOk) || t.matches(".*[a-zA-Z].*")) { // also NaN, Infinity
            throw new Main.UserException(option + ": '" + text + "' must be " + (zeroOk ? "0" : "more than 0") + " .. 1G assertions/s");
        }
        return v;
    }

    private int storm() throws Exception {
        boolean kvm = false;
        if (target != Target.eventfd) {
            String why = Kvm.unavailableReason();
            if (why == null) {
                kvm = true;
            } else if (target == Target.kvm) {
                throw new Main.UserException("--target kvm but /dev/kvm is not usable: " + why);
            } else {
                System.out.println("storm: /dev/kvm not usable (" + why + "): storming real eventfds instead");
            }
        }
        List<LoadRun.Result> results = new ArrayList<>();
        int status = 0;
        for (ModerationPolicy p : policies) {
            if (stopRequested) {
                break;
            }
            LoadRun.Result r = kvm ? KvmStorm.run(this, p) : eventFds(p);
            results.add(r);
            if (r.lost != 0 || r.errors != 0) {
                status = 1;
            }
        }
        if (results.size() > 1) {
            System.out.println();
            System.out.print(LoadReport.table(describe(kvm), results));
        }
        if (outDir != null) {
            List<Path> written = LoadReport.write(outDir, describe(kvm), results);
            System.out.println("written: " + written.stream().map(Path::toString).collect(java.util.stream.Collectors.joining(", ")));
        }
        return status;
    }

    /** @return one line saying what load was offered, for the table and the files */
    String describe(boolean kvm) {
        StringBuilder b = new StringBuilder();
        b.append(load.pattern().text());
        if (load.pattern() != LoadSchedule.Pattern.FLAT_OUT) {
            b.append(' ').append(LoadRun.rate(load.rate()));
            if (load.pattern() == LoadSchedule.Pattern.BURSTY) {
                b.append(" in bursts of ").append(load.burst());
            }
        }
        int stormed = gsis > 1 ? gsis - 1 : 1;
        b.append(String.format(Locale.ROOT, " over %d GSIs, %d producer(s), %.1f s per policy", stormed, producers, seconds));
        if (load.quietRate() > 0) {
            b.append(", quiet GSI ").append(LoadRun.rate(load.quietRate())).append(" steady");
        }
        b.append(", dispatcher ").append(wait).append(", target ").append(kvm ? "KVM guest" : "eventfd");
        return b.toString();
    }

    private LoadRun.Result eventFds(ModerationPolicy policy) throws Exception {
        System.out.printf(Locale.ROOT, "irqfabric storm: %d producer(s) x %d GSIs for %.1f s, %s, policy %s, ring %d, dispatcher %s, sink: real eventfds%n",
                producers, gsis, seconds, describePattern(), policy, ringSize, wait);
        try (EventFdSink sink = createEventFds(gsis)) {
            LatencyProbe probe = new LatencyProbe(sink, gsis, gsis > 1 ? gsis - 1 : -1, System::nanoTime);
            try (InterruptFabric fabric = configure(InterruptFabric.builder().gsiCount(gsis)).sink(probe).build()) {
                for (int g = 0; g < gsis; g++) {
                    fabric.moderate(g, policy);
                }
                LoadRun.Result r = LoadRun.run(load, policy, fabric, probe, 0, gsis > 1 ? gsis - 1 : 1, null,
                        "eventfd writes", System.out, () -> stopRequested); // closes the fabric
                r.target = "eventfd";
                long[] readBack = new long[gsis];
                for (int g = 0; g < gsis; g++) {
                    readBack[g] = sink.eventFd(g).read();
                }
                report(r, fabric.counters(), readBack);
                return r;
            }
        }
    }

    String describePattern() {
        if (load.pattern() == LoadSchedule.Pattern.FLAT_OUT) {
            return "flat out";
        }
        return load.pattern().text() + " " + LoadRun.rate(load.rate())
                + (load.pattern() == LoadSchedule.Pattern.BURSTY ? " in bursts of " + load.burst() : "");
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

    /**
     * Prints the result and checks for loss; returns the exit code (0 if nothing lost).
     *
     * <p>What "lost: 0" checks, GSI by GSI, after close() has drained the fabric: the dispatcher
     * took in exactly the assertions the producers had accepted; the eventfd read-back equals the
     * writes the fabric made (no write went missing between the fabric and the kernel); and every
     * GSI that was asserted was delivered. (The stronger "a delivery starts after every assertion"
     * is proven with a logical clock in the coverage stress tests, which would slow a storm.)
     */
    static int report(LoadRun.Result r, FabricCounters c, long[] readBack) {
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
        double s = r.seconds;
        r.deliveries = writes;
        r.lost = lost;
        r.errors = errors;
        System.out.println("result: policy " + r.policy);
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
        System.out.printf(Locale.ROOT, "  dispatcher CPU    %15.1f   ms per second (its thread's CPU time)%n", r.dispatcherCpuMsPerSec);
        printLatency(r, "eventfd write completed");
        System.out.printf(Locale.ROOT, "lost: %d   (per GSI: taken in = accepted, eventfd read-back = writes, every asserted GSI delivered)%n", lost);
        return lost == 0 && errors == 0 ? 0 : 1;
    }

    /** Prints the latency lines of a result. */
    static void printLatency(LoadRun.Result r, String delivered) {
        System.out.println("  latency: intended send time -> " + delivered + ", per delivery (of the oldest assertion it covers)");
        System.out.println("    stormed GSIs    " + LatencyProbe.summary(r.storm));
        if (r.quiet.getTotalCount() > 0) {
            System.out.println("    quiet GSI       " + LatencyProbe.summary(r.quiet));
        }
    }

    static double ratio(long a, long b) {
        return b == 0 ? 0 : (double) a / b;
    }
}
