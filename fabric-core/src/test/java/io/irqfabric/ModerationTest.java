package io.irqfabric;

import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.RedirectionEntry;
import io.irqfabric.testing.CapturingErrorHandler;
import io.irqfabric.testing.ControllerFixture;
import io.irqfabric.testing.StallingSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Moderation policies and the level-line storm guard, on a clock the test controls
 * ({@code Builder.nanoClock}): time moves only when the test says so, and {@code sync()} makes
 * the dispatcher end a batch, where it collects what fell due. So every bound is checked
 * exactly, on a busy machine too: nothing here depends on how fast anything runs.
 */
class ModerationTest {
    private static final int GSIS = 64;
    private static final int G = 40;

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final CapturingErrorHandler errors = new CapturingErrorHandler();
    private final AtomicLongArray delivered = new AtomicLongArray(GSIS);
    /** Clock time of every delivery of {@link #G}, in order (dispatcher thread; read after sync). */
    private final List<Long> deliveryTimes = java.util.Collections.synchronizedList(new ArrayList<>());
    private InterruptFabric fabric;

    private final InterruptSink counting = gsi -> {
        delivered.incrementAndGet(gsi);
        if (gsi == G || gsi == PIN) {
            deliveryTimes.add(now.get());
        }
        return InterruptSink.DELIVERED;
    };

    private InterruptFabric build(boolean ioapic, InterruptSink sink) {
        // DEDICATED: these tests hold the dispatcher thread in the sink and time its batches;
        // inline delivery under policies is covered by InlineDeliveryTest and ModerationStressTest.
        fabric = InterruptFabric.builder().gsiCount(GSIS).ringSize(1024).ioapic(ioapic)
                .dispatchMode(DispatchMode.DEDICATED).errorHandler(errors).sink(sink).nanoClock(now::get).build();
        return fabric;
    }

    @AfterEach
    void tearDown() {
        if (fabric != null) {
            fabric.close();
        }
    }

    /** One assertion as its own ring event: the sync makes the dispatcher take it before the next. */
    private void assertOnce(int gsi) {
        fabric.trigger(gsi);
        fabric.sync();
    }

    private void advance(long nanos) {
        now.addAndGet(nanos);
        fabric.sync(); // a batch end: the dispatcher collects what fell due
    }

    // ---------------------------------------------------------------- window

    @Test
    void windowHoldsTheDeliveryUntilItsTimeHasPassedSinceTheFirstHeldAssertion() {
        build(false, counting);
        fabric.moderate(G, ModerationPolicy.window(Duration.ofNanos(1_000_000), ModerationPolicy.NO_MAX));
        long first = now.get();
        assertOnce(G);
        assertEquals(0, delivered.get(G), "held");
        assertEquals(1, fabric.counters().held(G));
        advance(600_000);
        assertOnce(G); // a later assertion does not extend the window
        assertEquals(2, fabric.counters().held(G));
        advance(399_999);
        assertEquals(0, delivered.get(G), "1 ns before the window ends");
        advance(1);
        assertEquals(1, delivered.get(G), "the window ended: one delivery for both assertions");
        assertEquals(List.of(first + 1_000_000), deliveryTimes);
        assertEquals(0, fabric.counters().held(G));
        advance(5_000_000);
        assertEquals(1, delivered.get(G), "nothing held, nothing more");
    }

    @Test
    void windowEndsEarlyWhenMaxAssertionsAccumulated() {
        build(false, counting);
        fabric.moderate(G, ModerationPolicy.window(Duration.ofSeconds(1), 3));
        assertOnce(G);
        assertOnce(G);
        assertEquals(0, delivered.get(G));
        assertOnce(G);
        assertEquals(1, delivered.get(G), "the third assertion ends the window, long before its second");
        assertOnce(G);
        assertEquals(1, delivered.get(G), "a new window");
    }

    @Test
    void aWaitingDispatcherWakesAtTheDeadlineWithoutAnyEvent() {
        // The real clock here: the held delivery must come from the dispatcher's timed wait
        // (no sync, no event after the assertion). The bound is generous: it proves the wake,
        // not its latency.
        fabric = InterruptFabric.builder().gsiCount(GSIS).dispatchMode(DispatchMode.DEDICATED).errorHandler(errors).sink(counting).build();
        fabric.moderate(G, ModerationPolicy.window(Duration.ofNanos(200_000), ModerationPolicy.NO_MAX));
        fabric.trigger(G);
        long until = System.nanoTime() + 30_000_000_000L;
        while (delivered.get(G) == 0 && System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
        assertEquals(1, delivered.get(G), "the parked dispatcher woke for the deadline");
    }

    @Test
    void closeDeliversWhatIsHeld() {
        build(false, counting);
        fabric.moderate(G, ModerationPolicy.window(Duration.ofSeconds(1), ModerationPolicy.NO_MAX));
        assertOnce(G);
        assertEquals(0, delivered.get(G));
        fabric.close();
        assertEquals(1, delivered.get(G), "accepted means delivered, held or not");
    }

    @Test
    void aPolicyChangeReleasesWhatTheOldPolicyHeld() {
        build(false, counting);
        fabric.moderate(G, ModerationPolicy.window(Duration.ofSeconds(1), ModerationPolicy.NO_MAX));
        assertOnce(G);
        fabric.moderate(G, ModerationPolicy.batch());
        fabric.sync();
        assertEquals(1, delivered.get(G));
        assertOnce(G);
        assertEquals(2, delivered.get(G), "batch: at once");
    }

    // ---------------------------------------------------------------- rate cap

    @Test
    void rateCapMergesTheExcessIntoTheNextAllowedDeliveryAndDropsNothing() {
        build(false, counting);
        fabric.moderate(G, ModerationPolicy.rateCap(1000)); // one delivery per ms
        long t0 = now.get();
        assertOnce(G);
        assertEquals(1, delivered.get(G), "the first delivery is not delayed");
        assertOnce(G);
        assertOnce(G);
        assertOnce(G);
        assertEquals(1, delivered.get(G), "within the interval: held");
        assertEquals(3, fabric.counters().capMerged(G));
        advance(999_999);
        assertEquals(1, delivered.get(G));
        advance(1);
        assertEquals(2, delivered.get(G), "the merged assertions' delivery, one interval after the last");
        assertEquals(List.of(t0, t0 + 1_000_000), deliveryTimes);
        advance(3_000_000);
        assertOnce(G);
        assertEquals(3, delivered.get(G), "an interval has passed: at once");
    }

    // ---------------------------------------------------------------- adaptive

    @Test
    void adaptiveWindowFollowsTheRateAndNeverAddsMoreThanItsBound() {
        build(false, counting);
        long bound = 80_000; // 8 rungs of 10 us: the test's 10 us steps hit every deadline exactly
        fabric.moderate(G, ModerationPolicy.adaptive(1000, Duration.ofNanos(bound)));
        List<Long> assertions = new ArrayList<>();
        long maxWindow = 0;
        for (int i = 0; i < 3000; i++) { // 30 ms at one assertion per 10 us: 100,000/s, target 1,000/s
            assertions.add(now.get());
            assertOnce(G);
            advance(10_000);
            maxWindow = Math.max(maxWindow, fabric.counters().adaptiveWindowNanos(G));
        }
        assertTrue(maxWindow > 0, "a rate far above the target opens a window");
        assertTrue(maxWindow <= bound, "window " + maxWindow + " beyond the bound " + bound);
        assertTrue(delivered.get(G) < assertions.size() / 2, "it coalesced: " + delivered.get(G));
        for (int k = 0; k < 8; k++) {
            advance(10_000); // the test's granularity stays 10 us, so a late delivery is seen as late
        }
        // Every assertion is followed by a delivery that starts after it, at most the bound later.
        List<Long> d = new ArrayList<>(deliveryTimes);
        int j = 0;
        for (long t : assertions) {
            while (j < d.size() && d.get(j) < t) {
                j++;
            }
            assertTrue(j < d.size(), "assertion at " + t + " never delivered");
            assertTrue(d.get(j) - t <= bound, "assertion at " + t + " delivered " + (d.get(j) - t) + " ns later");
        }
        // Quiet again: after an idle gap the window is closed, so a lone assertion is not delayed.
        advance(50_000_000);
        long before = delivered.get(G);
        assertOnce(G);
        assertEquals(before + 1, delivered.get(G), "a device that went quiet pays no delay");
        assertEquals(0, fabric.counters().adaptiveWindowNanos(G));
    }

    @Test
    void adaptiveHoldsNothingBelowItsTarget() {
        build(false, counting);
        fabric.moderate(G, ModerationPolicy.adaptive(100_000, Duration.ofNanos(100_000)));
        for (int i = 0; i < 200; i++) { // 10,000/s, under the target of 100,000/s
            assertOnce(G);
            assertEquals(i + 1, delivered.get(G));
            advance(100_000);
        }
        assertEquals(0, fabric.counters().adaptiveWindowNanos(G));
    }

    // ---------------------------------------------------------------- none

    @Test
    void noneWritesOncePerAssertionEvenWhileTheDispatcherIsBusy() throws Exception {
        StallingSink stall = new StallingSink(counting, 7);
        build(false, stall);
        fabric.moderate(G, ModerationPolicy.none());
        fabric.moderate(G + 1, ModerationPolicy.batch());
        fabric.trigger(7);
        assertTrue(stall.awaitStalled());
        for (int i = 0; i < 100; i++) { // the dispatcher is held: these would all coalesce under batch
            fabric.trigger(G);
            fabric.trigger(G + 1);
        }
        stall.release();
        fabric.sync();
        assertEquals(100, delivered.get(G), "none: one write per assertion");
        assertEquals(1, delivered.get(G + 1), "batch: one write for the lot");
        assertEquals(0, fabric.counters().coalescedAtSource(G));
    }

    @Test
    void immediateIsTrueOnlyForPoliciesThatHoldNothing() {
        build(false, counting);
        // The question the inline-delivery path asks (before it writes on a producer thread).
        io.irqfabric.internal.Moderation m = moderationOf(fabric);
        assertTrue(m.immediate(G));
        fabric.moderate(G, ModerationPolicy.none());
        fabric.sync();
        assertTrue(m.immediate(G));
        fabric.moderate(G, ModerationPolicy.rateCap(10));
        fabric.sync();
        assertEquals(false, m.immediate(G));
        fabric.moderate(G, ModerationPolicy.window(Duration.ofNanos(1000), 4));
        fabric.sync();
        assertEquals(false, m.immediate(G));
        fabric.moderate(G, ModerationPolicy.batch());
        fabric.sync();
        assertTrue(m.immediate(G));
    }

    private static io.irqfabric.internal.Moderation moderationOf(InterruptFabric f) {
        try {
            java.lang.reflect.Field field = InterruptFabric.class.getDeclaredField("moderation");
            field.setAccessible(true);
            return (io.irqfabric.internal.Moderation) field.get(f);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void misuseFailsAtOnce() {
        build(false, counting);
        assertThrows(UnknownGsiException.class, () -> fabric.moderate(GSIS, ModerationPolicy.none()));
        assertThrows(FabricConfigException.class, () -> fabric.moderate(G, null));
        fabric.close();
        assertThrows(FabricClosedException.class, () -> fabric.moderate(G, ModerationPolicy.none()));
    }

    // ---------------------------------------------------------------- masking

    @Test
    void aMaskedVectorsPendingBitIsDeliveredOnUnmaskUnderItsPolicy() {
        build(false, counting);
        io.irqfabric.msi.MsixTable msix = fabric.createMsixTable(G, 2);
        int v = 0;
        msix.writeMessageControl(io.irqfabric.msi.MsixTable.CONTROL_ENABLE);
        long address = io.irqfabric.msi.MsiMessage.encodeAddress(1, false, false);
        msix.tableWrite(0, 4, address & 0xFFFF_FFFFL);
        msix.tableWrite(4, 4, address >>> 32);
        msix.tableWrite(8, 4, 0x41);
        msix.tableWrite(12, 4, 0); // unmasked
        fabric.moderate(G, ModerationPolicy.window(Duration.ofNanos(1_000_000), ModerationPolicy.NO_MAX));
        msix.trigger(v);
        fabric.sync();
        assertEquals(0, delivered.get(G), "held by the window");
        msix.tableWrite(12, 4, 1); // masked while held: the pending bit takes it over
        advance(2_000_000);
        assertEquals(0, delivered.get(G), "masked: no delivery");
        assertEquals(1, msix.pbaRead(0, 8) & 1, "the PBA shows it");
        msix.tableWrite(12, 4, 0);
        fabric.sync();
        assertEquals(0, delivered.get(G), "unmasked: a new window starts");
        advance(1_000_000);
        assertEquals(1, delivered.get(G), "delivered when the window ends");
    }

    // ---------------------------------------------------------------- storm guard

    private static final int PIN = 5;
    private static final int VEC = 0x35;

    private void levelPinHigh() {
        // none: one write per injection, so the deliveries count the re-injections exactly
        fabric.moderate(PIN, ModerationPolicy.none());
        ControllerFixture.writeEntry(fabric.ioapic(), PIN, RedirectionEntry.of(VEC, 0, false, false, true, false, 0));
        fabric.ioapic().setLevel(PIN, true);
        fabric.sync();
    }

    private void eois(int n) {
        IoapicPort io = fabric.ioapic();
        for (int i = 0; i < n; i++) {
            io.eoi(VEC);
        }
        fabric.sync();
    }

    @Test
    void stormGuardDelaysTheReinjectionAfter10000EoisAndNeverLosesTheLine() {
        build(true, counting);
        levelPinHigh();
        assertEquals(1, delivered.get(PIN));
        eois(9_999);
        assertEquals(10_000, delivered.get(PIN), "each EOI with the line high re-injects");
        assertEquals(0, fabric.counters().stormGuardTrips(PIN));
        eois(1);
        assertEquals(10_000, delivered.get(PIN), "the 10,000th EOI in a row: re-injection delayed");
        assertEquals(1, fabric.counters().stormGuardTrips(PIN));
        assertEquals(1, errors.count(FabricErrorHandler.Kind.LEVEL_STORM), "reported once per trip");
        eois(3); // the guest keeps EOIing (nothing in service): still delayed
        // Another source on the wired-OR pin pulses: an edge, the line stays high. It does not
        // bypass the delay either.
        fabric.ioapic().openSharedLine(PIN).pulse();
        fabric.sync();
        assertEquals(10_000, delivered.get(PIN));
        advance(9_999_999);
        assertEquals(10_000, delivered.get(PIN));
        advance(1);
        assertEquals(10_001, delivered.get(PIN), "re-injected after 10 ms, the line being still high");
        eois(9_999);
        assertEquals(20_000, delivered.get(PIN));
        eois(1);
        assertEquals(20_000, delivered.get(PIN), "a second trip");
        assertEquals(2, fabric.counters().stormGuardTrips(PIN));
        assertEquals(2, errors.count(FabricErrorHandler.Kind.LEVEL_STORM));
        fabric.close();
        assertEquals(20_001, delivered.get(PIN), "close re-injects a delayed line that is still high");
    }

    @Test
    void aLineThatDropsEndsTheStorm() {
        build(true, counting);
        levelPinHigh();
        eois(9_999);
        fabric.ioapic().setLevel(PIN, false); // the device quieted: the count starts over
        eois(1);
        fabric.ioapic().setLevel(PIN, true);
        fabric.sync();
        eois(9_998);
        assertEquals(0, fabric.counters().stormGuardTrips(PIN));
        assertEquals(1 + 9_999 + 1 + 9_998, delivered.get(PIN));
        eois(2); // now 10,000 in a row since the line rose again
        assertEquals(1, fabric.counters().stormGuardTrips(PIN));
        fabric.ioapic().setLevel(PIN, false); // dropped during the delay: nothing to re-inject
        fabric.sync();
        long before = delivered.get(PIN);
        advance(10_000_000);
        assertEquals(before, delivered.get(PIN), "a level line that went low is not an interrupt");
        fabric.ioapic().setLevel(PIN, true);
        fabric.sync();
        assertEquals(before + 1, delivered.get(PIN), "after the delay the line fires at once again");
    }
}
