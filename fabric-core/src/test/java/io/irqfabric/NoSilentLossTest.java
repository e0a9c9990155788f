package io.irqfabric;

import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.testing.CapturingErrorHandler;
import io.irqfabric.testing.StallingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An assertion is delivered or refused, never accepted and lost: embedder code that throws from
 * every method it has, a dispatcher that fails, interrupts, and a close that cannot wait forever.
 * Every loss check reads the real eventfds back. Tests that wake the dispatcher thread with a
 * trigger, or hold it in the sink, name {@link DispatchMode#DEDICATED}: in inline mode an
 * assertion into an idle fabric is delivered on the asserting thread and wakes nobody.
 */
class NoSilentLossTest {

    /** Waits (yielding) until {@code condition} holds; fails after 20 s. */
    static void await(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.yield();
        }
    }

    @Test
    void aSinkWhoseLastErrnoThrowsDoesNotStopTheDispatcher() {
        CapturingErrorHandler errors = new CapturingErrorHandler();
        try (EventFdSink fds = EventFdSink.create(8)) {
            InterruptSink sink = new InterruptSink() {
                @Override
                public int deliver(int gsi) {
                    return gsi == 5 ? FAILED : fds.deliver(gsi);
                }

                @Override
                public int lastErrno(int gsi) {
                    throw new IllegalStateException("lastErrno broken");
                }

                @Override
                public int gsiCapacity() {
                    return 8;
                }
            };
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(8).ringSize(64).sink(sink)
                    .errorHandler(errors).build()) {
                fabric.trigger(5);
                fabric.sync();
                for (int i = 0; i < 1000; i++) {
                    fabric.trigger(i % 4);
                }
                fabric.sync();
                for (int g = 0; g < 4; g++) {
                    assertTrue(fds.eventFd(g).read() >= 1, "GSI " + g + " delivered after the throwing lastErrno");
                }
                assertFalse(fabric.isClosed());
                assertFalse(fabric.isFailed());
                assertEquals(1, fabric.counters().errors(5));
                assertTrue(errors.count(FabricErrorHandler.Kind.DELIVERY_FAILED) >= 1);
                assertTrue(errors.count(FabricErrorHandler.Kind.SINK_EXCEPTION) >= 1, "the throw was reported");
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSinkAndAnErrorHandlerThatThrowFromEveryMethodLoseNothingElsewhere() {
        AtomicLong handlerCalls = new AtomicLong();
        FabricErrorHandler throwingHandler = (kind, gsi, detail, cause) -> {
            handlerCalls.incrementAndGet();
            throw new IllegalStateException("error handler broken");
        };
        try (EventFdSink fds = EventFdSink.create(8)) {
            InterruptSink sink = new InterruptSink() {
                @Override
                public int deliver(int gsi) {
                    if (gsi == 1) {
                        throw new IllegalStateException("deliver broken");
                    }
                    if (gsi == 2) {
                        return FAILED;
                    }
                    if (gsi == 3) {
                        throw new StackOverflowError("deliver overflowed");
                    }
                    return fds.deliver(gsi);
                }

                @Override
                public int lastErrno(int gsi) {
                    throw new IllegalStateException("lastErrno broken");
                }

                @Override
                public void endOfBatch() {
                    throw new IllegalStateException("endOfBatch broken");
                }

                @Override
                public int gsiCapacity() {
                    return 8;
                }
            };
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(8).ringSize(16).sink(sink)
                    .errorHandler(throwingHandler).build()) {
                for (int round = 0; round < 200; round++) {
                    for (int g = 0; g < 8; g++) {
                        fabric.trigger(g);
                    }
                    fabric.sync();
                    for (int g : new int[] {0, 4, 5, 6, 7}) {
                        assertEquals(1, fds.eventFd(g).read(), "round " + round + ": GSI " + g + " delivered once");
                    }
                }
                assertFalse(fabric.isFailed());
                assertEquals(200, fabric.counters().errors(1));
                assertEquals(200, fabric.counters().errors(2));
                assertEquals(200, fabric.counters().errors(3));
                assertTrue(handlerCalls.get() >= 600, "every error was offered to the handler");
            }
        }
    }

    @Test
    void aSinkSmallerThanTheFabricIsRefusedAtBuild() {
        try (EventFdSink fds = EventFdSink.create(4)) {
            FabricConfigException e = assertThrows(FabricConfigException.class,
                    () -> InterruptFabric.builder().gsiCount(64).sink(fds).build());
            assertTrue(e.getMessage().contains("0..3") && e.getMessage().contains("gsiCount(64)"), e.getMessage());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aDispatcherThatKeepsFailingFailsTheFabricLoudly() {
        CapturingErrorHandler errors = new CapturingErrorHandler();
        OutOfMemoryError injected = new OutOfMemoryError("injected");
        try (EventFdSink fds = EventFdSink.create(8)) {
            InterruptFabric fabric = InterruptFabric.builder().dispatchMode(DispatchMode.DEDICATED).gsiCount(8).ringSize(8).sink(fds).errorHandler(errors).build();
            fabric.trigger(1);
            fabric.sync();
            assertEquals(1, fds.eventFd(1).read());
            assertNull(fabric.failure());
            fabric.injectDispatcherFault(injected, Integer.MAX_VALUE);
            // Wakes the parked dispatcher into the fault. Accepted (the fabric has not failed
            // yet when it is published), so the failing dispatcher's last flush delivers it.
            fabric.trigger(3);
            await("the fabric fails", fabric::isFailed);
            assertEquals(1, fds.eventFd(3).read(), "accepted before the failure: delivered by the last flush");
            assertTrue(fabric.isClosed(), "a failed fabric accepts nothing");
            assertSame(injected, fabric.failure());
            FabricFailedException t = assertThrows(FabricFailedException.class, () -> fabric.trigger(2));
            assertSame(injected, t.getCause());
            assertThrows(FabricFailedException.class, fabric::sync);
            assertThrows(FabricFailedException.class, () -> fabric.createGroup(InterruptSourceType.MSI, 4, 2));
            fabric.close(); // returns at once (the @Timeout would fail a hang)
            fabric.close(Duration.ZERO);
            assertEquals(1, errors.count(FabricErrorHandler.Kind.FABRIC_FAILED));
            assertSame(injected, errors.first(FabricErrorHandler.Kind.FABRIC_FAILED).cause);
            assertTrue(errors.count(FabricErrorHandler.Kind.DISPATCHER_ERROR) >= 1, "each error was reported first");
            assertEquals(0, fds.eventFd(2).read(), "the refused assertion was not delivered");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aDispatcherErrorThatStopsIsRecoveredFromAndLosesNothing() {
        CapturingErrorHandler errors = new CapturingErrorHandler();
        try (EventFdSink fds = EventFdSink.create(8);
             InterruptFabric fabric = InterruptFabric.builder().dispatchMode(DispatchMode.DEDICATED).gsiCount(8).ringSize(8).sink(fds).errorHandler(errors).build()) {
            IllegalStateException bug = new IllegalStateException("transient");
            fabric.injectDispatcherFault(bug, 50); // fewer than the limit in a row
            fabric.trigger(0); // wakes the parked dispatcher into the fault
            await("the errors are reported", () -> errors.count(FabricErrorHandler.Kind.DISPATCHER_ERROR) >= 50);
            for (int i = 0; i < 100; i++) {
                fabric.trigger(i % 8);
            }
            fabric.sync();
            for (int g = 0; g < 8; g++) {
                assertTrue(fds.eventFd(g).read() >= 1, "GSI " + g);
            }
            assertFalse(fabric.isFailed());
            assertSame(bug, errors.first(FabricErrorHandler.Kind.DISPATCHER_ERROR).cause);
        }
    }

    /**
     * Producers storm while the dispatcher fails: every trigger that returned normally is
     * followed by a delivery of its GSI that started after it (a global logical clock: a tick
     * before each trigger, a tick at each delivery start), and every delivery reached its real
     * eventfd. The assertions accepted after the last flush and before the refusal are delivered
     * by the failing dispatcher's last flush.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12, 13, 14, 15, 16})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void assertionsRacingAFailureAreDeliveredOrRefused(long seed) throws Exception {
        final int gsis = 16;
        AtomicLong clock = new AtomicLong();
        AtomicLongArray deliveryStart = new AtomicLongArray(gsis);
        AtomicLongArray lastAccepted = new AtomicLongArray(gsis);
        long[] writes = new long[gsis];
        CapturingErrorHandler errors = new CapturingErrorHandler();
        try (EventFdSink fds = EventFdSink.create(gsis)) {
            InterruptSink stamping = new InterruptSink() {
                @Override
                public int deliver(int gsi) {
                    deliveryStart.set(gsi, clock.incrementAndGet());
                    int r = fds.deliver(gsi);
                    if (r == DELIVERED) {
                        writes[gsi]++;
                    }
                    return r;
                }

                @Override
                public int gsiCapacity() {
                    return gsis;
                }
            };
            InterruptFabric fabric = InterruptFabric.builder().gsiCount(gsis).ringSize(seed % 2 == 0 ? 4 : 1024)
                    .sink(stamping).errorHandler(errors).build();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] producers = new Thread[2];
            for (int p = 0; p < producers.length; p++) {
                final int base = p * (gsis / 2);
                final java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed * 31 + p);
                producers[p] = new Thread(() -> {
                    try {
                        while (true) {
                            int g = base + rnd.nextInt(gsis / 2);
                            long t = clock.incrementAndGet();
                            try {
                                fabric.trigger(g);
                            } catch (FabricFailedException refused) {
                                return;
                            }
                            lastAccepted.set(g, t);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                });
                producers[p].start();
            }
            await("some assertions accepted", () -> clock.get() > 50_000);
            fabric.injectDispatcherFault(new OutOfMemoryError("injected, seed " + seed), Integer.MAX_VALUE);
            for (Thread p : producers) {
                p.join(TimeUnit.SECONDS.toMillis(60));
                assertFalse(p.isAlive(), "a producer was refused in the end");
            }
            assertNull(failure.get());
            assertTrue(fabric.isFailed());
            fabric.close();
            for (int g = 0; g < gsis; g++) {
                long accepted = lastAccepted.get(g);
                if (accepted != 0) {
                    assertTrue(deliveryStart.get(g) > accepted, "seed " + seed + ", GSI " + g
                            + ": last accepted assertion at tick " + accepted + ", last delivery started at tick "
                            + deliveryStart.get(g));
                }
                assertEquals(writes[g], fds.eventFd(g).read(), "GSI " + g + ": every delivery reached the eventfd");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DispatcherWait.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aStrayInterruptIsClearedReportedAndNeverMakesTheDispatcherSpin(DispatcherWait wait) {
        CapturingErrorHandler errors = new CapturingErrorHandler();
        try (EventFdSink fds = EventFdSink.create(8);
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(8).waitStrategy(wait).sink(fds)
                     .errorHandler(errors).build()) {
            fabric.trigger(0);
            fabric.sync();
            Thread d = fabric.dispatcherThread();
            if (wait == DispatcherWait.PARKING) {
                // Interrupt it while parked and idle: nothing but the interrupt wakes it, so the
                // report (and the CPU it takes afterwards) is the wait strategy's doing.
                await("the dispatcher parks", () -> d.getState() == Thread.State.WAITING);
                d.interrupt();
                await("the stray interrupt is reported", () -> errors.count(FabricErrorHandler.Kind.STRAY_INTERRUPT) >= 1);
                assertIdleDispatcherParks(fabric);
            } else {
                d.interrupt();
            }
            fabric.trigger(1);
            fabric.sync();
            assertEquals(1, fds.eventFd(1).read(), "delivered after the interrupt");
            await("the stray interrupt is reported", () -> errors.count(FabricErrorHandler.Kind.STRAY_INTERRUPT) >= 1);
            assertFalse(d.isInterrupted(), "the flag was cleared");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSinkThatRestoresAnInterruptFlagDoesNotMakeAParkingDispatcherSpin() {
        CapturingErrorHandler errors = new CapturingErrorHandler();
        try (EventFdSink fds = EventFdSink.create(8)) {
            InterruptSink restoring = new InterruptSink() {
                @Override
                public int deliver(int gsi) {
                    if (gsi == 7) {
                        Thread.currentThread().interrupt(); // the catch-InterruptedException idiom
                    }
                    return fds.deliver(gsi);
                }

                @Override
                public int gsiCapacity() {
                    return 8;
                }
            };
            try (InterruptFabric fabric = InterruptFabric.builder().dispatchMode(DispatchMode.DEDICATED).gsiCount(8).sink(restoring).errorHandler(errors).build()) {
                fabric.trigger(7);
                fabric.sync();
                fabric.trigger(3);
                fabric.sync();
                assertEquals(1, fds.eventFd(7).read());
                assertEquals(1, fds.eventFd(3).read());
                assertIdleDispatcherParks(fabric);
                assertTrue(errors.count(FabricErrorHandler.Kind.STRAY_INTERRUPT) >= 1);
            }
        }
    }

    /** An idle PARKING dispatcher takes (almost) no CPU: one that spun would take most of a core. */
    private static void assertIdleDispatcherParks(InterruptFabric fabric) {
        Thread d = fabric.dispatcherThread();
        await("the dispatcher parks", () -> d.getState() == Thread.State.WAITING);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long cpu0 = mx.getThreadCpuTime(d.getId());
        long wall0 = System.nanoTime();
        // A measurement window, not synchronisation: how much CPU the idle dispatcher takes in it.
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
        long cpu = mx.getThreadCpuTime(d.getId()) - cpu0;
        long wall = System.nanoTime() - wall0;
        assertTrue(cpu < wall / 10, "idle dispatcher used " + cpu / 1000 + " us of CPU in " + wall / 1000 + " us");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void closeWithABoundReturnsWhenTheSinkBlocksAndSaysWhatIsLeft() throws Exception {
        try (EventFdSink fds = EventFdSink.create(8)) {
            StallingSink stalling = new StallingSink(fds, 3);
            InterruptFabric fabric = InterruptFabric.builder().dispatchMode(DispatchMode.DEDICATED).gsiCount(8).ringSize(64).sink(new InterruptSink() {
                @Override
                public int deliver(int gsi) {
                    return stalling.deliver(gsi);
                }

                @Override
                public int gsiCapacity() {
                    return 8;
                }
            }).build();
            fabric.trigger(3);
            assertTrue(stalling.awaitStalled());
            for (int i = 0; i < 5; i++) {
                fabric.trigger(1);
            }
            FabricCloseTimeoutException e = assertThrows(FabricCloseTimeoutException.class,
                    () -> fabric.close(Duration.ofMillis(100)));
            assertEquals(3, e.deliveringGsi(), e.getMessage());
            assertTrue(e.unhandledEvents() >= 1, e.getMessage());
            assertTrue(e.getMessage().contains("sink.deliver(3)"), e.getMessage());
            assertTrue(fabric.isClosed());
            assertThrows(FabricClosedException.class, () -> fabric.trigger(1));
            stalling.release();
            fabric.close();
            assertEquals(1, fds.eventFd(3).read());
            assertEquals(1, fds.eventFd(1).read(), "the accepted assertions were delivered once the sink returned");
            assertThrows(FabricConfigException.class, () -> fabric.close(Duration.ofSeconds(-1)));
        }
    }

    @Test
    void misuseGetsSpecificExceptionsAtOnce() {
        try (EventFdSink fds = EventFdSink.create(64);
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(64).sink(fds).build()) {
            fabric.createGroup(InterruptSourceType.MSI, 32, 4);
            FabricConfigException overlap = assertThrows(FabricConfigException.class,
                    () -> fabric.createGroup(InterruptSourceType.MSI_X, 34, 8));
            assertTrue(overlap.getMessage().contains("GSI 34 already belongs to MSI source group (GSIs 32..35)"),
                    overlap.getMessage());
            fabric.createMsixTable(40, 4);
            FabricConfigException overTable = assertThrows(FabricConfigException.class,
                    () -> fabric.createGroup(InterruptSourceType.MSI, 41, 1));
            assertTrue(overTable.getMessage().contains("MSI-X table (GSIs 40..43)"), overTable.getMessage());
            FabricConfigException nullType = assertThrows(FabricConfigException.class, () -> fabric.createGroup(null, 0, 1));
            assertTrue(nullType.getMessage().contains("type"), nullType.getMessage());
            fabric.createGroup(InterruptSourceType.MSI, 36, 4); // adjacent, not overlapping
        }
    }

    @Test
    void aThreadFactoryThatThrowsOrDoesNotRunTheDispatcherIsAConfigError() {
        try (EventFdSink fds = EventFdSink.create(8)) {
            FabricConfigException thrown = assertThrows(FabricConfigException.class, () -> InterruptFabric.builder()
                    .gsiCount(8).sink(fds).threadFactory(r -> {
                        throw new IllegalStateException("no threads today");
                    }).build());
            assertNotNull(thrown.getCause());
            assertTrue(thrown.getMessage().contains("no threads today"), thrown.getMessage());
            FabricConfigException started = assertThrows(FabricConfigException.class, () -> InterruptFabric.builder()
                    .gsiCount(8).sink(fds).threadFactory(r -> {
                        Thread t = new Thread(r);
                        t.start();
                        return t; // already started: start() again throws
                    }).build());
            assertNotNull(started.getCause());
        }
    }
}
