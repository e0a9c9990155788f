package io.irqfabric.stress;

import io.irqfabric.DispatcherWait;
import io.irqfabric.FabricCounters;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSink;
import io.irqfabric.ModerationPolicy;
import io.irqfabric.eventfd.EventFdSink;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage under every moderation policy, on real eventfds, with the logical clock of
 * {@link CoverageStressTest}: a producer takes a tick before {@code trigger(g)}, the sink takes
 * one when a delivery of {@code g} starts, and every accepted assertion needs a later delivery
 * start. Checked <em>before</em> {@code close()}: once the producers stop, a held GSI must be
 * written by the dispatcher's own deadline (its wait times out), not by the final flush. Then
 * after close: what the eventfds read back equals the deliveries counted, no more than were
 * accepted; nothing is still held; under none nothing was coalesced at the source. One scenario
 * changes policies at run time from another thread while the producers storm (3 producers,
 * 500,000 assertions each, 4 fixed seeds per policy and wait strategy). The bounds of
 * each policy are checked exactly, on a controlled clock, in {@code ModerationTest}.
 */
class ModerationStressTest {
    private static final int GSIS = 32;

    static final ModerationPolicy[] POLICIES = {
        ModerationPolicy.none(),
        ModerationPolicy.batch(),
        ModerationPolicy.window(Duration.ofNanos(50_000), ModerationPolicy.NO_MAX),
        ModerationPolicy.window(Duration.ofNanos(200_000), 4),
        ModerationPolicy.rateCap(20_000),
        ModerationPolicy.adaptive(),
        ModerationPolicy.adaptive(2_000, Duration.ofNanos(300_000)),
    };

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        long[] seeds = {0x0DE7_0001L, 0x0DE7_0002L, 0x0DE7_0003L, 0x0DE7_0004L};
        for (ModerationPolicy p : POLICIES) {
            for (DispatcherWait w : new DispatcherWait[] {DispatcherWait.PARKING, DispatcherWait.YIELDING}) {
                for (long seed : seeds) {
                    list.add(Arguments.of(p.toString(), w, seed, false));
                }
            }
        }
        for (long seed : new long[] {0x0DE7_1001L, 0x0DE7_1002L, 0x0DE7_1003L, 0x0DE7_1004L}) {
            list.add(Arguments.of("changing", DispatcherWait.PARKING, seed, true));
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} {1} seed {2}")
    @MethodSource("cases")
    void everyAssertionIsFollowedByADeliveryUnderEveryPolicy(String policyText, DispatcherWait wait, long seed,
                                                            boolean changing) throws Exception {
        final int producers = 3;
        final int perProducer = 500_000;
        final AtomicLong clock = new AtomicLong();
        final AtomicLongArray lastDeliveryStart = new AtomicLongArray(GSIS);

        try (EventFdSink fds = EventFdSink.create(GSIS)) {
            InterruptSink timed = gsi -> {
                lastDeliveryStart.set(gsi, clock.incrementAndGet());
                return fds.deliver(gsi);
            };
            InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).ringSize(256)
                    .waitStrategy(wait).sink(timed).build();
            if (!changing) {
                ModerationPolicy p = ModerationPolicy.parse(policyText);
                for (int g = 0; g < GSIS; g++) {
                    fabric.moderate(g, p);
                }
            }
            long[][] newestTick = new long[producers][GSIS];
            long[][] accepted = new long[producers][GSIS];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                final int id = p;
                SplittableRandom rnd = new SplittableRandom(seed * 31 + p);
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < perProducer; i++) {
                            int g = rnd.nextInt(4) == 0 ? rnd.nextInt(GSIS) : rnd.nextInt(4);
                            long tick = clock.incrementAndGet();
                            fabric.trigger(g);
                            newestTick[id][g] = tick;
                            accepted[id][g]++;
                            if (rnd.nextInt(2048) == 0) {
                                Thread.yield(); // bursts and gaps: held GSIs meet an idle dispatcher
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "producer-" + p);
                threads.add(t);
                t.start();
            }
            Thread moderator = null;
            if (changing) {
                SplittableRandom rnd = new SplittableRandom(seed ^ 0x5A5A);
                moderator = new Thread(() -> {
                    try {
                        start.await();
                        while (!stop.get()) {
                            fabric.moderate(rnd.nextInt(GSIS), POLICIES[rnd.nextInt(POLICIES.length)]);
                            Thread.yield();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "moderator");
                moderator.start();
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
            for (Thread t : threads) {
                t.join();
            }
            stop.set(true);
            if (moderator != null) {
                moderator.join();
            }
            assertNull(failure.get(), () -> "producer failed: " + failure.get());

            long[] newest = new long[GSIS];
            long[] acceptedPerGsi = new long[GSIS];
            for (int p = 0; p < producers; p++) {
                for (int g = 0; g < GSIS; g++) {
                    newest[g] = Math.max(newest[g], newestTick[p][g]);
                    acceptedPerGsi[g] += accepted[p][g];
                }
            }
            // Coverage before close: the held GSIs are written by the dispatcher's deadlines.
            long until = System.nanoTime() + 60_000_000_000L;
            for (int g = 0; g < GSIS; g++) {
                while (acceptedPerGsi[g] > 0 && lastDeliveryStart.get(g) <= newest[g]) {
                    if (System.nanoTime() - until > 0) {
                        fail("GSI " + g + " (" + policyText + "): no delivery after its last assertion (tick "
                                + newest[g] + ", last delivery start " + lastDeliveryStart.get(g)
                                + ") without close: a held delivery missed its deadline");
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

            FabricCounters c = fabric.counters();
            for (int g = 0; g < GSIS; g++) {
                assertEquals(acceptedPerGsi[g], c.asserted(g), "GSI " + g + " accepted vs counted");
                assertEquals(c.delivered(g), readBack[g], "GSI " + g + ": eventfd read-back vs deliveries");
                assertTrue(c.delivered(g) <= acceptedPerGsi[g], "GSI " + g + ": more deliveries than assertions");
                assertEquals(0, c.held(g), "GSI " + g + " still held after close");
                assertEquals(0, c.errors(g), "GSI " + g + " errors");
                if (!changing && ModerationPolicy.parse(policyText).kind() == ModerationPolicy.Kind.NONE) {
                    assertEquals(0, c.coalescedAtSource(g), "none: no coalescing at the source");
                }
            }
        }
    }
}
