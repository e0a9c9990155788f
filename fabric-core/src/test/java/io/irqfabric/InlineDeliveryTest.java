package io.irqfabric;

import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.testing.ControllerFixture;
import io.irqfabric.testing.StallingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.irqfabric.msi.MsixTable.CONTROL_ENABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DispatchMode#INLINE_WHEN_IDLE}: who delivers, when a producer must not, and that the
 * dispatcher role keeps program order and single-writer ownership. Real eventfds throughout.
 */
class InlineDeliveryTest {
    private static final int GSIS = 64;

    /** Records the thread of the newest delivery, then writes the real eventfd. */
    static final class ThreadRecordingSink implements InterruptSink {
        final EventFdSink fds;
        final AtomicReference<Thread> lastThread = new AtomicReference<>();

        ThreadRecordingSink(EventFdSink fds) {
            this.fds = fds;
        }

        @Override
        public int deliver(int gsi) {
            lastThread.set(Thread.currentThread());
            return fds.deliver(gsi);
        }

        @Override
        public int gsiCapacity() {
            return fds.gsiCapacity();
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.yield();
        }
    }

    /** Waits out the inline spacing after an inline delivery (a condition on the clock, not a sleep). */
    private static void quietFor(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    @ParameterizedTest
    @EnumSource(DispatcherWait.class)
    void anIdleFabricIsDeliveredOnTheAssertingThread(DispatcherWait wait) {
        try (EventFdSink fds = EventFdSink.create(GSIS)) {
            ThreadRecordingSink sink = new ThreadRecordingSink(fds);
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(sink).waitStrategy(wait)
                    .dispatchMode(DispatchMode.INLINE_WHEN_IDLE).build()) {
                int inline = 0;
                for (int i = 0; i < 50; i++) {
                    fabric.sync(); // the ring is empty and flushed, the dispatcher waits (or is about to)
                    quietFor(2_000_000L); // beyond any inline spacing
                    long before = fabric.counters().inlineDeliveries();
                    fabric.trigger(7);
                    if (fabric.counters().inlineDeliveries() != before) {
                        inline++;
                        assertSame(Thread.currentThread(), sink.lastThread.get(), "written on this thread");
                        // inline means delivered before trigger() returned
                        assertEquals(1, fds.eventFd(7).read(), "written before trigger returned");
                    }
                }
                fabric.sync();
                fds.eventFd(7).read();
                // The dispatcher thread may hold the role when trigger() looks (it answered the
                // sync and has not reached its wait yet), so not every one is inline; most are.
                assertTrue(inline >= 1, "some assertions were delivered inline: " + inline);
                assertEquals(inline, fabric.counters().inlineDeliveries());
                assertEquals(50, fabric.counters().asserted(7));
                assertEquals(50, fabric.counters().delivered(7));
            }
        }
    }

    @Test
    void theDedicatedModeNeverDeliversOnTheAssertingThread() {
        try (EventFdSink fds = EventFdSink.create(GSIS)) {
            ThreadRecordingSink sink = new ThreadRecordingSink(fds);
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(sink)
                    .dispatchMode(DispatchMode.DEDICATED).build()) {
                assertEquals(DispatchMode.DEDICATED, fabric.dispatchMode());
                for (int i = 0; i < 20; i++) {
                    fabric.sync();
                    quietFor(1_000_000L);
                    fabric.trigger(3);
                    fabric.sync();
                    assertNotSame(Thread.currentThread(), sink.lastThread.get());
                }
                assertEquals(0, fabric.counters().inlineDeliveries());
            }
        }
    }

    @Test
    void aProducerThatFindsTheRoleHeldPublishesAndDoesNotWait() throws Exception {
        try (EventFdSink fds = EventFdSink.create(GSIS)) {
            StallingSink stalling = new StallingSink(fds, 5);
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(stalling)
                    .dispatchMode(DispatchMode.INLINE_WHEN_IDLE).build()) {
                // Another thread's inline delivery or the dispatcher is stuck in the sink on GSI 5.
                Thread staller = new Thread(() -> fabric.trigger(5));
                staller.start();
                assertTrue(stalling.awaitStalled());
                // Whoever is stuck holds the role: this trigger must return at once (published).
                fabric.trigger(9);
                fabric.trigger(9);
                assertEquals(0, fds.eventFd(9).read(), "not delivered while the role holder is stuck");
                stalling.release();
                staller.join();
                fabric.sync();
                assertEquals(1, fds.eventFd(9).read(), "delivered once the role holder moved on");
                assertEquals(1, fds.eventFd(5).read());
            }
        }
    }

    /**
     * Program order under the role: a thread's mask write (a ring event) is applied before its
     * next assertion is judged, so an assertion right after a mask is never written inline with
     * the gate still open, and an assertion right after the unmask is not held back.
     */
    @Test
    void anAssertionAfterTheCallersOwnMaskWriteIsNeverDeliveredInline() {
        try (ControllerFixture f = ControllerFixture.custom(b -> b.dispatchMode(DispatchMode.INLINE_WHEN_IDLE), null)) {
            MsixTable t = f.fabric.createMsixTable(64, 4);
            t.tableWrite(0, 4, 0xFEE0_0000L);
            t.tableWrite(4, 4, 0);
            t.tableWrite(8, 4, 0x41);
            t.tableWrite(12, 4, 0);
            t.writeMessageControl(CONTROL_ENABLE);
            f.fabric.sync();
            long inlineBefore = f.fabric.counters().inlineDeliveries();
            for (int i = 0; i < 2_000; i++) {
                t.tableWrite(12, 4, 1); // mask
                t.trigger(0);
                f.fabric.sync();
                assertEquals(0, f.sink.eventFd(64).read(), "round " + i + ": delivered while masked");
                assertTrue(t.consumePending(0), "round " + i + ": the masked assertion is pending");
                quietFor(50_000L);
                t.tableWrite(12, 4, 0); // unmask (nothing pending: consumed)
                f.fabric.sync();
                quietFor(50_000L);
                t.trigger(0);
                f.fabric.sync();
                assertEquals(1, f.sink.eventFd(64).read(), "round " + i + ": delivered once unmasked");
            }
            assertTrue(f.fabric.counters().inlineDeliveries() > inlineBefore, "the unmasked assertions went inline at times");
        }
    }

    /**
     * A sink running inside an inline delivery is on the dispatcher side: close and sync from
     * there would wait for the dispatcher, which waits for the role this thread holds. They are
     * refused at once, and a trigger from there publishes instead of re-entering.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, unit = TimeUnit.SECONDS)
    void closeOrSyncFromASinkInsideAnInlineDeliveryIsRefusedNotDeadlocked() {
        AtomicReference<InterruptFabric> self = new AtomicReference<>();
        AtomicReference<Throwable> fromClose = new AtomicReference<>();
        AtomicReference<Throwable> fromSync = new AtomicReference<>();
        AtomicLong inlineCalls = new AtomicLong();
        Thread main = Thread.currentThread();
        try (EventFdSink fds = EventFdSink.create(GSIS)) {
            InterruptSink reentering = new InterruptSink() {
                @Override
                public int deliver(int gsi) {
                    if (gsi == 1 && Thread.currentThread() == main) {
                        inlineCalls.incrementAndGet();
                        try {
                            self.get().close();
                        } catch (Throwable t) {
                            fromClose.set(t);
                        }
                        try {
                            self.get().sync();
                        } catch (Throwable t) {
                            fromSync.set(t);
                        }
                        self.get().trigger(2); // role held by this thread: published, not re-entered
                    }
                    return fds.deliver(gsi);
                }

                @Override
                public int gsiCapacity() {
                    return GSIS;
                }
            };
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(reentering)
                    .dispatchMode(DispatchMode.INLINE_WHEN_IDLE).build()) {
                self.set(fabric);
                for (int i = 0; i < 50 && inlineCalls.get() == 0; i++) {
                    fabric.sync();
                    quietFor(2_000_000L);
                    fabric.trigger(1);
                }
                assertTrue(inlineCalls.get() > 0, "an inline delivery happened");
                assertTrue(fromClose.get() instanceof FabricStateException, "close refused: " + fromClose.get());
                assertTrue(fromSync.get() instanceof FabricStateException, "sync refused: " + fromSync.get());
                assertTrue(!fabric.isClosed());
                fabric.sync();
                assertEquals(inlineCalls.get(), fds.eventFd(2).read(), "the triggers from inside the sink were delivered");
            }
        }
    }

    @Test
    void aGsiUnderAHoldingPolicyIsNeverDeliveredInline() {
        try (EventFdSink fds = EventFdSink.create(GSIS)) {
            ThreadRecordingSink sink = new ThreadRecordingSink(fds);
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(sink)
                    .dispatchMode(DispatchMode.INLINE_WHEN_IDLE).build()) {
                fabric.moderate(12, ModerationPolicy.window(java.time.Duration.ofNanos(20_000L), 1_000));
                for (int i = 0; i < 30; i++) {
                    fabric.sync();
                    quietFor(1_000_000L);
                    fabric.trigger(12); // right after this thread's own policy change: judged under it
                    assertNotSame(Thread.currentThread(), sink.lastThread.get(), "round " + i);
                }
                assertEquals(0, fabric.counters().inlineDeliveries());
                fabric.moderate(12, ModerationPolicy.batch());
                long inline = 0;
                for (int i = 0; i < 30 && inline == 0; i++) {
                    fabric.sync();
                    quietFor(2_000_000L);
                    fabric.trigger(12);
                    inline = fabric.counters().inlineDeliveries();
                }
                assertTrue(inline > 0, "back under batch, an idle assertion goes inline again");
            }
        }
    }

    /** A window's deadline must not outlive the policy: the dispatcher parks again after a change back to batch. */
    @Test
    void aDispatcherParksAgainAfterAWindowPolicyIsChangedBackToBatch() {
        try (EventFdSink fds = EventFdSink.create(GSIS);
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(fds)
                     .dispatchMode(DispatchMode.DEDICATED).waitStrategy(DispatcherWait.PARKING).build()) {
            fabric.moderate(13, ModerationPolicy.window(java.time.Duration.ofNanos(500_000_000L), 1_000));
            fabric.trigger(13);
            fabric.sync(); // held: its deadline is half a second away
            fabric.moderate(13, ModerationPolicy.batch()); // releases what the window held
            fabric.sync();
            assertEquals(1, fds.eventFd(13).read());
            await("the dispatcher parks (now " + fabric.dispatcherThread().getState() + ")", () -> fabric.dispatcherThread().getState() == Thread.State.WAITING);
        }
    }

    @Test
    void aFlatOutProducerHandsItsStormToTheDispatcher() {
        try (EventFdSink fds = EventFdSink.create(GSIS)) {
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(fds)
                    .dispatchMode(DispatchMode.INLINE_WHEN_IDLE).waitStrategy(DispatcherWait.BUSY_SPIN).build()) {
                int n = 400_000;
                for (int i = 0; i < n; i++) {
                    fabric.trigger(11);
                }
                fabric.sync();
                long inline = fabric.counters().inlineDeliveries();
                // Without the spacing every assertion would find the ring empty and be written
                // inline; with it, at most one write per 9 write-times goes inline.
                assertTrue(inline < n / 4, "inline deliveries " + inline + " of " + n + " assertions");
                assertEquals(n, fabric.counters().asserted(11));
                assertEquals(fabric.counters().delivered(11), fds.eventFd(11).read());
            }
        }
    }

    @Test
    void aClosedOrFailedFabricRefusesInsteadOfDeliveringInline() {
        try (EventFdSink fds = EventFdSink.create(GSIS)) {
            InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(fds)
                    .dispatchMode(DispatchMode.INLINE_WHEN_IDLE).build();
            fabric.close();
            quietFor(1_000_000L);
            assertThrows(FabricClosedException.class, () -> fabric.trigger(4));
            assertEquals(0, fds.eventFd(4).read());

            InterruptFabric failing = InterruptFabric.builder().gsiCount(GSIS).sink(fds)
                    .dispatchMode(DispatchMode.INLINE_WHEN_IDLE).errorHandler((k, g, d, t) -> { }).build();
            failing.injectDispatcherFault(new IllegalStateException("injected"), Integer.MAX_VALUE);
            // A request wakes the dispatcher into the fault (an inline trigger would not wake it);
            // it is refused once the loop has failed.
            // (A sync the dispatcher already waits for is answered before its next loop top.)
            boolean refused = false;
            for (int i = 0; i < 1_000 && !refused; i++) {
                try {
                    failing.sync();
                } catch (FabricFailedException expected) {
                    refused = true;
                }
            }
            assertTrue(refused, "a sync was refused once the dispatcher failed");
            await("the fabric fails", failing::isFailed);
            quietFor(1_000_000L);
            assertThrows(FabricFailedException.class, () -> failing.trigger(4));
            assertEquals(0, fds.eventFd(4).read());
            failing.close();
        }
    }

    @Test
    void aSinkFailureInAnInlineDeliveryIsCountedAndReportedNotThrown() {
        AtomicLong reported = new AtomicLong();
        AtomicReference<Thread> reporter = new AtomicReference<>();
        InterruptSink failing = new InterruptSink() {
            @Override
            public int deliver(int gsi) {
                throw new IllegalStateException("sink bug");
            }

            @Override
            public int gsiCapacity() {
                return GSIS;
            }
        };
        try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(failing)
                .dispatchMode(DispatchMode.INLINE_WHEN_IDLE)
                .errorHandler((k, g, d, t) -> {
                    if (k == FabricErrorHandler.Kind.SINK_EXCEPTION) {
                        reporter.set(Thread.currentThread());
                        reported.incrementAndGet();
                    }
                }).build()) {
            long inline = 0;
            for (int i = 0; i < 20 && inline == 0; i++) {
                fabric.sync();
                quietFor(2_000_000L);
                fabric.trigger(2); // must not throw
                inline = fabric.counters().inlineDeliveries();
            }
            fabric.sync();
            assertTrue(inline > 0, "an inline attempt happened");
            assertTrue(reported.get() > 0);
            assertTrue(fabric.counters().errors(2) > 0);
            assertSame(Thread.currentThread(), reporter.get(), "reported on the asserting thread (documented)");
        }
    }
}
