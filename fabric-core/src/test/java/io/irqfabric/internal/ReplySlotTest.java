package io.irqfabric.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The caller's spin, yield, park back-off on a reply slot. Every park here is unbounded, so a
 * caller wakes only if the answering side unparks it: a lost wake-up hangs the test, and the
 * timeout fails it.
 */
class ReplySlotTest {
    private static final long FOREVER = Long.MAX_VALUE;
    private static final ReplySlot.Answerer NEVER_ABANDONED = seq -> false;

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aParkedCallerIsWokenByTheAnswer() throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            ReplySlot slot = new ReplySlot();
            slot.arm();
            AtomicReference<Boolean> answered = new AtomicReference<>();
            Thread caller = new Thread(() -> answered.set(slot.await(NEVER_ABANDONED, 0, FOREVER)));
            caller.start();
            // Synchronise on the caller's observable state: it has parked.
            while (caller.getState() != Thread.State.TIMED_WAITING && caller.getState() != Thread.State.WAITING) {
                assertTrue(caller.isAlive(), "the caller returned before the answer");
                Thread.onSpinWait();
            }
            slot.complete(42 + i);
            caller.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(caller.isAlive(), "round " + i + ": the answer did not wake the parked caller");
            assertEquals(Boolean.TRUE, answered.get());
            assertEquals(42 + i, slot.value());
            assertEquals(1, slot.unparks(), "the answer found the caller parked");
        }
    }

    /**
     * One caller and one answerer ping-pong many requests; the answerer answers after a random
     * delay from none to well past the spin and yield phases, so answers land in every phase,
     * including the instant the caller parks, and every 100th answer waits until the caller has
     * parked.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1L, 2L, 3L})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void noWakeUpIsLostWhereverTheAnswerLands(long seed) throws InterruptedException {
        final int requests = 5_000;
        ReplySlot slot = new ReplySlot();
        PaddedRequest req = new PaddedRequest();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread caller = Thread.currentThread();
        Thread answerer = new Thread(() -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            try {
                for (int n = 1; n <= requests; n++) {
                    while (req.posted < n) {
                        Thread.onSpinWait();
                    }
                    if (n % 100 == 0) {
                        // Make the park phase happen whatever the machine's load (a busy machine
                        // stretches the yield phase past any spin delay): answer only once the
                        // caller has parked.
                        while (caller.getState() != Thread.State.TIMED_WAITING && caller.getState() != Thread.State.WAITING) {
                            java.util.concurrent.locks.LockSupport.parkNanos(20_000); // poll; leave the CPU to the caller
                        }
                    } else {
                        int delay = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(20_000);
                        for (int d = 0; d < delay; d++) {
                            Thread.onSpinWait();
                        }
                    }
                    slot.complete(n);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "answerer");
        answerer.start();
        for (int n = 1; n <= requests; n++) {
            slot.arm();
            req.posted = n;
            assertTrue(slot.await(NEVER_ABANDONED, n, FOREVER));
            assertEquals(n, slot.value());
        }
        answerer.join(TimeUnit.SECONDS.toMillis(10));
        assertNull(failure.get());
        assertTrue(slot.unparks() >= requests / 100, "every answer given to a parked caller unparked it: " + slot.unparks());
    }

    @Test
    void aCallerWhoseRequestIsAbandonedReturnsFalse() {
        ReplySlot slot = new ReplySlot();
        slot.arm();
        assertFalse(slot.await(seq -> seq == 7, 7, ReplySlot.PARK_NANOS));
    }

    private static final class PaddedRequest {
        volatile int posted;
    }
}
