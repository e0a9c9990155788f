package io.irqfabric.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every figure {@code summary.json} states equals, exactly, the number it comes from in
 * {@code jmh.json} (or {@code floor.json}), read here straight from the JSON tree: the summary
 * is written, read back as text, and compared figure by figure. Run on the committed
 * {@code perf-results/} files and on the small fixture.
 */
class SummaryFiguresTest {
    private static final Path PERF_RESULTS = Path.of("..", "perf-results");

    @Test
    void committedPerfResults() throws IOException {
        String jmh = Files.readString(PERF_RESULTS.resolve("jmh.json"));
        String floor = Files.readString(PERF_RESULTS.resolve("floor.json"));
        int checked = check(jmh, floor);
        assertTrue(checked >= 15, "figures compared: " + checked);
    }

    @Test
    void fixture() throws IOException {
        String jmh;
        try (InputStream in = SummaryFiguresTest.class.getResourceAsStream("/jmh-fixture.json")) {
            jmh = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int checked = check(jmh, "{\"writes_per_s\":5000000,\"e2e_ns\":{\"p50\":3967.5}}");
        assertTrue(checked >= 8, "figures compared: " + checked);
    }

    @Test
    void newFiguresFixture() throws IOException {
        String jmh;
        try (InputStream in = SummaryFiguresTest.class.getResourceAsStream("/jmh-neighbour-fixture.json")) {
            jmh = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int checked = check(jmh, "{}");
        assertTrue(checked >= 16, "figures compared: " + checked);
        Report report = Report.build(JmhResults.parse(jmh), Json.parseObject("{}"),
                new Report.RunInfo("d", "JDK", 2, "", "c", "s", 1, List.of("x: lost=0"), List.of()));
        JsonNode summary = Json.tree(Json.write(report.summary()));
        for (String key : List.of("storm_assertions_per_s.agrona_2p", "storm_assertions_per_s.abq_2p",
                "overflow_share.fabric_1p", "overflow_share.fabric_2p",
                "neighbour_latency_ns_p50.fabric_storm", "neighbour_latency_ns_p50.fabric_idle",
                "neighbour_latency_ns_p50.agrona_storm", "neighbour_latency_ns_p99.fabric_storm",
                "neighbour_latency_ns_p99.fabric_idle", "neighbour_latency_ns_p99.agrona_storm")) {
            String[] k = key.split("\\.");
            assertTrue(summary.path(k[0]).path(k[1]).isNumber(), key + " measured in the fixture: " + summary.path(k[0]));
        }
        Map<String, JsonNode> targets = new LinkedHashMap<>();
        for (JsonNode t : summary.get("targets")) {
            targets.put(t.get("target").asText(), t);
        }
        JsonNode storm = summary.get("storm_assertions_per_s");
        JsonNode p50 = summary.get("neighbour_latency_ns_p50");
        JsonNode p99 = summary.get("neighbour_latency_ns_p99");
        assertTarget(targets, "storm rate >= 2x the Agrona queue, one producer (fabric_spin)",
                storm.get("fabric_1p").doubleValue() / storm.get("agrona").doubleValue());
        assertTarget(targets, "storm rate >= 2x the Agrona queue, two producers (fabric_spin)",
                storm.get("fabric_2p").doubleValue() / storm.get("agrona_2p").doubleValue());
        assertTarget(targets, "<= 0.1% of storm assertions take the overflow path (fabric_spin)",
                summary.get("overflow_share").get("fabric_1p").doubleValue());
        assertTarget(targets, "quiet neighbour median under a storm <= 10x idle",
                p50.get("fabric_storm").doubleValue() / p50.get("fabric_idle").doubleValue());
        assertTarget(targets, "quiet neighbour p50 under a storm <= 1/4 of the Agrona queue's",
                p50.get("fabric_storm").doubleValue() / p50.get("agrona_storm").doubleValue());
        assertTarget(targets, "quiet neighbour p99 under a storm <= 1/4 of the Agrona queue's",
                p99.get("fabric_storm").doubleValue() / p99.get("agrona_storm").doubleValue());
        for (String kept : List.of("producer cost <= 1/5 of direct (fabric_spin)", "idle latency median <= 1.2x direct, best fabric mode",
                "idle latency median <= 1.2x direct, default mode", "end-to-end median <= 1.5x the C floor, default mode",
                "0 B/op on the trigger path (fabric_inline)", "0 B/op in the dispatcher's steady state (fabric_inline)")) {
            assertTrue(targets.containsKey(kept), kept);
        }
    }

    private static void assertTarget(Map<String, JsonNode> targets, String name, double value) {
        JsonNode t = targets.get(name);
        assertTrue(t != null, "no target " + name + " in " + targets.keySet());
        assertEquals(value, t.get("value").doubleValue(), name);
        boolean atMost = name.contains("<=");
        boolean met = atMost ? value <= t.get("limit").doubleValue() : value >= t.get("limit").doubleValue();
        assertEquals(met, t.get("met").booleanValue(), name + " met");
    }

    /** @return how many measured figures were compared */
    private static int check(String jmhText, String floorText) {
        JsonNode jmh = Json.tree(jmhText);
        JsonNode floor = Json.tree(floorText);
        Report.RunInfo info = new Report.RunInfo("2026-01-01T00:00:00", "JDK", 2, "", "benchmarks/run-perf.sh", "1 fork",
                60, List.of("x: lost=0"), List.of());
        Report report = Report.build(JmhResults.parse(jmhText), Json.parseObject(floorText), info);
        JsonNode summary = Json.tree(Json.write(report.summary()));

        Map<String, Double> expected = new LinkedHashMap<>();
        expected.put("producer_cost_ns.fabric", score(jmh, "producerCost", "fabric_spin"));
        expected.put("producer_cost_ns.direct", score(jmh, "producerCost", "direct"));
        expected.put("storm_assertions_per_s.fabric_1p", score(jmh, "storm1p", "fabric_spin"));
        expected.put("storm_assertions_per_s.fabric_2p", score(jmh, "storm2p", "fabric_spin"));
        for (String p : List.of("direct", "abq", "agrona")) {
            expected.put("storm_assertions_per_s." + p, score(jmh, "storm1p", p));
        }
        expected.put("storm_assertions_per_s.agrona_2p", score(jmh, "storm2p", "agrona"));
        expected.put("storm_assertions_per_s.abq_2p", score(jmh, "storm2p", "abq"));
        expected.put("overflow_share.fabric_1p",
                secondary(jmh, "storm1p", "fabric_spin", "overflowed") / secondary(jmh, "storm1p", "fabric_spin", "assertions"));
        expected.put("overflow_share.fabric_2p",
                secondary(jmh, "storm2p", "fabric_spin", "overflowed") / secondary(jmh, "storm2p", "fabric_spin", "assertions"));
        String[][] neighbour = {{"fabric_storm", "neighbourStorm", "fabric_spin"}, {"fabric_idle", "neighbourIdle", "fabric_spin"},
            {"agrona_storm", "neighbourStorm", "agrona"}};
        for (String[] c : neighbour) {
            boolean sampled = secondary(jmh, c[1], c[2], "neighbourSamples") > 0;
            expected.put("neighbour_latency_ns_p50." + c[0], sampled ? secondary(jmh, c[1], c[2], "neighbourP50Ns") : Double.NaN);
            expected.put("neighbour_latency_ns_p99." + c[0], sampled ? secondary(jmh, c[1], c[2], "neighbourP99Ns") : Double.NaN);
        }
        expected.put("coalescing_ratio.fabric_1p",
                secondary(jmh, "storm1p", "fabric_spin", "assertions") / secondary(jmh, "storm1p", "fabric_spin", "writes"));
        for (String pc : List.of("50", "90", "99")) {
            for (String p : List.of("fabric_spin", "fabric_park", "fabric_inline", "direct", "agrona")) {
                expected.put("idle_latency_ns_p" + pc + "." + p, percentile(jmh, "assertToWrite", p, pc + ".0"));
            }
            for (String p : List.of("fabric_spin", "fabric_park", "fabric_inline")) {
                expected.put("e2e_latency_ns_p" + pc + "." + p, percentile(jmh, "assertToGuestHandler", p, pc + ".0"));
            }
        }
        expected.put("e2e_latency_ns_p50.floor", Json.number(floor.path("e2e_ns").get("p50")));
        expected.put("alloc_bytes_per_op.trigger", secondary(jmh, "storm1p", "fabric_spin", "producerAllocBytes")
                / secondary(jmh, "storm1p", "fabric_spin", "assertions"));
        expected.put("alloc_bytes_per_op.dispatch", secondary(jmh, "storm1p", "fabric_spin", "dispatcherAllocBytes")
                / secondary(jmh, "storm1p", "fabric_spin", "assertions"));
        for (String p : Report.PATHS) {
            expected.put("all_figures.producer_cost [ns/op]." + p, score(jmh, "producerCost", p));
            for (String pc : List.of("50", "90", "99")) {
                expected.put("all_figures.idle_latency_p" + pc + " [ns]." + p, percentile(jmh, "assertToWrite", p, pc + ".0"));
            }
            expected.put("all_figures.idle_latency_p99.9 [ns]." + p, percentile(jmh, "assertToWrite", p, "99.9"));
        }

        int measured = 0;
        for (Map.Entry<String, Double> e : expected.entrySet()) {
            String[] key = e.getKey().split("\\.", 2);
            JsonNode group = summary.get(key[0]);
            assertTrue(group != null && group.isObject(), "summary.json has no object " + key[0]);
            String member = key[0].equals("all_figures") ? key[1].substring(0, key[1].lastIndexOf('.')) : key[1];
            if (key[0].equals("all_figures")) {
                group = group.get(member);
                member = key[1].substring(key[1].lastIndexOf('.') + 1);
                assertTrue(group != null, "summary.json all_figures has no " + key[1]);
            }
            assertTrue(group.has(member), "summary.json lacks " + e.getKey());
            JsonNode actual = group.get(member);
            if (Double.isNaN(e.getValue())) {
                assertTrue(actual.isNull(), e.getKey() + ": not measured, so null, but is " + actual);
            } else {
                assertTrue(actual.isNumber(), e.getKey() + " is not a number: " + actual);
                assertEquals(e.getValue(), actual.doubleValue(), e.getKey() + " = " + actual.asText());
                measured++;
            }
        }
        return measured;
    }

    private static JsonNode record(JsonNode jmh, String method, String path) {
        for (JsonNode r : jmh) {
            if (r.path("benchmark").asText().endsWith("." + method) && r.path("params").path("path").asText().equals(path)) {
                return r;
            }
        }
        return null;
    }

    private static double score(JsonNode jmh, String method, String path) {
        JsonNode r = record(jmh, method, path);
        return r == null ? Double.NaN : r.path("primaryMetric").path("score").doubleValue();
    }

    private static double percentile(JsonNode jmh, String method, String path, String key) {
        JsonNode r = record(jmh, method, path);
        return r == null ? Double.NaN : Json.number(r.path("primaryMetric").path("scorePercentiles").get(key));
    }

    private static double secondary(JsonNode jmh, String method, String path, String name) {
        JsonNode r = record(jmh, method, path);
        return r == null ? Double.NaN : Json.number(r.path("secondaryMetrics").path(name).get("score"));
    }

    @Test
    void aFigureTheOldFormatterMangledComesThroughExactly() throws IOException {
        // 5520.48 ns was written as 552 by a %.4g formatter that stripped trailing zeros.
        String jmh = Files.readString(PERF_RESULTS.resolve("jmh.json"));
        double p99 = percentile(Json.tree(jmh), "assertToWrite", "direct", "99.0");
        assertFalse(Double.isNaN(p99));
        String written = Json.write(Map.of("p99", p99));
        assertEquals(p99, Json.tree(written).get("p99").doubleValue(), written);
        assertNull(Json.tree(Json.write(Map.of("p99", Double.NaN))).get("p99").numberValue());
    }
}
