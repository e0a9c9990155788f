package io.irqfabric;

import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.testing.SteadyStateAllocation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;


import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DESIGN invariant 3: trigger() allocates nothing, and neither does the dispatcher's steady
 * state. Measured with the per-thread allocation counter over a million triggers, on a normal
 * ring and on a ring so small that most assertions take the overflow path.
 */
class AllocationFreeTriggerTest {
    /**
     * Steady state means after every code path has run once: the first use of a path loads
     * classes and links VarHandle call sites, which allocates once per JVM. So run the normal
     * and the ring-full (overflow) paths, under every wait strategy, before measuring.
     */
    @org.junit.jupiter.api.BeforeAll
    static void warmUpEveryPath() {
        for (DispatcherWait wait : DispatcherWait.values()) {
            for (int ring : new int[] {2, 4096}) {
                try (EventFdSink sink = EventFdSink.create(64);
                     InterruptFabric fabric = InterruptFabric.builder().gsiCount(64).ringSize(ring)
                             .waitStrategy(wait).sink(sink).build()) {
                    storm(fabric, 200_000, 64);
                    fabric.sync();
                    try (InterruptFabric inline = InterruptFabric.builder().gsiCount(64).ringSize(ring)
                            .waitStrategy(wait).sink(sink).dispatchMode(DispatchMode.INLINE_WHEN_IDLE).build()) {
                        spaced(inline, 2_000, 64);
                        storm(inline, 200_000, 64);
                        inline.sync();
                    }
                    if (wait == DispatcherWait.PARKING) {
                        // Let the dispatcher park once, then wake it: the park/unpark paths run too.
                        long deadline = System.nanoTime() + 10_000_000_000L;
                        while (fabric.dispatcherThread().getState() != Thread.State.WAITING) {
                            if (System.nanoTime() > deadline) {
                                throw new AssertionError("PARKING dispatcher did not park within 10 s of idling");
                            }
                            Thread.yield();
                        }
                        fabric.trigger(0);
                        fabric.sync();
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "ring {0}, {1}")
    @CsvSource({"4096, BUSY_SPIN", "4096, PARKING", "2, BUSY_SPIN"})
    void triggersAllocateNothingOnProducerOrDispatcher(int ringSize, DispatcherWait wait) {
        SteadyStateAllocation.meter();
        int gsis = 64;
        try (EventFdSink sink = EventFdSink.create(gsis);
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(gsis).ringSize(ringSize)
                     .waitStrategy(wait).sink(sink).build()) {
            long me = Thread.currentThread().getId();
            long dispatcher = fabric.dispatcherThread().getId();
            // Each window: 200,000 triggers, then sync() so the dispatcher has handled them all.
            // One object per operation would be >= 3,200,000 bytes a window; the steady state
            // must be exactly zero (SteadyStateAllocation says why one-offs are not counted).
            SteadyStateAllocation.assertAllocatesNothing("trigger() on the producer / the dispatcher handling it", () -> {
                storm(fabric, 200_000, gsis);
                fabric.sync();
            }, me, dispatcher);
            for (int g = 0; g < gsis; g++) {
                sink.eventFd(g).read();
            }
        }
    }

    /**
     * Inline mode: assertions spaced so that most find the fabric idle and are written on this
     * thread under the dispatcher role, mixed with a storm that the dispatcher takes over.
     */
    @ParameterizedTest(name = "inline, {0}")
    @CsvSource({"BUSY_SPIN", "PARKING"})
    void inlineDeliveriesAllocateNothing(DispatcherWait wait) {
        SteadyStateAllocation.meter();
        int gsis = 64;
        try (EventFdSink sink = EventFdSink.create(gsis);
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(gsis).waitStrategy(wait).sink(sink)
                     .dispatchMode(DispatchMode.INLINE_WHEN_IDLE).build()) {
            long me = Thread.currentThread().getId();
            long dispatcher = fabric.dispatcherThread().getId();
            long inlineBefore = fabric.counters().inlineDeliveries();
            SteadyStateAllocation.assertAllocatesNothing("inline trigger() / the dispatcher", () -> {
                spaced(fabric, 2_000, gsis);
                storm(fabric, 100_000, gsis);
                fabric.sync();
            }, me, dispatcher);
            assertTrue(fabric.counters().inlineDeliveries() - inlineBefore > 0, "the inline path ran");
            for (int g = 0; g < gsis; g++) {
                sink.eventFd(g).read();
            }
        }
    }

    private static void spaced(InterruptFabric fabric, int n, int gsis) {
        for (int i = 0; i < n; i++) {
            fabric.trigger(i & (gsis - 1));
            long until = System.nanoTime() + 20_000L;
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
        }
    }

    private static void storm(InterruptFabric fabric, int n, int gsis) {
        for (int i = 0; i < n; i++) {
            fabric.trigger(i & (gsis - 1));
        }
    }
}
