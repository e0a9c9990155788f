package io.irqfabric.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irqfabric.CountersFile;
import io.irqfabric.FabricStateException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.Console;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/**
 * Live statistics of a running fabric, read from its counters file by another process, the way
 * AeronStat reads Aeron's counters. Start a storm with {@code --counters-file /dev/shm/irq.stat}
 * and run {@code ./irqfabric stats /dev/shm/irq.stat} in another terminal.
 *
 * <p>Each refresh shows a header (the writer's pid and whether it still runs, the fabric's state,
 * start time and the age of its dispatcher's heartbeat, the fabric-wide counters), then one row per GSI with a non-zero counter
 * (the traffic counters, then the moderation ones: held, merged by a rate cap, the adaptive window,
 * level-storm guard trips) (all GSIs with
 * {@code --all}, chosen ones with {@code --gsi}) and a total row. On a terminal each refresh
 * clears the screen; piped, refreshes follow each other. {@code --json} prints one JSON object
 * per refresh on one line, for scripts.
 */
@Command(name = "stats", mixinStandardHelpOptions = true, versionProvider = Main.ManifestVersion.class,
        description = "Live per-GSI counters of a running fabric, read from its counters file.")
public final class StatsCommand implements Callable<Integer> {
    private static final String CLEAR_SCREEN = "\033[H\033[2J";
    private static final long MAX_INTERVAL_MILLIS = 3_600_000;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the counters file (storm --counters-file, InterruptFabric.Builder.countersFile)")
    Path file;

    @Option(names = {"-i", "--interval"}, paramLabel = "MS", description = "milliseconds between refreshes (default: ${DEFAULT-VALUE})")
    long intervalMillis = 1000;

    @Option(names = {"-n", "--count"}, paramLabel = "N", description = "refreshes to print, 0 = until interrupted (default: ${DEFAULT-VALUE})")
    int count = 0;

    @Option(names = "--gsi", paramLabel = "LIST", split = ",",
            description = "only these GSIs: numbers and ranges, e.g. --gsi 24-31,40")
    List<String> gsiFilter = new ArrayList<>();

    @Option(names = {"-a", "--all"}, description = "show GSIs whose counters are all zero too")
    boolean all;

    @Option(names = "--json", description = "one JSON object per refresh, on one line (no header, no screen clearing)")
    boolean json;

    /**
     * The writer of the file and its fabric, as the header describes them.
     *
     * @param pid                  the writing process
     * @param alive                whether that process still runs
     * @param state                the fabric's state: running, closed or failed
     * @param startEpochMillis     when the fabric started
     * @param heartbeatEpochMillis when its dispatcher last ended a batch
     * @param fabric               the fabric-wide counters, by name
     */
    record Writer(long pid, boolean alive, String state, long startEpochMillis, long heartbeatEpochMillis,
                  Map<String, Long> fabric) {
        static Writer of(CountersFile f) {
            Map<String, Long> fabric = new LinkedHashMap<>();
            fabric.put("guest_access_errors", f.guestAccessErrors());
            fabric.put("rejected_requests", f.rejectedRequests());
            fabric.put("dispatcher_errors", f.dispatcherErrors());
            fabric.put("stray_interrupts", f.strayInterrupts());
            return new Writer(f.pid(), f.writerAlive(), f.state(), f.startTimeMillis(), f.heartbeatMillis(), fabric);
        }
    }

    /**
     * The counters of one GSI (or the total) at one refresh. The moderation columns: {@code held}
     * (assertions its policy holds now), {@code capMerged} (merged by a rate cap into a later
     * delivery), {@code adaptiveWindowNs} (the adaptive policy's window now; the total shows the
     * largest), {@code stormTrips} (level-line storm guard trips).
     */
    record Row(long asserted, long delivered, long coalesced, long overflowed, long masked, long errors,
               long held, long capMerged, long adaptiveWindowNs, long stormTrips) {
        static final Row ZERO = new Row(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        static Row of(CountersFile f, int g) {
            return new Row(f.asserted(g), f.delivered(g), f.coalesced(g), f.overflowed(g), f.masked(g), f.errors(g),
                    f.held(g), f.capMerged(g), f.adaptiveWindowNanos(g), f.stormGuardTrips(g));
        }

        Row plus(Row o) {
            return new Row(asserted + o.asserted, delivered + o.delivered, coalesced + o.coalesced,
                    overflowed + o.overflowed, masked + o.masked, errors + o.errors, held + o.held,
                    capMerged + o.capMerged, Math.max(adaptiveWindowNs, o.adaptiveWindowNs), stormTrips + o.stormTrips);
        }

        boolean isZero() {
            return equals(ZERO);
        }
    }

    @Override
    public Integer call() {
        if (intervalMillis < 1 || intervalMillis > MAX_INTERVAL_MILLIS) {
            throw new ParameterException(spec.commandLine(), "--interval must be in 1.." + MAX_INTERVAL_MILLIS + " ms, was " + intervalMillis);
        }
        if (count < 0) {
            throw new ParameterException(spec.commandLine(), "--count must be 0 or more, was " + count);
        }
        try (CountersFile stats = CountersFile.open(file)) {
            return show(stats);
        } catch (FabricStateException e) {
            throw new Main.UserException(e.getMessage()); // the file was truncated or replaced while shown
        }
    }

    private int show(CountersFile stats) {
        BitSet selected = selection(stats.gsiCount());
        PrintWriter out = spec.commandLine().getOut();
        boolean terminal = !json && isTerminal();
        ObjectMapper mapper = json ? new ObjectMapper() : null;
        int gsis = stats.gsiCount();
        Row[] last = new Row[gsis];
        Row lastTotal = null;
        long lastT = System.nanoTime();
        for (int screen = 1; count == 0 || screen <= count; screen++) {
            if (screen > 1) {
                LockSupport.parkNanos(intervalMillis * 1_000_000L); // the refresh interval
                stats.refresh();
            }
            stats.refresh();
            long now = System.nanoTime();
            double dt = Math.max(1e-9, (now - lastT) / 1e9);
            lastT = now;
            Writer writer = Writer.of(stats);
            Map<Integer, Row> rows = new LinkedHashMap<>();
            Row total = Row.ZERO;
            int active = 0;
            for (int g = selected.nextSetBit(0); g >= 0; g = selected.nextSetBit(g + 1)) {
                Row r = Row.of(stats, g);
                total = total.plus(r);
                if (!r.isZero()) {
                    active++;
                }
                if (all || !r.isZero()) {
                    rows.put(g, r);
                }
            }
            if (json) {
                out.println(json(mapper, writer, rows, total, last, lastTotal, dt));
            } else {
                if (terminal) {
                    out.print(CLEAR_SCREEN);
                }
                printScreen(out, writer, stats.gsiCount(), active, selected, rows, total, last, lastTotal, dt);
            }
            out.flush();
            for (Map.Entry<Integer, Row> e : rows.entrySet()) {
                last[e.getKey()] = e.getValue();
            }
            lastTotal = total;
        }
        return 0;
    }

    /**
     * @return true if the output is a terminal: there is a console and, on JDK 22+ (where a
     *         console may stand for redirected streams), {@code Console.isTerminal()} says so
     */
    static boolean isTerminal() {
        Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true; // before JDK 22 a console is always a terminal
        }
    }

    private BitSet selection(int gsis) {
        BitSet s = new BitSet(gsis);
        if (gsiFilter.isEmpty()) {
            s.set(0, gsis);
            return s;
        }
        for (String item : gsiFilter) {
            String[] ends = item.trim().split("-", 2);
            int from;
            int to;
            try {
                from = Integer.parseInt(ends[0].trim());
                to = ends.length == 2 ? Integer.parseInt(ends[1].trim()) : from;
            } catch (NumberFormatException e) {
                throw new ParameterException(spec.commandLine(), "--gsi: '" + item + "' is not a GSI or a range like 24-31");
            }
            if (from < 0 || to >= gsis || from > to) {
                throw new ParameterException(spec.commandLine(),
                        "--gsi: " + item + " is outside the file's GSIs 0.." + (gsis - 1));
            }
            s.set(from, to + 1);
        }
        return s;
    }

    private void printScreen(PrintWriter out, Writer w, int fileGsis, int active, BitSet selected, Map<Integer, Row> rows,
                             Row total, Row[] last, Row lastTotal, double dt) {
        long nowMillis = System.currentTimeMillis();
        out.printf(Locale.ROOT, "irqfabric stats  %s  pid %d (%s)  fabric %s  started %s (%s ago)  heartbeat %s ago%n",
                file, w.pid(), w.alive() ? "running" : "exited", w.state(),
                Instant.ofEpochMilli(w.startEpochMillis()).truncatedTo(ChronoUnit.SECONDS),
                age(nowMillis - w.startEpochMillis()), age(nowMillis - w.heartbeatEpochMillis()));
        StringBuilder fabric = new StringBuilder("fabric:");
        w.fabric().forEach((k, v) -> fabric.append(String.format(Locale.ROOT, "  %s %,d", k.replace('_', ' '), v)));
        out.println(fabric);
        out.printf(Locale.ROOT, "%d GSIs with traffic, %d selected, %d in the file (0..%d)%s; every %d ms%n",
                active, selected.cardinality(), fileGsis, fileGsis - 1, all ? "" : "; GSIs without traffic hidden (--all shows them)",
                intervalMillis);
        String head = "%6s %16s %16s %16s %12s %12s %10s %14s %14s %8s %12s %10s %6s%n";
        out.printf(Locale.ROOT, head, "gsi", "asserted", "delivered", "coalesced", "overflowed", "masked", "errors",
                "asserted/s", "delivered/s", "held", "cap merged", "window us", "storms");
        for (Map.Entry<Integer, Row> e : rows.entrySet()) {
            printRow(out, String.valueOf(e.getKey()), e.getValue(), last[e.getKey()], dt);
        }
        printRow(out, "total", total, lastTotal, dt);
        out.println();
    }

    private static void printRow(PrintWriter out, String name, Row r, Row before, double dt) {
        out.printf(Locale.ROOT, "%6s %,16d %,16d %,16d %,12d %,12d %,10d %14s %14s %,8d %,12d %10s %,6d%n", name, r.asserted(),
                r.delivered(), r.coalesced(), r.overflowed(), r.masked(), r.errors(),
                before == null ? "-" : String.format(Locale.ROOT, "%,.0f", (r.asserted() - before.asserted()) / dt),
                before == null ? "-" : String.format(Locale.ROOT, "%,.0f", (r.delivered() - before.delivered()) / dt),
                r.held(), r.capMerged(), String.format(Locale.ROOT, "%.1f", r.adaptiveWindowNs() / 1e3), r.stormTrips());
    }

    private static String age(long millis) {
        if (millis < 0) {
            return "0 s";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", millis / 1e3);
        }
        if (millis < 3_600_000) {
            return String.format(Locale.ROOT, "%d min %d s", millis / 60_000, millis / 1000 % 60);
        }
        return String.format(Locale.ROOT, "%d h %d min", millis / 3_600_000, millis / 60_000 % 60);
    }

    private String json(ObjectMapper mapper, Writer w, Map<Integer, Row> rows, Row total, Row[] last, Row lastTotal, double dt) {
        Map<String, Object> o = new LinkedHashMap<>();
        long nowMillis = System.currentTimeMillis();
        o.put("time_epoch_ms", nowMillis);
        o.put("file", file.toString());
        o.put("pid", w.pid());
        o.put("writer_alive", w.alive());
        o.put("state", w.state());
        o.put("start_epoch_ms", w.startEpochMillis());
        o.put("heartbeat_age_ms", nowMillis - w.heartbeatEpochMillis());
        o.put("fabric", w.fabric());
        Map<String, Object> gsis = new LinkedHashMap<>();
        for (Map.Entry<Integer, Row> e : rows.entrySet()) {
            gsis.put(String.valueOf(e.getKey()), json(e.getValue(), last[e.getKey()], dt));
        }
        o.put("gsis", gsis);
        o.put("total", json(total, lastTotal, dt));
        try {
            return mapper.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> json(Row r, Row before, double dt) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("asserted", r.asserted());
        m.put("delivered", r.delivered());
        m.put("coalesced", r.coalesced());
        m.put("overflowed", r.overflowed());
        m.put("masked", r.masked());
        m.put("errors", r.errors());
        m.put("held", r.held());
        m.put("cap_merged", r.capMerged());
        m.put("adaptive_window_ns", r.adaptiveWindowNs());
        m.put("storm_guard_trips", r.stormTrips());
        m.put("asserted_per_s", before == null ? null : Math.round((r.asserted() - before.asserted()) / dt));
        m.put("delivered_per_s", before == null ? null : Math.round((r.delivered() - before.delivered()) / dt));
        return m;
    }
}
