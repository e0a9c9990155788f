package io.irqfabric;

import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.testing.CapturingErrorHandler;
import io.irqfabric.testing.StallingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coalescing at the source and the flush order, each made deterministic with a sink that holds
 * the dispatcher. Deliveries are read back from real eventfds. The tests that hold the
 * dispatcher thread in the sink from the asserting thread name {@link DispatchMode#DEDICATED}:
 * in inline mode an idle fabric's first assertion would be delivered, and held, on the
 * asserting thread itself.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SourceCoalescingTest {

    @Test
    void aStormOnAFewGsisNeverFillsTheRing() throws Exception {
        try (EventFdSink fds = EventFdSink.create(16)) {
            StallingSink stall = new StallingSink(fds, 15);
            try (InterruptFabric fabric = InterruptFabric.builder().dispatchMode(DispatchMode.DEDICATED).gsiCount(16).ringSize(16).sink(capacity(stall, 16)).build()) {
                fabric.trigger(15);
                assertTrue(stall.awaitStalled());
                for (int i = 0; i < 100_000; i++) {
                    fabric.trigger(i & 7);
                }
                long overflowed = 0;
                long atSource = 0;
                for (int g = 0; g < 8; g++) {
                    overflowed += fabric.counters().overflowed(g);
                    atSource += fabric.counters().coalescedAtSource(g);
                }
                stall.release();
                fabric.sync();
                assertEquals(0, overflowed, "a storm on 8 GSIs takes no overflow path on a 16-slot ring");
                assertEquals(100_000 - 8, atSource, "one event per GSI, the rest coalesced at the source");
                for (int g = 0; g < 8; g++) {
                    assertEquals(1, fds.eventFd(g).read(), "GSI " + g + " delivered once for its 12,500 assertions");
                    assertEquals(12_500, fabric.counters().asserted(g));
                }
            }
        }
    }

    /**
     * A trigger of a vector after this thread fixed its MSI address must not ride on an event of
     * that vector published before the fix (it would be judged against the invalid address and
     * rejected).
     */
    @Test
    void aTriggerAfterThisThreadsAddressFixDoesNotCoalesceIntoAnEarlierEvent() throws Exception {
        CapturingErrorHandler errors = new CapturingErrorHandler();
        try (EventFdSink fds = EventFdSink.create(64)) {
            StallingSink stall = new StallingSink(fds, 0);
            try (InterruptFabric fabric = InterruptFabric.builder().dispatchMode(DispatchMode.DEDICATED).gsiCount(64).ringSize(64).sink(capacity(stall, 64))
                    .errorHandler(errors).build()) {
                MsixTable t = fabric.createMsixTable(32, 2);
                t.writeMessageControl(MsixTable.CONTROL_ENABLE);
                t.tableWrite(0, 4, 0x1000);          // vector 0: invalid address
                t.tableWrite(8, 4, 0x40);
                t.tableWrite(12, 4, 0);              // unmasked: blocked
                fabric.sync();
                fabric.trigger(0);
                assertTrue(stall.awaitStalled());    // the dispatcher is held: events stay in the ring
                t.trigger(0);                        // an event of vector 0, judged while blocked
                t.tableWrite(0, 4, MsiMessage.encodeAddress(0, false, false)); // this thread fixes it
                t.trigger(0);                        // after the fix: must get its own event
                stall.release();
                fabric.sync();
                assertEquals(1, fds.eventFd(32).read(), "the trigger after the fix is delivered");
                assertEquals(1, fabric.counters().errors(32), "the one before it is rejected");
                assertEquals(0, fabric.counters().coalescedAtSource(32));
            }
        }
    }

    /**
     * The flush writes GSIs whose events carried no riders before the stormers. Each round
     * of assertions is published while the dispatcher is held inside the last write of the round
     * before, so a round is one batch whatever the machine's load.
     */
    @Test
    void aQuietGsiIsWrittenBeforeTheStormers() throws Exception {
        List<Integer> order = new ArrayList<>();
        int stormers = 30;
        CountDownLatch[] held = {new CountDownLatch(1), new CountDownLatch(1)};
        CountDownLatch[] go = {new CountDownLatch(1), new CountDownLatch(1)};
        int[] stormerWrites = new int[1];
        try (EventFdSink fds = EventFdSink.create(64)) {
            InterruptSink recording = new InterruptSink() {
                @Override
                public int deliver(int gsi) {
                    order.add(gsi);
                    if (gsi < stormers) {
                        int w = ++stormerWrites[0];
                        int h = w == stormers ? 0 : w == 2 * stormers ? 1 : -1; // the last write of rounds 1 and 2
                        if (h >= 0) {
                            held[h].countDown();
                            await(go[h]);
                        }
                    }
                    return fds.deliver(gsi);
                }

                @Override
                public int gsiCapacity() {
                    return 64;
                }
            };
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(64).ringSize(256).sink(recording).build()) {
                for (int g = 0; g < stormers; g++) {
                    fabric.trigger(g);               // round 1
                }
                assertTrue(held[0].await(10, TimeUnit.SECONDS));
                for (int g = 0; g < stormers; g++) {
                    fabric.trigger(g);               // round 2: one batch, one flush
                }
                go[0].countDown();
                assertTrue(held[1].await(10, TimeUnit.SECONDS));
                int third = order.size();
                for (int g = 0; g < stormers; g++) {
                    fabric.trigger(g);               // round 3: the stormers again, each twice:
                    fabric.trigger(g);               // the second rides on the first (a storm) ...
                }
                fabric.trigger(40);                  // ... and a quiet GSI, asserted last
                go[1].countDown();
                fabric.sync();
                List<Integer> flush = order.subList(third, order.size());
                assertEquals(40, (int) flush.get(0), "quiet GSI 40 written first: " + flush);
                assertEquals(stormers + 1, flush.size(), "and every stormer once more: " + flush);
            }
        }
    }

    /**
     * During a long flush of stormers the dispatcher looks at the ring every few writes: a quiet
     * GSI asserted meanwhile is written before the rest of the flush, and a stormer asserted again
     * after its write is delivered again (nothing is lost).
     */
    @Test
    void aQuietGsiAssertedDuringALongFlushIsWrittenBeforeItsEnd() throws Exception {
        List<Integer> order = new ArrayList<>();
        CountDownLatch[] held = {new CountDownLatch(1), new CountDownLatch(1)};
        CountDownLatch[] go = {new CountDownLatch(1), new CountDownLatch(1)};
        int[] stormerWrites = new int[1];
        try (EventFdSink fds = EventFdSink.create(64)) {
            InterruptSink recording = new InterruptSink() {
                @Override
                public int deliver(int gsi) {
                    order.add(gsi);
                    if (gsi < 32) {
                        int w = ++stormerWrites[0];
                        int h = w == 32 ? 0 : w == 34 ? 1 : -1; // the last write of flush A, the 2nd of flush B
                        if (h >= 0) {
                            held[h].countDown();
                            await(go[h]);
                        }
                    }
                    return fds.deliver(gsi);
                }

                @Override
                public int gsiCapacity() {
                    return 64;
                }
            };
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(64).ringSize(256).sink(recording).build()) {
                InterruptSourceGroup g32 = fabric.createGroup(InterruptSourceType.MSI_X, 0, 32);
                for (int g = 0; g < 32; g++) {
                    g32.trigger(g);
                }
                assertTrue(held[0].await(10, TimeUnit.SECONDS)); // flush A (GSIs 0..31) is ending
                for (int g = 0; g < 32; g++) {
                    g32.trigger(g);                  // one batch for flush B: 32 stormers,
                    g32.trigger(g);                  // each with a rider
                }
                int flushB = order.size();
                go[0].countDown();
                assertTrue(held[1].await(10, TimeUnit.SECONDS));
                int writtenStormer = order.get(order.size() - 2); // written, not the held one
                fabric.trigger(50);                  // quiet, asserted mid-flush
                fabric.trigger(writtenStormer);      // already written in flush B: needs another write
                go[1].countDown();
                fabric.sync();
                List<Integer> b = order.subList(flushB, order.size());
                int quiet = b.indexOf(50);
                int lastStormer = 0;
                for (int g = 0; g < 32; g++) {
                    lastStormer = Math.max(lastStormer, b.indexOf(g));
                }
                assertTrue(quiet >= 0 && quiet < lastStormer, "GSI 50 written before flush B's last stormer: " + b);
                assertEquals(1, fds.eventFd(50).read());
                assertEquals(3, fds.eventFd(writtenStormer).read(), "the re-asserted stormer is delivered a third time");
            }
        }
    }

    private static InterruptSink capacity(InterruptSink s, int gsis) {
        return new InterruptSink() {
            @Override
            public int deliver(int gsi) {
                return s.deliver(gsi);
            }

            @Override
            public int gsiCapacity() {
                return gsis;
            }
        };
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
