package io.irqfabric.bench.path;

import io.irqfabric.InterruptSink;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The neighbour-latency sink decorator: what it records, when, and its histogram's percentiles. */
class NeighbourLatencySinkTest {
    /** Records deliveries; the watched GSI's write takes {@code delayNs} (busy-waited) and may fail. */
    private static final class Recording implements InterruptSink {
        final List<Integer> delivered = new ArrayList<>();
        long delayNs;
        int result = DELIVERED;
        int batches;

        @Override
        public int deliver(int gsi) {
            long until = System.nanoTime() + delayNs;
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
            delivered.add(gsi);
            return result;
        }

        @Override
        public int lastErrno(int gsi) {
            return 42;
        }

        @Override
        public int gsiCapacity() {
            return 64;
        }

        @Override
        public void endOfBatch() {
            batches++;
        }
    }

    @Test
    void recordsOnlyTheWatchedGsisWriteThatAnswersAProbe() {
        Recording inner = new Recording();
        NeighbourLatencySink s = new NeighbourLatencySink(inner, 7);
        assertTrue(s.ready());
        s.deliver(7); // no probe outstanding: nothing recorded
        s.deliver(3);
        assertEquals(0, s.count());

        s.stamp();
        assertFalse(s.ready(), "a probe is outstanding until its write");
        s.deliver(3); // another GSI's write does not answer it
        assertFalse(s.ready());
        assertEquals(0, s.count());
        inner.delayNs = 200_000;
        s.deliver(7);
        assertTrue(s.ready());
        assertEquals(1, s.count());
        double p50 = s.percentile(50);
        assertTrue(p50 >= 200_000 && p50 < 50_000_000, "the latency includes the write: " + p50);
        s.deliver(7); // a second write of the GSI answers no probe
        assertEquals(1, s.count());
        assertEquals(List.of(7, 3, 3, 7, 7), inner.delivered, "every delivery reaches the decorated sink");
    }

    @Test
    void aFailedWriteAnswersTheProbeButIsNotALatency() {
        Recording inner = new Recording();
        inner.result = InterruptSink.FAILED;
        NeighbourLatencySink s = new NeighbourLatencySink(inner, 1);
        s.stamp();
        assertEquals(InterruptSink.FAILED, s.deliver(1));
        assertTrue(s.ready());
        assertEquals(0, s.count());
        assertTrue(Double.isNaN(s.percentile(50)));
    }

    @Test
    void delegatesTheRestOfTheSink() {
        Recording inner = new Recording();
        NeighbourLatencySink s = new NeighbourLatencySink(inner, 1);
        assertEquals(42, s.lastErrno(1));
        assertEquals(64, s.gsiCapacity());
        s.endOfBatch();
        assertEquals(1, inner.batches);
        assertEquals(1, s.watched());
    }

    @Test
    void percentilesAreExactBelow1024NsAndWithinAFivehundredthAbove() {
        NeighbourLatencySink s = new NeighbourLatencySink(new Recording(), 0);
        for (long v = 1; v <= 100; v++) {
            s.record(v * 10); // 10, 20, ..., 1000
        }
        assertEquals(100, s.count());
        assertEquals(500, s.percentile(50));
        assertEquals(990, s.percentile(99));
        assertEquals(10, s.percentile(0));
        s.reset();
        assertEquals(0, s.count());
        for (long v : new long[]{1024, 5_000, 123_456, 9_999_999_999L}) {
            s.reset();
            s.record(v);
            double got = s.percentile(50);
            assertTrue(got <= v && got >= v - v / 512.0, v + " -> " + got);
        }
        for (int b = 0; b < 20_000; b += 37) {
            long low = NeighbourLatencySink.lowest(Math.min(b, 1024 + 31 * 512 - 1));
            assertEquals(Math.min(b, 1024 + 31 * 512 - 1), NeighbourLatencySink.bucket(low), "bucket of its own lowest value");
        }
        assertEquals(0, NeighbourLatencySink.bucket(-5), "a negative difference (clock) lands in bucket 0");
    }
}
