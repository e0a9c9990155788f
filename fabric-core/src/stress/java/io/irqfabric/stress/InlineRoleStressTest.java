package io.irqfabric.stress;

import io.irqfabric.DispatchMode;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link DispatchMode#INLINE_WHEN_IDLE} under many producers racing for the dispatcher role:
 * bursts separated by quiet gaps, so that producers take the role, find it taken, and meet the
 * dispatcher waking for a burst. Checks, on real eventfds:
 * <ul>
 *   <li>one role holder at a time: the sink is never entered by two threads at once, and the
 *       fabric's own (non-atomic) counters add up exactly;</li>
 *   <li>coverage: every accepted assertion is followed by a delivery that starts after it (the
 *       logical clock of {@link CoverageStressTest});</li>
 *   <li>close mid-run: every assertion is delivered or refused, none accepted and lost.</li>
 * </ul>
 */
class InlineRoleStressTest {
    private static final int GSIS = 32;

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (DispatcherWait wait : new DispatcherWait[] {DispatcherWait.BUSY_SPIN, DispatcherWait.PARKING}) {
            for (boolean closeMidRun : new boolean[] {false, true}) {
                for (long seed = 0x1A11E0L; seed < 0x1A11E0L + 6; seed++) {
                    list.add(Arguments.of(wait, closeMidRun, seed));
                }
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} close={1} seed {2}")
    @MethodSource("cases")
    void oneRoleHolderAtATimeAndEveryAssertionCovered(DispatcherWait wait, boolean closeMidRun, long seed) throws Exception {
        final int producers = 4;
        final int rounds = 5_000;
        final AtomicLong clock = new AtomicLong();
        final AtomicLongArray lastDeliveryStart = new AtomicLongArray(GSIS);
        final AtomicInteger inside = new AtomicInteger();
        final AtomicLong overlaps = new AtomicLong();
        final long[] plainDeliveries = new long[GSIS]; // written only by the role holder
        try (EventFdSink fds = EventFdSink.create(GSIS)) {
            InterruptSink checking = new InterruptSink() {
                @Override
                public int deliver(int gsi) {
                    if (inside.incrementAndGet() != 1) {
                        overlaps.incrementAndGet();
                    }
                    lastDeliveryStart.set(gsi, clock.incrementAndGet());
                    plainDeliveries[gsi]++;
                    int r = fds.deliver(gsi);
                    inside.decrementAndGet();
                    return r;
                }

                @Override
                public int gsiCapacity() {
                    return GSIS;
                }
            };
            InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).ringSize(64).waitStrategy(wait)
                    .sink(checking).dispatchMode(DispatchMode.INLINE_WHEN_IDLE).build();
            long[][] newestTick = new long[producers][GSIS];
            long[][] accepted = new long[producers][GSIS];
            int[] refused = new int[producers];
            AtomicLong roundsDone = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                final int id = p;
                SplittableRandom rnd = new SplittableRandom(seed * 131 + p);
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        outer:
                        for (int r = 0; closeMidRun || r < rounds; r++) {
                            int burst = 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(64) : rnd.nextInt(3));
                            for (int i = 0; i < burst; i++) {
                                int g = rnd.nextInt(3) == 0 ? rnd.nextInt(GSIS) : rnd.nextInt(4);
                                long tick = clock.incrementAndGet();
                                try {
                                    fabric.trigger(g);
                                } catch (FabricClosedException closed) {
                                    refused[id]++;
                                    break outer;
                                }
                                newestTick[id][g] = tick;
                                accepted[id][g]++;
                            }
                            roundsDone.incrementAndGet();
                            long gap = rnd.nextInt(30_000); // a quiet gap of 0..30 us, spun
                            long until = System.nanoTime() + gap;
                            while (System.nanoTime() - until < 0) {
                                Thread.onSpinWait();
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
            if (closeMidRun) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (roundsDone.get() < (long) producers * rounds / 3) {
                    if (System.nanoTime() > deadline) {
                        fail("the run did not get going within 30 s");
                    }
                    Thread.yield();
                }
                fabric.close();
            }
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertTrue(!t.isAlive(), t.getName() + " finished");
            }
            assertNull(failure.get(), () -> "producer failed: " + failure.get());
            if (!closeMidRun) {
                // Coverage with the fabric still open: no close() flushes anything for us.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                for (int g = 0; g < GSIS; g++) {
                    long newest = 0;
                    for (int p = 0; p < producers; p++) {
                        newest = Math.max(newest, newestTick[p][g]);
                    }
                    while (newest != 0 && lastDeliveryStart.get(g) <= newest) {
                        if (System.nanoTime() > deadline) {
                            fail("GSI " + g + ": LOST while open - newest assertion tick " + newest
                                    + ", last delivery tick " + lastDeliveryStart.get(g));
                        }
                        Thread.yield();
                    }
                }
            }
            fabric.close();
            reader.interrupt();
            reader.join();
            for (int g = 0; g < GSIS; g++) {
                readBack[g] += fds.eventFd(g).read();
            }
            assertEquals(0, overlaps.get(), "two threads were in the sink at once: the role had two holders");
            long inline = fabric.counters().inlineDeliveries();
            assertTrue(inline > 0, "some assertions were delivered inline");
            for (int g = 0; g < GSIS; g++) {
                long acc = 0;
                long newest = 0;
                for (int p = 0; p < producers; p++) {
                    acc += accepted[p][g];
                    newest = Math.max(newest, newestTick[p][g]);
                }
                long delivered = fabric.counters().delivered(g);
                assertEquals(acc, fabric.counters().asserted(g), "GSI " + g + ": asserted count = accepted assertions");
                assertEquals(delivered, plainDeliveries[g], "GSI " + g + ": sink calls = deliveries counted");
                assertEquals(delivered, readBack[g], "GSI " + g + ": eventfd read-back = deliveries counted");
                if (acc > 0) {
                    assertTrue(lastDeliveryStart.get(g) > newest, "GSI " + g + ": LOST - newest accepted tick "
                            + newest + ", last delivery tick " + lastDeliveryStart.get(g));
                }
            }
            if (closeMidRun) {
                assertEquals(producers, refused[0] + refused[1] + refused[2] + refused[3], "each producer refused once");
            }
        }
    }
}
