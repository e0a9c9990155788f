package io.irqfabric.stress;

import io.irqfabric.DispatcherWait;
import io.irqfabric.FabricClosedException;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSink;
import io.irqfabric.eventfd.EventFdSink;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * DESIGN invariant 1 (coverage) under storms, on real eventfds.
 *
 * <p>How "a delivery that starts after the assertion" is checked: one global logical clock.
 * A producer takes a tick <em>before</em> it calls {@code trigger(g)}; the sink takes a tick
 * when a delivery of {@code g} starts (before the eventfd write). The assertion cannot be in
 * the fabric before its tick, so a delivery that covers it starts with a later tick. Because
 * the newest delivery of {@code g} covers every earlier assertion, the invariant is
 * {@code lastDeliveryStart[g] > newest accepted assertion tick of g}, for every asserted g.
 * A reader thread drains the real eventfds during the storm, and the read-back total must equal
 * the deliveries the fabric counted (no write lost between the fabric and the kernel), and never
 * exceed the accepted assertions.
 */
class CoverageStressTest {
    private static final int GSIS = 48;

    enum Scenario {
        /** Normal ring: mostly the ring path, some coalescing. */
        NORMAL_RING(4096, DispatcherWait.PARKING, false),
        /** A 2-slot ring is full nearly all the time: mostly the overflow path. */
        TINY_RING_ALWAYS_FULL(2, DispatcherWait.BUSY_SPIN, false),
        /** Small ring with a parking dispatcher: overflow plus park/unpark hand-offs. */
        SMALL_RING_PARKING(8, DispatcherWait.PARKING, false),
        /** close() lands in the middle of the storm; producers keep going until refused. */
        CLOSE_MID_STORM(64, DispatcherWait.YIELDING, true),
        /** close() in the middle of a storm on an always-full ring: closing meets the overflow path. */
        CLOSE_MID_STORM_TINY_RING(2, DispatcherWait.BUSY_SPIN, true);

        final int ringSize;
        final DispatcherWait wait;
        final boolean closeMidStorm;

        Scenario(int ringSize, DispatcherWait wait, boolean closeMidStorm) {
            this.ringSize = ringSize;
            this.wait = wait;
            this.closeMidStorm = closeMidStorm;
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        long[] seeds = {0x5EED_0001L, 0x5EED_0002L, 0x5EED_0003L, 0x5EED_0004L, 0x5EED_0005L,
                        0x5EED_0006L, 0x5EED_0007L, 0x5EED_0008L, 0xC0FFEEL, 0xFEEDL};
        for (Scenario s : Scenario.values()) {
            for (long seed : seeds) {
                list.add(Arguments.of(s, seed));
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("cases")
    void everyAcceptedAssertionIsFollowedByADeliveryThatStartsAfterIt(Scenario scenario, long seed) throws Exception {
        final int producers = 3;
        final int perProducer = scenario.closeMidStorm ? 400_000 : 150_000;
        final AtomicLong clock = new AtomicLong();
        final AtomicLongArray lastDeliveryStart = new AtomicLongArray(GSIS); // written by the dispatcher only

        try (EventFdSink fds = EventFdSink.create(GSIS)) {
            InterruptSink timed = gsi -> {
                lastDeliveryStart.set(gsi, clock.incrementAndGet());
                return fds.deliver(gsi);
            };
            InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).ringSize(scenario.ringSize)
                    .waitStrategy(scenario.wait).sink(timed).build();

            long[][] newestTick = new long[producers][GSIS];
            long[][] accepted = new long[producers][GSIS];
            long[] refused = new long[producers];
            AtomicLong acceptedTotal = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                final int id = p;
                SplittableRandom rnd = new SplittableRandom(seed * 31 + p);
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        // With close mid-storm the producers run until the close refuses them, so
                        // the close lands mid-storm however fast they are.
                        for (int i = 0; scenario.closeMidStorm || i < perProducer; i++) {
                            // Skewed choice: a few hot GSIs (coalescing) and a long tail.
                            int g = rnd.nextInt(4) == 0 ? rnd.nextInt(GSIS) : rnd.nextInt(4);
                            long tick = clock.incrementAndGet();
                            try {
                                fabric.trigger(g);
                            } catch (FabricClosedException closed) {
                                refused[id]++;
                                break;
                            }
                            newestTick[id][g] = tick;
                            accepted[id][g]++;
                            if ((i & 1023) == 0) {
                                acceptedTotal.addAndGet(1024);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "producer-" + p);
                threads.add(t);
                t.start();
            }

            long[] readBack = new long[GSIS];
            Thread reader = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    boolean any = false;
                    for (int g = 0; g < GSIS; g++) {
                        long v = fds.eventFd(g).read();
                        readBack[g] += v;
                        any |= v != 0;
                    }
                    if (!any) {
                        Thread.yield();
                    }
                }
            }, "eventfd-reader");
            reader.start();
            start.countDown();

            if (scenario.closeMidStorm) {
                // Close once the storm is well under way (a condition, not a sleep).
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (acceptedTotal.get() < producers * perProducer / 8) {
                    if (System.nanoTime() > deadline) {
                        fail("storm did not get going within 30 s");
                    }
                    Thread.yield();
                }
                fabric.close();
            }
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertTrue(!t.isAlive(), t.getName() + " finished");
            }
            if (!scenario.closeMidStorm) {
                // Coverage must not depend on close(): with the fabric still open and no more
                // assertions coming, every GSI's newest assertion gets its delivery on its own.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                int g = 0;
                while (g < GSIS) {
                    long newest = 0;
                    for (int p = 0; p < producers; p++) {
                        newest = Math.max(newest, newestTick[p][g]);
                    }
                    if (newest == 0 || lastDeliveryStart.get(g) > newest) {
                        g++;
                        continue;
                    }
                    if (System.nanoTime() > deadline) {
                        fail("GSI " + g + ": LOST while open - newest assertion tick " + newest
                                + " still has no delivery after it 10 s after the storm ended (last delivery tick "
                                + lastDeliveryStart.get(g) + ")");
                    }
                    Thread.yield();
                }
            }
            fabric.close();
            reader.interrupt();
            reader.join();
            for (int g = 0; g < GSIS; g++) {
                readBack[g] += fds.eventFd(g).read();
            }
            assertNull(failure.get(), () -> "producer failed: " + failure.get());

            long totalAccepted = 0;
            long totalRefused = 0;
            for (int p = 0; p < producers; p++) {
                totalRefused += refused[p];
            }
            for (int g = 0; g < GSIS; g++) {
                long acc = 0;
                long newest = 0;
                for (int p = 0; p < producers; p++) {
                    acc += accepted[p][g];
                    newest = Math.max(newest, newestTick[p][g]);
                }
                totalAccepted += acc;
                long delivered = fabric.counters().delivered(g);
                assertEquals(acc, fabric.counters().asserted(g), "GSI " + g + ": fabric's asserted count = accepted assertions");
                assertEquals(delivered, readBack[g], "GSI " + g + ": eventfd read-back = deliveries the fabric counted");
                assertTrue(delivered <= acc, "GSI " + g + ": deliveries " + delivered + " <= assertions " + acc);
                assertEquals(0, fabric.counters().errors(g), "GSI " + g + ": no delivery errors");
                if (acc > 0) {
                    assertTrue(lastDeliveryStart.get(g) > newest,
                            "GSI " + g + ": LOST - newest accepted assertion tick " + newest
                                    + " has no delivery starting after it (last delivery tick " + lastDeliveryStart.get(g) + ")");
                }
            }
            if (!scenario.closeMidStorm) {
                assertEquals((long) producers * perProducer, totalAccepted, "every assertion accepted while open");
                assertEquals(0, totalRefused);
            } else {
                assertTrue(totalAccepted > 0, "the storm got going: accepted " + totalAccepted);
                assertEquals(producers, totalRefused, "close landed mid-storm: each producer was refused once");
            }
            if (scenario.ringSize <= 8) {
                assertTrue(fabric.counters().totalOverflowed() > 0, "the ring-full path was exercised");
            }
        }
    }

    /** Every dispatcher wait: a parking dispatcher adds "the record lands as it goes to sleep". */
    static Stream<Arguments> burstCases() {
        List<Arguments> list = new ArrayList<>();
        for (DispatcherWait wait : DispatcherWait.values()) {
            for (long seed = 11; seed <= 16; seed++) {
                list.add(Arguments.of(wait, seed));
            }
        }
        return list.stream();
    }

    /**
     * The ring-full race at its sharpest: many short bursts on a 2-slot ring, each followed by
     * silence. A record made just after the dispatcher's last drain would stay stuck with no
     * later event to flush it; with nothing else arriving, the per-round coverage wait fails.
     */
    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("burstCases")
    void burstsOnAFullRingEachGetDeliveredWithoutFurtherTraffic(DispatcherWait wait, long seed) throws Exception {
        final int producers = 2;
        final int rounds = 3_000;
        final AtomicLong clock = new AtomicLong();
        final AtomicLongArray lastDeliveryStart = new AtomicLongArray(GSIS);
        try (EventFdSink fds = EventFdSink.create(GSIS)) {
            InterruptSink timed = gsi -> {
                lastDeliveryStart.set(gsi, clock.incrementAndGet());
                return fds.deliver(gsi);
            };
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).ringSize(2)
                    .waitStrategy(wait).sink(timed).build()) {
                java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(producers + 1);
                java.util.concurrent.CyclicBarrier done = new java.util.concurrent.CyclicBarrier(producers + 1);
                AtomicLongArray newest = new AtomicLongArray(GSIS);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                List<Thread> threads = new ArrayList<>();
                for (int p = 0; p < producers; p++) {
                    SplittableRandom rnd = new SplittableRandom(seed * 131 + p);
                    Thread t = new Thread(() -> {
                        try {
                            for (int r = 0; r < rounds; r++) {
                                go.await();
                                int n = 1 + rnd.nextInt(6);
                                for (int i = 0; i < n; i++) {
                                    int g = rnd.nextInt(GSIS);
                                    long tick = clock.incrementAndGet();
                                    fabric.trigger(g);
                                    newest.accumulateAndGet(g, tick, Math::max);
                                }
                                done.await();
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                            go.reset();
                            done.reset();
                        }
                    }, "burst-producer-" + p);
                    threads.add(t);
                    t.start();
                }
                for (int r = 0; r < rounds && failure.get() == null; r++) {
                    go.await(30, TimeUnit.SECONDS);
                    done.await(30, TimeUnit.SECONDS);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    for (int g = 0; g < GSIS; g++) {
                        while (newest.get(g) != 0 && lastDeliveryStart.get(g) < newest.get(g)) {
                            if (System.nanoTime() > deadline) {
                                fail("round " + r + ", GSI " + g + ": LOST - assertion tick " + newest.get(g)
                                        + " undelivered 5 s after its burst (last delivery tick " + lastDeliveryStart.get(g) + ")");
                            }
                            Thread.yield();
                        }
                    }
                }
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(30));
                }
                assertNull(failure.get(), () -> "producer failed: " + failure.get());
                assertTrue(fabric.counters().totalOverflowed() > 0, "the ring-full path was exercised");
            }
        }
    }
}
