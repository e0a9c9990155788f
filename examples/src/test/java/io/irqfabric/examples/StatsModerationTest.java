package io.irqfabric.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSink;
import io.irqfabric.ModerationPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code stats} shows the moderation counters: held, merged by a rate cap, the adaptive window, storm guard trips. */
class StatsModerationTest {
    private static String stats(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new StatsCommand());
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute(args), out.toString());
        return out.toString();
    }

    @Test
    void statsShowsWhatTheRateCapMerged(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("irq.stat");
        InterruptSink sink = gsi -> InterruptSink.DELIVERED;
        try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(8).sink(sink).countersFile(file).build()) {
            fabric.moderate(3, ModerationPolicy.rateCap(1)); // one delivery a second: the rest merges
            for (int i = 0; i < 4; i++) {
                fabric.trigger(3);
                fabric.sync(); // each its own event
            }
        } // close writes the held delivery
        String text = stats("-n", "1", file.toString());
        List<String> lines = text.lines().toList();
        String header = lines.get(3);
        assertTrue(header.contains("held") && header.contains("cap merged") && header.contains("window us")
                && header.contains("storms"), header);
        String row = lines.stream().filter(l -> l.trim().startsWith("3 ")).findFirst().orElseThrow();
        String[] cols = row.trim().split("\\s+");
        assertEquals("0", cols[9], "held after close: " + row);
        assertEquals("3", cols[10], "cap merged: " + row);

        JsonNode o = new ObjectMapper().readTree(stats("--json", "-n", "1", file.toString()).lines().findFirst().orElseThrow());
        JsonNode g = o.get("gsis").get("3");
        assertEquals(3, g.get("cap_merged").asLong());
        assertEquals(0, g.get("held").asLong());
        assertEquals(0, g.get("adaptive_window_ns").asLong());
        assertEquals(0, g.get("storm_guard_trips").asLong());
        assertEquals(2, g.get("delivered").asLong(), "the first at once, the merged three at close");
    }
}
