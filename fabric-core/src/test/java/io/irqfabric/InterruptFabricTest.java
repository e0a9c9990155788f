package io.irqfabric;

import io.irqfabric.eventfd.EventFdSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviour of the fabric on real eventfds: delivery, coalescing, errors, misuse. */
class InterruptFabricTest {

    @ParameterizedTest
    @EnumSource(DispatcherWait.class)
    void eachTriggerIsDeliveredToItsEventfd(DispatcherWait wait) {
        try (EventFdSink sink = EventFdSink.create(8);
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(8).ringSize(64).waitStrategy(wait).sink(sink).build()) {
            fabric.trigger(3);
            fabric.sync();
            assertEquals(1, sink.eventFd(3).read(), "GSI 3 signalled once");
            for (int g = 0; g < 8; g++) {
                assertEquals(0, sink.eventFd(g).read(), "GSI " + g + " not signalled");
            }
            assertEquals(1, fabric.counters().asserted(3));
            assertEquals(1, fabric.counters().delivered(3));
        }
    }

    @Test
    void assertionsOfOneGsiInOneBatchBecomeOneDelivery() throws Exception {
        CountDownLatch inFirstDelivery = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (EventFdSink fds = EventFdSink.create(4)) {
            InterruptSink holding = gsi -> {
                if (gsi == 0) {
                    inFirstDelivery.countDown();
                    awaitUninterruptibly(release);
                }
                return fds.deliver(gsi);
            };
            // DEDICATED: the test holds the dispatcher thread in the sink (inline, it would be this thread).
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(4).ringSize(256).sink(holding)
                    .dispatchMode(DispatchMode.DEDICATED).build()) {
                fabric.trigger(0);
                assertTrue(inFirstDelivery.await(10, TimeUnit.SECONDS), "dispatcher reached the first delivery");
                // The dispatcher is held inside deliver(0): these 100 assertions all wait in the
                // ring, so its next batch holds every one of them.
                for (int i = 0; i < 100; i++) {
                    fabric.trigger(1);
                }
                fabric.trigger(2);
                release.countDown();
                fabric.sync();
                assertEquals(1, fds.eventFd(0).read());
                assertEquals(1, fds.eventFd(1).read(), "100 assertions in one batch -> one eventfd write");
                assertEquals(1, fds.eventFd(2).read());
                assertEquals(100, fabric.counters().asserted(1));
                assertEquals(1, fabric.counters().delivered(1));
                assertEquals(99, fabric.counters().coalesced(1));
            }
        }
    }

    @Test
    void aClosedEventfdIsAnErrorForItsGsiOnlyAndOtherGsisKeepWorking() {
        List<String> errors = new ArrayList<>();
        try (EventFdSink sink = EventFdSink.create(4);
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(4).sink(sink)
                     .errorHandler((kind, gsi, detail, cause) -> errors.add(kind + ":" + gsi + ":" + detail)).build()) {
            sink.eventFd(2).close();
            fabric.trigger(2);
            fabric.trigger(1);
            fabric.sync();
            fabric.trigger(2);
            fabric.trigger(3);
            fabric.sync();
            assertEquals(1, sink.eventFd(1).read());
            assertEquals(1, sink.eventFd(3).read());
            assertEquals(2, fabric.counters().errors(2));
            assertEquals(0, fabric.counters().delivered(2));
            assertEquals(0, fabric.counters().errors(1));
            fabric.close();
            assertEquals(List.of("DELIVERY_FAILED:2:9", "DELIVERY_FAILED:2:9"), errors, "EBADF (9) reported per failure");
        }
    }

    @Test
    void aThrowingSinkNeverStopsTheDispatcher() {
        List<Throwable> seen = new ArrayList<>();
        try (EventFdSink fds = EventFdSink.create(2)) {
            InterruptSink flaky = gsi -> {
                if (gsi == 0) {
                    throw new IllegalStateException("device gone");
                }
                return fds.deliver(gsi);
            };
            try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(2).sink(flaky)
                    .errorHandler((kind, gsi, detail, cause) -> seen.add(cause)).build()) {
                for (int i = 0; i < 10; i++) {
                    fabric.trigger(0);
                    fabric.sync();
                }
                fabric.trigger(1);
                fabric.sync();
                assertEquals(1, fds.eventFd(1).read(), "GSI 1 still delivered after 10 sink exceptions");
                assertEquals(10, fabric.counters().errors(0));
                assertTrue(fabric.dispatcherThread().isAlive());
            }
        }
        assertEquals(10, seen.size());
        assertInstanceOf(IllegalStateException.class, seen.get(0));
    }

    @Test
    void misuseGetsSpecificExceptionsAtOnce() {
        assertThrows(FabricConfigException.class, () -> InterruptFabric.builder().ringSize(1000));
        assertThrows(FabricConfigException.class, () -> InterruptFabric.builder().ringSize(0));
        assertThrows(FabricConfigException.class, () -> InterruptFabric.builder().ringSize(-8));
        assertThrows(FabricConfigException.class, () -> InterruptFabric.builder().gsiCount(0));
        assertThrows(FabricConfigException.class, () -> InterruptFabric.builder().sink(null));
        assertThrows(FabricConfigException.class, () -> InterruptFabric.builder().waitStrategy(null));
        assertThrows(FabricConfigException.class, () -> InterruptFabric.builder().build(), "no sink");
        try (EventFdSink few = EventFdSink.create(8)) {
            InterruptFabric.Builder tooFewForIoapic = InterruptFabric.builder().gsiCount(8).ioapic(true).sink(few);
            assertThrows(FabricConfigException.class, tooFewForIoapic::build, "an IOAPIC needs 24 GSIs");
            try (InterruptFabric fixed = tooFewForIoapic.ioapic(false).build()) {
                assertEquals(8, fixed.gsiCount(), "a build refused for bad configuration can be retried");
            }
        }

        try (EventFdSink sink = EventFdSink.create(16)) {
            InterruptFabric.Builder builder = InterruptFabric.builder().gsiCount(16).sink(sink);
            InterruptFabric fabric = builder.build();
            assertThrows(FabricStateException.class, builder::build, "a builder builds once");

            UnknownGsiException e = assertThrows(UnknownGsiException.class, () -> fabric.trigger(16));
            assertEquals(16, e.gsi());
            assertThrows(UnknownGsiException.class, () -> fabric.trigger(-1));

            InterruptSourceGroup msi = fabric.createGroup(InterruptSourceType.MSI, 8, 4);
            assertEquals(11, msi.gsi(3));
            assertThrows(UnknownGsiException.class, () -> msi.trigger(4));
            assertThrows(UnknownGsiException.class, () -> fabric.createGroup(InterruptSourceType.MSI, 14, 4), "GSIs 14..17 exceed 0..15");
            assertThrows(FabricConfigException.class, () -> fabric.createGroup(InterruptSourceType.LEGACY_IRQ, 0, 2));
            assertThrows(FabricConfigException.class, () -> fabric.createGroup(InterruptSourceType.MSI, 0, 33));

            msi.trigger(3);
            fabric.close();
            assertEquals(1, sink.eventFd(11).read(), "accepted before close -> delivered");
            assertThrows(FabricClosedException.class, () -> fabric.trigger(1));
            assertThrows(FabricClosedException.class, () -> msi.trigger(0));
            assertThrows(FabricClosedException.class, fabric::sync);
            assertThrows(FabricClosedException.class, () -> fabric.createGroup(InterruptSourceType.MSI, 0, 1));
            fabric.close(); // idempotent
            assertTrue(fabric.isClosed());
        }
    }

    @Test
    void closeFromInsideTheSinkIsRefusedNotDeadlocked() {
        AtomicReference<InterruptFabric> self = new AtomicReference<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        InterruptSink closing = gsi -> {
            try {
                self.get().close();
            } catch (Throwable t) {
                thrown.set(t);
            }
            return InterruptSink.DELIVERED;
        };
        try (InterruptFabric fabric = InterruptFabric.builder().gsiCount(1).sink(closing).build()) {
            self.set(fabric);
            fabric.trigger(0);
            fabric.sync();
            assertInstanceOf(FabricStateException.class, thrown.get());
        }
    }

    @Test
    void unboundGsiFailsWithEnoentUntilBound() {
        try (EventFdSink sink = EventFdSink.unbound(2);
             io.irqfabric.eventfd.EventFd fd = io.irqfabric.eventfd.EventFd.create();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(2).sink(sink)
                     .errorHandler((kind, gsi, detail, cause) -> { }).build()) {
            fabric.trigger(1);
            fabric.sync();
            assertEquals(1, fabric.counters().errors(1));
            assertEquals(EventFdSink.ENOENT, sink.lastErrno(1));
            sink.bind(1, fd);
            fabric.trigger(1);
            fabric.sync();
            assertEquals(1, fd.read());
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        while (true) {
            try {
                if (latch.await(30, TimeUnit.SECONDS)) {
                    return;
                }
                throw new AssertionError("latch not released within 30 s");
            } catch (InterruptedException ignored) {
                // keep waiting
            }
        }
    }
}
