package io.irqfabric.ioapic;

import io.irqfabric.DispatchMode;
import io.irqfabric.InterruptSourceType;
import io.irqfabric.FabricClosedException;
import io.irqfabric.FabricErrorHandler;
import io.irqfabric.FabricStateException;
import io.irqfabric.UnknownGsiException;
import io.irqfabric.testing.ControllerFixture;
import io.irqfabric.testing.StallingSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.irqfabric.ioapic.IoapicPort.EOI;
import static io.irqfabric.ioapic.IoapicPort.IOREGSEL;
import static io.irqfabric.ioapic.IoapicPort.IOWIN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The userspace IOAPIC. Every behaviour is checked by whether an interrupt was or was not
 * delivered on the pin's real eventfd (where crosvm's tests say "TODO: verify that an interrupt
 * fires").
 */
class IoapicTest {
    private static final int EDGE_PIN = 3;
    private static final int LEVEL_PIN = 5;
    private static final int VEC_EDGE = 0x30;
    private static final int VEC_LEVEL = 0x35;
    private static final int VEC_RTC = 0x38;

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

    // ---------------------------------------------------------------- helpers

    static void writeEntry(IoapicPort io, int pin, long e) {
        ControllerFixture.writeEntry(io, pin, e);
    }

    static long readEntry(IoapicPort io, int pin) {
        io.mmioWrite(IOREGSEL, 4, IoapicPort.redirectionSelector(pin, false));
        long lo = io.mmioRead(IOWIN, 4);
        io.mmioWrite(IOREGSEL, 4, IoapicPort.redirectionSelector(pin, true));
        long hi = io.mmioRead(IOWIN, 4);
        return hi << 32 | lo;
    }

    static long edge(int vector, boolean masked) {
        return RedirectionEntry.of(vector, 0, false, false, false, masked, 0);
    }

    static long level(int vector, boolean masked) {
        return RedirectionEntry.of(vector, 0, false, false, true, masked, 0);
    }

    private long readRegister(int selector) {
        io.mmioWrite(IOREGSEL, 4, selector);
        return io.mmioRead(IOWIN, 4);
    }

    // ---------------------------------------------------------------- registers

    @Test
    void ioregselReadsBackItsLowByte() {
        io.mmioWrite(IOREGSEL, 4, 0x1234);
        assertEquals(0x34, io.mmioRead(IOREGSEL, 4));
        io.mmioWrite(IOREGSEL, 1, 0x12);
        assertEquals(0x12, io.mmioRead(IOREGSEL, 1));
        assertEquals(0, io.mmioRead(IOREGSEL + 4, 4), "the dummy upper half reads 0");
        assertEquals(0, f.fabric.counters().guestAccessErrors());
    }

    @Test
    void versionRegisterIsReadOnlyAndAdvertises24Pins() {
        assertEquals(0x0017_0020L, readRegister(IoapicPort.SELECT_VERSION));
        io.mmioWrite(IOWIN, 4, 0xFFFF_FFFFL);
        assertEquals(0x0017_0020L, readRegister(IoapicPort.SELECT_VERSION));
    }

    @Test
    void idRegisterKeepsBits24To27AndArbitrationMirrorsIt() {
        io.mmioWrite(IOREGSEL, 4, IoapicPort.SELECT_ID);
        io.mmioWrite(IOWIN, 4, 0xFFFF_FFFFL);
        assertEquals(0x0F00_0000L, readRegister(IoapicPort.SELECT_ID));
        assertEquals(0x0F00_0000L, readRegister(IoapicPort.SELECT_ARBITRATION));
        io.mmioWrite(IOWIN, 4, 0); // arbitration is read-only
        assertEquals(0x0F00_0000L, readRegister(IoapicPort.SELECT_ARBITRATION));
    }

    @Test
    void entriesResetMaskedAndRoundTripThroughBothHalves() {
        for (int pin = 0; pin < IoapicPort.PINS; pin++) {
            assertEquals(RedirectionEntry.RESET, readEntry(io, pin), "pin " + pin);
        }
        long e = RedirectionEntry.of(0x41, 1, true, true, true, false, 0xA5);
        writeEntry(io, 7, e);
        assertEquals(e, readEntry(io, 7));
        assertEquals(e, io.redirectionEntry(7));
        assertEquals(0xA5, RedirectionEntry.destinationId(readEntry(io, 7)));
    }

    @Test
    void guestWritesCannotSetReadOnlyBits() {
        long e = level(VEC_LEVEL, true) | RedirectionEntry.DELIVERY_STATUS | RedirectionEntry.REMOTE_IRR;
        writeEntry(io, LEVEL_PIN, e);
        long back = readEntry(io, LEVEL_PIN);
        assertFalse(RedirectionEntry.deliveryStatus(back));
        assertFalse(RedirectionEntry.remoteIrr(back));
        assertEquals(e & ~RedirectionEntry.READ_ONLY, back);
    }

    @Test
    void guestWritesCannotClearRemoteIrrOfALevelPin() {
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        io.setLevel(LEVEL_PIN, true);
        assertEquals(1, f.fired(LEVEL_PIN));
        assertTrue(RedirectionEntry.remoteIrr(readEntry(io, LEVEL_PIN)));
        // rewrite the low half (still level) with RIRR clear: RIRR stays, nothing fires
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        assertTrue(RedirectionEntry.remoteIrr(readEntry(io, LEVEL_PIN)));
        assertEquals(0, f.fired(LEVEL_PIN));
    }

    // ---------------------------------------------------------------- edge

    @Test
    void edgePinFiresOncePerPulse() {
        writeEntry(io, EDGE_PIN, edge(VEC_EDGE, false));
        assertEquals(0, f.fired(EDGE_PIN));
        io.pulse(EDGE_PIN);
        assertEquals(1, f.fired(EDGE_PIN));
        io.pulse(EDGE_PIN);
        assertEquals(1, f.fired(EDGE_PIN));
        assertEquals(0, f.fired(EDGE_PIN), "nothing without a new edge");
        assertEquals(0, f.fired(EDGE_PIN + 1), "other pins stay quiet");
    }

    @Test
    void triggerOfAnIoapicGsiIsAPulseOnThatPinAndHonoursItsMask() {
        writeEntry(io, EDGE_PIN, edge(VEC_EDGE, true));
        f.fabric.trigger(EDGE_PIN);
        assertEquals(0, f.fired(EDGE_PIN), "masked pin: trigger() does not bypass the IOAPIC");
        writeEntry(io, EDGE_PIN, edge(VEC_EDGE, false));
        f.fabric.trigger(EDGE_PIN);
        assertEquals(1, f.fired(EDGE_PIN), "unmasked edge pin: trigger() delivers once");
        f.fabric.createGroup(InterruptSourceType.LEGACY_IRQ, EDGE_PIN, 1).trigger(0);
        assertEquals(1, f.fired(EDGE_PIN), "a legacy source group on the pin pulses it too");
    }

    @Test
    void edgePinFiresOnRisingLevelOnly() {
        writeEntry(io, EDGE_PIN, edge(VEC_EDGE, false));
        io.setLevel(EDGE_PIN, true);
        assertEquals(1, f.fired(EDGE_PIN));
        io.setLevel(EDGE_PIN, true); // already high: no edge
        assertEquals(0, f.fired(EDGE_PIN));
        io.setLevel(EDGE_PIN, false);
        assertEquals(0, f.fired(EDGE_PIN));
        io.setLevel(EDGE_PIN, true);
        assertEquals(1, f.fired(EDGE_PIN));
    }

    @Test
    void edgeWhileMaskedIsLostAndDoesNotFireOnUnmask() {
        writeEntry(io, EDGE_PIN, edge(VEC_EDGE, true));
        io.pulse(EDGE_PIN);
        assertEquals(0, f.fired(EDGE_PIN));
        writeEntry(io, EDGE_PIN, edge(VEC_EDGE, false));
        assertEquals(0, f.fired(EDGE_PIN));
        io.pulse(EDGE_PIN);
        assertEquals(1, f.fired(EDGE_PIN));
    }

    @Test
    void eoiOfAnEdgeVectorDoesNotReinject() {
        writeEntry(io, EDGE_PIN, edge(VEC_EDGE, false));
        io.setLevel(EDGE_PIN, true);
        assertEquals(1, f.fired(EDGE_PIN));
        io.eoi(VEC_EDGE);
        io.mmioWrite(EOI, 4, VEC_EDGE);
        assertEquals(0, f.fired(EDGE_PIN));
    }

    @Test
    void negativePolarityStillFiresOnAssertion() {
        writeEntry(io, EDGE_PIN, RedirectionEntry.of(VEC_EDGE, 0, false, true, false, false, 0));
        io.pulse(EDGE_PIN);
        assertEquals(1, f.fired(EDGE_PIN));
        assertTrue(RedirectionEntry.isActiveLow(readEntry(io, EDGE_PIN)));
    }

    // ---------------------------------------------------------------- level

    @Test
    void levelPinFiresAndSetsRemoteIrr() {
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        io.setLevel(LEVEL_PIN, true);
        assertEquals(1, f.fired(LEVEL_PIN));
        assertTrue(RedirectionEntry.remoteIrr(readEntry(io, LEVEL_PIN)));
    }

    @Test
    void levelAssertionsAreCoalescedWhileRemoteIrrIsSet() {
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        io.setLevel(LEVEL_PIN, true);
        assertEquals(1, f.fired(LEVEL_PIN));
        for (int i = 0; i < 5; i++) {
            io.setLevel(LEVEL_PIN, false);
            io.setLevel(LEVEL_PIN, true);
            io.pulse(LEVEL_PIN);
        }
        assertEquals(0, f.fired(LEVEL_PIN), "coalesced into the un-EOIed interrupt");
    }

    @Test
    void eoiClearsRemoteIrrAndReinjectsWhileStillAsserted() {
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        io.setLevel(LEVEL_PIN, true);
        assertEquals(1, f.fired(LEVEL_PIN));
        io.eoi(VEC_LEVEL); // line still high: the EOI itself re-injects
        assertEquals(1, f.fired(LEVEL_PIN));
        assertTrue(RedirectionEntry.remoteIrr(readEntry(io, LEVEL_PIN)));
        io.setLevel(LEVEL_PIN, false);
        io.mmioWrite(EOI, 4, VEC_LEVEL); // EOI through the register, line low: no re-injection
        assertEquals(0, f.fired(LEVEL_PIN));
        assertFalse(RedirectionEntry.remoteIrr(readEntry(io, LEVEL_PIN)));
        io.setLevel(LEVEL_PIN, true);
        assertEquals(1, f.fired(LEVEL_PIN));
    }

    @Test
    void eoiOfAnotherVectorLeavesRemoteIrr() {
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        io.setLevel(LEVEL_PIN, true);
        assertEquals(1, f.fired(LEVEL_PIN));
        io.eoi(VEC_LEVEL + 1);
        assertEquals(0, f.fired(LEVEL_PIN));
        assertTrue(RedirectionEntry.remoteIrr(readEntry(io, LEVEL_PIN)));
    }

    @Test
    void levelPinRaisedWhileMaskedFiresOnUnmask() {
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, true));
        io.setLevel(LEVEL_PIN, true);
        assertEquals(0, f.fired(LEVEL_PIN));
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        assertEquals(1, f.fired(LEVEL_PIN));
    }

    @Test
    void levelPinLoweredWhileMaskedDoesNotFireOnUnmask() {
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, true));
        io.setLevel(LEVEL_PIN, true);
        io.setLevel(LEVEL_PIN, false);
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        assertEquals(0, f.fired(LEVEL_PIN));
    }

    @Test
    void maskingKeepsRemoteIrrAndSwitchingToEdgeClearsIt() {
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        io.setLevel(LEVEL_PIN, true);
        assertEquals(1, f.fired(LEVEL_PIN));
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, true));
        assertTrue(RedirectionEntry.remoteIrr(readEntry(io, LEVEL_PIN)), "masking preserves remote IRR");
        writeEntry(io, LEVEL_PIN, edge(VEC_LEVEL, true));
        assertFalse(RedirectionEntry.remoteIrr(readEntry(io, LEVEL_PIN)), "level -> edge clears remote IRR");
        assertEquals(0, f.fired(LEVEL_PIN));
    }

    @Test
    void reconfiguringAnAssertedLevelPinAfterEoiFires() {
        // crosvm "reconfiguration_race": the guest EOIs, then rewrites the entry while the line is high
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        io.setLevel(LEVEL_PIN, true);
        assertEquals(1, f.fired(LEVEL_PIN));
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, true)); // mask
        io.eoi(VEC_LEVEL);                                 // masked: not re-injected
        assertEquals(0, f.fired(LEVEL_PIN));
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL + 2, false)); // new vector, unmasked, line high
        assertEquals(1, f.fired(LEVEL_PIN));
    }

    // ---------------------------------------------------------------- RTC

    @Test
    void rtcTicksAreCoalescedUntilEoiAndTheCallerIsTold() {
        writeEntry(io, IoapicPort.RTC_PIN, edge(VEC_RTC, false));
        assertFalse(io.pulseRtc(), "first tick injected");
        assertEquals(1, f.fired(IoapicPort.RTC_PIN));
        assertTrue(io.pulseRtc(), "second tick before EOI: coalesced");
        assertTrue(io.pulseRtc());
        assertEquals(0, f.fired(IoapicPort.RTC_PIN));
        io.eoi(VEC_RTC);
        assertFalse(io.pulseRtc(), "after EOI the next tick is injected");
        assertEquals(1, f.fired(IoapicPort.RTC_PIN));
    }

    @Test
    void rtcTickOnAMaskedPinCountsAsCoalesced() {
        writeEntry(io, IoapicPort.RTC_PIN, edge(VEC_RTC, true));
        assertTrue(io.pulseRtc());
        assertEquals(0, f.fired(IoapicPort.RTC_PIN));
    }

    // ---------------------------------------------------------------- routes and resample

    @Test
    void programmedEntriesBecomeMsiRoutesCommittedOncePerBatch() {
        f.takeRoutes();
        long e = RedirectionEntry.of(0x51, 1, true, false, true, false, 0x03);
        writeEntry(io, 9, e);
        List<String> routes = f.takeRoutes();
        // address 0xFEE00000 | 3 << 12 | logical << 2 ; data 0x51 | lowest-priority << 8 | level << 15
        assertTrue(routes.contains("route 9 0xfee03004 0x8151"), routes.toString());
        assertTrue(routes.contains("commit"), routes.toString());
        writeEntry(io, 9, e); // unchanged: no new route
        assertFalse(f.takeRoutes().stream().anyMatch(r -> r.startsWith("route")));
    }

    @Test
    void bootTimeEntriesWithZeroDataGetNoRoute() {
        f.takeRoutes();
        writeEntry(io, 10, 0L); // vector 0, fixed, edge, unmasked: msi_data == 0
        writeEntry(io, 11, RedirectionEntry.MASK);
        assertEquals(List.of(), f.takeRoutes());
    }

    @Test
    void resampleListenerIsToldOfLevelEoiAndTheDeviceReasserts() {
        f.close();
        List<Integer> resampled = Collections.synchronizedList(new ArrayList<>());
        f = ControllerFixture.withResamplingIoapic(resampled);
        io = f.fabric.ioapic();
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        writeEntry(io, EDGE_PIN, edge(VEC_LEVEL, false));
        io.setLevel(LEVEL_PIN, true);
        assertEquals(1, f.fired(LEVEL_PIN));
        io.eoi(VEC_LEVEL);
        assertEquals(0, f.fired(LEVEL_PIN), "with resampling the EOI de-asserts instead of re-injecting");
        assertEquals(List.of(LEVEL_PIN), new ArrayList<>(resampled), "edge pins sharing the vector are not resampled");
        assertFalse(RedirectionEntry.remoteIrr(readEntry(io, LEVEL_PIN)));
        io.setLevel(LEVEL_PIN, true); // the device still needs service
        assertEquals(1, f.fired(LEVEL_PIN));
    }

    // ---------------------------------------------------------------- malformed guest accesses

    @Test
    void malformedAccessesAreIgnoredCountedReportedAndReadAllOnes() {
        writeEntry(io, EDGE_PIN, edge(VEC_EDGE, false));
        long before = readEntry(io, EDGE_PIN);
        int bad = 0;
        assertEquals(0xFF_FFFFL, io.mmioRead(IOWIN, 3)); bad++;       // bad size
        assertEquals(0xFFFF_FFFFL, io.mmioRead(0x20, 4)); bad++;      // bad offset
        assertEquals(0xFFFF_FFFFL, io.mmioRead(0x1000, 4)); bad++;    // outside the window
        assertEquals(-1L, io.mmioRead(-8, 8)); bad++;                 // negative offset
        io.mmioWrite(IOWIN, 2, 0xFFFF); bad++;                        // IOWIN writes are 32-bit
        io.mmioWrite(0x44, 4, 0); bad++;
        io.mmioWrite(IOWIN, 16, 0); bad++;
        io.mmioWrite(IOREGSEL, 4, 0x10 + 2 * 24);                     // first invalid redirection index
        assertEquals(0xFFFF_FFFFL, io.mmioRead(IOWIN, 4)); bad++;
        io.mmioWrite(IOWIN, 4, 0); bad++;
        io.mmioWrite(IOREGSEL, 4, 0x05);                              // a hole below the table
        assertEquals(0xFFFF_FFFFL, io.mmioRead(IOWIN, 4)); bad++;
        io.mmioWrite(IOREGSEL, 4, 0xFF);
        assertEquals(0xFFFF_FFFFL, io.mmioRead(IOWIN, 4)); bad++;
        assertEquals(bad, f.fabric.counters().guestAccessErrors());
        assertEquals(bad, f.reported(FabricErrorHandler.Kind.GUEST_ACCESS_INVALID));
        assertEquals(before, readEntry(io, EDGE_PIN));
        io.pulse(EDGE_PIN);
        assertEquals(1, f.fired(EDGE_PIN), "the IOAPIC still works");
    }

    @Test
    void callerMisuseThrowsAtOnce() {
        assertThrows(UnknownGsiException.class, () -> io.setLevel(24, true));
        assertThrows(UnknownGsiException.class, () -> io.pulse(-1));
        assertThrows(IllegalArgumentException.class, () -> io.eoi(256));
        try (ControllerFixture plain = ControllerFixture.plain()) {
            assertThrows(FabricStateException.class, plain.fabric::ioapic);
        }
    }

    @Test
    void closedFabricRejectsEverything() {
        f.fabric.close();
        assertThrows(FabricClosedException.class, () -> io.setLevel(1, true));
        assertThrows(FabricClosedException.class, () -> io.pulse(1));
        assertThrows(FabricClosedException.class, () -> io.mmioRead(0, 4));
        assertThrows(FabricClosedException.class, () -> io.mmioWrite(0, 4, 0));
        assertThrows(FabricClosedException.class, () -> io.eoi(1));
        assertThrows(FabricClosedException.class, io::pulseRtc);
    }

    // ---------------------------------------------------------------- ordering and the ring-full path

    @Test
    void eachVcpuReadsItsOwnEarlierWrites() throws Exception {
        int threads = 4;
        // IOREGSEL is shared, so a guest serialises select + IOWIN pairs (Linux's ioapic_lock);
        // the read-back below takes no lock: only the ring orders it after this vCPU's writes.
        Object guestIoapicLock = new Object();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> vcpus = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int pin = 12 + t;
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < 2_000; i++) {
                        long e = RedirectionEntry.of(0x40 + (i & 0x3F), 0, false, false, false, true, i & 0xFF);
                        synchronized (guestIoapicLock) {
                            writeEntry(io, pin, e);
                        }
                        long back = io.redirectionEntry(pin);
                        if (back != e) {
                            throw new AssertionError("pin " + pin + " wrote " + Long.toHexString(e) + " read " + Long.toHexString(back));
                        }
                    }
                } catch (Throwable x) {
                    failure.compareAndSet(null, x);
                }
            });
            vcpus.add(th);
            th.start();
        }
        for (Thread th : vcpus) {
            th.join(TimeUnit.SECONDS.toMillis(30));
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    @Test
    void aPulseAfterAnUnmaskFromTheSameThreadIsNeverLost() {
        // Line changes are applied in ring order: the pulse cannot be consumed while the pin is
        // still masked by an earlier write of the same thread.
        for (int i = 0; i < 300; i++) {
            writeEntry(io, EDGE_PIN, edge(VEC_EDGE, true));
            io.pulse(EDGE_PIN);                        // masked: lost
            writeEntry(io, EDGE_PIN, edge(VEC_EDGE, false));
            io.pulse(EDGE_PIN);                        // unmasked: must fire
            io.setLevel(LEVEL_PIN, (i & 1) == 0);
            assertEquals(1, f.fired(EDGE_PIN), "round " + i);
        }
    }

    @Test
    void lineChangesSurviveAFullRing() throws Exception {
        f.close();
        int blocker = 100;
        StallingSink[] stall = new StallingSink[1];
        f = ControllerFixture.custom(b -> b.ioapic(true).ringSize(8).dispatchMode(DispatchMode.DEDICATED), sink -> stall[0] = new StallingSink(sink, blocker));
        io = f.fabric.ioapic();
        writeEntry(io, EDGE_PIN, edge(VEC_EDGE, false));
        writeEntry(io, LEVEL_PIN, level(VEC_LEVEL, false));
        f.fabric.sync();
        f.fabric.trigger(blocker);
        assertTrue(stall[0].awaitStalled(), "dispatcher is in the sink");
        long overflowed = 0;
        for (int i = 0; i < 64; i++) {
            f.fabric.trigger(101 + i % 16); // fills the ring (distinct GSIs: one GSI would
        }                                   // coalesce at the source), then the overflow log
        for (int g = 101; g < 117; g++) {
            overflowed += f.fabric.counters().overflowed(g);
        }
        try {
            assertTrue(overflowed > 0, "the ring was full");
            io.pulse(EDGE_PIN);            // no slot: recorded in the line word only
            io.setLevel(LEVEL_PIN, true);
        } finally {
            stall[0].release();
        }
        assertEquals(1, f.fired(EDGE_PIN));
        assertEquals(1, f.fired(LEVEL_PIN));
        assertTrue(f.fired(101) >= 1);
    }
}
