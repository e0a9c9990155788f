package io.irqfabric.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The charts: decade labels in units, and what is drawn when figures are missing. */
class ChartsTest {
    @Test
    void decadesAreLabelledInUnits() {
        assertEquals("10 ns", Charts.decadeLabel(1));
        assertEquals("100 ns", Charts.decadeLabel(2));
        assertEquals("1 us", Charts.decadeLabel(3));
        assertEquals("100 us", Charts.decadeLabel(5));
        assertEquals("1 ms", Charts.decadeLabel(6));
        assertEquals("10 ms", Charts.decadeLabel(7.0000000001));
        assertEquals("", Charts.decadeLabel(2.5), "between decades: no label");
    }

    @Test
    void neighbourChart(@TempDir Path dir) throws IOException {
        String json;
        try (InputStream in = ChartsTest.class.getResourceAsStream("/jmh-neighbour-fixture.json")) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Report r = Report.build(JmhResults.parse(json), Json.parseObject("{}"),
                new Report.RunInfo("d", "jdk", 2, "", "c", "s", 1, List.of("x: lost=0"), List.of()));
        List<String> notDrawn = Charts.write(r, dir);
        assertFalse(notDrawn.contains("neighbour"), "not drawn: " + notDrawn);
        assertTrue(Files.size(dir.resolve("neighbour.png")) > 1000);
    }

    @Test
    void chartsOfARunWithoutEndToEndFigures(@TempDir Path dir) throws IOException {
        String json;
        try (InputStream in = ChartsTest.class.getResourceAsStream("/jmh-fixture.json")) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Report r = Report.build(JmhResults.parse(json), Json.parseObject("{\"writes_per_s\":5000000}"),
                new Report.RunInfo("d", "jdk", 2, "", "c", "s", 1, List.of("x: lost=0"), List.of()));
        assertEquals(List.of("e2e", "neighbour"), Charts.write(r, dir));
        for (String f : List.of("latency.png", "storm.png", "producer-cost.png")) {
            assertTrue(Files.size(dir.resolve(f)) > 1000, f);
        }
        assertFalse(Files.exists(dir.resolve("e2e.png")), "no end-to-end figure: no chart rather than bars of zero");

        Report nothing = Report.build(JmhResults.parse("[]"), Json.parseObject("{}"),
                new Report.RunInfo("d", "jdk", 2, "", "c", "s", 1, List.of(), List.of()));
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertEquals(List.of("latency", "e2e", "storm", "producer-cost", "neighbour"), Charts.write(nothing, empty));
        try (var files = Files.list(empty)) {
            assertEquals(List.of(), files.toList(), "a run that measured nothing draws no chart");
        }
    }
}
