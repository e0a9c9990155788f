package io.irqfabric.examples;

import io.irqfabric.InterruptSink;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Latency is counted from each assertion's intended time, on a fake clock: a producer that
 * stalls sends its backlog at once, and the backlog's latency includes the stall (no
 * coordinated omission); a delivery covers the oldest undelivered assertion of its GSI.
 */
class LatencyAccountingTest {
    /** A clock that moves only when told. */
    static final class FakeClock {
        long now = 1_000_000_000L;
    }

    private static final InterruptSink NOTHING = gsi -> InterruptSink.DELIVERED;

    @Test
    void aStalledProducersBacklogCarriesTheStall() {
        FakeClock clock = new FakeClock();
        LatencyProbe probe = new LatencyProbe(NOTHING, 2, -1, () -> clock.now);
        long[] count = {0};
        long stallNanos = 10_000_000L;
        // The "fabric": each assertion is delivered at once and costs 1 us of the producer's
        // time; the 100th stalls the producer for 10 ms (descheduled) before it reaches the fabric.
        java.util.function.IntConsumer trigger = g -> {
            count[0]++;
            clock.now += 1_000;
            if (count[0] == 100) {
                clock.now += stallNanos;
            }
            probe.deliver(g);
        };
        OpenLoopProducer.Waiter waiter = (deadline, stop) -> clock.now = Math.max(clock.now, deadline);
        long[] accepted = new long[3];
        LoadSchedule steady = new LoadSchedule(LoadSchedule.Pattern.STEADY, 100_000, 1, 1); // every 10 us
        long start = clock.now;
        new OpenLoopProducer(trigger, probe, () -> clock.now, waiter, steady, null, 0, 2, accepted,
                new AtomicLongArray(16), 0, () -> false, 1).window(start, start + 50_000_000L).run();
        assertEquals(5_000, accepted[0] + accepted[1], "50 ms at 100k/s: the schedule, not the stall, sets the count");
        Histogram h = probe.interval(false, null);
        assertEquals(5_000, h.getTotalCount(), "one delivery per assertion here");
        // Assertions 101.. were due during the stall: each is sent as soon as the producer runs
        // again (1 us apiece) and is late by what is left of the stall. Due at 10 us apart, sent
        // 1 us apart: the backlog of ~1000 assertions is worked off after ~1111 sends.
        assertTrue(h.getMaxValue() >= stallNanos, "the stalled assertion itself: " + h.getMaxValue());
        long late = h.getCountBetweenValues(5_000_000L, LatencyProbe.MAX_NANOS);
        assertTrue(late >= 500 && late <= 560, "every assertion due in the first half of the stall is >= 5 ms late: " + late);
        assertTrue(h.getValueAtPercentile(50) <= 2_000, "on schedule the latency is the 1 us delivery: " + h.getValueAtPercentile(50));
    }

    @Test
    void aDeliveryCoversTheOldestUndeliveredAssertion() {
        FakeClock clock = new FakeClock();
        LatencyProbe probe = new LatencyProbe(NOTHING, 4, 3, () -> clock.now);
        long t = clock.now;
        probe.stamp(1, t + 100);
        probe.stamp(1, t + 300); // later, not yet delivered: the older one stays
        probe.stamp(1, t + 50);  // an earlier one from another producer: it is the oldest now
        clock.now = t + 1_000;
        probe.deliver(1);
        probe.deliver(1); // nothing undelivered: no sample
        probe.stamp(3, t + 900); // the quiet GSI records on its own
        probe.deliver(3);
        Histogram storm = probe.interval(false, null);
        Histogram quiet = probe.interval(true, null);
        assertEquals(1, storm.getTotalCount());
        assertEquals(950, storm.getMaxValue(), 1, "measured from the oldest covered assertion");
        assertEquals(1, quiet.getTotalCount());
        assertEquals(100, quiet.getMaxValue(), 1);
        assertEquals(0, probe.interval(false, storm).getTotalCount(), "an interval holds only what came since the last one");
    }

    @Test
    void flatOutStampsOnlyAClearGsi() {
        FakeClock clock = new FakeClock();
        LatencyProbe probe = new LatencyProbe(NOTHING, 2, -1, () -> clock.now);
        long t = clock.now;
        probe.stampNowIfClear(0);
        clock.now += 500;
        probe.stampNowIfClear(0); // already stamped: the first send time stays
        clock.now += 500;
        probe.deliver(0);
        assertEquals(1_000, probe.interval(false, null).getMaxValue(), 1);
        assertEquals(t + 1_000, clock.now);
    }
}
