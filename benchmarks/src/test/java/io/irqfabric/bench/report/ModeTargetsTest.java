package io.irqfabric.bench.report;

import io.irqfabric.bench.path.TriggerPaths;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The targets that compare fabric modes: the best mode is the one with the lowest median, the
 * default mode is the configuration named by the run, and the eventfd write line compares the
 * JDK's own path with JNA. On a JMH result made up here, with numbers chosen so best, default
 * and the others differ.
 */
class ModeTargetsTest {
    private static final String FLOOR = "{\"e2e_ns\":{\"p50\":4000,\"p90\":4500,\"p99\":6000}}";

    /** One SampleTime record: method, params, p50 (p90 = 2 x p50, p99 = 3 x p50). */
    private static String record(String benchmark, String params, double p50) {
        return String.format(Locale.ROOT, "{\"benchmark\":\"io.irqfabric.bench.jmh.%s\",\"mode\":\"sample\",\"threads\":1,"
                + "\"forks\":1,\"params\":{%s},\"primaryMetric\":{\"score\":%s,\"scoreError\":1,\"scoreUnit\":\"ns/op\","
                + "\"scorePercentiles\":{\"50.0\":%s,\"90.0\":%s,\"99.0\":%s}},\"secondaryMetrics\":{}}",
                benchmark, params, p50, p50, 2 * p50, 3 * p50);
    }

    private static Report report(String defaultConfig, String eventFdIo) {
        List<String> r = new ArrayList<>();
        Map<String, Double> idle = Map.of("fabric_spin", 800.0, "fabric_park", 5000.0, "fabric_inline", 350.0,
                "direct", 300.0, "agrona", 700.0);
        idle.forEach((p, v) -> r.add(record("IdleLatencyBenchmark.assertToWrite", "\"path\":\"" + p + "\"", v)));
        Map<String, Double> e2e = Map.of("fabric_spin", 6000.0, "fabric_park", 9000.0, "fabric_inline", 4500.0);
        e2e.forEach((p, v) -> r.add(record("EndToEndBenchmark.assertToGuestHandler", "\"path\":\"" + p + "\"", v)));
        r.add(record("DirectWriteBenchmark.writeBackToBack", "\"eventfdIo\":\"jna\",\"path\":\"direct\"", 330));
        r.add(record("DirectWriteBenchmark.writeBackToBack", "\"eventfdIo\":\"auto\",\"path\":\"direct\"", 240));
        Report.RunInfo info = new Report.RunInfo("d", "JDK", 2, "", "c", "s", 1, List.of("x: lost=0"), List.of(),
                eventFdIo, defaultConfig);
        return Report.build(JmhResults.parse("[" + String.join(",", r) + "]"), Json.parseObject(FLOOR), info);
    }

    private static Map<String, Report.Target> targets(Report r) {
        Map<String, Report.Target> t = new HashMap<>();
        for (Report.Target x : r.targets()) {
            t.put(x.name(), x);
        }
        return t;
    }

    @Test
    void bestAndDefaultModesAreJudgedApart() {
        Map<String, Report.Target> t = targets(report("fabric_park", "ffm"));
        Report.Target idleBest = t.get("idle latency median <= 1.2x direct, best fabric mode");
        assertEquals("fabric_inline p50 / direct p50", idleBest.measured());
        assertEquals(350.0 / 300.0, idleBest.value(), 1e-12);
        assertEquals(Boolean.TRUE, idleBest.met());
        Report.Target idleDefault = t.get("idle latency median <= 1.2x direct, default mode");
        assertEquals("fabric_park p50 / direct p50", idleDefault.measured());
        assertEquals(5000.0 / 300.0, idleDefault.value(), 1e-12);
        assertEquals(Boolean.FALSE, idleDefault.met());
        Report.Target agrona = t.get("idle latency median of the best fabric mode <= the Agrona queue's");
        assertEquals(350.0 / 700.0, agrona.value(), 1e-12);
        Report.Target e2eBest = t.get("end-to-end median <= 1.5x the C floor, best fabric mode");
        assertEquals("fabric_inline e2e p50 / C floor e2e p50", e2eBest.measured());
        assertEquals(4500.0 / 4000.0, e2eBest.value(), 1e-12);
        Report.Target e2eDefault = t.get("end-to-end median <= 1.5x the C floor, default mode");
        assertEquals(9000.0 / 4000.0, e2eDefault.value(), 1e-12);
        assertEquals(Boolean.FALSE, e2eDefault.met());
        for (Report.Target x : t.values()) {
            assertTrue(!x.bound().isBlank(), x.name() + " says what bounds it");
        }
    }

    @Test
    void anotherDefaultIsFollowed() {
        Report.Target idleDefault = targets(report("fabric_inline", "ffm")).get("idle latency median <= 1.2x direct, default mode");
        assertEquals("fabric_inline p50 / direct p50", idleDefault.measured());
        assertEquals(Boolean.TRUE, idleDefault.met());
    }

    @Test
    void aDefaultWithoutAConfigurationIsNotMeasured() {
        Map<String, Report.Target> t = targets(report(null, "jna"));
        assertNull(t.get("idle latency median <= 1.2x direct, default mode").met());
        assertNull(t.get("end-to-end median <= 1.5x the C floor, default mode").met());
        assertNotNull(t.get("idle latency median <= 1.2x direct, best fabric mode").met());
    }

    @SuppressWarnings("unchecked")
    @Test
    void summaryCarriesEveryModesPercentiles() {
        Map<String, Object> s = (Map<String, Object>) Json.parse(Json.write(report("fabric_park", "ffm").summary()));
        assertEquals(350.0, ((Map<String, Object>) s.get("idle_latency_ns_p50")).get("fabric_inline"));
        assertEquals(700.0, ((Map<String, Object>) s.get("idle_latency_ns_p90")).get("fabric_inline"));
        assertEquals(1050.0, ((Map<String, Object>) s.get("idle_latency_ns_p99")).get("fabric_inline"));
        assertEquals(4500.0, ((Map<String, Object>) s.get("e2e_latency_ns_p50")).get("fabric_inline"));
        assertEquals(9000.0, ((Map<String, Object>) s.get("e2e_latency_ns_p90")).get("fabric_inline"));
        assertEquals(4000.0, ((Map<String, Object>) s.get("e2e_latency_ns_p50")).get("floor"));
        assertEquals("fabric_park", s.get("default_fabric_config"));
        Map<String, Object> write = (Map<String, Object>) s.get("eventfd_write_ns_p50");
        assertEquals(240.0, write.get("auto"));
        assertEquals(330.0, write.get("jna"));
    }

    @Test
    void theReadmeComparesFfmAndJnaWrites() {
        String md = ReadmeWriter.write(report("fabric_park", "ffm"));
        assertTrue(md.contains("p50 FFM 240 ns, JNA 330 ns (FFM / JNA = 0.73x"), md);
        assertTrue(md.contains("`fabric_park`. Eventfd system calls in this JDK: `java.lang.foreign`"), md);
        assertTrue(ReadmeWriter.write(report("fabric_park", "jna")).contains("this JDK has no FFM path"));
    }

    @Test
    void configurationsMapBothWays() {
        for (String f : TriggerPaths.FABRICS) {
            assertEquals(f, TriggerPaths.configOf(TriggerPaths.waitOf(f), TriggerPaths.modeOf(f)));
        }
        assertNotNull(TriggerPaths.defaultConfig(), "the library's default has a configuration in the suite");
        assertEquals(Report.FABRICS, TriggerPaths.FABRICS);
    }
}
