package io.irqfabric.bench.jmh;

import io.irqfabric.bench.path.TriggerPath;
import io.irqfabric.bench.path.TriggerPaths;
import io.irqfabric.eventfd.EventFd;
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
 *
 * <p>Run twice: with the eventfd calls on the path this JVM picks by itself ({@code auto}:
 * {@code java.lang.foreign} on JDK 22+, JNA before) and forced onto JNA, so one run compares
 * the two ways of making the same write(2). Each trial is a fork of its own, and the property
 * is set before the first eventfd is created, when the path is chosen.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class DirectWriteBenchmark {
    /** The system property that picks the eventfd call path (read once, when the first eventfd is made). */
    public static final String EVENTFD_IO_PROPERTY = "irqfabric.eventfd.io";

    /** Only direct. */
    @Param(TriggerPaths.DIRECT)
    public String path;

    /** {@code irqfabric.eventfd.io} for this trial: {@code auto} or {@code jna}. */
    @Param({"auto", "jna"})
    public String eventfdIo;

    private TriggerPath trigger;
    private final long[] triggered = new long[1];

    /** Opens the path with one GSI. */
    @Setup(Level.Trial)
    public void open() {
        System.setProperty(EVENTFD_IO_PROPERTY, eventfdIo);
        trigger = TriggerPaths.open(path, 1);
        String used = EventFd.ioPath();
        if (eventfdIo.equals("jna") && !used.equals("jna")) {
            throw new IllegalStateException("eventfd I/O was chosen before the property was set: " + used);
        }
        System.out.println("eventfd io: " + eventfdIo + " -> " + used);
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
