package io.irqfabric.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LineStatesTest {
    @Test
    void recordReportsRisesAndBumpsTheGeneration() {
        LineStates l = new LineStates(24);
        int p1 = l.record(3, LineStates.SET_HIGH);
        assertEquals(LineStates.LEVEL | LineStates.ROSE, p1 & 3, "low -> high rises");
        int p2 = l.record(3, LineStates.SET_HIGH);
        assertEquals(LineStates.LEVEL, p2 & 3, "high -> high does not");
        assertTrue(LineStates.newer(LineStates.gen(p2), LineStates.gen(p1)));
        int p3 = l.record(3, LineStates.PULSE);
        assertEquals(LineStates.ROSE, p3 & 3, "a pulse rises, then lowers the line");
        int p4 = l.record(3, LineStates.SET_LOW);
        assertEquals(0, p4 & 3);
        assertFalse(l.roseUnconsumed(3), "ROSE is only kept on the ring-full path");
        assertEquals(0, l.takeChanged());
    }

    @Test
    void overflowKeepsTheRiseUntilConsumedAndFlagsTheLine() {
        LineStates l = new LineStates(24);
        int p = l.record(7, LineStates.PULSE);
        l.overflow(7, (p & LineStates.ROSE) != 0);
        assertTrue(l.roseUnconsumed(7));
        assertEquals(1L << 7, l.takeChanged());
        assertEquals(0, l.takeChanged());
        assertEquals(LineStates.ROSE, l.consume(7) & LineStates.ROSE);
        assertFalse(l.roseUnconsumed(7));
    }

    /**
     * The race recordCondition exists for, made deterministic: thread A reads its condition
     * (true); before A's CAS, thread B makes the condition false and records it. A's CAS must then
     * fail and re-read the condition, so the source does not end up holding the line.
     */
    @Test
    void aConditionChangedBeforeTheCasIsReadAgain() {
        LineStates l = new LineStates(24);
        long bit = LineStates.sourceBit(3);
        boolean[] status = {true};
        int[] calls = {0};
        LineStates.Condition b = () -> status[0];
        LineStates.Condition a = () -> {
            boolean seen = status[0];
            if (calls[0]++ == 0) {
                status[0] = false;               // B: the ACK clears the status ...
                l.recordCondition(5, bit, b);    // ... and records "low" before A's CAS
            }
            return seen;
        };
        int payload = l.recordCondition(5, bit, a);
        assertEquals(2, calls[0], "A's CAS failed and A read the condition again");
        assertEquals(0, payload & LineStates.LEVEL, "the line follows the condition as it is now");
        assertEquals(0, l.holders(5));
    }

    @Test
    void sharedSourcesAreAWiredOr() {
        LineStates l = new LineStates(24);
        long s1 = LineStates.sourceBit(1);
        long s2 = LineStates.sourceBit(2);
        assertEquals(LineStates.LEVEL | LineStates.ROSE, l.record(4, s1, LineStates.SET_HIGH) & 3, "first holder: rises");
        assertEquals(LineStates.LEVEL, l.record(4, s2, LineStates.SET_HIGH) & 3, "second holder: no edge");
        assertEquals(LineStates.LEVEL, l.record(4, s1, LineStates.SET_LOW) & 3, "s2 still holds it");
        assertEquals(LineStates.LEVEL | LineStates.ROSE, l.record(4, LineStates.OWN_SOURCE, LineStates.PULSE) & 3,
                "a pulse always reports its rise; the line stays high for s2");
        assertEquals(0, l.record(4, s2, LineStates.SET_LOW) & 3);
        l.record(4, s1, LineStates.SET_HIGH);
        l.record(4, s2, LineStates.SET_HIGH);
        assertTrue(l.clearLevel(4, s2), "a kept source still holds the line");
        assertEquals(s2, l.holders(4));
    }

    @Test
    void generationsCompareAcrossWrapAround() {
        assertTrue(LineStates.newer(1, 0));
        assertFalse(LineStates.newer(0, 0));
        assertFalse(LineStates.newer(0, 1));
        assertTrue(LineStates.newer(0, 0xFF_FFFF), "wraps");
        assertTrue(LineStates.newer(5, 0xFF_FFF0));
        LineStates l = new LineStates(1);
        int last = 0;
        for (int i = 0; i < (1 << 24) + 10; i += 1) {
            int g = LineStates.gen(l.record(0, LineStates.SET_LOW));
            if (!LineStates.newer(g, last)) {
                throw new AssertionError("generation " + g + " not newer than " + last);
            }
            last = g;
        }
    }
}
