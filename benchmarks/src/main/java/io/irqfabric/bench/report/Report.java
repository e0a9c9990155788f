package io.irqfabric.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one run's JMH results and the C floor's output into figures, ratios and targets:
 * the rows of {@code perf-results/README.md}, {@code summary.json} and the charts.
 */
final class Report {
    static final String FABRIC_SPIN = "fabric_spin";
    static final String FABRIC_PARK = "fabric_park";
    static final String FABRIC_INLINE = "fabric_inline";
    static final String DIRECT = "direct";
    static final String ABQ = "abq";
    static final String AGRONA = "agrona";
    static final String FLOOR = "floor";
    static final List<String> PATHS = List.of(FABRIC_SPIN, FABRIC_PARK, FABRIC_INLINE, DIRECT, ABQ, AGRONA);
    /** The fabric's configurations (wait strategy and dispatch mode; {@code TriggerPaths.FABRICS}). */
    static final List<String> FABRICS = List.of(FABRIC_SPIN, FABRIC_PARK, FABRIC_INLINE);
    /** Ratio columns of the README table, in order. */
    static final List<String> BASELINES = List.of(DIRECT, ABQ, AGRONA, FLOOR);
    static final double[] PERCENTILES = {50.0, 90.0, 99.0, 99.9};
    /** Below this many bytes per operation a figure counts as "0 B/op" (JMH's own per-iteration bookkeeping is a few bytes per ~10^7 ops). */
    static final double ZERO_BYTES = 0.01;

    /**
     * One figure for one configuration.
     *
     * @param figure  1..6, the figure of perf-results/README.md
     * @param metric  what is measured (a row group)
     * @param config  the path or floor name
     * @param value   the figure (NaN if not measured)
     * @param error   JMH's 99.9% error half-width, NaN if none
     * @param unit    unit of value
     * @param compare whether ratio columns make sense for this metric
     * @param note    a short note, or ""
     */
    record Row(int figure, String metric, String config, double value, double error, String unit,
               boolean compare, String note) {
    }

    /**
     * One performance target, with the measured ratio.
     *
     * @param name     what is promised
     * @param measured the measured quantity, spelled out
     * @param value    the measured ratio (or absolute value)
     * @param limit    the target
     * @param atMost   true if value must be {@code <= limit}, false if {@code >= limit}
     * @param bound    what stands in the way / what bounds the figure
     */
    record Target(String name, String measured, double value, double limit, boolean atMost, String bound) {
        /** @return TRUE met, FALSE missed, null not measured */
        Boolean met() {
            if (Double.isNaN(value)) {
                return null;
            }
            return atMost ? value <= limit : value >= limit;
        }
    }

    /**
     * How the run was made.
     *
     * @param date        ISO date-time of the run (UTC)
     * @param jdk         JDK that ran the benchmarks
     * @param cpus        available processors
     * @param hardware    the processor model and the load average when the run started, as the
     *                    machine reported them ("" if unknown)
     * @param command     the one command that regenerates everything
     * @param jmhSettings forks / warmup / measurement as used
     * @param elapsedSec  wall time of the whole command so far, or -1 if unknown
     * @param lossChecks  the loss-check verdict lines printed by the benchmarks' teardowns
     * @param failures    benchmarks that produced no result (failed), empty if none
     * @param eventFdIo   the eventfd call path the JDK picks by itself ({@code ffm} or {@code jna})
     * @param defaultConfig the fabric configuration {@code InterruptFabric.builder()} builds by
     *                    default (its wait strategy and dispatch mode), or null if none of
     *                    {@link #FABRICS} is it
     */
    record RunInfo(String date, String jdk, int cpus, String hardware, String command, String jmhSettings, long elapsedSec,
                   List<String> lossChecks, List<String> failures, String eventFdIo, String defaultConfig) {
        /** The same, with the eventfd path and default configuration of the JVM making the report. */
        RunInfo(String date, String jdk, int cpus, String hardware, String command, String jmhSettings, long elapsedSec,
                List<String> lossChecks, List<String> failures) {
            this(date, jdk, cpus, hardware, command, jmhSettings, elapsedSec, lossChecks, failures,
                    io.irqfabric.eventfd.EventFd.ioPath(), io.irqfabric.bench.path.TriggerPaths.defaultConfig());
        }
    }

    private final JmhResults jmh;
    private final Map<String, Object> floor;
    private final RunInfo info;
    private final List<Row> rows = new ArrayList<>();
    private final List<Target> targets = new ArrayList<>();
    /** The previous run's date and target values ({@code previous_run} of summary.json), or empty. */
    private Map<String, Object> previousRun = Map.of();

    private Report(JmhResults jmh, Map<String, Object> floor, RunInfo info) {
        this.jmh = jmh;
        this.floor = floor;
        this.info = info;
    }

    /**
     * Records the previous run's target values, so the README shows run-to-run variation.
     *
     * @param previous {@code previous_run} as {@link #previousRunOf} makes it: date and targets
     * @return this
     */
    Report withPreviousRun(Map<String, Object> previous) {
        this.previousRun = previous == null ? Map.of() : previous;
        return this;
    }

    /**
     * @param summary an earlier summary.json
     * @return its date and target values, the {@code previous_run} entry of the next summary
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> previousRunOf(Map<String, Object> summary) {
        Map<String, Object> values = new LinkedHashMap<>();
        Object t = summary.get("targets");
        if (t instanceof List) {
            for (Object o : (List<Object>) t) {
                Map<String, Object> m = (Map<String, Object>) o;
                values.put(String.valueOf(m.get("target")), m.get("value"));
            }
        }
        return map("date", summary.get("date"), "targets", values);
    }

    /**
     * @param target a target's name
     * @return its value in the previous run, NaN if unknown
     */
    @SuppressWarnings("unchecked")
    double previousValue(String target) {
        Object t = previousRun.get("targets");
        return t instanceof Map ? Json.number(((Map<String, Object>) t).get(target)) : Double.NaN;
    }

    /** @return the previous run's date, or null */
    Object previousDate() {
        return previousRun.get("date");
    }

    /**
     * @param jmh   the JMH results
     * @param floor the floor program's JSON object (empty if it did not run)
     * @param info  run information
     * @return the report
     */
    static Report build(JmhResults jmh, Map<String, Object> floor, RunInfo info) {
        Report r = new Report(jmh, floor, info);
        r.figures();
        r.computeTargets();
        return r;
    }

    List<Row> rows() {
        return rows;
    }

    List<Target> targets() {
        return targets;
    }

    RunInfo info() {
        return info;
    }

    // ---- figures ---------------------------------------------------------------------------

    private void figures() {
        double floorWriteRate = floorNumber("writes_per_s");
        // 1. producer cost
        for (String p : PATHS) {
            add(1, "producer_cost", p, jmh.find("producerCost", p), "ns/op", true, "");
        }
        rows.add(new Row(1, "producer_cost", FLOOR, floorWriteRate > 0 ? 1e9 / floorWriteRate : Double.NaN,
                Double.NaN, "ns/op", true, "C: one write(2) in a tight loop"));
        // 2. storm
        for (String m : List.of("storm1p", "storm2p")) {
            String metric = m.equals("storm1p") ? "storm_1p" : "storm_2p";
            for (String p : PATHS) {
                add(2, metric, p, jmh.find(m, p), "assertions/s", true, "");
            }
            rows.add(new Row(2, metric, FLOOR, m.equals("storm1p") ? floorWriteRate : Double.NaN, Double.NaN,
                    "assertions/s", true, m.equals("storm1p") ? "C: one thread writing the eventfd per assertion" : ""));
            for (String p : PATHS) {
                Optional<JmhResults.Record> r = jmh.find(m, p);
                rows.add(new Row(2, metric + "_eventfd_writes", p,
                        r.map(x -> x.secondary("eventfdWrites")).orElse(Double.NaN), Double.NaN, "writes/s", false, ""));
            }
            for (String p : PATHS) {
                rows.add(new Row(2, metric + "_coalescing_ratio", p, coalescing(m, p), Double.NaN,
                        "assertions/write", false, ""));
            }
            for (String p : FABRICS) {
                rows.add(new Row(2, metric + "_overflow_share", p, overflowShare(m, p), Double.NaN,
                        "share", false, "assertions that took the overflow path (ring full) / assertions"));
            }
        }
        // 3. idle latency percentiles
        for (double pc : PERCENTILES) {
            String metric = "idle_latency_" + pctName(pc);
            for (String p : PATHS) {
                Optional<JmhResults.Record> r = jmh.find("assertToWrite", p);
                rows.add(new Row(3, metric, p, r.map(x -> x.percentile(pc)).orElse(Double.NaN), Double.NaN, "ns",
                        true, ""));
            }
            rows.add(new Row(3, metric, FLOOR, floorPercentile("handoff_write_ns", pc), Double.NaN, "ns", true,
                    "C: spinning thread hand-off + write(2)"));
            rows.add(new Row(3, metric, "direct_hot", directHot("auto", pc), Double.NaN, "ns", false,
                    "direct's write back to back, no gap (DirectWriteBenchmark), eventfd calls through "
                    + info.eventFdIo()));
            rows.add(new Row(3, metric, "direct_hot_jna", directHot("jna", pc), Double.NaN, "ns", false,
                    "the same, eventfd calls forced onto JNA (-Dirqfabric.eventfd.io=jna)"));
            rows.add(new Row(3, metric, "floor_write", floorPercentile("write_ns", pc), Double.NaN, "ns", false,
                    "C: write(2) alone, back to back"));
        }
        // 6. a quiet neighbour's latency next to a one-producer storm
        for (String pc : List.of("p50", "p99")) {
            String metric = "neighbour_latency_" + pc;
            String aux = pc.equals("p50") ? "neighbourP50Ns" : "neighbourP99Ns";
            for (String[] c : NEIGHBOUR_CONFIGS) {
                Optional<JmhResults.Record> r = jmh.find(c[1], c[2]);
                rows.add(new Row(6, metric, c[0], r.map(x -> neighbour(x, aux)).orElse(Double.NaN), Double.NaN, "ns",
                        false, "one quiet GSI, assertion -> eventfd write; "
                        + r.map(x -> (long) x.secondary("neighbourSamples") + " samples").orElse("not measured")));
            }
        }
        // 4. end to end
        for (double pc : PERCENTILES) {
            String metric = "e2e_latency_" + pctName(pc);
            for (String p : FABRICS) {
                Optional<JmhResults.Record> r = jmh.find("assertToGuestHandler", p);
                rows.add(new Row(4, metric, p, r.map(x -> x.percentile(pc)).orElse(Double.NaN), Double.NaN,
                        "ns", true, ""));
            }
            rows.add(new Row(4, metric, FLOOR, floorPercentile("e2e_ns", pc), Double.NaN, "ns", true,
                    "C: irqfd write -> guest handler"));
            rows.add(new Row(4, metric, "floor_handoff", floorPercentile("e2e_handoff_ns", pc), Double.NaN, "ns", false,
                    "C: hand-off to a spinning C dispatcher thread that writes the irqfd -> guest handler"));
        }
        // 5. allocation
        for (String p : PATHS) {
            Optional<JmhResults.Record> r = jmh.find("storm1p", p);
            double assertions = r.map(x -> x.secondary("assertions")).orElse(Double.NaN);
            rows.add(new Row(5, "alloc_trigger_B_per_assertion", p,
                    r.map(x -> x.secondary("producerAllocBytes") / assertions).orElse(Double.NaN), Double.NaN,
                    "B/op", false, "producer thread, storm 1p"));
            rows.add(new Row(5, "alloc_dispatch_B_per_assertion", p,
                    r.map(x -> x.secondary("dispatcherAllocBytes") / assertions).orElse(Double.NaN), Double.NaN,
                    "B/op", false, p.equals(DIRECT) ? "no dispatcher" : "dispatcher thread, storm 1p; bytes per measured iteration: "
                    + r.map(x -> perIteration(x.secondaryRaw("dispatcherAllocBytes"))).orElse("n/a")));
            rows.add(new Row(5, "alloc_jvm_B_per_assertion", p,
                    r.map(x -> x.secondary("gc.alloc.rate.norm")).orElse(Double.NaN), Double.NaN, "B/op", false,
                    "-prof gc: whole JVM, storm 1p"));
            Optional<JmhResults.Record> idle = jmh.find("assertToWrite", p);
            rows.add(new Row(5, "alloc_dispatch_B_per_idle_assertion", p,
                    idle.map(x -> x.secondary("idleDispatcherAllocBytes") / x.secondary("idleAssertions")).orElse(Double.NaN),
                    Double.NaN, "B/op", false, p.equals(DIRECT) ? "no dispatcher"
                    : "dispatcher thread, idle latency; bytes per measured iteration: "
                    + idle.map(x -> perIteration(x.secondaryRaw("idleDispatcherAllocBytes"))).orElse("n/a")));
            rows.add(new Row(5, "alloc_jvm_B_per_idle_assertion", p,
                    idle.map(x -> x.secondary("gc.alloc.rate.norm")).orElse(Double.NaN), Double.NaN, "B/op", false,
                    "-prof gc: whole JVM, idle latency; mostly JMH's SampleTime bookkeeping (direct has no dispatcher)"));
        }
    }

    /** DirectWriteBenchmark's percentile with the eventfd path {@code io} ("auto" or "jna"). */
    private double directHot(String io, double pc) {
        return jmh.find("writeBackToBack", DIRECT, "eventfdIo", io, "auto").map(x -> x.percentile(pc)).orElse(Double.NaN);
    }

    private static String perIteration(List<Double> raw) {
        if (raw.isEmpty()) {
            return "n/a";
        }
        StringBuilder b = new StringBuilder();
        for (double v : raw) {
            b.append(b.length() == 0 ? "" : ", ").append((long) v);
        }
        return b.toString();
    }

    private void add(int figure, String metric, String config, Optional<JmhResults.Record> r, String unit,
                     boolean compare, String note) {
        rows.add(new Row(figure, metric, config, r.map(JmhResults.Record::score).orElse(Double.NaN),
                r.map(JmhResults.Record::error).orElse(Double.NaN), unit, compare, note));
    }

    /** Neighbour-latency configurations: figure name, JMH method, path. */
    static final String[][] NEIGHBOUR_CONFIGS = {
        {"fabric_storm", "neighbourStorm", FABRIC_SPIN},
        {"fabric_idle", "neighbourIdle", FABRIC_SPIN},
        {"agrona_storm", "neighbourStorm", AGRONA},
        {"agrona_idle", "neighbourIdle", AGRONA},
    };

    /** A percentile aux counter of the neighbour benchmark, NaN if no latency was recorded. */
    private static double neighbour(JmhResults.Record r, String aux) {
        return r.secondary("neighbourSamples") > 0 ? r.secondary(aux) : Double.NaN;
    }

    private double overflowShare(String method, String path) {
        return jmh.find(method, path)
                .map(x -> x.secondary("assertions") > 0 ? x.secondary("overflowed") / x.secondary("assertions") : Double.NaN)
                .orElse(Double.NaN);
    }

    private double coalescing(String method, String path) {
        return jmh.find(method, path)
                .map(x -> x.secondary("writes") > 0 ? x.secondary("assertions") / x.secondary("writes") : Double.NaN)
                .orElse(Double.NaN);
    }

    static String pctName(double pc) {
        return pc == 99.9 ? "p99.9" : "p" + (int) pc;
    }

    /**
     * @param metric a metric name
     * @param config a configuration name
     * @return the value of that row, NaN if absent
     */
    double value(String metric, String config) {
        for (Row r : rows) {
            if (r.metric().equals(metric) && r.config().equals(config)) {
                return r.value();
            }
        }
        return Double.NaN;
    }

    /**
     * @param metric a metric name
     * @param config a configuration name
     * @return the JMH error of that row, NaN if absent or none
     */
    double error(String metric, String config) {
        for (Row r : rows) {
            if (r.metric().equals(metric) && r.config().equals(config)) {
                return r.error();
            }
        }
        return Double.NaN;
    }

    /**
     * @param row      a row
     * @param baseline a configuration in {@link #BASELINES}
     * @return row value / the baseline's value for the same metric, NaN where meaningless
     */
    double ratio(Row row, String baseline) {
        if (!row.compare() || row.config().equals(baseline)) {
            return Double.NaN;
        }
        return row.value() / value(row.metric(), baseline);
    }

    private double floorNumber(String key) {
        return Json.number(floor.get(key));
    }

    @SuppressWarnings("unchecked")
    private double floorPercentile(String key, double pc) {
        Object o = floor.get(key);
        if (!(o instanceof Map)) {
            return Double.NaN;
        }
        String k = pc == 99.9 ? "p999" : "p" + (int) pc;
        return Json.number(((Map<String, Object>) o).get(k));
    }

    // ---- targets ---------------------------------------------------------------------------

    private void computeTargets() {
        double costD = value("producer_cost", DIRECT);
        for (String f : FABRICS) {
            targets.add(new Target("producer cost <= 1/5 of direct (" + f + ")",
                    f + " producerCost / direct producerCost", value("producer_cost", f) / costD, 0.2, true,
                    String.format(Locale.ROOT, "direct pays one write(2) per assertion (%s; C floor %s); the fabric pays a "
                                    + "Disruptor multi-producer claim (CAS on the cursor shared with the other producers "
                                    + "and the dispatcher's gating sequence) and a publish; under a storm that cache line "
                                    + "bounces between the producer and the dispatcher core%s",
                            ns(costD), ns(value("producer_cost", FLOOR)), inlineNote(f))));
        }
        double stormD = value("storm_1p", DIRECT);
        for (String f : FABRICS) {
            targets.add(new Target("storm rate >= 10x direct (" + f + ")", f + " storm1p / direct storm1p",
                    value("storm_1p", f) / stormD, 10, false, "direct is bounded by one write(2) per assertion on the "
                    + "producer; the fabric by the producer's claim/publish, i.e. the same figure as producer cost"
                    + inlineNote(f)));
        }
        for (String f : FABRICS) {
            targets.add(new Target(">= 20 M assertions/s absorbed with one producer (" + f + ")", f + " storm1p, M/s",
                    value("storm_1p", f) / 1e6, 20, false, "the producer-side cost per assertion (1e9 / cost ns); on "
                    + info.cpus() + " CPUs the dispatcher and producer each need a whole core"));
        }
        idleTargets();
        e2eTargets();
        for (String f : FABRICS) {
            targets.add(new Target("storm rate >= 2x the Agrona queue, one producer (" + f + ")",
                    f + " storm1p / agrona storm1p", value("storm_1p", f) / value("storm_1p", AGRONA), 2, false,
                    "both coalesce in the dispatcher; the fabric also coalesces at the source, so a storm on few GSIs "
                    + "claims few ring slots; the producer's cost per assertion bounds both"));
        }
        for (String f : FABRICS) {
            targets.add(new Target("storm rate >= 2x the Agrona queue, two producers (" + f + ")",
                    f + " storm2p / agrona storm2p", value("storm_2p", f) / value("storm_2p", AGRONA), 2, false,
                    "two producers and the dispatcher share " + info.cpus() + " CPUs; the producers contend on the "
                    + "ring's cursor (fabric) or the queue's tail (Agrona)"));
        }
        for (String f : FABRICS) {
            targets.add(new Target("<= 0.1% of storm assertions take the overflow path (" + f + ")",
                    f + " storm1p overflowed / assertions", value("storm_1p_overflow_share", f), 0.001, true,
                    "with source coalescing a GSI holds at most one untaken ring slot, so 16 stormed GSIs cannot fill "
                    + "the ring"));
        }
        double nStorm50 = value("neighbour_latency_p50", "fabric_storm");
        targets.add(new Target("quiet neighbour median under a storm <= 10x idle", "fabric_spin neighbour p50: storm / idle",
                nStorm50 / value("neighbour_latency_p50", "fabric_idle"), 10, true,
                "the dispatcher writes quiet GSIs first in each flush and peeks at the ring every 8 stormer writes; "
                + "the producer and dispatcher each need a whole core"));
        for (String pc : List.of("p50", "p99")) {
            targets.add(new Target("quiet neighbour " + pc + " under a storm <= 1/4 of the Agrona queue's",
                    "neighbour " + pc + ": fabric_storm / agrona_storm",
                    value("neighbour_latency_" + pc, "fabric_storm") / value("neighbour_latency_" + pc, "agrona_storm"),
                    0.25, true, "the Agrona dispatcher takes the queue in arrival order, so the quiet GSI waits behind "
                    + "the stormers' queued assertions; the fabric writes it ahead of them"));
        }
        for (String f : FABRICS) {
            targets.add(new Target("0 B/op on the trigger path (" + f + ")", f + " producer thread bytes / assertion",
                    value("alloc_trigger_B_per_assertion", f), ZERO_BYTES, true,
                    "ThreadMXBean per-thread allocation over the measured iterations of storm1p"));
        }
        for (String f : FABRICS) {
            targets.add(new Target("0 B/op in the dispatcher's steady state (" + f + ")",
                    f + " dispatcher thread bytes / assertion", value("alloc_dispatch_B_per_assertion", f), ZERO_BYTES,
                    true, "ThreadMXBean per-thread allocation over the measured iterations of storm1p"));
        }
    }

    /** The producer-side note for the inline mode, "" for the others. */
    private static String inlineNote(String config) {
        return config.equals(FABRIC_INLINE) ? "; in INLINE_WHEN_IDLE mode an assertion that finds the fabric idle also "
                + "pays the eventfd write itself, which a storm (never idle) rarely does" : "";
    }

    /**
     * @param metric a metric ({@code idle_latency_p50}, {@code e2e_latency_p50})
     * @return the fabric configuration with the lowest measured value, or null if none was measured
     */
    String bestFabric(String metric) {
        String best = null;
        for (String f : FABRICS) {
            double v = value(metric, f);
            if (!Double.isNaN(v) && (best == null || v < value(metric, best))) {
                best = f;
            }
        }
        return best;
    }

    /** The default configuration's name for a target, or what stands in for it. */
    private String defaultLabel() {
        return info.defaultConfig() == null ? "the builder's default (not one of " + FABRICS + ")" : info.defaultConfig();
    }

    private void idleTargets() {
        double idleD = value("idle_latency_p50", DIRECT);
        String best = bestFabric("idle_latency_p50");
        String dflt = info.defaultConfig();
        for (String[] which : new String[][]{{"best fabric mode", best}, {"default mode", dflt}}) {
            String f = which[1];
            double v = f == null ? Double.NaN : value("idle_latency_p50", f);
            targets.add(new Target("idle latency median <= 1.2x direct, " + which[0],
                    (f == null ? (which[0].equals("default mode") ? defaultLabel() : "no fabric mode measured") : f)
                            + " p50 / direct p50", v / idleD, 1.2, true, f == null ? "not measured in this run"
                    : idleBound(f)));
        }
        targets.add(new Target("idle latency median of the best fabric mode <= the Agrona queue's",
                (best == null ? "no fabric mode measured" : best) + " p50 / agrona p50",
                (best == null ? Double.NaN : value("idle_latency_p50", best)) / value("idle_latency_p50", AGRONA), 1.0, true,
                String.format(Locale.ROOT, "the Agrona dispatcher spins, so its figure (%s) is one hand-off to an awake "
                                + "thread on the other core plus the write; a fabric mode that hands off pays the same "
                                + "hand-off plus the ring's claim and publish, and only a mode that writes on the "
                                + "asserting thread (no hand-off) can be well below it",
                        ns(value("idle_latency_p50", AGRONA)))));
    }

    /** What bounds the idle median of one fabric configuration, with this run's figures. */
    private String idleBound(String f) {
        double v = value("idle_latency_p50", f);
        double hot = value("idle_latency_p50", "direct_hot");
        String common = String.format(Locale.ROOT, "direct (%s) is measured after the same 200 us gap, so its write runs "
                        + "on a cooled syscall path; the same write back to back takes %s (%s)",
                ns(value("idle_latency_p50", DIRECT)), ns(hot), info.eventFdIo());
        switch (f) {
            case FABRIC_SPIN:
                return String.format(Locale.ROOT, "a spinning dispatcher: a cache-line hand-off to it on the other core and "
                                + "the hand-back of the completion; the C floor of exactly that (hand-off + write) is %s "
                                + "against a bare back-to-back C write of %s, and %s is %s of it; %s",
                        ns(value("idle_latency_p50", FLOOR)), ns(value("idle_latency_p50", "floor_write")), f,
                        ratio(v / value("idle_latency_p50", FLOOR)), common);
            case FABRIC_PARK:
                return "a parked dispatcher: the producer's unpark (a futex wake-up syscall) and the scheduler's wake-up "
                        + "of the dispatcher thread come before the write; " + common;
            default:
                return "the asserting thread finds the fabric idle and writes the eventfd itself, so the figure is direct's "
                        + "write plus the fabric's idle check and taking the dispatcher role (an assertion that finds "
                        + "the fabric busy goes through the ring as in fabric_park); " + common;
        }
    }

    private void e2eTargets() {
        double e2eC = value("e2e_latency_p50", FLOOR);
        String best = bestFabric("e2e_latency_p50");
        String dflt = info.defaultConfig();
        for (String[] which : new String[][]{{"best fabric mode", best}, {"default mode", dflt}}) {
            String f = which[1];
            double v = f == null ? Double.NaN : value("e2e_latency_p50", f);
            String bound;
            if (Double.isNaN(v / e2eC)) {
                bound = "not measured in this run: " + (f == null && which[0].equals("default mode") && dflt == null
                        ? defaultLabel() + " has no configuration in this suite" : e2eUnavailable());
            } else {
                bound = e2eBound(f, v / e2eC);
            }
            targets.add(new Target("end-to-end median <= 1.5x the C floor, " + which[0],
                    (f == null ? defaultLabel() : f) + " e2e p50 / C floor e2e p50", v / e2eC, 1.5, true, bound));
        }
    }

    /** What bounds the end-to-end median of one fabric configuration, with this run's figures. */
    private String e2eBound(String f, double toFloor) {
        double handoff = value("e2e_latency_p50", "floor_handoff");
        double e2eC = value("e2e_latency_p50", FLOOR);
        String java = "the rest is Java's share (the eventfd write through " + info.eventFdIo()
                + ", JNA reads of guest memory while waiting)";
        switch (f) {
            case FABRIC_SPIN:
                return String.format(Locale.ROOT, "the C floor writes the irqfd from the measuring thread, so only it and "
                                + "the vCPU thread (halt-polling in KVM_RUN) run; a spinning dispatcher is a third runnable "
                                + "thread on %d CPUs. The same C floor through a spinning C dispatcher thread takes %s (%s "
                                + "the direct floor); %s is %s of that; %s",
                        info.cpus(), ns(handoff), ratio(handoff / e2eC), f, ratio(value("e2e_latency_p50", f) / handoff), java);
            case FABRIC_PARK:
                return String.format(Locale.ROOT, "the dispatcher is still in its spin/yield phase after the 50 us gap, or "
                        + "parked, and must be woken before it writes the irqfd (%s of the C floor); %s", ratio(toFloor), java);
            default:
                return String.format(Locale.ROOT, "the asserting thread finds the fabric idle and writes the irqfd itself, "
                        + "as the C floor does, so no third thread runs (%s of the C floor); %s", ratio(toFloor), java);
        }
    }

    String e2eUnavailable() {
        Object why = floor.get("e2e_unavailable");
        if (jmh.find("assertToGuestHandler", FABRIC_SPIN).isEmpty()) {
            return "no end-to-end JMH result" + (why != null ? "; floor: " + why : "");
        }
        return why != null ? String.valueOf(why) : "no floor result";
    }

    // ---- summary.json ------------------------------------------------------------------------

    /** @return the machine-readable summary, headline figures first, then every figure */
    Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("date", info.date());
        s.put("jdk", info.jdk());
        s.put("cpu_count", info.cpus());
        s.put("hardware", info.hardware());
        s.put("command", info.command());
        s.put("jmh_settings", info.jmhSettings());
        s.put("elapsed_s", info.elapsedSec() >= 0 ? info.elapsedSec() : null);
        s.put("producer_cost_ns", map("fabric", value("producer_cost", FABRIC_SPIN),
                "direct", value("producer_cost", DIRECT)));
        s.put("storm_assertions_per_s", map("fabric_1p", value("storm_1p", FABRIC_SPIN),
                "fabric_2p", value("storm_2p", FABRIC_SPIN), "direct", value("storm_1p", DIRECT),
                "abq", value("storm_1p", ABQ), "agrona", value("storm_1p", AGRONA),
                "agrona_2p", value("storm_2p", AGRONA), "abq_2p", value("storm_2p", ABQ)));
        s.put("overflow_share", map("fabric_1p", value("storm_1p_overflow_share", FABRIC_SPIN),
                "fabric_2p", value("storm_2p_overflow_share", FABRIC_SPIN)));
        s.put("coalescing_ratio", map("fabric_1p", value("storm_1p_coalescing_ratio", FABRIC_SPIN)));
        for (String pc : List.of("p50", "p90", "p99")) {
            Map<String, Object> idle = new LinkedHashMap<>();
            for (String p : List.of(FABRIC_SPIN, FABRIC_PARK, FABRIC_INLINE, DIRECT, AGRONA)) {
                idle.put(p, value("idle_latency_" + pc, p));
            }
            s.put("idle_latency_ns_" + pc, idle);
        }
        s.put("default_fabric_config", info.defaultConfig());
        s.put("eventfd_io", info.eventFdIo());
        s.put("eventfd_write_ns_p50", map("auto", value("idle_latency_p50", "direct_hot"),
                "jna", value("idle_latency_p50", "direct_hot_jna")));
        for (String pc : List.of("p50", "p99")) {
            s.put("neighbour_latency_ns_" + pc, map("fabric_storm", value("neighbour_latency_" + pc, "fabric_storm"),
                    "fabric_idle", value("neighbour_latency_" + pc, "fabric_idle"),
                    "agrona_storm", value("neighbour_latency_" + pc, "agrona_storm")));
        }
        for (String pc : List.of("p50", "p90", "p99")) {
            Map<String, Object> e2e = new LinkedHashMap<>();
            for (String p : List.of(FABRIC_SPIN, FABRIC_PARK, FABRIC_INLINE, FLOOR)) {
                e2e.put(p, value("e2e_latency_" + pc, p));
            }
            s.put("e2e_latency_ns_" + pc, e2e);
        }
        if (Double.isNaN(value("e2e_latency_p50", FABRIC_SPIN)) || Double.isNaN(value("e2e_latency_p50", FLOOR))) {
            s.put("e2e_latency_unavailable_reason", e2eUnavailable());
        }
        s.put("alloc_bytes_per_op", map("trigger", value("alloc_trigger_B_per_assertion", FABRIC_SPIN),
                "dispatch", value("alloc_dispatch_B_per_assertion", FABRIC_SPIN)));
        s.put("lost", info.failures().isEmpty() && lossChecksOk() ? 0 : null);
        s.put("loss_checks", info.lossChecks());
        s.put("failed_benchmarks", info.failures());
        List<Object> t = new ArrayList<>();
        for (Target x : targets) {
            t.add(map("target", x.name(), "measured", x.measured(), "value", x.value(), "limit", x.limit(),
                    "met", x.met()));
        }
        s.put("targets", t);
        if (!previousRun.isEmpty()) {
            s.put("previous_run", previousRun);
        }
        Map<String, Object> all = new LinkedHashMap<>();
        for (Row r : rows) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) all.computeIfAbsent(r.metric() + " [" + r.unit() + "]",
                    k -> new LinkedHashMap<String, Object>());
            m.put(r.config(), r.value());
        }
        s.put("all_figures", all);
        return s;
    }

    /** @return true if every loss-check line reports lost=0 (and there is at least one) */
    boolean lossChecksOk() {
        if (info.lossChecks().isEmpty()) {
            return false;
        }
        for (String l : info.lossChecks()) {
            if (!l.contains("lost=0")) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int k = 0; k < kv.length; k += 2) {
            m.put((String) kv[k], kv[k + 1]);
        }
        return m;
    }

    // ---- formatting --------------------------------------------------------------------------

    static String ns(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.2f ms", v / 1e6);
        }
        if (v >= 1e4) {
            return String.format(Locale.ROOT, "%.1f us", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f ns", v);
    }

    static String fmt(double v, String unit) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        switch (unit) {
            case "ns":
            case "ns/op":
                return unit.equals("ns/op") && v < 100 ? String.format(Locale.ROOT, "%.1f ns", v) : ns(v);
            case "assertions/s":
            case "writes/s":
                return v >= 1e6 ? String.format(Locale.ROOT, "%.2f M/s", v / 1e6) : String.format(Locale.ROOT, "%.0f k/s", v / 1e3);
            case "B/op":
                return String.format(Locale.ROOT, "%.4f B", v);
            case "share":
                return String.format(Locale.ROOT, "%.3g%%", v * 100);
            default:
                return String.format(Locale.ROOT, "%.1f", v);
        }
    }

    static String ratio(double r) {
        if (Double.isNaN(r) || Double.isInfinite(r)) {
            return "";
        }
        return r >= 10 ? String.format(Locale.ROOT, "%.1fx", r) : String.format(Locale.ROOT, "%.2fx", r);
    }
}
