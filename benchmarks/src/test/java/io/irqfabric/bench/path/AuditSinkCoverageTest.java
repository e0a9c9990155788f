package io.irqfabric.bench.path;

import io.irqfabric.eventfd.EventFdSink;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The coverage check with assertions coalesced at the source: one counted by its producer
 * after the last write is covered (its event was taken before that write); a slot-claiming
 * assertion after the last write is not.
 */
class AuditSinkCoverageTest {
    private final long[] asserted = new long[1];
    private final long[] coalesced = new long[1];

    private AuditSink sink() {
        AuditSink a = new AuditSink(EventFdSink.create(1));
        a.assertedSoFar(g -> asserted[g]);
        a.sourceCoalescedSoFar(g -> coalesced[g]);
        return a;
    }

    @Test
    void aSourceCoalescedAssertionCountedAfterTheLastWriteIsCovered() {
        AuditSink a = sink();
        asserted[0] = 5; // 3 slot-claiming, 2 coalesced
        coalesced[0] = 2;
        a.deliver(0);
        asserted[0] = 6; // its producer counts a coalesced one after the write
        coalesced[0] = 3;
        LossReport r = a.verify("t", new long[]{6}, g -> 6);
        assertEquals(0, r.lost(), r.detail());
    }

    @Test
    void aSlotClaimingAssertionAfterTheLastWriteIsLost() {
        AuditSink a = sink();
        asserted[0] = 5;
        coalesced[0] = 2;
        a.deliver(0);
        asserted[0] = 6; // claimed a slot, never written
        LossReport r = a.verify("t", new long[]{6}, g -> 6);
        assertEquals(1, r.lost());
        assertTrue(r.detail().contains("last write covered 5 of 6 assertions (3 of 4 that claimed a slot)"), r.detail());
    }

    @Test
    void withoutSourceCoalescingTheCheckIsTheSame() {
        AuditSink a = new AuditSink(EventFdSink.create(1));
        a.assertedSoFar(g -> asserted[g]);
        asserted[0] = 5;
        a.deliver(0);
        asserted[0] = 6;
        assertEquals(1, a.verify("t", new long[]{6}, g -> 6).lost());
    }
}
