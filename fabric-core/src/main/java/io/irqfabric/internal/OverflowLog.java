package io.irqfabric.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Where a producer records an assertion when it cannot claim a ring slot (DESIGN.md, "Ring
 * full"): lock-free, never blocking, never dropping.
 *
 * <pre>
 *   recorded[gsi]  AtomicLongArray   producers: getAndIncrement   (monotonic ticket per GSI)
 *   consumed[gsi]  long[]            dispatcher only: the recorded count it has turned into
 *                                    a pending delivery
 *   summary[w]     long[] (VarHandle)  bit (gsi % 64) of word (gsi / 64): "gsi has new records"
 *   dirty          PaddedInt         1 when any summary bit may be set since the last drain
 * </pre>
 *
 * A producer increments {@code recorded[gsi]}, then sets the summary bit, then {@code dirty};
 * the dispatcher clears {@code dirty}, then each non-zero summary word, then reads
 * {@code recorded}. Any record whose increment the dispatcher's read misses therefore has its
 * summary bit and {@code dirty} written after the dispatcher cleared them, and the next drain
 * sees it. Edge interrupts are idempotent, so one pending delivery covers any number of
 * records; the count exists so a producer can tell, after close, whether its own record was
 * consumed ({@link #consumedAtLeast(int, long)}).
 */
public final class OverflowLog {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final AtomicLongArray recorded;
    private final long[] consumed;
    private final long[] summary;
    private final PaddedInt dirty = new PaddedInt();
    private final RingFence fence;
    /**
     * GSIs whose records need a fence: those a controller owns (gates, masks). Records of plain
     * GSIs are idempotent edges with no state to meet, so their order does not matter and they
     * skip the fence's atomic. Set when a controller claims its GSIs, before its facade is
     * returned, so a thread triggering through the facade sees it.
     */
    private final byte[] fenced;

    public OverflowLog(int gsiCount) {
        recorded = new AtomicLongArray(gsiCount);
        consumed = new long[gsiCount];
        summary = new long[(gsiCount + 63) >>> 6];
        fence = new RingFence(gsiCount);
        fenced = new byte[gsiCount];
    }

    /**
     * Producer: records one assertion of {@code gsi}. Lock-free: a few atomic operations.
     *
     * @param gsi    the GSI
     * @param cursor the ring cursor the producer sees (its fence, see {@link RingFence}); only
     *               read if {@link #fenced(int)}
     * @return this record's ticket: covered once {@code consumed[gsi] >= ticket}
     */
    public long record(int gsi, long cursor) {
        if (fenced[gsi] != 0) {
            fence.raise(gsi, cursor); // before the record is visible: see RingFence
        }
        long ticket = recorded.incrementAndGet(gsi);
        int w = gsi >>> 6;
        long bit = 1L << (gsi & 63);
        if (((long) LONGS.getVolatile(summary, w) & bit) == 0) {
            LONGS.getAndBitwiseOr(summary, w, bit);
        }
        // Store only if clear: under an overflow storm every producer would otherwise write (and
        // fence) the same line per record. Reading 1 is as good as writing it: that read comes
        // before the dispatcher's clearing get-and-set, which comes before its summary scan.
        if (dirty.lv() == 0) {
            dirty.sv(1);
        }
        return ticket;
    }

    /**
     * Dispatcher: moves every new record into {@code pending}.
     *
     * @param pending the dispatcher's pending set
     * @param force    scan even if {@code dirty} is clear (the final drain at shutdown)
     * @param counters where the drained records are counted ({@link Counters#OVERFLOW_DRAINED})
     * @return number of GSIs that had new records
     */
    public int drainInto(PendingSet pending, boolean force, Counters counters) {
        // A plain volatile load in the common case (no overflow since the last drain): no locked
        // instruction per batch. It is enough for the ring-full argument: the dispatcher's
        // sequence store before it is a full fence, and the producer's dirty store precedes its
        // read of that sequence (see ARCHITECTURE.md, "Ring full").
        if (dirty.lv() == 0 && !force) {
            return 0;
        }
        dirty.gas(0);
        int found = 0;
        for (int w = 0; w < summary.length; w++) {
            if ((long) LONGS.getVolatile(summary, w) == 0) {
                continue;
            }
            long bits = (long) LONGS.getAndSet(summary, w, 0L);
            while (bits != 0) {
                int gsi = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                long r = recorded.get(gsi);
                if (r != consumed[gsi]) {
                    counters.add(gsi, Counters.OVERFLOW_DRAINED, r - consumed[gsi]);
                    LONGS.setRelease(consumed, gsi, r);
                    pending.add(gsi);
                    found++;
                }
            }
        }
        return found;
    }

    /**
     * @param gsi the GSI
     * @return true if its records are fenced (a controller owns it); producers read the ring
     *         cursor only then, since that line is hot under a storm
     */
    public boolean fenced(int gsi) {
        return fenced[gsi] != 0;
    }

    /**
     * Marks GSIs owned by a controller: their records are fenced ({@link RingFence}).
     *
     * @param base  first GSI
     * @param count number of GSIs
     */
    public void requireFence(int base, int count) {
        for (int g = base; g < base + count; g++) {
            fenced[g] = 1;
        }
    }

    /**
     * Dispatcher: whether the records of {@code gsi} drained so far may be applied against the
     * controller state of a batch that ended at {@code processedUpTo} ({@link RingFence}).
     *
     * @param gsi           the GSI
     * @param processedUpTo the last sequence handled
     * @return true if they are in order with their producers' earlier ring events
     */
    public boolean fencePassed(int gsi, long processedUpTo) {
        return fence.passed(gsi, processedUpTo);
    }

    /**
     * @param gsi the GSI
     * @return how many records of {@code gsi} producers have made (the "overflowed" counter)
     */
    public long recorded(int gsi) {
        return recorded.get(gsi);
    }

    /**
     * Whether the dispatcher has consumed the record with this ticket. Exact once the
     * dispatcher has terminated (its last drain happens-before termination is observed).
     *
     * @param gsi    the GSI
     * @param ticket the ticket {@link #record(int, long)} returned
     * @return true if consumed
     */
    public boolean consumedAtLeast(int gsi, long ticket) {
        return (long) LONGS.getAcquire(consumed, gsi) >= ticket;
    }
}
