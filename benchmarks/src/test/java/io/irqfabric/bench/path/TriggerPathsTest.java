package io.irqfabric.bench.path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every path, fabric and baselines, delivers on real eventfds and loses nothing on a short
 * two-producer storm, and its loss check is able to fail.
 */
class TriggerPathsTest {
    private static final int GSIS = 16;
    private static final int PER_PRODUCER = 50_000;

    static List<String> paths() {
        return TriggerPaths.ALL;
    }

    @ParameterizedTest
    @MethodSource("paths")
    void twoProducersLoseNothing(String name) throws Exception {
        TriggerPath path = TriggerPaths.open(name, GSIS);
        long[][] counts = new long[2][GSIS];
        CountDownLatch start = new CountDownLatch(1);
        Thread[] producers = new Thread[2];
        for (int t = 0; t < 2; t++) {
            long[] mine = counts[t];
            int offset = t * 5;
            producers[t] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < PER_PRODUCER; i++) {
                    int g = (i + offset) & (GSIS - 1);
                    path.trigger(g);
                    mine[g]++;
                }
            });
            producers[t].start();
        }
        start.countDown();
        for (Thread p : producers) {
            p.join();
        }
        long[] triggered = new long[GSIS];
        for (long[] c : counts) {
            for (int g = 0; g < GSIS; g++) {
                triggered[g] += c[g];
            }
        }
        path.close();
        LossReport r = path.verify(triggered);
        assertTrue(r.ok(), r::toString);
        assertEquals(2L * PER_PRODUCER, r.assertions());
        assertEquals(r.writes(), r.readBack(), "eventfd counters hold exactly the writes made");
        assertTrue(r.writes() >= GSIS, "every GSI written at least once: " + r);
        if (path.writesOnProducer()) {
            assertEquals(r.assertions(), r.writes(), "direct writes once per assertion");
        } else {
            assertTrue(r.writes() <= r.assertions(), "coalescing never adds writes: " + r);
        }
    }

    @ParameterizedTest
    @MethodSource("paths")
    void lossCheckFailsWhenAnAssertionIsUnaccountedFor(String name) {
        TriggerPath path = TriggerPaths.open(name, GSIS);
        long[] triggered = new long[GSIS];
        for (int i = 0; i < 100; i++) {
            path.trigger(3);
            triggered[3]++;
        }
        if (!path.writesOnProducer()) {
            // Wait (with a deadline) until the dispatcher has written, so the claim below is the only discrepancy.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (path.eventFdWrites() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }
        path.close();
        triggered[3]++; // claim one assertion more than was made: the check must notice
        LossReport r = path.verify(triggered);
        assertFalse(r.ok(), r::toString);
        assertEquals(1, r.lost(), r::toString);
        assertThrows(IllegalStateException.class, r::orThrow);
    }
}
