package io.irqfabric.internal;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Keeps a ring-full record in program order with the producer's earlier ring events.
 *
 * <p>A record made when the ring is full (an overflow-log assertion, an IOAPIC line word) is
 * drained at the end of the batch the dispatcher is in, which can be <em>before</em> events the
 * same thread published earlier but the dispatcher has not reached yet (an unmask, a valid MSI
 * address). Applied then, the record meets stale controller state: an edge on a pin still
 * masked is lost, a trigger on a vector whose address is still invalid is rejected.
 *
 * <p>So before making its record visible, a producer raises the record's fence to the ring
 * cursor it sees (every event it published earlier is at or below it). The dispatcher applies
 * a record only once it has processed up to its fence, and otherwise keeps it for a later batch.
 * The ring was full, so the events up to the fence exist, will be processed, and are followed by
 * a batch end: the record is late by at most a ring's worth of events, never lost.
 *
 * <p>Producers raise with a CAS loop (ring-full path only); the dispatcher reads. The order
 * "raise, then record" on the producer and "read record, then fence" on the dispatcher makes
 * the fence read cover every record it applies.
 */
public final class RingFence {
    private final AtomicLongArray fence;

    /** @param size number of fenced records (GSIs or pins) */
    public RingFence(int size) {
        fence = new AtomicLongArray(size);
    }

    /**
     * Producer: before making a record of {@code i} visible.
     *
     * @param i      the GSI or pin
     * @param cursor the ring cursor the producer sees now
     */
    public void raise(int i, long cursor) {
        long cur;
        while ((cur = fence.get(i)) < cursor) {
            if (fence.compareAndSet(i, cur, cursor)) {
                return;
            }
        }
    }

    /**
     * Dispatcher: after reading a record of {@code i}.
     *
     * @param i             the GSI or pin
     * @param processedUpTo the last sequence the dispatcher has handled
     * @return true if every event the recording producers published before their records has
     *         been handled
     */
    public boolean passed(int i, long processedUpTo) {
        return fence.get(i) <= processedUpTo;
    }
}
