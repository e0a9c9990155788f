package io.irqfabric.snapshot;

import io.irqfabric.DispatcherWait;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSourceGroup;
import io.irqfabric.InterruptSourceType;
import io.irqfabric.SourceDestroyedException;
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
 * Reset and destroy racing producers: every assertion a producer's call accepted (returned
 * normally) is followed by a delivery of its GSI that started after the assertion did (global
 * logical clock, as in the coverage stress test). An assertion refused with
 * {@link SourceDestroyedException} is not counted.
 *
 * <ul>
 *   <li>MSI-X function-level reset while producers trigger (a guest thread masks and unmasks
 *       vectors until just before it, so some are masked with pending bits); afterwards the guest re-programs the table (the new driver): whatever was
 *       accepted before, during or after the reset is delivered.</li>
 *   <li>Destroy of an MSI-X table (all vectors unmasked) or of a group while producers trigger:
 *       producers stop at their first refusal; everything accepted is delivered.</li>
 * </ul>
 */
class ResetDestroyStressTest {
    private static final int GSIS = 64;
    private static final int TABLE = 16;
    private static final int VECTORS = 8;
    private static final int PRODUCERS = 2;

    enum Race { MSIX_RESET, MSIX_DESTROY, GROUP_DESTROY }

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (Race race : Race.values()) {
            for (int ring : new int[] {1024, 4}) {
                for (long seed : new long[] {0xD0_0001L, 0xD0_0002L, 0xD0_0003L}) {
                    list.add(Arguments.of(race, ring, seed));
                }
            }
        }
        return list.stream();
    }

    private static void program(MsixTable t, boolean masked) {
        for (int v = 0; v < VECTORS; v++) {
            t.tableWrite(16L * v, 8, MsiMessage.encodeAddress(0, false, false));
            t.tableWrite(16L * v + 8, 8, (0x40 + v) | (masked ? 1L << 32 : 0));
        }
        t.writeMessageControl(MsixTable.CONTROL_ENABLE);
    }

    @ParameterizedTest(name = "{0} ring {1} seed {2}")
    @MethodSource("cases")
    void nothingAcceptedIsLost(Race race, int ring, long seed) throws Exception {
        AtomicLong clock = new AtomicLong();
        TickSink sink = new TickSink(GSIS, clock);
        sink.slowNanos = 2_000L; // batches long enough that the reset or destroy shares one with assertions
        long[] newestAccepted = new long[GSIS];
        try (InterruptFabric f = InterruptFabric.builder().gsiCount(GSIS).ringSize(ring).waitStrategy(DispatcherWait.PARKING)
                .sink(sink).build()) {
            MsixTable t = f.createMsixTable(TABLE, VECTORS);
            program(t, false);
            InterruptSourceGroup group = f.createGroup(InterruptSourceType.MSI_X, TABLE + VECTORS, VECTORS);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong progress = new AtomicLong();
            long[][] newest = new long[PRODUCERS][GSIS];
            List<Thread> threads = new ArrayList<>();
            stop = false;
            guestStop = false;
            for (int p = 0; p < PRODUCERS; p++) {
                final int id = p;
                threads.add(new Thread(() -> {
                    SplittableRandom r = new SplittableRandom(seed + id);
                    try {
                        while (!stop) {
                            int k = r.nextInt(VECTORS);
                            long start = clock.incrementAndGet();
                            if (race == Race.GROUP_DESTROY) {
                                group.trigger(k);
                            } else {
                                t.trigger(k);
                            }
                            int g = (race == Race.GROUP_DESTROY ? TABLE + VECTORS : TABLE) + k;
                            newest[id][g] = start; // accepted: trigger returned normally
                            progress.incrementAndGet();
                        }
                    } catch (SourceDestroyedException refused) {
                        // refused, not accepted: this producer stops here
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "producer-" + p));
            }
            Thread guest = new Thread(() -> {
                SplittableRandom r = new SplittableRandom(~seed);
                try {
                    while (!guestStop && race == Race.MSIX_RESET) {
                        int v = r.nextInt(VECTORS);
                        t.tableWrite(16L * v + 12, 4, r.nextBoolean() ? MsixTable.VECTOR_CONTROL_MASK : 0);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "guest");
            threads.forEach(Thread::start);
            guest.start();
            long at = 5_000 + new SplittableRandom(seed).nextInt(20_000);
            while (progress.get() < at && failure.get() == null) {
                Thread.onSpinWait();
            }
            switch (race) {
                case MSIX_RESET:
                    // The guest's masks freeze as they are (some vectors masked with pending
                    // bits); after the reset every entry is zero, and a guest unmasking one
                    // without an address would only block it, so it stops here.
                    guestStop = true;
                    guest.join();
                    t.reset();
                    break;
                case MSIX_DESTROY:
                    f.destroy(t);
                    break;
                default:
                    f.destroy(group);
                    break;
            }
            stop = true;
            for (Thread th : threads) {
                th.join();
            }
            guest.join();
            assertNull(failure.get(), () -> "a thread failed: " + failure.get());
            if (race == Race.MSIX_RESET) {
                program(t, false); // the re-initialised driver: pending bits come out now
            }
            f.sync();
            for (long[] n : newest) {
                for (int g = 0; g < GSIS; g++) {
                    newestAccepted[g] = Math.max(newestAccepted[g], n[g]);
                }
            }
        } finally {
            sink.inner.close();
        }
        int asserted = 0;
        List<String> lost = new ArrayList<>();
        for (int g = 0; g < GSIS; g++) {
            if (newestAccepted[g] == 0) {
                continue;
            }
            asserted++;
            if (sink.lastDelivery[g] <= newestAccepted[g]) {
                lost.add("GSI " + g + " newest accepted " + newestAccepted[g] + ", last delivery " + sink.lastDelivery[g]);
            }
        }
        assertTrue(asserted > 0);
        if (!lost.isEmpty()) {
            fail(race + ": accepted assertions without a later delivery: " + lost);
        }
    }

    private static volatile boolean stop;
    private static volatile boolean guestStop;
}
