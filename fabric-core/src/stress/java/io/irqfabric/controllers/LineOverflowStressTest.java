package io.irqfabric.controllers;

import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.RedirectionEntry;
import io.irqfabric.testing.ControllerFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IOAPIC lines while a tiny ring is kept full by flooding producers: no rising edge is lost
 * (each device thread waits for the delivery of its pulse, with a deadline, before the next)
 * and the final level of every level line is the last one its device set, however ring events
 * and ring-full drains interleave.
 */
class LineOverflowStressTest {
    private static final int DEVICES = 3;
    private static final int PULSES = 1_500;
    private static final int FLOOD_GSI = 200;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1L, 2L, 3L, 4L})
    void noRisingEdgeIsLostAndFinalLevelsHoldWithAFullRing(long seed) throws Exception {
        try (ControllerFixture f = ControllerFixture.custom(b -> b.ioapic(true).ringSize(4), s -> s)) {
            IoapicPort io = f.fabric.ioapic();
            for (int d = 0; d < DEVICES; d++) {
                ControllerFixture.writeEntry(io, 2 + d, RedirectionEntry.of(0x40 + d, 0, false, false, false, false, 0));
                ControllerFixture.writeEntry(io, 12 + d, RedirectionEntry.of(0x50 + d, 0, false, false, true, false, 0));
            }
            f.drainAll();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Thread flood = new Thread(() -> {
                    int flooded = 0;
                    while (!stop.get()) {
                        // Distinct GSIs: assertions of one GSI coalesce at the source and would
                        // not fill the ring.
                        f.fabric.trigger(FLOOD_GSI + (flooded++ & 31));
                    }
                });
                threads.add(flood);
            }
            boolean[] finalLevel = new boolean[DEVICES];
            List<Thread> devices = new ArrayList<>();
            for (int d = 0; d < DEVICES; d++) {
                int dev = d;
                Thread t = new Thread(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed * 31 + dev);
                    try {
                        int edgePin = 2 + dev;
                        int levelPin = 12 + dev;
                        boolean level = false;
                        for (int i = 0; i < PULSES; i++) {
                            io.pulse(edgePin);
                            long got = f.sink.eventFd(edgePin).await(10_000);
                            if (got < 1) {
                                throw new AssertionError("device " + dev + ": pulse " + i + " never delivered");
                            }
                            level = rnd.nextBoolean();
                            io.setLevel(levelPin, level);
                        }
                        finalLevel[dev] = level;
                    } catch (Throwable x) {
                        failure.compareAndSet(null, x);
                    }
                });
                devices.add(t);
            }
            threads.forEach(Thread::start);
            devices.forEach(Thread::start);
            for (Thread t : devices) {
                t.join(TimeUnit.SECONDS.toMillis(60));
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(10));
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            long overflowed = 0;
            for (int g = FLOOD_GSI; g < FLOOD_GSI + 32; g++) {
                overflowed += f.fabric.counters().overflowed(g);
            }
            assertTrue(overflowed > 0, "the ring was full at times");
            f.drainAll();
            for (int d = 0; d < DEVICES; d++) {
                // The dispatcher's view of the line is its final level: an EOI re-injects iff high.
                io.eoi(0x50 + d);
                assertEquals(finalLevel[d] ? 1 : 0, f.fired(12 + d), "level pin of device " + d);
            }
        }
    }

}
