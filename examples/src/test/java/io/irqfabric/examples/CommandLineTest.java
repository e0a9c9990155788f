package io.irqfabric.examples;

import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSink;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line's contract: help and version everywhere, a user error is one line and status 2. */
class CommandLineTest {
    /** What one run of the command line printed and returned. */
    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        return run(Main.commandLine(), args);
    }

    static Run run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(Main.withDefaultTool(args));
        return new Run(status, out.toString(), err.toString());
    }

    private static void assertUserError(Run r, String expected) {
        assertEquals(2, r.status(), r.toString());
        assertEquals(1, r.err().lines().count(), "one line on stderr: " + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(r.err().contains("Exception\n") || r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void everyToolHasHelpAndVersion() {
        CommandLine cl = Main.commandLine();
        for (String tool : cl.getSubcommands().keySet()) {
            if (tool.equals("help")) {
                continue;
            }
            Run help = run(tool, "--help");
            assertEquals(0, help.status(), tool);
            // an alias (load) prints its command's usage (storm|load)
            assertTrue(help.out().contains("Usage: irqfabric " + cl.getSubcommands().get(tool).getCommandName()), help.out());
            Run version = run(tool, "-V");
            assertEquals(0, version.status(), tool);
            assertTrue(version.out().startsWith("irqfabric "), version.out());
        }
        Run help = run("help", "stats");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("Usage: irqfabric stats"), help.out());
        assertTrue(run("--help").out().contains("help"), "the help subcommand is listed");
    }

    @Test
    void versionComesFromTheManifest() {
        // Tests run from classes, not the jar: no manifest, and the version says so instead of inventing one.
        String v = run("--version").out();
        String manifest = Main.class.getPackage().getImplementationVersion();
        assertTrue(v.startsWith("irqfabric " + (manifest == null ? "(version unknown" : manifest)), v);
        assertFalse(v.contains("0.1.0\n"), v);
    }

    @Test
    void badOptionsAreOneLineAndStatusTwo() {
        assertUserError(run("storm", "--bogus"), "Unknown option: '--bogus'");
        assertUserError(run("--ring", "3", "--target", "eventfd"), "ringSize must be a power of two");
        assertUserError(run("storm", "-d", "NaN"), "--duration");
        assertUserError(run("storm", "-d", "1e300"), "--duration");
        assertUserError(run("storm", "-d", "Infinity"), "--duration");
        assertUserError(run("storm", "-d", "0"), "--duration");
        assertUserError(run("storm", "-g", "0"), "--gsis");
        assertUserError(run("storm", "-p", "x"), "-p");
    }

    @Test
    void moreGsisThanFileDescriptorsIsAUserError() throws IOException {
        long limit = openFileLimit();
        Assumptions.assumeTrue(limit > 0 && limit < 60_000, "the open-file limit (" + limit + ") is too high to run out of");
        java.io.PrintStream console = System.out;
        Run r;
        try (java.io.PrintStream quiet = new java.io.PrintStream(java.io.OutputStream.nullOutputStream())) {
            System.setOut(quiet); // the storm's banner
            r = run("storm", "--target", "eventfd", "-d", "0.1", "-g", String.valueOf(Math.min(limit + 1, 65_536)));
        } finally {
            System.setOut(console);
        }
        assertUserError(r, "open-file limit");
    }

    private static long openFileLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? -1 : Long.parseLong(soft);
            }
        }
        return -1;
    }

    @Test
    void statsOnWhatIsNotACountersFile(@TempDir Path dir) throws IOException {
        assertUserError(run("stats", dir.resolve("missing").toString()), "missing");
        Path empty = Files.createFile(dir.resolve("empty"));
        assertUserError(run("stats", empty.toString()), "not an irqfabric counters file");
        byte[] noise = new byte[64 * 1024];
        new Random(7).nextBytes(noise);
        Path random = Files.write(dir.resolve("random"), noise);
        assertUserError(run("stats", random.toString()), "not an irqfabric counters file");
        assertUserError(run("stats", "-i", "0", random.toString()), "--interval");
    }

    @Test
    void aBugKeepsItsStackTrace() {
        CommandLine cl = Main.commandLine();
        cl.addSubcommand("boom", new Boom());
        Run r = run(cl, "boom");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("IllegalStateException: a bug") && r.err().contains("\tat "), r.err());
    }

    /** A command with a bug in it. */
    @CommandLine.Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("a bug");
        }
    }

    private static Path countersFileWithTraffic(Path dir) {
        Path file = dir.resolve("irq.stat");
        InterruptSink sink = gsi -> 0;
        try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(8).sink(sink).countersFile(file).build()) {
            for (int i = 0; i < 5; i++) {
                fabric.trigger(3);
            }
            fabric.trigger(5);
        } // closed: every accepted assertion delivered, the counters final
        return file;
    }

    @Test
    void statsShowsTheGsisWithTrafficAndATotal(@TempDir Path dir) {
        Path file = countersFileWithTraffic(dir);
        Run r = run("stats", "-n", "1", file.toString());
        assertEquals(0, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).contains("pid " + ProcessHandle.current().pid() + " (running)  fabric closed"), lines.get(0));
        assertTrue(lines.get(1).startsWith("fabric:  guest access errors 0"), lines.get(1));
        assertTrue(lines.get(2).startsWith("2 GSIs with traffic, 8 selected, 8 in the file"), lines.get(2));
        assertTrue(lines.get(3).trim().startsWith("gsi") && !lines.get(3).contains("  \"\""), lines.get(3));
        assertTrue(lines.stream().anyMatch(l -> l.trim().startsWith("3 ") && l.contains(" 5 ")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.trim().startsWith("5 ")), r.out());
        assertFalse(lines.stream().anyMatch(l -> l.trim().startsWith("4 ")), "a GSI without traffic is hidden: " + r.out());
        String total = lines.stream().filter(l -> l.trim().startsWith("total")).findFirst().orElseThrow();
        assertEquals("6", total.trim().split("\\s+")[1], total);
        assertFalse(r.out().contains("\033["), "no ANSI codes when the output is not a terminal");

        Run all = run("stats", "-n", "1", "--all", file.toString());
        assertTrue(all.out().lines().anyMatch(l -> l.trim().startsWith("4 ")), all.out());
        Run only = run("stats", "-n", "1", "--gsi", "5-6", file.toString());
        assertFalse(only.out().lines().anyMatch(l -> l.trim().startsWith("3 ")), only.out());
        assertTrue(only.out().lines().anyMatch(l -> l.trim().startsWith("5 ")), only.out());
        assertUserError(run("stats", "--gsi", "9", file.toString()), "outside the file's GSIs 0..7");
        assertUserError(run("stats", "--gsi", "2-x", file.toString()), "--gsi");
    }

    @Test
    void statsJsonIsOneObjectPerRefresh(@TempDir Path dir) throws IOException {
        Path file = countersFileWithTraffic(dir);
        Run r = run("stats", "--json", "-n", "2", "-i", "1", file.toString());
        assertEquals(0, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r.out());
        com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
        for (int k = 0; k < 2; k++) {
            var o = m.readTree(lines.get(k));
            assertEquals(ProcessHandle.current().pid(), o.get("pid").asLong());
            assertEquals("closed", o.get("state").asText());
            assertTrue(o.get("writer_alive").asBoolean());
            assertTrue(o.get("heartbeat_age_ms").asLong() >= 0);
            assertEquals(0, o.get("fabric").get("dispatcher_errors").asLong());
            assertEquals(5, o.get("gsis").get("3").get("asserted").asLong());
            assertEquals(1, o.get("gsis").get("5").get("asserted").asLong());
            assertFalse(o.get("gsis").has("4"));
            assertEquals(6, o.get("total").get("asserted").asLong());
            assertEquals(k == 0, o.get("total").get("asserted_per_s").isNull(), "a rate needs two refreshes");
        }
    }
}
