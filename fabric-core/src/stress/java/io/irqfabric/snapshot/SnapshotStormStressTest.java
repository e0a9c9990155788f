package io.irqfabric.snapshot;

import io.irqfabric.DispatcherWait;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSourceGroup;
import io.irqfabric.InterruptSourceType;
import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A snapshot in the middle of a storm, with a guest thread masking and unmasking MSI-X vectors,
 * restored onto a new fabric: every assertion accepted before the cut is delivered, either by the
 * source before the cut or by the restored fabric (read back from its real eventfds). Nothing is
 * lost.
 *
 * <p>Accepted before the cut: its {@code trigger} returned (tick {@code done}) before the main
 * thread took tick {@code T0} and then called {@code snapshot()}; the barrier is published after
 * that. Producers classify each assertion as they go (the main thread arms a flag before it takes
 * {@code T0}, so an assertion that saw the flag clear is certainly before it), and the storm
 * runs on, unbounded, until after the snapshot returned. For each GSI let {@code s} be the newest start tick of those assertions. It is covered if
 * the source started a delivery of the GSI after {@code s} and before the cut (the sink stamps
 * both on the dispatcher thread), or if the restored fabric delivers the GSI after every vector
 * is unmasked (it has no producers: whatever it delivers came from the snapshot).
 */
class SnapshotStormStressTest {
    private static final int GSIS = 128;
    private static final int TABLE = 32;
    private static final int VECTORS = 16;
    private static final int GROUP = 64;
    private static final int GROUP_SIZE = 16;
    private static final int PRODUCERS = 2;

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (int ring : new int[] {4096, 4}) {
            for (long seed : new long[] {0x5A9_0001L, 0x5A9_0002L, 0x5A9_0003L, 0x5A9_0004L}) {
                list.add(Arguments.of(ring, seed));
            }
        }
        return list.stream();
    }

    private static MsixTable table(InterruptFabric f) {
        MsixTable t = f.createMsixTable(TABLE, VECTORS);
        for (int v = 0; v < VECTORS; v++) {
            t.tableWrite(16L * v, 8, MsiMessage.encodeAddress(0, false, false));
            t.tableWrite(16L * v + 8, 8, 0x40 + v);
        }
        t.writeMessageControl(MsixTable.CONTROL_ENABLE);
        return t;
    }

    @ParameterizedTest(name = "ring {0} seed {1}")
    @MethodSource("cases")
    void everyAssertionAcceptedBeforeTheCutIsDeliveredBeforeItOrAfterRestore(int ring, long seed) throws Exception {
        AtomicLong clock = new AtomicLong();
        TickSink tick = new TickSink(GSIS, clock);
        // A slower sink keeps the dispatcher a little behind the producers, so the batch that
        // holds the barrier and the overflow log at the cut hold assertions from before it.
        tick.slowNanos = 2_000L;
        byte[] snapshot;
        long t0;
        long[][] newest = new long[PRODUCERS][GSIS];
        armed = false;
        t0Published = 0;
        try (InterruptFabric a = InterruptFabric.builder().gsiCount(GSIS).ringSize(ring).waitStrategy(DispatcherWait.PARKING)
                .sink(tick).build()) {
            MsixTable t = table(a);
            InterruptSourceGroup group = a.createGroup(InterruptSourceType.MSI_X, GROUP, GROUP_SIZE);
            AtomicLong progress = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                final int id = p;
                threads.add(new Thread(() -> {
                    SplittableRandom r = new SplittableRandom(seed + id);
                    try {
                        while (!volatileStop) {
                            boolean vector = r.nextBoolean();
                            int k = r.nextInt(vector ? VECTORS : GROUP_SIZE);
                            long start = clock.incrementAndGet();
                            if (vector) {
                                t.trigger(k);
                            } else {
                                group.trigger(k);
                            }
                            long done = clock.incrementAndGet();
                            progress.incrementAndGet();
                            // Before T0? If the main thread has not armed yet, its T0 comes after
                            // this read, so after done. Once armed, wait for T0 and compare.
                            boolean before;
                            if (!armed) {
                                before = true;
                            } else {
                                long cut;
                                while ((cut = t0Published) == 0) {
                                    Thread.onSpinWait();
                                }
                                before = done < cut;
                            }
                            if (before) {
                                newest[id][vector ? TABLE + k : GROUP + k] = start;
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "producer-" + p));
            }
            volatileStop = false;
            Thread guest = new Thread(() -> {
                SplittableRandom r = new SplittableRandom(~seed);
                try {
                    while (!volatileStop) {
                        int v = r.nextInt(VECTORS);
                        t.tableWrite(16L * v + 12, 4, r.nextInt(3) == 0 ? MsixTable.VECTOR_CONTROL_MASK : 0);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "guest");
            threads.forEach(Thread::start);
            guest.start();
            SplittableRandom r = new SplittableRandom(seed * 31);
            long at = 2_000 + r.nextInt(20_000);
            while (progress.get() < at && failure.get() == null) {
                Thread.onSpinWait();
            }
            armed = true;
            t0 = clock.incrementAndGet();
            t0Published = t0;
            snapshot = a.snapshot();
            long atReturn = progress.get();
            while (progress.get() < atReturn + 1_000 && failure.get() == null) {
                Thread.onSpinWait(); // and the storm goes on after the snapshot
            }
            volatileStop = true;
            for (Thread th : threads) {
                th.join();
            }
            guest.join();
            assertNull(failure.get(), () -> "a thread failed: " + failure.get());
        }
        assertTrue(tick.cutTick > t0, "the cut came after T0");

        long[] newestBefore = new long[GSIS];
        int before = 0;
        for (long[] n : newest) {
            for (int g = 0; g < GSIS; g++) {
                if (n[g] != 0) {
                    newestBefore[g] = Math.max(newestBefore[g], n[g]);
                    before++;
                }
            }
        }
        assertTrue(before > 0, "some GSIs were asserted before the cut");

        try (EventFdSink sinkB = EventFdSink.create(GSIS);
             InterruptFabric b = InterruptFabric.builder().gsiCount(GSIS).sink(sinkB).build()) {
            MsixTable tb = b.createMsixTable(TABLE, VECTORS);
            b.createGroup(InterruptSourceType.MSI_X, GROUP, GROUP_SIZE);
            b.restore(snapshot);
            b.sync();
            long[] deliveredB = new long[GSIS];
            for (int g = 0; g < GSIS; g++) {
                deliveredB[g] = sinkB.eventFd(g).read();
            }
            // The guest of the new VM unmasks everything: pending bits come out.
            tb.writeMessageControl(MsixTable.CONTROL_ENABLE);
            for (int v = 0; v < VECTORS; v++) {
                tb.tableWrite(16L * v + 12, 4, 0);
            }
            b.sync();
            for (int g = 0; g < GSIS; g++) {
                deliveredB[g] += sinkB.eventFd(g).read();
            }
            List<String> lost = new ArrayList<>();
            for (int g = 0; g < GSIS; g++) {
                if (newestBefore[g] == 0) {
                    continue;
                }
                boolean bySource = tick.lastDeliveryAtCut[g] > newestBefore[g];
                if (!bySource && deliveredB[g] == 0) {
                    lost.add("GSI " + g + " (newest accepted start " + newestBefore[g] + ", source's last delivery before the cut "
                            + tick.lastDeliveryAtCut[g] + ", cut " + tick.cutTick + ")");
                }
            }
            if (!lost.isEmpty()) {
                fail(lost.size() + " GSIs lost an assertion accepted before the cut: " + lost);
            }
        } finally {
            tick.inner.close();
        }
    }

    private static volatile boolean volatileStop;
    private static volatile boolean armed;
    private static volatile long t0Published;
}
