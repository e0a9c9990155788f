package io.irqfabric.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load tester's command line on real eventfds: the comparison's table and files, and its user errors. */
class LoadCommandTest {
    /** What a storm printed on System.out, with the command line's own result. */
    record Printed(CommandLineTest.Run run, String out) {
    }

    static Printed storm(String... args) {
        PrintStream console = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        CommandLineTest.Run r;
        try (PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            System.setOut(capture); // the storm prints its progress, results and table on System.out
            r = CommandLineTest.run(args);
        } finally {
            System.setOut(console);
        }
        return new Printed(r, printed.toString(StandardCharsets.UTF_8));
    }

    /**
     * Policies the comparison runs. A 100 ms window delivers each GSI at most once per 100 ms
     * (plus the drain at close): a bound that holds on any machine, and shows the policy applied.
     */
    static final String POLICIES = "none,window:100ms";

    @Test
    void compareOnEventFdsPrintsATableAndWritesJsonCsvAndCharts(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("results");
        Printed p = storm("storm", "--target", "eventfd", "-g", "5", "-d", "0.4", "--pattern", "steady", "--rate", "20k",
                "--compare", POLICIES, "--out", out.toString());
        assertEquals(0, p.run().status(), p.run() + p.out());
        String[] policies = POLICIES.split(",");
        List<String> lines = p.out().lines().toList();
        int heading = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("compare: steady 20.0k/s over 4 GSIs, 1 producer(s), 0.4 s per policy, quiet GSI 1.0k/s steady")) {
                heading = i;
            }
        }
        assertTrue(heading >= 0, p.out());
        String header = lines.get(heading + 1);
        for (String column : List.of("policy", "assertions/s", "deliveries/s", "coalescing", "p50", "p99", "p99.9",
                "quiet p99", "dispatcher CPU", "lost")) {
            assertTrue(header.contains(column), header);
        }
        assertFalse(header.contains("guest"), "no guest column on eventfds: " + header);
        for (int k = 0; k < policies.length; k++) {
            String row = lines.get(heading + 2 + k).trim();
            assertTrue(row.startsWith(policies[k] + " "), row);
            assertTrue(row.endsWith(" 0"), "lost 0: " + row);
        }
        assertEquals(policies.length, lines.stream().filter(l -> l.startsWith("lost: 0")).count(), "a verified result per policy");

        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertTrue(json.get("load").asText().startsWith("steady 20.0k/s"), json.get("load").asText());
        assertEquals(policies.length, json.get("runs").size());
        for (int k = 0; k < policies.length; k++) {
            JsonNode run = json.get("runs").get(k);
            assertEquals(policies[k], run.get("policy").asText());
            assertEquals("eventfd", run.get("target").asText());
            assertEquals(0, run.get("lost").asLong());
            assertTrue(run.get("assertions").asLong() > 0);
            assertEquals(run.get("assertions").asDouble() / run.get("deliveries").asDouble(), run.get("coalescing_ratio").asDouble(), 1e-9);
            assertEquals(21_000, run.get("offered_per_s").asDouble(), 1e-9, "20k stormed + 1k quiet");
            assertTrue(run.get("latency_us").get("deliveries_sampled").asLong() > 0);
            assertTrue(run.get("latency_us").get("p99").asDouble() >= run.get("latency_us").get("p50").asDouble());
            assertTrue(run.get("quiet_latency_us").get("deliveries_sampled").asLong() > 0);
            assertTrue(run.get("guest_per_s").isNull());
            assertTrue(run.get("series").isArray());
        }
        JsonNode window = json.get("runs").get(1);
        long bound = 5 * ((long) Math.ceil(window.get("seconds").asDouble() / 0.1) + 2);
        assertTrue(window.get("deliveries").asLong() <= bound, "window:100ms on 5 GSIs: at most " + bound
                + " deliveries, was " + window.get("deliveries").asLong() + " of " + window.get("assertions").asLong() + " assertions");
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(1 + policies.length, csv.size(), csv.toString());
        assertTrue(csv.get(0).startsWith("policy,target,seconds,offered_per_s,assertions_per_s,deliveries_per_s"), csv.get(0));
        String[] header0 = csv.get(0).split(",", -1);
        for (int k = 0; k < policies.length; k++) {
            String[] row = csv.get(k + 1).split(",", -1);
            assertEquals(header0.length, row.length, csv.get(k + 1));
            assertEquals(policies[k], row[0]);
            assertEquals("0", row[row.length - 1]);
        }
        assertTrue(Files.readAllLines(out.resolve("series.csv")).get(0).startsWith("policy,t,"));
        for (String png : List.of("compare-rates.png", "compare-latency.png", "deliveries-over-time.png")) {
            byte[] b = Files.readAllBytes(out.resolve(png));
            assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', png);
        }
    }

    @Test
    void aPacedRunVerifiesLossAndShowsOfferedAgainstSent() {
        Printed p = storm("load", "--target", "eventfd", "-g", "3", "-d", "0.3", "--pattern", "bursty", "--rate", "8k",
                "--burst", "16", "--quiet-rate", "0");
        assertEquals(0, p.run().status(), p.run() + p.out());
        assertTrue(p.out().contains("bursty 8.0k/s in bursts of 16"), p.out());
        assertTrue(p.out().lines().anyMatch(l -> l.startsWith("lost: 0")), p.out());
        assertFalse(p.out().contains("quiet GSI  "), "--quiet-rate 0: no quiet GSI: " + p.out());
    }

    @Test
    void compareIntoAKvmGuestCountsGuestInterrupts() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.irqfabric.kvm.Kvm.unavailableReason() == null,
                () -> "/dev/kvm is not usable here: " + io.irqfabric.kvm.Kvm.unavailableReason());
        Printed p = storm("storm", "--target", "kvm", "-g", "4", "-d", "0.3", "--pattern", "poisson", "--rate", "10k",
                "--compare", "none,batch");
        assertEquals(0, p.run().status(), p.run() + p.out());
        List<String> lines = p.out().lines().toList();
        int heading = lines.indexOf(lines.stream().filter(l -> l.startsWith("compare: poisson 10.0k/s over 3 GSIs")).findFirst()
                .orElseThrow(() -> new AssertionError(p.out())));
        assertTrue(p.out().contains("target KVM guest"), p.out());
        assertTrue(lines.get(heading + 1).contains("guest irq/s"), lines.get(heading + 1));
        assertEquals(2, lines.stream().filter(l -> l.startsWith("lost: 0")).count(), p.out());
    }

    private static void assertUserError(Printed p, String expected) {
        CommandLineTest.Run r = p.run();
        assertEquals(2, r.status(), r + p.out());
        assertEquals(1, r.err().lines().count(), "one line on stderr: " + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertFalse(p.out().contains("result"), "nothing ran: " + p.out());
    }

    @Test
    void mistakesAreOneLineAndStatusTwo(@TempDir Path dir) throws IOException {
        assertUserError(storm("storm", "--pattern", "steady", "--rate", "fast"), "--rate: 'fast' is not a rate");
        assertUserError(storm("storm", "--pattern", "steady", "--rate", "-5k"), "--rate: '-5k' must be more than 0");
        assertUserError(storm("storm", "--pattern", "steady", "--rate", "0"), "--rate");
        assertUserError(storm("storm", "--pattern", "steady", "--rate", "NaN"), "--rate");
        assertUserError(storm("storm", "--pattern", "steady"), "--pattern steady needs an offered rate");
        assertUserError(storm("storm", "--rate", "10k"), "--pattern flat-out sends as fast as it can");
        assertUserError(storm("storm", "--pattern", "steady", "--rate", "1k", "--rate-per-gsi", "1k"), "exclusive");
        assertUserError(storm("storm", "--pattern", "sawtooth"), "--pattern: unknown pattern 'sawtooth'");
        assertUserError(storm("storm", "--policy", "window:50"), "--policy: duration '50' needs a unit");
        assertUserError(storm("storm", "--policy", "lazy"), "--policy: unknown policy 'lazy'");
        assertUserError(storm("storm", "--compare", "batch,ratecap:0"), "--compare: rate cap must be");
        assertUserError(storm("storm", "--compare", "batch", "--policy", "batch"), "exclusive");
        assertUserError(storm("storm", "--preset", "quiet"), "unknown --preset 'quiet'");
        assertUserError(storm("storm", "--quiet-rate", "x"), "--quiet-rate");
        assertUserError(storm("storm", "--pattern", "bursty", "--rate", "1k", "--burst", "0"), "--burst");
        Path file = Files.writeString(dir.resolve("a-file"), "");
        assertUserError(storm("storm", "--out", file.resolve("sub").toString()), "--out: cannot create directory");
        assertUserError(storm("storm", "--out", file.toString()), "--out");
    }
}
