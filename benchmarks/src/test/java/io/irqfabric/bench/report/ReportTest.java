package io.irqfabric.bench.report;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report step on a small JMH JSON fixture and a floor line. */
class ReportTest {
    private static final String FLOOR = "{\"write_ns\":{\"samples\":10,\"p50\":150,\"p90\":160,\"p99\":200,\"p999\":300,\"max\":900},"
            + "\"writes_per_s\":5000000,\"handoff_write_ns\":{\"samples\":10,\"p50\":500,\"p90\":600,\"p99\":900,\"p999\":1000,\"max\":2000},"
            + "\"e2e_ns\":null,\"e2e_unavailable\":\"no --guest image given\"}";

    private static Report report(List<String> lossChecks) throws IOException {
        String json;
        try (InputStream in = ReportTest.class.getResourceAsStream("/jmh-fixture.json")) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, Object> floor = Json.parseObject(FLOOR);
        Report.RunInfo info = new Report.RunInfo("2026-11-21T14:00:00", "JDK 17", 2, "Test CPU @ 2.0GHz; load average 0.5 0.6 0.7 when the run started", "benchmarks/run-perf.sh",
                "1 fork", 400, lossChecks, List.of());
        return Report.build(JmhResults.parse(json), floor, info);
    }

    @SuppressWarnings("unchecked")
    @Test
    void summaryHasTheIssuesKeysAndValues() throws IOException {
        Report r = report(List.of("x: LossReport[lost=0]"));
        Map<String, Object> s = (Map<String, Object>) Json.parse(Json.write(r.summary()));
        for (String k : List.of("producer_cost_ns", "storm_assertions_per_s", "coalescing_ratio", "idle_latency_ns_p50",
                "idle_latency_ns_p99", "e2e_latency_ns_p50", "alloc_bytes_per_op", "overflow_share",
                "neighbour_latency_ns_p50", "neighbour_latency_ns_p99", "date", "jdk", "cpu_count", "command")) {
            assertTrue(s.containsKey(k), "summary.json lacks " + k);
        }
        Map<String, Object> cost = (Map<String, Object>) s.get("producer_cost_ns");
        assertEquals(40.0, cost.get("fabric"));
        assertEquals(400.0, cost.get("direct"));
        Map<String, Object> storm = (Map<String, Object>) s.get("storm_assertions_per_s");
        assertEquals(List.of("fabric_1p", "fabric_2p", "direct", "abq", "agrona", "agrona_2p", "abq_2p"),
                List.copyOf(storm.keySet()));
        assertEquals(30_000_000.0, storm.get("fabric_2p"));
        assertNull(storm.get("abq"), "not measured -> null");
        assertEquals(100.0, ((Map<String, Object>) s.get("coalescing_ratio")).get("fabric_1p"));
        Map<String, Object> p50 = (Map<String, Object>) s.get("idle_latency_ns_p50");
        assertEquals(List.of("fabric_spin", "fabric_park", "fabric_inline", "direct", "agrona"), List.copyOf(p50.keySet()));
        assertEquals(800.0, p50.get("fabric_spin"));
        for (String pc : List.of("p50", "p90", "p99")) {
            Map<String, Object> idle = (Map<String, Object>) s.get("idle_latency_ns_" + pc);
            assertTrue(idle.containsKey("fabric_inline"), "idle_latency_ns_" + pc + ".fabric_inline");
            Map<String, Object> e2e = (Map<String, Object>) s.get("e2e_latency_ns_" + pc);
            assertEquals(List.of("fabric_spin", "fabric_park", "fabric_inline", "floor"), List.copyOf(e2e.keySet()));
            assertNull(e2e.get("fabric_inline"), "not measured -> null");
        }
        assertTrue(String.valueOf(s.get("e2e_latency_unavailable_reason")).contains("no --guest image given"));
        Map<String, Object> alloc = (Map<String, Object>) s.get("alloc_bytes_per_op");
        assertEquals(128.0 / 250_000_000.0, (Double) alloc.get("trigger"), 1e-9);
        assertEquals(0.0, alloc.get("dispatch"));
        assertEquals(0, s.get("lost"));
        assertEquals(2, s.get("cpu_count"));
    }

    @Test
    void targetsCarryTheMeasuredRatios() throws IOException {
        Report r = report(List.of("x: lost=0"));
        Map<String, Report.Target> t = new java.util.HashMap<>();
        for (Report.Target x : r.targets()) {
            t.put(x.name(), x);
        }
        assertEquals(0.1, t.get("producer cost <= 1/5 of direct (fabric_spin)").value(), 1e-12);
        assertEquals(Boolean.TRUE, t.get("producer cost <= 1/5 of direct (fabric_spin)").met());
        assertEquals(10.0, t.get("storm rate >= 10x direct (fabric_spin)").value(), 1e-12);
        assertEquals(Boolean.TRUE, t.get("storm rate >= 10x direct (fabric_spin)").met(), "the limit itself meets a >= target");
        assertEquals(Boolean.TRUE, t.get(">= 20 M assertions/s absorbed with one producer (fabric_spin)").met());
        Report.Target idle = t.get("idle latency median <= 1.2x direct, best fabric mode");
        assertEquals("fabric_spin p50 / direct p50", idle.measured(), "the only fabric mode in the fixture");
        assertEquals(800.0 / 300.0, idle.value(), 1e-12);
        assertEquals(Boolean.FALSE, idle.met());
        assertNull(t.get("end-to-end median <= 1.5x the C floor, best fabric mode").met(),
                "no e2e data: not measured, neither met nor missed");
        assertNull(t.get("end-to-end median <= 1.5x the C floor, default mode").met());
        assertEquals(Boolean.TRUE, t.get("0 B/op on the trigger path (fabric_spin)").met());
        for (String f : Report.FABRICS) {
            for (String kind : List.of("producer cost <= 1/5 of direct", "storm rate >= 10x direct",
                    ">= 20 M assertions/s absorbed with one producer", "storm rate >= 2x the Agrona queue, one producer",
                    "storm rate >= 2x the Agrona queue, two producers", "<= 0.1% of storm assertions take the overflow path",
                    "0 B/op on the trigger path", "0 B/op in the dispatcher's steady state")) {
                assertTrue(t.containsKey(kind + " (" + f + ")"), kind + " for " + f);
            }
        }
        assertTrue(t.containsKey("idle latency median of the best fabric mode <= the Agrona queue's"));
    }

    @Test
    void ratiosAgainstBaselinesAndFloor() throws IOException {
        Report r = report(List.of("x: lost=0"));
        Report.Row fabricStorm = r.rows().stream()
                .filter(x -> x.metric().equals("storm_1p") && x.config().equals("fabric_spin")).findFirst().orElseThrow();
        assertEquals(10.0, r.ratio(fabricStorm, "direct"), 1e-12);
        assertEquals(5.0, r.ratio(fabricStorm, "floor"), 1e-12, "floor = C writes/s");
        assertTrue(Double.isNaN(r.ratio(fabricStorm, "abq")), "abq not measured");
        Report.Row idle = r.rows().stream()
                .filter(x -> x.metric().equals("idle_latency_p50") && x.config().equals("fabric_spin")).findFirst().orElseThrow();
        assertEquals(800.0 / 500.0, r.ratio(idle, "floor"), 1e-12, "idle floor = C hand-off + write");
    }

    @Test
    void readmeHasEveryFigureAndTheCommand() throws IOException {
        String md = ReadmeWriter.write(report(List.of("StormBenchmark.storm1p: LossReport[lost=0]")));
        assertTrue(md.contains("`benchmarks/run-perf.sh`"));
        for (int f = 1; f <= 5; f++) {
            assertTrue(md.contains("## " + f + ". "), "figure " + f);
        }
        assertTrue(md.contains("| storm_1p | fabric_spin | 25.00 M/s | ± 1.00 M/s | 10.0x |"), md);
        assertTrue(md.contains("**missed**"));
        assertTrue(md.contains("6 min 40 s"));
        assertTrue(md.contains("| CPUs | 2: Test CPU @ 2.0GHz; load average 0.5 0.6 0.7 when the run started |"), md);
        assertFalse(md.contains("CHECK FAILED"));
    }

    @Test
    void aFailedLossCheckIsReported() throws IOException {
        Report r = report(List.of("a: LossReport[lost=0]", "b: LOST INTERRUPTS on fabric_spin: GSI 3"));
        assertFalse(r.lossChecksOk());
        assertNull(r.summary().get("lost"));
        assertTrue(ReadmeWriter.write(r).contains("CHECK FAILED"));
    }

    @Test
    void lossCheckLinesAreFoundInTheJmhLog() {
        String log = String.join("\n",
                "# Benchmark: io.irqfabric.bench.jmh.StormBenchmark.storm1p",
                "# Parameters: (gsis = 16, path = abq)",
                "Iteration   5: loss check LossReport[path=abq, assertions=10, writes=2, readBack=2, lost=0, detail=ok]",
                "noise");
        assertEquals(List.of("StormBenchmark.storm1p (gsis = 16, path = abq): LossReport[path=abq, assertions=10, writes=2, readBack=2, lost=0, detail=ok]"),
                PerfRunner.lossChecks(log));
    }

    @SuppressWarnings("unchecked")
    @Test
    void thePreviousRunsTargetsAreShownNextToThisRuns() throws IOException {
        Map<String, Object> earlier = (Map<String, Object>) Json.parse(Json.write(report(List.of("x: lost=0")).summary()));
        Report r = report(List.of("x: lost=0")).withPreviousRun(Report.previousRunOf(earlier));
        assertEquals(0.1, r.previousValue("producer cost <= 1/5 of direct (fabric_spin)"), 1e-12);
        assertTrue(Double.isNaN(r.previousValue("no such target")));
        String md = ReadmeWriter.write(r);
        assertTrue(md.contains("| previous run (2026-11-21T14:00:00) |"), md);
        assertTrue(md.contains("| **met** | 0.100 |"), md);
        Map<String, Object> s = (Map<String, Object>) Json.parse(Json.write(r.summary()));
        assertEquals("2026-11-21T14:00:00", ((Map<String, Object>) s.get("previous_run")).get("date"));
    }

    @Test
    void jsonRoundTrip() {
        Object v = Json.parse("{\"a\": [1, 2.5, \"x\\\"y\", true, null], \"b\": {\"c\": -3e2}}");
        assertEquals(v, Json.parse(Json.write(v)));
        assertEquals("null\n", Json.write(Double.NaN));
        assertEquals("null\n", Json.write(Double.POSITIVE_INFINITY));
    }

    @Test
    void numbersAreWrittenExactly() {
        // Every double comes back bit for bit: no rounding to a few digits, no lost zeros.
        for (double d : new double[]{5520.479999999981, 5520.0, 552.0, 1.0e-7, 0.1 + 0.2, 50306974.26254602,
                Double.MIN_VALUE, Double.MAX_VALUE, -0.0, 100.0 / 3.0}) {
            assertEquals(d, Json.number(Json.parseObject(Json.write(Map.of("v", d))).get("v")), "round trip of " + d);
        }
        assertEquals(123456789012345L, ((Number) Json.parse(Json.write(123456789012345L))).longValue());
    }
}
