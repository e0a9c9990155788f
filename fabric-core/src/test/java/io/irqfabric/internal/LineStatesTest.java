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
