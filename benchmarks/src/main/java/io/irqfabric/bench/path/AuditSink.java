package io.irqfabric.bench.path;

import io.irqfabric.InterruptSink;
import io.irqfabric.eventfd.EventFdSink;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntToLongFunction;

/**
 * An {@link InterruptSink} decorator around {@link EventFdSink} for the paths that have a
 * dispatcher (fabric, abq, agrona), so all of them pay the same bookkeeping:
 * <ul>
 *   <li>a total write count, published with a release store after each write completes (the
 *       idle-latency benchmark spins on it; the storm benchmark reports it as writes/s);</li>
 *   <li>per GSI: successful writes, and how many assertions of that GSI the dispatcher had
 *       taken in when it made its last write. After close, that number must equal the
 *       assertions the producers made: the last write of every GSI came after its last
 *       assertion was seen (the coverage invariant).</li>
 * </ul>
 * One delivering thread at a time (except the counters' readers): the dispatcher, or, for a
 * fabric in {@code INLINE_WHEN_IDLE} mode, a producer holding the dispatcher role for one
 * delivery (the fabric hands the role over with a happens-before edge); allocation-free.
 *
 * <p>For the fabric, "assertions taken in" is {@code FabricCounters.asserted}: ring
 * assertions the dispatcher consumed plus overflow records it drained, exact at the moment of
 * each delivery, plus the assertions coalesced at the source, which their producers count
 * after the fact ({@link #sourceCoalescedSoFar} says how the check allows for that).
 */
public final class AuditSink implements InterruptSink {
    private final EventFdSink eventFds;
    private final long[] writesPerGsi;
    private final long[] assertedAtLastWrite;
    /** Per GSI: a lower bound of the slot-claiming assertions taken in at the last write (see {@link #sourceCoalescedSoFar}). */
    private final long[] claimedAtLastWrite;
    private final AtomicLong writes = new AtomicLong();
    private long writesPlain;
    private long failures;
    private IntToLongFunction assertedSoFar = g -> -1;
    private IntToLongFunction sourceCoalescedSoFar = g -> 0;

    /**
     * @param eventFds the sink that makes the writes
     */
    public AuditSink(EventFdSink eventFds) {
        this.eventFds = eventFds;
        this.writesPerGsi = new long[eventFds.gsiCount()];
        this.assertedAtLastWrite = new long[eventFds.gsiCount()];
        this.claimedAtLastWrite = new long[eventFds.gsiCount()];
    }

    /**
     * Sets where the dispatcher's count of assertions taken in per GSI comes from. Call before
     * the first delivery (before the dispatcher starts, or the fabric is built).
     *
     * @param assertedSoFar GSI to assertions seen by the dispatcher
     */
    public void assertedSoFar(IntToLongFunction assertedSoFar) {
        this.assertedSoFar = assertedSoFar;
    }

    /**
     * For a path that coalesces at the source (the fabric): where the count of assertions that
     * rode on an event already in the ring comes from ({@code FabricCounters.coalescedAtSource}),
     * part of {@link #assertedSoFar}. A producer counts such an assertion after its decision, so
     * the dispatcher's snapshot at a write may miss one the write does cover. The coverage
     * check then also accepts a last write that had taken in every slot-claiming assertion:
     * a source-coalesced assertion read its event's sequence before the dispatcher took that
     * event, and the dispatcher writes every GSI it took in, so the write after that take
     * covers it. Call before the first delivery.
     *
     * @param sourceCoalescedSoFar GSI to source-coalesced assertions counted so far
     */
    public void sourceCoalescedSoFar(IntToLongFunction sourceCoalescedSoFar) {
        this.sourceCoalescedSoFar = sourceCoalescedSoFar;
    }

    @Override
    public int deliver(int gsi) {
        int r = eventFds.deliver(gsi);
        if (r == FAILED) {
            failures++;
            return r;
        }
        writesPerGsi[gsi]++;
        long asserted = assertedSoFar.applyAsLong(gsi);
        assertedAtLastWrite[gsi] = asserted;
        // Read after asserted: the coalesced count only grows, so this is at most the exact
        // slot-claiming count (which only this thread changes).
        claimedAtLastWrite[gsi] = asserted - sourceCoalescedSoFar.applyAsLong(gsi);
        writes.lazySet(++writesPlain);
        return r;
    }

    @Override
    public int lastErrno(int gsi) {
        return eventFds.lastErrno(gsi);
    }

    /** @return writes completed (release-published; any thread) */
    public long writes() {
        return writes.get();
    }

    /** @return the wrapped sink */
    public EventFdSink eventFds() {
        return eventFds;
    }

    /**
     * The post-close check shared by every dispatcher path. Call once the dispatcher thread
     * has terminated (its writes are then visible). Reads back and closes the eventfds.
     *
     * @param path      the path's name
     * @param triggered assertions per GSI counted by the producers
     * @param takenIn   assertions per GSI counted by the dispatcher
     * @return the verdict
     */
    LossReport verify(String path, long[] triggered, IntToLongFunction takenIn) {
        long assertions = 0;
        long readBack = 0;
        int lost = 0;
        StringBuilder problems = new StringBuilder();
        for (int g = 0; g < writesPerGsi.length; g++) {
            long t = g < triggered.length ? triggered[g] : 0;
            assertions += t;
            long rb = eventFds.eventFd(g).read();
            readBack += rb;
            String problem = null;
            if (takenIn.applyAsLong(g) != t) {
                problem = "dispatcher took in " + takenIn.applyAsLong(g) + " of " + t + " assertions";
            } else if (t > 0 && writesPerGsi[g] == 0) {
                problem = t + " assertions, no write";
            } else if (t > 0 && assertedAtLastWrite[g] != t
                    && claimedAtLastWrite[g] != t - sourceCoalescedSoFar.applyAsLong(g)) {
                problem = "last write covered " + assertedAtLastWrite[g] + " of " + t + " assertions ("
                        + claimedAtLastWrite[g] + " of " + (t - sourceCoalescedSoFar.applyAsLong(g)) + " that claimed a slot)";
            } else if (rb != writesPerGsi[g]) {
                problem = "eventfd read back " + rb + ", sink wrote " + writesPerGsi[g];
            }
            if (problem != null) {
                if (lost++ < 4) {
                    problems.append("GSI ").append(g).append(": ").append(problem).append("; ");
                }
            }
        }
        if (failures != 0) {
            lost++;
            problems.append(failures).append(" failed writes; ");
        }
        eventFds.close();
        return new LossReport(path, assertions, writesPlain, readBack, lost,
                lost == 0 ? "ok" : problems.toString());
    }
}
