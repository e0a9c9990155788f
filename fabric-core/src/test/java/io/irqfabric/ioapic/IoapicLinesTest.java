package io.irqfabric.ioapic;

import io.irqfabric.FabricConfigException;
import io.irqfabric.FabricStateException;
import io.irqfabric.UnknownGsiException;
import io.irqfabric.testing.ControllerFixture;
import io.irqfabric.virtio.VirtioMmioInterrupt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.irqfabric.virtio.VirtioMmioInterrupt.CONFIG;
import static io.irqfabric.virtio.VirtioMmioInterrupt.INTERRUPT_ACK;
import static io.irqfabric.virtio.VirtioMmioInterrupt.INTERRUPT_STATUS;
import static io.irqfabric.virtio.VirtioMmioInterrupt.VRING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IOAPIC lines: pulse semantics (raise then lower), never-programmed pins, shared (wired-OR)
 * sources, virtio-MMIO as a level line on a pin, and per-pin resample listeners. Each check is
 * whether the pin's real eventfd was written.
 */
class IoapicLinesTest {
    private static final int EDGE_PIN = 3;
    private static final int LEVEL_PIN = 5;
    private static final int OTHER_LEVEL_PIN = 6;
    private static final int VEC_EDGE = 0x30;
    private static final int VEC_LEVEL = 0x35;
    private static final int VEC_OTHER = 0x36;

    private ControllerFixture f;
    private IoapicPort io;

    @BeforeEach
    void setUp() {
        f = ControllerFixture.withIoapic();
        io = f.fabric.ioapic();
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private static long edge(int vector) {
        return RedirectionEntry.of(vector, 0, false, false, false, false, 0);
    }

    private static long level(int vector) {
        return RedirectionEntry.of(vector, 0, false, false, true, false, 0);
    }

    private boolean remoteIrr(int pin) {
        return RedirectionEntry.remoteIrr(io.redirectionEntry(pin));
    }

    // ---------------------------------------------------------------- pulse = raise then lower

    @Test
    void pulseOnAHighEdgePinMakesNoEdgeAndLeavesTheLineLowSoTheNextAssertionFires() {
        ControllerFixture.writeEntry(io, EDGE_PIN, edge(VEC_EDGE));
        io.setLevel(EDGE_PIN, true);
        assertEquals(1, f.fired(EDGE_PIN));
        io.pulse(EDGE_PIN);
        assertEquals(0, f.fired(EDGE_PIN), "raising a line that is already high is no edge");
        io.setLevel(EDGE_PIN, true);
        assertEquals(1, f.fired(EDGE_PIN), "the pulse lowered the line, so this is a new edge");
    }

    @Test
    void pulseOnAHighLevelPinIsCoalescedAndLowersTheLineSoEoiDoesNotReinject() {
        ControllerFixture.writeEntry(io, LEVEL_PIN, level(VEC_LEVEL));
        io.setLevel(LEVEL_PIN, true);
        assertEquals(1, f.fired(LEVEL_PIN));
        io.pulse(LEVEL_PIN);
        assertEquals(0, f.fired(LEVEL_PIN), "coalesced into the interrupt the guest has not EOIed");
        io.eoi(VEC_LEVEL);
        assertEquals(0, f.fired(LEVEL_PIN), "the pulse left the line low: nothing to re-inject");
        assertFalse(remoteIrr(LEVEL_PIN));
        io.pulse(LEVEL_PIN);
        assertEquals(1, f.fired(LEVEL_PIN), "a pulse on a low, idle level pin injects once");
        io.eoi(VEC_LEVEL);
        assertEquals(0, f.fired(LEVEL_PIN));
    }

    @Test
    void rtcTickOnAHighLineLowersIt() {
        ControllerFixture.writeEntry(io, IoapicPort.RTC_PIN, edge(0x38));
        io.setLevel(IoapicPort.RTC_PIN, true);
        assertEquals(1, f.fired(IoapicPort.RTC_PIN));
        io.eoi(0x38);
        assertTrue(io.pulseRtc(), "no edge on a high line: coalesced");
        assertFalse(io.pulseRtc(), "the tick lowered the line: the next one injects");
        assertEquals(1, f.fired(IoapicPort.RTC_PIN));
    }

    // ---------------------------------------------------------------- never-programmed pins

    @Test
    void anUnmaskedPinThatWasNeverProgrammedInjectsNothingUntilItGetsARoute() {
        ControllerFixture.writeEntry(io, EDGE_PIN, 0L); // unmasked, vector 0, fixed, edge: MSI data 0
        io.pulse(EDGE_PIN);
        f.fabric.trigger(EDGE_PIN);
        assertEquals(0, f.fired(EDGE_PIN), "no route: nothing is written to the eventfd");
        ControllerFixture.writeEntry(io, EDGE_PIN, edge(VEC_EDGE));
        io.pulse(EDGE_PIN);
        assertEquals(1, f.fired(EDGE_PIN));
    }

    @Test
    void anUnroutedRtcTickSetsNoCoalescingBit() {
        ControllerFixture.writeEntry(io, IoapicPort.RTC_PIN, 0L);
        assertTrue(io.pulseRtc(), "not injected, so reported as coalesced");
        assertEquals(0, f.fired(IoapicPort.RTC_PIN));
        ControllerFixture.writeEntry(io, IoapicPort.RTC_PIN, edge(0x38));
        assertFalse(io.pulseRtc(), "the unrouted tick left no 'not yet EOIed' bit behind");
        assertEquals(1, f.fired(IoapicPort.RTC_PIN));
    }

    @Test
    void aLevelLineRaisedBeforeItsFirstRouteFiresWhenTheGuestProgramsIt() {
        ControllerFixture.writeEntry(io, LEVEL_PIN, 0L);
        io.setLevel(LEVEL_PIN, true);
        assertEquals(0, f.fired(LEVEL_PIN));
        ControllerFixture.writeEntry(io, LEVEL_PIN, level(VEC_LEVEL));
        assertEquals(1, f.fired(LEVEL_PIN), "injected on its new route");
        assertTrue(remoteIrr(LEVEL_PIN));
    }

    // ---------------------------------------------------------------- shared (wired-OR) lines

    @Test
    void aSharedLevelLineStaysHighWhileAnySourceHoldsIt() {
        ControllerFixture.writeEntry(io, LEVEL_PIN, level(VEC_LEVEL));
        IoapicLine a = io.openSharedLine(LEVEL_PIN);
        IoapicLine b = io.openSharedLine(LEVEL_PIN);
        assertEquals(LEVEL_PIN, a.pin());
        a.setLevel(true);
        assertEquals(1, f.fired(LEVEL_PIN));
        b.setLevel(true);
        assertEquals(0, f.fired(LEVEL_PIN), "already high and not EOIed");
        a.setLevel(false);
        assertTrue(b.isAsserted());
        assertFalse(a.isAsserted());
        io.eoi(VEC_LEVEL);
        assertEquals(1, f.fired(LEVEL_PIN), "b still holds the line: EOI re-injects");
        b.setLevel(false);
        io.eoi(VEC_LEVEL);
        assertEquals(0, f.fired(LEVEL_PIN), "every source de-asserted: the line is low");
        io.setLevel(LEVEL_PIN, true); // the pin's own source is one more input of the OR
        assertEquals(1, f.fired(LEVEL_PIN));
        a.close();
        b.close();
    }

    @Test
    void aSharedEdgeLineRisesOnlyWhenTheFirstSourceAsserts() {
        ControllerFixture.writeEntry(io, EDGE_PIN, edge(VEC_EDGE));
        IoapicLine a = io.openSharedLine(EDGE_PIN);
        IoapicLine b = io.openSharedLine(EDGE_PIN);
        a.setLevel(true);
        assertEquals(1, f.fired(EDGE_PIN));
        b.setLevel(true);
        b.pulse();
        io.pulse(EDGE_PIN);
        assertEquals(0, f.fired(EDGE_PIN), "a holds the line: no edge from b or the own source");
        a.setLevel(false);
        assertEquals(0, f.fired(EDGE_PIN));
        b.pulse();
        assertEquals(1, f.fired(EDGE_PIN), "the line is low: a pulse is an edge");
        a.pulse();
        assertEquals(1, f.fired(EDGE_PIN), "and so is the next");
        a.close();
        b.close();
    }

    @Test
    void closingASourceDeassertsItAndFreesIt() {
        ControllerFixture.writeEntry(io, LEVEL_PIN, level(VEC_LEVEL));
        List<IoapicLine> open = new ArrayList<>();
        for (int i = 0; i < IoapicPort.MAX_SHARED_SOURCES; i++) {
            open.add(io.openSharedLine(LEVEL_PIN));
        }
        assertThrows(FabricConfigException.class, () -> io.openSharedLine(LEVEL_PIN));
        IoapicLine first = open.get(0);
        first.setLevel(true);
        assertEquals(1, f.fired(LEVEL_PIN));
        first.close();
        first.close(); // idempotent
        assertThrows(FabricStateException.class, () -> first.setLevel(true));
        assertThrows(FabricStateException.class, first::pulse);
        io.eoi(VEC_LEVEL);
        assertEquals(0, f.fired(LEVEL_PIN), "close de-asserted the source");
        IoapicLine again = io.openSharedLine(LEVEL_PIN);
        assertFalse(again.isAsserted());
        assertThrows(UnknownGsiException.class, () -> io.openSharedLine(24));
        assertThrows(UnknownGsiException.class, () -> io.openSharedLine(-1));
    }

    // ---------------------------------------------------------------- virtio-MMIO on a pin

    @Test
    void virtioMmioOnAnIoapicPinIsALevelLineHighWhileTheStatusIsNonZero() {
        ControllerFixture.writeEntry(io, LEVEL_PIN, level(VEC_LEVEL));
        VirtioMmioInterrupt irq = f.fabric.createVirtioMmio(LEVEL_PIN);
        assertTrue(irq.isLevelTriggered());
        irq.signalUsedBuffer();
        assertEquals(1, f.fired(LEVEL_PIN));
        irq.signalConfigChange();
        assertEquals(0, f.fired(LEVEL_PIN), "line already high, remote IRR set");
        assertEquals(VRING | CONFIG, irq.mmioRead(INTERRUPT_STATUS, 4));
        io.eoi(VEC_LEVEL);
        assertEquals(1, f.fired(LEVEL_PIN), "status still set: the line is high, EOI re-injects");
        irq.mmioWrite(INTERRUPT_ACK, 4, VRING);
        io.eoi(VEC_LEVEL);
        assertEquals(1, f.fired(LEVEL_PIN), "CONFIG still set: still high");
        irq.mmioWrite(INTERRUPT_ACK, 4, CONFIG);
        io.eoi(VEC_LEVEL);
        assertEquals(0, f.fired(LEVEL_PIN), "status zero: the ACK lowered the line");
        assertFalse(remoteIrr(LEVEL_PIN));
        irq.signalUsedBuffer();
        assertEquals(1, f.fired(LEVEL_PIN), "raised again");
        assertEquals(0, f.fabric.counters().guestAccessErrors());
    }

    @Test
    void virtioMmioOnAnEdgePinFiresOnTheRisingStatusOnly() {
        ControllerFixture.writeEntry(io, EDGE_PIN, edge(VEC_EDGE));
        VirtioMmioInterrupt irq = f.fabric.createVirtioMmio(EDGE_PIN);
        irq.signalUsedBuffer();
        irq.signalUsedBuffer();
        assertEquals(1, f.fired(EDGE_PIN), "one edge while the status stays non-zero");
        irq.mmioWrite(INTERRUPT_ACK, 4, VRING);
        assertEquals(0, f.fired(EDGE_PIN)); // the ACK is applied
        irq.signalUsedBuffer();
        assertEquals(1, f.fired(EDGE_PIN), "the ACK lowered the line: the next signal is an edge");
    }

    @Test
    void twoVirtioDevicesAndASharedSourceShareOnePin() {
        ControllerFixture.writeEntry(io, LEVEL_PIN, level(VEC_LEVEL));
        VirtioMmioInterrupt a = f.fabric.createVirtioMmio(LEVEL_PIN);
        VirtioMmioInterrupt b = f.fabric.createVirtioMmio(LEVEL_PIN);
        IoapicLine intx = io.openSharedLine(LEVEL_PIN);
        a.signalUsedBuffer();
        b.signalUsedBuffer();
        intx.setLevel(true);
        assertEquals(1, f.fired(LEVEL_PIN));
        a.mmioWrite(INTERRUPT_ACK, 4, VRING);
        intx.setLevel(false);
        io.eoi(VEC_LEVEL);
        assertEquals(1, f.fired(LEVEL_PIN), "b's status still holds the line");
        b.mmioWrite(INTERRUPT_ACK, 4, VRING);
        io.eoi(VEC_LEVEL);
        assertEquals(0, f.fired(LEVEL_PIN));
    }

    @Test
    void aVirtioLineEndsLowWhenTheStatusEndsZeroUnderConcurrentSignalsAndAcks() throws Exception {
        ControllerFixture.writeEntry(io, LEVEL_PIN, level(VEC_LEVEL));
        VirtioMmioInterrupt irq = f.fabric.createVirtioMmio(LEVEL_PIN);
        AtomicBoolean stop = new AtomicBoolean();
        Thread device = new Thread(() -> {
            while (!stop.get()) {
                irq.signalUsedBuffer();
            }
        });
        device.start();
        try {
            for (int i = 0; i < 20_000; i++) { // the guest: read, ACK, EOI
                long status = irq.mmioRead(INTERRUPT_STATUS, 4);
                irq.mmioWrite(INTERRUPT_ACK, 4, status);
                io.eoi(VEC_LEVEL);
            }
        } finally {
            stop.set(true);
            device.join();
        }
        irq.mmioWrite(INTERRUPT_ACK, 4, VRING | CONFIG);
        io.eoi(VEC_LEVEL);
        f.drainAll();
        io.eoi(VEC_LEVEL);
        assertEquals(0, f.fired(LEVEL_PIN), "status zero, so the line must be low: no re-injection");
        irq.signalUsedBuffer();
        assertEquals(1, f.fired(LEVEL_PIN), "and it can rise again");
    }

    /**
     * A device signal racing the guest's ACK, round after round: whenever the status ends zero the
     * line must end low (an EOI re-injects nothing). The line's level is set from the status read
     * inside the line word's CAS; reading it before the CAS could leave the line high after the
     * ACK's own update (the device's stale "high" landing last).
     */
    @Test
    void aSignalRacingAnAckNeverLeavesTheLineHighWithTheStatusZero() throws Exception {
        ControllerFixture.writeEntry(io, LEVEL_PIN, level(VEC_LEVEL));
        VirtioMmioInterrupt irq = f.fabric.createVirtioMmio(LEVEL_PIN);
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.ExecutorService device = java.util.concurrent.Executors.newSingleThreadExecutor();
        int zeroRounds = 0;
        try {
            for (int round = 0; round < 3_000; round++) {
                java.util.concurrent.Future<?> signal = device.submit(() -> {
                    start.await();
                    irq.signalUsedBuffer();
                    return null;
                });
                start.await();
                irq.mmioWrite(INTERRUPT_ACK, 4, VRING);
                signal.get();
                f.fired(LEVEL_PIN); // deliveries during the round
                long status = irq.mmioRead(INTERRUPT_STATUS, 4);
                io.eoi(VEC_LEVEL);
                long reinjected = f.fired(LEVEL_PIN);
                if (status == 0) {
                    zeroRounds++;
                    assertEquals(0, reinjected, "round " + round + ": status zero but the line is high");
                } else {
                    irq.mmioWrite(INTERRUPT_ACK, 4, status);
                    io.eoi(VEC_LEVEL);
                    f.drainAll();
                }
            }
        } finally {
            device.shutdownNow();
        }
        assertTrue(zeroRounds > 0, "some rounds ended with the ACK after the signal");
    }

    @Test
    void virtioMmioOnAPinKeepsItsLevelAcrossAResample() {
        List<Integer> resampled = Collections.synchronizedList(new ArrayList<>());
        io.setResampleListener(LEVEL_PIN, resampled::add);
        ControllerFixture.writeEntry(io, LEVEL_PIN, level(VEC_LEVEL));
        VirtioMmioInterrupt irq = f.fabric.createVirtioMmio(LEVEL_PIN);
        IoapicLine intx = io.openSharedLine(LEVEL_PIN);
        intx.setLevel(true);
        irq.signalUsedBuffer();
        assertEquals(1, f.fired(LEVEL_PIN));
        io.eoi(VEC_LEVEL);
        assertEquals(1, f.fired(LEVEL_PIN), "the resample de-asserted intx, but the virtio status still holds the line");
        assertFalse(intx.isAsserted());
        assertEquals(List.of(LEVEL_PIN), new ArrayList<>(resampled));
        irq.mmioWrite(INTERRUPT_ACK, 4, VRING);
        io.eoi(VEC_LEVEL);
        assertEquals(0, f.fired(LEVEL_PIN));
    }

    // ---------------------------------------------------------------- per-pin resample

    @Test
    void aResampleListenerChangesOnlyItsOwnPin() {
        List<Integer> resampled = Collections.synchronizedList(new ArrayList<>());
        io.setResampleListener(LEVEL_PIN, resampled::add);
        ControllerFixture.writeEntry(io, LEVEL_PIN, level(VEC_LEVEL));
        ControllerFixture.writeEntry(io, OTHER_LEVEL_PIN, level(VEC_OTHER));
        io.setLevel(LEVEL_PIN, true);
        io.setLevel(OTHER_LEVEL_PIN, true);
        assertEquals(1, f.fired(LEVEL_PIN));
        assertEquals(1, f.fired(OTHER_LEVEL_PIN));

        io.eoi(VEC_LEVEL);
        assertEquals(0, f.fired(LEVEL_PIN), "resampled pin: EOI de-asserts instead of re-injecting");
        assertEquals(List.of(LEVEL_PIN), new ArrayList<>(resampled));
        io.eoi(VEC_OTHER);
        assertEquals(1, f.fired(OTHER_LEVEL_PIN), "a pin without a listener keeps its level: re-injected");
        assertEquals(List.of(LEVEL_PIN), new ArrayList<>(resampled), "and its listener-less EOI resamples nothing");

        io.setLevel(LEVEL_PIN, true); // the device re-asserts
        assertEquals(1, f.fired(LEVEL_PIN));
        io.setResampleListener(LEVEL_PIN, null);
        io.eoi(VEC_LEVEL);
        assertEquals(1, f.fired(LEVEL_PIN), "listener removed: back to re-injection while high");
        assertEquals(1, resampled.size());
        assertThrows(UnknownGsiException.class, () -> io.setResampleListener(24, p -> { }));
    }
}
