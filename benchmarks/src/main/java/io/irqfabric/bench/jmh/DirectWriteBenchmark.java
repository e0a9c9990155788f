package io.irqfabric.bench.jmh;

import io.irqfabric.bench.path.TriggerPath;
import io.irqfabric.bench.path.TriggerPaths;
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
 * A reference for figure 3: {@code direct}'s eventfd write back to back, with no idle gap
 * before it (hot caches), SampleTime percentiles. {@link IdleLatencyBenchmark} measures every
 * path, {@code direct} included, after a 200 us gap; this shows what the same write costs hot.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class DirectWriteBenchmark {
    /** Only direct. */
    @Param(TriggerPaths.DIRECT)
    public String path;

    private TriggerPath trigger;
    private final long[] triggered = new long[1];

    /** Opens the path with one GSI. */
    @Setup(Level.Trial)
    public void open() {
        trigger = TriggerPaths.open(path, 1);
    }

    /** Checks the eventfd holds every write. */
    @TearDown(Level.Trial)
    public void closeAndVerify() {
        trigger.close();
        System.out.println("loss check " + trigger.verify(triggered).orThrow());
    }

    /**
     * @return the write's status (consumed by JMH)
     */
    @Benchmark
    public long writeBackToBack() {
        triggered[0]++;
        return trigger.triggerAndAwaitWrite(0);
    }
}
