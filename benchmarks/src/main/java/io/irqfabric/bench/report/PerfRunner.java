package io.irqfabric.bench.report;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The perf-results runner: runs the JMH suite (JSON result), runs the C floor program, and
 * writes {@code README.md}, {@code summary.json} and the PNG charts. {@code benchmarks/run-perf.sh}
 * builds everything and calls this; it can also be run alone:
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.irqfabric.bench.report.PerfRunner \
 *      --out perf-results --floor benchmarks/native/build/floor [--guest FILE] [--quick]
 *      [--report-only] [--command TEXT] [--start-epoch SECONDS] [--include JMH_REGEX]
 * </pre>
 *
 * {@code --quick} runs every benchmark for one short iteration (a smoke test, minutes less);
 * {@code --report-only} re-renders the report from an existing {@code jmh.json}/{@code floor.json}.
 * Exit status 1 if any benchmark failed (a loss check fails its benchmark) or lost anything.
 */
@Command(name = "PerfRunner", mixinStandardHelpOptions = true,
        description = "Runs the JMH suite and the C floor and writes perf-results/ (README.md, summary.json, charts).")
public final class PerfRunner implements Callable<Integer> {
    /** Flags every forked benchmark JVM needs (Agrona's Unsafe access; JNA native access on JDK 24+). */
    static final String[] JVM_FLAGS = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true"};

    @Option(names = "--out", paramLabel = "DIR", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out = Paths.get("perf-results");

    @Option(names = "--floor", paramLabel = "FILE", description = "the C floor program; without it the floor is not run")
    Path floorBinary;

    @Option(names = "--guest", paramLabel = "FILE", description = "the test guest image for the end-to-end figure")
    String guest;

    @Option(names = "--quick", description = "one short iteration per benchmark (a smoke run)")
    boolean quick;

    @Option(names = "--report-only", description = "re-render the report from the jmh.json and floor.json in --out")
    boolean reportOnly;

    @Option(names = "--command", paramLabel = "TEXT", description = "the command recorded as the one that made the run (default: ${DEFAULT-VALUE})")
    String command = "benchmarks/run-perf.sh";

    @Option(names = "--start-epoch", paramLabel = "SECONDS", description = "when the whole command started, for its wall time")
    long startEpoch = -1;

    @Option(names = "--include", paramLabel = "REGEX", description = "JMH benchmarks to run (default: ${DEFAULT-VALUE})")
    String include = "io\\.irqfabric\\.bench\\.jmh\\..*";

    /**
     * @param args see the class comment
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new PerfRunner()).execute(args));
    }

    /**
     * @return 0, or 1 if any benchmark failed or a loss check did not pass
     * @throws Exception on failure
     */
    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        Path jmhJson = out.resolve("jmh.json");
        Path jmhLog = out.resolve("jmh.log");
        Path floorJson = out.resolve("floor.json");
        String settings = quick ? "1 fork, warmup 1 x 1 s, measurement 1 x 1 s (--quick smoke run), -prof gc"
                : "1 fork, warmup 3 x 1 s, measurement 5 x 2 s, -prof gc";
        // The run before this one (its summary.json is about to be overwritten): its target values
        // go into the README next to this run's, so the run-to-run variation is visible.
        // A re-render (--report-only) keeps the run's own date and wall time.
        Map<String, Object> previousRun = null;
        String runDate = DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(Instant.now().atOffset(ZoneOffset.UTC).withNano(0));
        long elapsed = startEpoch > 0 ? Instant.now().getEpochSecond() - startEpoch : -1;
        String hardware = hardware();
        Path summaryJson = out.resolve("summary.json");
        if (Files.exists(summaryJson)) {
            Map<String, Object> old = Json.parseObject(Files.readString(summaryJson));
            if (reportOnly) {
                @SuppressWarnings("unchecked")
                Map<String, Object> carried = (Map<String, Object>) old.get("previous_run");
                previousRun = carried;
                runDate = String.valueOf(old.get("date"));
                hardware = old.get("hardware") == null ? "" : String.valueOf(old.get("hardware"));
                elapsed = old.get("elapsed_s") == null ? -1 : (long) Json.number(old.get("elapsed_s"));
            } else {
                previousRun = Report.previousRunOf(old);
            }
        }
        if (!reportOnly) {
            if (floorBinary != null) {
                runFloor(floorBinary, guest, quick, floorJson);
            }
            runJmh(include, quick, guest, jmhJson, jmhLog);
        }
        String log = Files.exists(jmhLog) ? Files.readString(jmhLog) : "";
        JmhResults jmh = JmhResults.parse(Files.readString(jmhJson));
        Map<String, Object> floor = Files.exists(floorJson)
                ? Json.parseObject(Files.readString(floorJson)) : new LinkedHashMap<>();
        if (!reportOnly && startEpoch > 0) {
            elapsed = Instant.now().getEpochSecond() - startEpoch;
        }
        Report.RunInfo info = new Report.RunInfo(runDate, jdkOf(log), Runtime.getRuntime().availableProcessors(), hardware,
                command, settings, elapsed,
                lossChecks(log), failures(jmh, guest != null));
        Report report = Report.build(jmh, floor, info).withPreviousRun(previousRun);
        Files.writeString(summaryJson, Json.write(report.summary()));
        Files.writeString(out.resolve("README.md"), ReadmeWriter.write(report));
        for (String chart : Charts.write(report, out)) {
            System.err.println("chart " + chart + ": nothing measured, not drawn");
        }
        System.out.println("perf-results written to " + out.toAbsolutePath());
        for (Report.Target t : report.targets()) {
            System.out.printf("  %-62s %s%n", t.name(), t.met() == null ? "not measured"
                    : (t.met() ? "met" : "MISSED") + String.format(" (%.3g vs %s %.3g)", t.value(), t.atMost() ? "<=" : ">=", t.limit()));
        }
        if (!info.failures().isEmpty() || !report.lossChecksOk()) {
            System.err.println("FAILED: benchmarks without result " + info.failures() + "; loss checks ok: " + report.lossChecksOk());
            return 1;
        }
        return 0;
    }

    private static void runJmh(String include, boolean quick, String guest, Path json, Path log) throws RunnerException, IOException {
        List<String> jvmArgs = new ArrayList<>(List.of(JVM_FLAGS));
        if (guest != null) {
            jvmArgs.add("-Dirqfabric.bench.guest=" + guest);
        }
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(include)
                .forks(1)
                .addProfiler(GCProfiler.class)
                .jvmArgsAppend(jvmArgs.toArray(new String[0]))
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString())
                .shouldFailOnError(false);
        if (guest == null) {
            o.exclude("EndToEndBenchmark"); // no test guest (no /dev/kvm): figure 4 is left out and the report says why
        }
        if (quick) {
            o.warmupIterations(1).warmupTime(TimeValue.seconds(1)).measurementIterations(1).measurementTime(TimeValue.seconds(1));
        } else {
            o.warmupIterations(3).warmupTime(TimeValue.seconds(1)).measurementIterations(5).measurementTime(TimeValue.seconds(2));
        }
        PrintStream console = System.out;
        try (OutputStream file = Files.newOutputStream(log);
             PrintStream tee = new PrintStream(new Tee(console, file), true, StandardCharsets.UTF_8)) {
            System.setOut(tee);
            new Runner(o.build()).run();
        } finally {
            System.setOut(console);
        }
    }

    private static void runFloor(Path binary, String guest, boolean quick, Path json) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString()));
        if (quick) {
            cmd.add("--quick");
        }
        if (guest != null) {
            cmd.add("--guest");
            cmd.add(guest);
        }
        System.out.println("# C floor: " + String.join(" ", cmd));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        p.getInputStream().transferTo(bytes);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("floor program failed: " + cmd + " exit " + (p.isAlive() ? "timeout" : p.exitValue()));
        }
        String line = bytes.toString(StandardCharsets.UTF_8).trim();
        Json.parseObject(line); // fail here, not in the report, if it is not JSON
        Files.writeString(json, line + "\n");
        System.out.println("# C floor: " + line);
    }

    static List<String> lossChecks(String log) {
        List<String> out = new ArrayList<>();
        String current = "";
        for (String line : log.split("\n")) {
            if (line.startsWith("# Benchmark: ")) {
                current = line.substring("# Benchmark: ".length()).replace("io.irqfabric.bench.jmh.", "");
            } else if (line.startsWith("# Parameters: ")) {
                current = current.replaceAll(" \\(.*", "") + " " + line.substring("# Parameters: ".length());
            }
            int at = line.indexOf("loss check ");
            if (at >= 0) {
                out.add(current + ": " + line.substring(at + "loss check ".length()).trim());
            }
            if (line.contains("LOST INTERRUPTS")) {
                out.add(current + ": " + line.trim());
            }
        }
        return out;
    }

    private static List<String> failures(JmhResults jmh, boolean withGuest) {
        List<String> missing = new ArrayList<>();
        for (String method : List.of("storm1p", "storm2p", "producerCost", "assertToWrite")) {
            for (String p : Report.PATHS) {
                if (jmh.find(method, p).isEmpty()) {
                    missing.add(method + "/" + p);
                }
            }
        }
        for (String io : List.of("auto", "jna")) {
            if (jmh.find("writeBackToBack", Report.DIRECT, "eventfdIo", io, "auto").isEmpty()) {
                missing.add("writeBackToBack/" + Report.DIRECT + "/" + io);
            }
        }
        for (String p : Report.FABRICS) {
            if (withGuest && jmh.find("assertToGuestHandler", p).isEmpty()) {
                missing.add("assertToGuestHandler/" + p);
            }
        }
        return missing;
    }

    /**
     * @return the processor model and the 1/5/15-minute load averages now, from /proc ("" parts
     *         that cannot be read are left out)
     */
    static String hardware() {
        String model = "";
        String load = "";
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    model = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            model = "";
        }
        try {
            String[] f = Files.readString(Paths.get("/proc/loadavg")).trim().split("\\s+");
            load = "load average " + f[0] + " " + f[1] + " " + f[2] + " when the run started";
        } catch (IOException | RuntimeException e) {
            load = "";
        }
        return model.isEmpty() ? load : load.isEmpty() ? model : model + "; " + load;
    }

    private static String jdkOf(String log) {
        for (String line : log.split("\n")) {
            if (line.startsWith("# VM version: ")) {
                return line.substring("# VM version: ".length()).trim();
            }
        }
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
    }

    /** Copies everything written to two streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }
}
