package io.irqfabric.bench.jmh;

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

import java.util.concurrent.TimeUnit;

/**
 * Figure 3: latency from one assertion to its eventfd write having completed, on an idle
 * path, as percentiles ({@code Mode.SampleTime}).
 *
 * <p>One thread asserts GSI 0 and spins until the path's release-published write count moves
 * (for {@code direct} the write is the assertion, so the figure is the write itself).
 *
 * <p>"Idle": before every invocation, outside the timed region ({@code Level.Invocation}
 * setup), every path gets the same quiet gap of {@value #IDLE_GAP_NANOS} ns (longer than the
 * fabric's 100 us spin-then-yield phase), and a path whose dispatcher sleeps when idle
 * ({@code fabric_park}, {@code fabric_inline}, {@code abq}) is then also waited on until its
 * dispatcher thread is parked (WAITING). So {@code fabric_park} and {@code abq} figures are
 * wake-from-park latencies; {@code fabric_inline}'s assertion finds the fabric idle and is
 * written by the asserting thread itself (no wake-up); {@code fabric_spin} and {@code agrona}
 * dispatchers spin and are awake.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class IdleLatencyBenchmark {
    /** Quiet time before every invocation, for every path. */
    public static final long IDLE_GAP_NANOS = 200_000;
    /** How long the idle wait gives a dispatcher to park before the invocation goes ahead. */
    private static final long PARK_DEADLINE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** The path under test. */
    @Param({TriggerPaths.FABRIC_SPIN, TriggerPaths.FABRIC_PARK, TriggerPaths.FABRIC_INLINE, TriggerPaths.DIRECT, TriggerPaths.ABQ, TriggerPaths.AGRONA})
    public String path;

    /**
     * The running benchmark instance of this fork (one thread, one trial), for the aux-counter
     * state: JMH would give a helper method its own instance of a thread-scoped state.
     */
    static volatile IdleLatencyBenchmark current;

    private TriggerPath trigger;
    private final long[] triggered = new long[1];
    private long notParked;

    /** Opens the path with one GSI. */
    @Setup(Level.Trial)
    public void open() {
        trigger = TriggerPaths.open(path, 1);
        current = this;
    }

    /**
     * Figure 5 at idle: bytes the dispatcher thread allocated per assertion over the measured
     * iterations (EVENTS: totals, summed over iterations), measured on that thread alone. JMH's
     * {@code gc.alloc.rate.norm} here is a whole-JVM figure dominated by SampleTime's own
     * bookkeeping (it is as large for {@code direct}, which has no dispatcher).
     */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class IdleAllocation {
        /** Assertions in the iteration. */
        public long idleAssertions;
        /** Bytes the dispatcher thread allocated in the iteration. */
        public long idleDispatcherAllocBytes;
        private long assertions0;
        private long bytes0;

        /** Snapshot at the start of an iteration. */
        @Setup(Level.Iteration)
        public void begin() {
            IdleLatencyBenchmark b = current;
            assertions0 = b.triggered[0];
            bytes0 = ThreadAllocation.of(b.trigger.dispatcherThread());
        }

        /** Totals at the end of an iteration. */
        @TearDown(Level.Iteration)
        public void end() {
            IdleLatencyBenchmark b = current;
            idleAssertions = b.triggered[0] - assertions0;
            long bytes = ThreadAllocation.of(b.trigger.dispatcherThread());
            idleDispatcherAllocBytes = bytes >= 0 && bytes0 >= 0 ? bytes - bytes0 : 0;
        }
    }

    /** Untimed: a quiet gap, then (if it sleeps) waits until the dispatcher has gone to sleep. */
    @Setup(Level.Invocation)
    public void awaitIdle() {
        long start = System.nanoTime();
        while (System.nanoTime() - start < IDLE_GAP_NANOS) {
            Thread.onSpinWait();
        }
        if (!trigger.dispatcherSleepsWhenIdle()) {
            return;
        }
        Thread d = trigger.dispatcherThread();
        long deadline = start + PARK_DEADLINE_NANOS;
        while (d.getState() != Thread.State.WAITING && d.getState() != Thread.State.TIMED_WAITING) {
            if (System.nanoTime() - deadline > 0) {
                notParked++;
                return;
            }
            Thread.onSpinWait();
        }
    }

    /** Drains the path and fails the benchmark if anything was lost. */
    @TearDown(Level.Trial)
    public void closeAndVerify() {
        trigger.close();
        System.out.println("loss check " + trigger.verify(triggered).orThrow()
                + (trigger.dispatcherSleepsWhenIdle() ? "; invocations that found the dispatcher awake: " + notParked : ""));
    }

    /**
     * @param allocation the idle allocation counters
     * @return the write count (consumed by JMH)
     */
    @Benchmark
    public long assertToWrite(IdleAllocation allocation) {
        triggered[0]++;
        return trigger.triggerAndAwaitWrite(0);
    }
}
