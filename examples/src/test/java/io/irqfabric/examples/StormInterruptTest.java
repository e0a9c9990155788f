package io.irqfabric.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A storm ended by a signal (Ctrl-C's SIGINT and a plain {@code kill}'s SIGTERM both run the JVM's
 * shutdown hooks) prints the result so far and removes the counters file it created.
 */
class StormInterruptTest {
    @Test
    void aSignalPrintsThePartialResultAndRemovesTheCountersFile(@TempDir Path dir) throws Exception {
        Path counters = dir.resolve("irq.stat");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "storm", "--target", "eventfd", "-g", "4", "-d", "600",
                "--counters-file", counters.toString())
                .redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
                if (line.startsWith("  t=")) { // the storm runs (first progress line)
                    assertTrue(Files.exists(counters), "the storm created its counters file");
                    p.toHandle().destroy(); // SIGTERM (Process.destroy would also close this stream)
                }
            }
        } finally {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        String all = String.join("\n", lines);
        assertTrue(all.contains("interrupted after"), all);
        assertTrue(all.contains("result:"), all);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("lost: 0")), all);
        assertFalse(Files.exists(counters), "the counters file the storm created is removed");
        assertEquals(143, p.exitValue(), "killed by SIGTERM: 128 + 15");
    }

    @Test
    void aCountersFileThatExistedBeforeIsKept(@TempDir Path dir) throws IOException {
        Path counters = dir.resolve("irq.stat");
        Files.writeString(counters, "");
        PrintStream console = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        CommandLineTest.Run r;
        try (PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            System.setOut(capture); // the storm prints its progress and result on System.out
            r = CommandLineTest.run("storm", "--target", "eventfd", "-g", "2", "-d", "0.05",
                    "--counters-file", counters.toString());
        } finally {
            System.setOut(console);
        }
        assertEquals(0, r.status(), r + printed.toString(StandardCharsets.UTF_8));
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("lost: 0"), printed.toString(StandardCharsets.UTF_8));
        assertTrue(Files.exists(counters));
    }
}
