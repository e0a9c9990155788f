package io.irqfabric.bench.jmh;

import io.irqfabric.bench.path.LossReport;
import io.irqfabric.bench.path.NeighbourLatencySink;
import io.irqfabric.bench.path.TriggerPath;
import io.irqfabric.bench.path.TriggerPaths;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

import java.util.concurrent.TimeUnit;

/**
 * The latency of a quiet neighbour: assertion -> eventfd-write of one GSI ({@link #QUIET})
 * while one producer storms the other 63 GSIs flat out ({@link #neighbourStorm}), and of the
 * same GSI with no storm ({@link #neighbourIdle}).
 *
 * <p>Only the producer and the path's dispatcher run: the storming producer itself asserts the
 * quiet GSI every {@link #EVERY} invocations, if its previous probe has been written, stamping
 * {@link System#nanoTime()} first; a {@link NeighbourLatencySink} around the path's sink takes
 * the time when the quiet GSI's eventfd write has completed and records the difference. Both
 * paths here spin when idle ({@code fabric_spin}, {@code agrona}).
 *
 * <p>The latencies of every measured iteration go into one histogram; the EVENTS aux counters
 * {@code neighbourP50Ns}, {@code neighbourP99Ns} and {@code neighbourSamples} carry its
 * percentiles and sample count, reported in the last measured iteration only (0 in the
 * others), so their sums over the iterations, which JMH reports, are the figures. The primary
 * score (invocations/s) is not a figure.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class NeighbourLatencyBenchmark {
    /** GSIs: 63 stormed and the quiet one. */
    public static final int GSIS = 64;
    /** The quiet GSI. */
    public static final int QUIET = GSIS - 1;
    /** The producer probes the quiet GSI every this many invocations (a power of two). */
    public static final int EVERY = 256;

    /** The path under test (both spin when idle). */
    @Param({TriggerPaths.FABRIC_SPIN, TriggerPaths.AGRONA})
    public String path;

    TriggerPath trigger;
    NeighbourLatencySink probe;
    /** Assertions per GSI (the one producer thread's, read in the trial teardown). */
    final long[] triggered = new long[GSIS];
    int next;
    int tick;

    /** Opens the path with the measuring sink around its own. */
    @Setup(Level.Trial)
    public void open() {
        trigger = TriggerPaths.open(path, GSIS, s -> {
            probe = new NeighbourLatencySink(s, QUIET);
            return probe;
        });
    }

    /** Drains the path and fails the benchmark if anything was lost. */
    @TearDown(Level.Trial)
    public void closeAndVerify() {
        trigger.close();
        LossReport r = trigger.verify(triggered);
        System.out.println("loss check " + r);
        r.orThrow();
    }

    /** Waits (bounded) until the last probe has been written, so the histogram may be read or reset. */
    void awaitProbe() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!probe.ready()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(path + ": the quiet GSI's probe was not written within 10 s");
            }
            Thread.onSpinWait();
        }
    }

    /** The latency figures over the measured iterations; see the class comment. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Figures {
        /** Median quiet-GSI latency, ns (last measured iteration only). */
        public long neighbourP50Ns;
        /** 99th percentile, ns (last measured iteration only). */
        public long neighbourP99Ns;
        /** Latencies recorded over the measured iterations (last measured iteration only). */
        public long neighbourSamples;
        private int measured;

        /**
         * Starts a fresh histogram for each warmup iteration and for the first measured one.
         *
         * @param b  benchmark
         * @param ip iteration parameters
         */
        @Setup(Level.Iteration)
        public void begin(NeighbourLatencyBenchmark b, IterationParams ip) {
            b.awaitProbe();
            if (ip.getType() == IterationType.WARMUP || measured == 0) {
                b.probe.reset();
            }
            neighbourP50Ns = 0;
            neighbourP99Ns = 0;
            neighbourSamples = 0;
        }

        /**
         * @param b  benchmark
         * @param ip iteration parameters
         */
        @TearDown(Level.Iteration)
        public void end(NeighbourLatencyBenchmark b, IterationParams ip) {
            b.awaitProbe();
            if (ip.getType() != IterationType.MEASUREMENT || ++measured < ip.getCount()) {
                return;
            }
            neighbourP50Ns = (long) b.probe.percentile(50);
            neighbourP99Ns = (long) b.probe.percentile(99);
            neighbourSamples = b.probe.count();
        }
    }

    /** Every {@link #EVERY}-th call: asserts the quiet GSI if its previous probe was written. */
    private void maybeProbe() {
        if ((++tick & (EVERY - 1)) == 0 && probe.ready()) {
            probe.stamp();
            trigger.trigger(QUIET);
            triggered[QUIET]++;
        }
    }

    /**
     * One producer storms GSIs 0..62 round-robin and now and then probes the quiet GSI.
     *
     * @param f the latency figures
     */
    @Benchmark
    @Threads(1)
    public void neighbourStorm(Figures f) {
        int g = next;
        next = g + 1 == QUIET ? 0 : g + 1;
        trigger.trigger(g);
        triggered[g]++;
        maybeProbe();
    }

    /**
     * No storm: the producer only probes the quiet GSI (every {@link #EVERY} calls, once the
     * previous probe was written).
     *
     * @param f the latency figures
     */
    @Benchmark
    @Threads(1)
    public void neighbourIdle(Figures f) {
        maybeProbe();
    }
}
