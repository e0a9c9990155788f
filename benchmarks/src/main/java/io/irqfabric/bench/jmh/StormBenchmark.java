package io.irqfabric.bench.jmh;

import io.irqfabric.bench.path.LossReport;
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
import org.openjdk.jmh.infra.ThreadParams;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Figures 1, 2 and 5: an interrupt storm. Producers assert GSIs {@code 0..gsis-1} round-robin
 * as fast as they can through one {@link TriggerPath}.
 *
 * <ul>
 *   <li>{@code Mode.Throughput}: assertions/s absorbed (the primary score), with
 *       {@code eventfdWrites} (writes/s, an OPERATIONS aux counter);</li>
 *   <li>{@link #producerCost} ({@code Mode.AverageTime}, the body of {@link #storm1p}): ns a
 *       producer pays per assertion;</li>
 *   <li>EVENTS aux counters {@code assertions}, {@code writes}, {@code producerAllocBytes},
 *       {@code dispatcherAllocBytes}, {@code overflowed}: totals over the measured iterations,
 *       so the coalescing ratio ({@code assertions / writes}), bytes per assertion on each side
 *       and the overflow share ({@code overflowed / assertions}) are quotients of sums over the
 *       same windows.</li>
 * </ul>
 * At the end of the trial the path is closed (drained) and {@link TriggerPath#verify} checks
 * that every GSI's last write came after its last assertion and that the eventfd counters hold
 * exactly the writes made; if not, the teardown throws and the benchmark fails.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class StormBenchmark {
    /** The path under test. */
    @Param({TriggerPaths.FABRIC_SPIN, TriggerPaths.FABRIC_PARK, TriggerPaths.FABRIC_INLINE, TriggerPaths.DIRECT, TriggerPaths.ABQ, TriggerPaths.AGRONA})
    public String path;

    /** GSIs asserted round-robin (a power of two): a handful of virtio queues. */
    @Param("16")
    public int gsis;

    TriggerPath trigger;
    /** Producer states by thread index (JMH gives a helper its own instance of a Thread-scoped state, so the aux states look theirs up here). */
    private final Map<Integer, Producer> producers = new HashMap<>();

    /** Opens the path. */
    @Setup(Level.Trial)
    public void open() {
        if (Integer.bitCount(gsis) != 1) {
            throw new IllegalArgumentException("gsis must be a power of two, was " + gsis);
        }
        trigger = TriggerPaths.open(path, gsis);
    }

    synchronized void register(int threadIndex, Producer p) {
        producers.put(threadIndex, p);
    }

    synchronized Producer producer(ThreadParams tp) {
        Producer p = producers.get(tp.getThreadIndex());
        if (p == null) {
            throw new IllegalStateException("no producer registered for thread " + tp.getThreadIndex());
        }
        return p;
    }

    /** Drains the path and fails the benchmark if anything was lost. */
    @TearDown(Level.Trial)
    public synchronized void closeAndVerify() {
        long[] triggered = new long[gsis];
        for (Producer p : producers.values()) {
            for (int g = 0; g < gsis; g++) {
                triggered[g] += p.triggered[g];
            }
        }
        trigger.close();
        LossReport r = trigger.verify(triggered);
        System.out.println("loss check " + r);
        r.orThrow();
    }

    /** One producer thread: its round-robin position and its per-GSI assertion counts. */
    @State(Scope.Thread)
    public static class Producer {
        int next;
        int mask;
        long[] triggered;

        /**
         * @param b  the benchmark state
         * @param tp thread parameters
         */
        @Setup(Level.Trial)
        public void setup(StormBenchmark b, ThreadParams tp) {
            mask = b.gsis - 1;
            triggered = new long[b.gsis];
            b.register(tp.getThreadIndex(), this);
        }

        long total() {
            long t = 0;
            for (long c : triggered) {
                t += c;
            }
            return t;
        }
    }

    /** eventfd writes per second. Thread 0 reports the path's writes; others report 0 (sums). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class WriteRate {
        /** eventfd writes made during the iteration. */
        public long eventfdWrites;
        private long start;

        /**
         * @param b  benchmark
         * @param tp thread parameters
         */
        @Setup(Level.Iteration)
        public void begin(StormBenchmark b, ThreadParams tp) {
            Producer p = b.producer(tp);
            start = writesSeen(b, p, tp);
        }

        /**
         * @param b  benchmark
         * @param tp thread parameters
         */
        @TearDown(Level.Iteration)
        public void end(StormBenchmark b, ThreadParams tp) {
            Producer p = b.producer(tp);
            eventfdWrites = writesSeen(b, p, tp) - start;
        }

        static long writesSeen(StormBenchmark b, Producer p, ThreadParams tp) {
            if (b.trigger.writesOnProducer()) {
                return p.total();
            }
            return tp.getThreadIndex() == 0 ? b.trigger.eventFdWrites() : 0;
        }
    }

    /**
     * Totals over one window per iteration (EVENTS: summed over threads and iterations): the
     * coalescing ratio is {@code assertions / writes} and bytes per assertion are quotients of
     * these sums, all over the same window.
     */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class AllocationSplit {
        /** Assertions this thread made in the iteration. */
        public long assertions;
        /** eventfd writes in the iteration (thread 0 reports them for a dispatcher path). */
        public long writes;
        /** Bytes this producer thread allocated in the iteration (JMH's loop included). */
        public long producerAllocBytes;
        /** Bytes the dispatcher thread allocated in the iteration (thread 0 reports). */
        public long dispatcherAllocBytes;
        /** Assertions that took the fabric's overflow path (ring full) in the iteration (thread 0 reports; 0 for a baseline). */
        public long overflowed;
        private long overflowed0;
        private long assertions0;
        private long writes0;
        private long producer0;
        private long dispatcher0;

        /**
         * @param b  benchmark
         * @param tp thread parameters
         */
        @Setup(Level.Iteration)
        public void begin(StormBenchmark b, ThreadParams tp) {
            Producer p = b.producer(tp);
            assertions0 = p.total();
            writes0 = WriteRate.writesSeen(b, p, tp);
            producer0 = ThreadAllocation.of(Thread.currentThread());
            dispatcher0 = tp.getThreadIndex() == 0 ? ThreadAllocation.of(b.trigger.dispatcherThread()) : -1;
            overflowed0 = b.trigger.overflowed();
        }

        /**
         * @param b  benchmark
         * @param tp thread parameters
         */
        @TearDown(Level.Iteration)
        public void end(StormBenchmark b, ThreadParams tp) {
            Producer p = b.producer(tp);
            assertions = p.total() - assertions0;
            writes = WriteRate.writesSeen(b, p, tp) - writes0;
            producerAllocBytes = ThreadAllocation.of(Thread.currentThread()) - producer0;
            long d = tp.getThreadIndex() == 0 ? ThreadAllocation.of(b.trigger.dispatcherThread()) : -1;
            dispatcherAllocBytes = d >= 0 && dispatcher0 >= 0 ? d - dispatcher0 : 0;
            overflowed = tp.getThreadIndex() == 0 ? b.trigger.overflowed() - overflowed0 : 0;
        }
    }

    /** The measured body: assert the next GSI round-robin and count it for the loss check. */
    private void assertOnce(Producer p) {
        int g = p.next++ & p.mask;
        trigger.trigger(g);
        p.triggered[g]++;
    }

    /**
     * One producer.
     *
     * @param p     producer state
     * @param rate  write-rate counters
     * @param split allocation counters
     */
    @Benchmark
    @Threads(1)
    public void storm1p(Producer p, WriteRate rate, AllocationSplit split) {
        assertOnce(p);
    }

    /**
     * Figure 1: what one assertion costs the producer under a storm, one producer, ns/op.
     * The same body as {@link #storm1p}, measured as average time.
     *
     * @param p     producer state
     * @param rate  write-rate counters
     * @param split allocation counters
     */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void producerCost(Producer p, WriteRate rate, AllocationSplit split) {
        assertOnce(p);
    }

    /**
     * Two producers (with the dispatcher that is three threads on two cores).
     *
     * @param p     producer state
     * @param rate  write-rate counters
     * @param split allocation counters
     */
    @Benchmark
    @Threads(2)
    public void storm2p(Producer p, WriteRate rate, AllocationSplit split) {
        assertOnce(p);
    }
}
