package io.irqfabric.bench.path;

import io.irqfabric.InterruptSink;

import java.util.Arrays;

/**
 * Measures the assertion -> eventfd-write latency of one watched ("quiet") GSI without a
 * thread of its own. A sink decorator: the producer that asserts the watched GSI calls
 * {@link #stamp()} (which records {@link System#nanoTime()}) just before its trigger; when the
 * dispatcher's delivery of that GSI through the decorated sink has returned (the eventfd write
 * completed), the decorator takes the time again and records the difference in a histogram.
 *
 * <p>One probe at a time: {@link #ready()} is false from {@link #stamp()} until the write that
 * answers it, and the producer asserts the watched GSI only when it is true, so a sample is
 * never the write of an earlier assertion (nor one coalesced with it). Writes of the watched
 * GSI with no probe outstanding record nothing.
 *
 * <p>The histogram is log-linear: exact nanoseconds below 1024 ns, above that 512 sub-buckets
 * per power of two (relative resolution 1/512). It is written by the dispatcher only; read it
 * ({@link #percentile}, {@link #count}) or {@link #reset()} it only while no probe is outstanding
 * ({@link #ready()} true, after which the dispatcher's writes are visible), from the producer.
 * Nothing is allocated after construction.
 */
public final class NeighbourLatencySink implements InterruptSink {
    private static final int LINEAR = 1024;
    private static final int SUB_BITS = 9;
    private static final int SUB = 1 << SUB_BITS;
    /** Highest power of two kept: 2^40 ns (18 min); larger values land in the last bucket. */
    private static final int MAX_EXP = 40;
    private static final int BUCKETS = LINEAR + (MAX_EXP - 10 + 1) * SUB;

    private final InterruptSink inner;
    private final int watched;
    private final long[] counts = new long[BUCKETS];
    private long total;
    private volatile long stampNs;
    private volatile boolean outstanding;

    /**
     * @param inner   the sink that writes the eventfds
     * @param watched the GSI whose latency is measured
     */
    public NeighbourLatencySink(InterruptSink inner, int watched) {
        this.inner = inner;
        this.watched = watched;
    }

    /** @return the watched GSI */
    public int watched() {
        return watched;
    }

    /** @return true if no probe is outstanding: the producer may {@link #stamp()} and assert the watched GSI */
    public boolean ready() {
        return !outstanding;
    }

    /** Producer: records the assertion time of the probe it is about to trigger. */
    public void stamp() {
        stampNs = System.nanoTime();
        outstanding = true;
    }

    @Override
    public int deliver(int gsi) {
        int r = inner.deliver(gsi);
        if (gsi == watched && outstanding) {
            long done = System.nanoTime();
            if (r != FAILED) {
                record(done - stampNs);
            }
            outstanding = false;
        }
        return r;
    }

    @Override
    public int lastErrno(int gsi) {
        return inner.lastErrno(gsi);
    }

    @Override
    public int gsiCapacity() {
        return inner.gsiCapacity();
    }

    @Override
    public void endOfBatch() {
        inner.endOfBatch();
    }

    /**
     * Records one latency (also usable directly, for tests).
     *
     * @param ns the latency
     */
    void record(long ns) {
        counts[bucket(ns)]++;
        total++;
    }

    static int bucket(long ns) {
        if (ns < LINEAR) {
            return (int) Math.max(ns, 0);
        }
        int exp = 63 - Long.numberOfLeadingZeros(ns);
        if (exp > MAX_EXP) {
            return BUCKETS - 1;
        }
        int sub = (int) (ns >>> (exp - SUB_BITS)) & (SUB - 1);
        return LINEAR + (exp - 10) * SUB + sub;
    }

    /** @return the smallest value that falls in bucket {@code b} */
    static long lowest(int b) {
        if (b < LINEAR) {
            return b;
        }
        int exp = (b - LINEAR) / SUB + 10;
        long sub = (b - LINEAR) % SUB;
        return (1L << exp) + (sub << (exp - SUB_BITS));
    }

    /** @return the number of latencies recorded since the last {@link #reset()} */
    public long count() {
        return total;
    }

    /**
     * @param pc a percentile, 0..100
     * @return the smallest recorded bucket value at or below which {@code pc}% of the samples
     *         lie (exact below 1024 ns, within 1/512 above), NaN if nothing was recorded
     */
    public double percentile(double pc) {
        if (total == 0) {
            return Double.NaN;
        }
        long rank = Math.max(1, (long) Math.ceil(pc / 100.0 * total));
        long seen = 0;
        for (int b = 0; b < BUCKETS; b++) {
            seen += counts[b];
            if (seen >= rank) {
                return lowest(b);
            }
        }
        return lowest(BUCKETS - 1);
    }

    /** Forgets every recorded latency (no probe may be outstanding). */
    public void reset() {
        Arrays.fill(counts, 0);
        total = 0;
    }
}
