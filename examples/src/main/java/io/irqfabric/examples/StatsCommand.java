package io.irqfabric.examples;

import io.irqfabric.CountersFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/**
 * Live statistics of a running fabric, read from its counters file by another process (the way
 * AeronStat reads Aeron's counters). Start a storm with {@code --counters-file /dev/shm/irq.stat}
 * and run {@code ./irqfabric stats /dev/shm/irq.stat} in another terminal.
 */
@Command(name = "stats", description = "Live per-GSI counters of a running fabric, read from its counters file.")
public final class StatsCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "the counters file (InterruptFabric.Builder.countersFile)")
    Path file;

    @Option(names = {"-i", "--interval"}, description = "milliseconds between screens (default: ${DEFAULT-VALUE})")
    long intervalMillis = 1000;

    @Option(names = {"-n", "--count"}, description = "screens to print, 0 = until interrupted (default: ${DEFAULT-VALUE})")
    int count = 0;

    @Override
    public Integer call() {
        CountersFile stats = CountersFile.open(file);
        int gsis = stats.gsiCount();
        long[] lastAsserted = new long[gsis];
        long[] lastDelivered = new long[gsis];
        long lastT = System.nanoTime();
        System.out.printf(Locale.ROOT, "%s: fabric pid %d, %d GSIs%n", file, stats.pid(), gsis);
        for (int screen = 1; count == 0 || screen <= count; screen++) {
            if (screen > 1) {
                LockSupport.parkNanos(intervalMillis * 1_000_000L); // the refresh interval
            }
            stats.refresh();
            long now = System.nanoTime();
            double dt = Math.max(1e-9, (now - lastT) / 1e9);
            lastT = now;
            System.out.printf(Locale.ROOT, "%6s %16s %14s %16s %14s %14s %10s %10s %12s %12s%n",
                    "gsi", "asserted", "delivered", "coalesced", "overflowed", "masked", "errors", "", "asserted/s", "writes/s");
            for (int g = 0; g < gsis; g++) {
                long a = stats.asserted(g);
                long d = stats.delivered(g);
                if (a == 0 && d == 0 && stats.errors(g) == 0 && stats.masked(g) == 0) {
                    continue;
                }
                // Rates need two screens: the first shows totals only.
                String aRate = screen == 1 ? "-" : String.format(Locale.ROOT, "%,.0f", (a - lastAsserted[g]) / dt);
                String dRate = screen == 1 ? "-" : String.format(Locale.ROOT, "%,.0f", (d - lastDelivered[g]) / dt);
                System.out.printf(Locale.ROOT, "%6d %,16d %,14d %,16d %,14d %,14d %,10d %10s %12s %12s%n",
                        g, a, d, stats.coalesced(g), stats.overflowed(g), stats.masked(g), stats.errors(g), "", aRate, dRate);
                lastAsserted[g] = a;
                lastDelivered[g] = d;
            }
            System.out.println();
        }
        return 0;
    }
}
