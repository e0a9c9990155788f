package io.irqfabric.controllers;

import io.irqfabric.FabricErrorHandler;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.RedirectionEntry;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.testing.ControllerFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Randomized guest register traffic against the IOAPIC and an MSI-X table, over fixed seeds,
 * checked against a small reference model written from the specification (not from the
 * implementation). Each seed makes {@value #ACCESSES} accesses: valid and malformed register
 * reads and writes, EOIs, line assertions, RTC ticks and vector triggers.
 *
 * <p>Checked: no exception escapes the fabric and the dispatcher reports no internal error;
 * every register read equals the model (so read-only bits never change and guest writes never
 * set them); every malformed access is counted exactly once; at every checkpoint each pin
 * and vector got at least one delivery if the model injected it and none if it did not (masked
 * pins and vectors never deliver); an unmasked vector never shows a pending bit and a masked
 * vector's pending bit never vanishes (every pending bit is delivered on unmask).
 */
class GuestTrafficStressTest {
    static final int ACCESSES = 100_000;
    static final int CHECK_EVERY = 256;
    static final int MSIX_BASE = 64;
    static final int MSIX_VECTORS = 8;
    static final int[] VECTORS = {0x30, 0x31, 0x32, 0x33, 0x34, 0x35};

    private ControllerFixture f;
    private IoapicPort io;
    private MsixTable msix;
    private SplittableRandom rnd;
    private final RefIoapic ref = new RefIoapic();
    private final RefMsix refX = new RefMsix();
    private long accesses;
    private long expectedInvalid;

    @ParameterizedTest
    @ValueSource(longs = {0x5EED_0001L, 0x5EED_0002L, 0x5EED_0003L, 0x5EED_0004L, 0x5EED_0005L, 0xBADC0DEL})
    void randomGuestTrafficKeepsEveryInvariant(long seed) {
        rnd = new SplittableRandom(seed);
        f = ControllerFixture.withIoapic();
        try {
            io = f.fabric.ioapic();
            msix = f.fabric.createMsixTable(MSIX_BASE, MSIX_VECTORS);
            int checkpoints = 0;
            while (accesses < ACCESSES) {
                long target = accesses + CHECK_EVERY;
                while (accesses < target) {
                    step();
                }
                checkpoint(++checkpoints % 8 == 0);
            }
            checkpoint(true);
            f.fabric.sync();
            assertEquals(expectedInvalid, f.fabric.counters().guestAccessErrors(), "every malformed access counted once");
            assertEquals(0, f.errors.get(FabricErrorHandler.Kind.HANDLER_EXCEPTION.ordinal()), "no exception inside the dispatcher");
            assertEquals(0, f.errors.get(FabricErrorHandler.Kind.DELIVERY_FAILED.ordinal()));
            assertTrue(ref.totalInjections > 1_000, "the traffic exercised the IOAPIC: " + ref.totalInjections);
            assertTrue(refX.totalDelivered > 1_000, "the traffic exercised MSI-X: " + refX.totalDelivered);
        } finally {
            f.close();
        }
    }

    // ================================================================ one random access

    private void step() {
        int r = rnd.nextInt(100);
        if (!(r >= 32 && r < 50) && !(r >= 71 && r < 88)) {
            // Every access but a line change (which may take the ring-full record path) and a
            // trigger publishes a ring event of this thread: a later trigger of a vector
            // coalesces at the source only into an event published after it.
            refX.closeRuns();
        }
        if (r < 14) {
            ioapicWriteEntryHalf();
        } else if (r < 22) {
            ioapicRead();
        } else if (r < 27) {
            ioapicSelectorOrIdWrite();
        } else if (r < 32) {
            eoi();
        } else if (r < 50) {
            line();
        } else if (r < 51) {
            assertEquals(ref.rtcPulse(), io.pulseRtc(), "RTC coalesced answer");
            accesses++;
        } else if (r < 56) {
            ioapicMalformed();
        } else if (r < 68) {
            msixWrite();
        } else if (r < 71) {
            int c = (rnd.nextBoolean() ? MsixTable.CONTROL_ENABLE : 0) | (rnd.nextInt(4) == 0 ? MsixTable.CONTROL_FUNCTION_MASK : 0)
                    | (rnd.nextInt(8) == 0 ? rnd.nextInt(0x10000) : 0);
            msix.writeMessageControl(c);
            refX.control(c);
            accesses++;
        } else if (r < 88) {
            int v = rnd.nextInt(MSIX_VECTORS);
            msix.trigger(v);
            refX.trigger(v);
            accesses++;
        } else if (r < 94) {
            msixRead();
        } else {
            msixMalformed();
        }
    }

    private long entryValue(boolean high) {
        if (high) {
            return rnd.nextInt(4) == 0 ? rnd.nextLong() & 0xFFFF_FFFFL : (long) rnd.nextInt(4) << 24;
        }
        long v = VECTORS[rnd.nextInt(VECTORS.length)];
        if (rnd.nextInt(16) == 0) {
            v = rnd.nextInt(256); // includes vector 0 with data 0: no route
        }
        v |= (long) rnd.nextInt(2) << 8;
        v |= rnd.nextInt(4) == 0 ? RedirectionEntry.DELIVERY_STATUS : 0;   // read-only: must not stick
        v |= rnd.nextInt(3) == 0 ? RedirectionEntry.REMOTE_IRR : 0;        // read-only: must not stick
        v |= rnd.nextBoolean() ? RedirectionEntry.TRIGGER_LEVEL : 0;
        v |= rnd.nextInt(3) == 0 ? RedirectionEntry.MASK : 0;
        v |= rnd.nextInt(4) == 0 ? RedirectionEntry.POLARITY_LOW : 0;
        v |= rnd.nextInt(8) == 0 ? (long) rnd.nextInt(1 << 15) << 17 & 0xFFFF_FFFFL : 0;
        return v;
    }

    private void ioapicWriteEntryHalf() {
        int pin = rnd.nextInt(IoapicPort.PINS);
        boolean high = rnd.nextInt(4) == 0;
        int sel = IoapicPort.redirectionSelector(pin, high);
        io.mmioWrite(IoapicPort.IOREGSEL, 4, sel);
        ref.write(IoapicPort.IOREGSEL, 4, sel);
        long v = entryValue(high);
        io.mmioWrite(IoapicPort.IOWIN, 4, v);
        ref.write(IoapicPort.IOWIN, 4, v);
        accesses += 2;
    }

    private void ioapicRead() {
        int sel = rnd.nextInt(8) == 0 ? rnd.nextInt(256) : IoapicPort.SELECT_REDIRECTION_TABLE + rnd.nextInt(48);
        io.mmioWrite(IoapicPort.IOREGSEL, 4, sel);
        ref.write(IoapicPort.IOREGSEL, 4, sel);
        int size = rnd.nextInt(4) == 0 ? 8 : 4;
        long expected = ref.read(IoapicPort.IOWIN, size);
        assertEquals(expected, io.mmioRead(IoapicPort.IOWIN, size), "IOWIN read of selector 0x" + Integer.toHexString(sel));
        accesses += 2;
    }

    private void ioapicSelectorOrIdWrite() {
        int sel = rnd.nextInt(3); // ID, version, arbitration
        io.mmioWrite(IoapicPort.IOREGSEL, 1, sel);
        ref.write(IoapicPort.IOREGSEL, 1, sel);
        long v = rnd.nextLong() & 0xFFFF_FFFFL;
        io.mmioWrite(IoapicPort.IOWIN, 4, v);
        ref.write(IoapicPort.IOWIN, 4, v);
        assertEquals(ref.read(IoapicPort.IOWIN, 4), io.mmioRead(IoapicPort.IOWIN, 4));
        accesses += 3;
    }

    private void eoi() {
        int vector = rnd.nextInt(10) == 0 ? rnd.nextInt(256) : VECTORS[rnd.nextInt(VECTORS.length)];
        if (rnd.nextBoolean()) {
            io.eoi(vector);
            ref.eoi(vector);
        } else {
            io.mmioWrite(IoapicPort.EOI, 4, vector);
            ref.write(IoapicPort.EOI, 4, vector);
        }
        accesses++;
    }

    private void line() {
        int pin = rnd.nextInt(IoapicPort.PINS);
        int op = rnd.nextInt(3);
        if (op == 2) {
            io.pulse(pin);
            ref.pulse(pin);
        } else {
            io.setLevel(pin, op == 1);
            ref.setLevel(pin, op == 1);
        }
        accesses++;
    }

    private void ioapicMalformed() {
        long[] offsets = {0x08, 0x0C, 0x14, 0x20, 0x30, 0x44, 0x80, 0xFC, 0x100, 0xFEC0_0000L, -4};
        int[] sizes = {0, 3, 5, 16, 64, -1};
        boolean badSize = rnd.nextBoolean();
        long offset = badSize ? new long[] {0, 0x10, 0x40}[rnd.nextInt(3)] : offsets[rnd.nextInt(offsets.length)];
        int size = badSize ? sizes[rnd.nextInt(sizes.length)] : 4;
        if (rnd.nextBoolean()) {
            long expected = ones(size);
            assertEquals(expected, io.mmioRead(offset, size), "malformed read at 0x" + Long.toHexString(offset) + " size " + size);
        } else {
            io.mmioWrite(offset, size, rnd.nextLong());
        }
        expectedInvalid++;
        accesses++;
    }

    private void msixWrite() {
        int v = rnd.nextInt(MSIX_VECTORS);
        long base = 16L * v;
        int kind = rnd.nextInt(6);
        long address = rnd.nextInt(10) == 0 ? 0xFED0_0000L | rnd.nextInt(0x1000) << 4 : MsiMessage.encodeAddress(rnd.nextInt(4), false, false);
        switch (kind) {
            case 0:
                msix.tableWrite(base, 4, address & 0xFFFF_FFFFL);
                refX.writeDword(v, 0, address & 0xFFFF_FFFFL);
                break;
            case 1: {
                long hi = rnd.nextInt(12) == 0 ? 1 : 0;
                msix.tableWrite(base + 4, 4, hi);
                refX.writeDword(v, 4, hi);
                break;
            }
            case 2: {
                long data = 0x40 + rnd.nextInt(16);
                msix.tableWrite(base + 8, 4, data);
                refX.writeDword(v, 8, data);
                break;
            }
            case 3: {
                long ctrl = rnd.nextInt(3) == 0 ? 1 : 0;
                ctrl |= rnd.nextInt(8) == 0 ? rnd.nextLong() & 0xFFFF_FFFEL : 0;
                msix.tableWrite(base + 12, 4, ctrl);
                refX.writeDword(v, 12, ctrl);
                break;
            }
            case 4:
                msix.tableWrite(base, 8, address);
                refX.writeDword(v, 0, address & 0xFFFF_FFFFL);
                refX.writeDword(v, 4, address >>> 32);
                break;
            default: {
                long data = 0x40 + rnd.nextInt(16);
                long ctrl = rnd.nextInt(3) == 0 ? 1 : 0;
                msix.tableWrite(base + 8, 8, data | ctrl << 32);
                refX.writeDword(v, 8, data);
                refX.writeDword(v, 12, ctrl);
                break;
            }
        }
        accesses++;
    }

    private void msixRead() {
        int v = rnd.nextInt(MSIX_VECTORS);
        if (rnd.nextBoolean()) {
            int field = rnd.nextInt(4) * 4;
            assertEquals(refX.readDword(v, field), msix.tableRead(16L * v + field, 4), "MSI-X dword " + v + "+" + field);
        } else {
            int field = rnd.nextBoolean() ? 0 : 8;
            long expected = refX.readDword(v, field) | refX.readDword(v, field + 4) << 32;
            assertEquals(expected, msix.tableRead(16L * v + field, 8), "MSI-X qword " + v + "+" + field);
        }
        accesses++;
    }

    private void msixMalformed() {
        long[] offsets = {1, 2, 3, 6, 0x0E, 16L * MSIX_VECTORS, 16L * MSIX_VECTORS + 8, 1L << 45, -16};
        long offset = offsets[rnd.nextInt(offsets.length)];
        int size = rnd.nextBoolean() ? 4 : new int[] {1, 2, 3, 16, 0}[rnd.nextInt(5)];
        int what = rnd.nextInt(4);
        if (what == 0) {
            assertEquals(ones(size), msix.tableRead(offset, size));
        } else if (what == 1) {
            msix.tableWrite(offset, size, rnd.nextLong());
        } else if (what == 2) {
            assertEquals(ones(size), msix.pbaRead(offset + 8, size));
        } else {
            msix.pbaWrite(offset + 8, size, rnd.nextLong());
        }
        expectedInvalid++;
        accesses++;
    }

    // ================================================================ checkpoints

    private void checkpoint(boolean compareEntries) {
        f.fabric.sync();
        for (int pin = 0; pin < IoapicPort.PINS; pin++) {
            long delivered = f.sink.eventFd(pin).read();
            int injected = ref.injections[pin];
            if (injected == 0) {
                assertEquals(0, delivered, "pin " + pin + ": delivered although the model injected nothing (masked or coalesced)");
            } else {
                assertTrue(delivered >= 1 && delivered <= injected, "pin " + pin + ": " + delivered + " deliveries for " + injected + " injections");
            }
            ref.injections[pin] = 0;
            if (compareEntries) {
                assertEquals(ref.entries[pin], io.redirectionEntry(pin), "redirection entry " + pin);
            }
        }
        refX.closeRuns(); // the sync above is an event of this thread
        long pba = msix.pbaRead(0, 8);
        for (int v = 0; v < MSIX_VECTORS; v++) {
            long delivered = f.sink.eventFd(MSIX_BASE + v).read();
            boolean pending = (pba >>> v & 1) != 0;
            int owed = refX.deliveries[v];
            int state = refX.state(v);
            long rejectedNow = f.fabric.counters().errors(MSIX_BASE + v) - refX.errorsSeen[v];
            String at = "vector " + v + " (model state " + state + ", owed " + owed + ", model pending " + refX.pending[v]
                    + ", rejected " + rejectedNow + ", model rejected " + refX.rejected[v] + ") trace: " + refX.trace[v];
            // Every rejection the model predicts happens (a trigger while blocked, a pending bit
            // found blocked on unmask); the fabric may reject more, never fewer.
            assertTrue(rejectedNow >= refX.rejected[v], at + ": fewer rejections than the model");
            if (owed == 0) {
                assertEquals(0, delivered, at + ": masked or blocked vectors never deliver");
            } else {
                assertTrue(delivered <= owed, at + ": " + delivered + " deliveries");
                // An assertion owed by the model may instead have been re-masked in its own batch
                // (kept pending: a pending bit is one bit, so it merges with later ones) and that
                // bit rejected when the vector was unmasked with an invalid address: counted and
                // reported, never silent.
                assertTrue(delivered >= 1 || pending || rejectedNow > 0,
                        at + ": an assertion was neither delivered, nor kept pending, nor counted as rejected");
            }
            if (state != RefMsix.MASKED) {
                assertTrue(!pending, at + ": an unmasked vector shows a pending bit");
            } else if (refX.pending[v]) {
                assertTrue(pending, at + ": a masked vector's pending bit vanished");
            } else if (pending) {
                assertTrue(owed > 0, at + ": a pending bit without an assertion");
            }
            refX.pending[v] = pending; // a trigger masked later in its own batch is kept pending: align
            refX.deliveries[v] = 0;
            refX.rejected[v] = 0;
            refX.errorsSeen[v] += rejectedNow;
            refX.trace[v].setLength(0);
        }
        accesses++; // the PBA read
    }

    // ================================================================ reference models

    static long ones(int size) {
        return size >= 1 && size < 8 ? (1L << 8 * size) - 1 : -1L;
    }

    /** The IOAPIC as the issue and the ICH10 datasheet describe it. */
    final class RefIoapic {
        final long[] entries = new long[IoapicPort.PINS];
        final boolean[] line = new boolean[IoapicPort.PINS];
        final int[] injections = new int[IoapicPort.PINS];
        long totalInjections;
        int sel;
        long id;
        boolean rtcIrr;
        /** A pin gets a route once an entry write leaves its MSI data non-zero; until then nothing is injected. */
        final boolean[] routed = new boolean[IoapicPort.PINS];
        boolean tick;

        RefIoapic() {
            java.util.Arrays.fill(entries, RedirectionEntry.MASK);
        }

        boolean level(long e) {
            return (e & RedirectionEntry.TRIGGER_LEVEL) != 0;
        }

        long read(long offset, int size) {
            // only called with valid IOWIN accesses of size 4 or 8; invalid selectors read all ones
            long v;
            if (sel == 0 || sel == 2) {
                v = id;
            } else if (sel == 1) {
                v = 0x0017_0020L;
            } else if (sel >= 0x10 && sel < 0x10 + 48) {
                long e = entries[(sel - 0x10) / 2];
                v = (sel & 1) == 0 ? e & 0xFFFF_FFFFL : e >>> 32;
            } else {
                expectedInvalid++; // an invalid selector is a malformed access
                return ones(size);
            }
            return v & ones(size);
        }

        void write(long offset, int size, long value) {
            if (offset == IoapicPort.IOREGSEL) {
                sel = (int) value & 0xFF;
            } else if (offset == IoapicPort.EOI) {
                eoi((int) value & 0xFF);
            } else if (sel == 0) {
                id = value & 0x0F00_0000L;
            } else if (sel == 1 || sel == 2) {
                return;
            } else if (sel >= 0x10 && sel < 0x10 + 48) {
                int pin = (sel - 0x10) / 2;
                long e = entries[pin];
                if ((sel & 1) == 1) {
                    e = (e & 0xFFFF_FFFFL) | value << 32;
                } else {
                    long ro = e & (RedirectionEntry.DELIVERY_STATUS | RedirectionEntry.REMOTE_IRR);
                    e = (e & ~0xFFFF_FFFFL) | (value & 0xFFFF_FFFFL & ~(RedirectionEntry.DELIVERY_STATUS | RedirectionEntry.REMOTE_IRR)) | ro;
                    if (!level(e)) {
                        e &= ~RedirectionEntry.REMOTE_IRR;
                    }
                }
                entries[pin] = e;
                if (RedirectionEntry.msiData(e) != 0) {
                    routed[pin] = true;
                }
                if (level(e) && line[pin] && (e & RedirectionEntry.MASK) == 0) {
                    raise(pin);
                }
            } else {
                expectedInvalid++; // an invalid selector is a malformed access
            }
        }

        boolean raise(int pin) {
            long e = entries[pin];
            if (!level(e) && line[pin]) {
                return false;
            }
            line[pin] = true;
            if ((e & RedirectionEntry.MASK) != 0 || (level(e) && (e & RedirectionEntry.REMOTE_IRR) != 0)) {
                return false;
            }
            if (pin == IoapicPort.RTC_PIN && tick && rtcIrr) {
                return false;
            }
            if (!routed[pin]) {
                return false;
            }
            injections[pin]++;
            totalInjections++;
            if (level(e)) {
                entries[pin] = e | RedirectionEntry.REMOTE_IRR;
            } else if (pin == IoapicPort.RTC_PIN && tick) {
                rtcIrr = true;
            }
            return true;
        }

        void setLevel(int pin, boolean high) {
            if (high) {
                if (!line[pin]) {
                    raise(pin);
                }
            } else {
                line[pin] = false;
            }
        }

        /** Raise then lower. */
        void pulse(int pin) {
            raise(pin);
            line[pin] = false;
        }

        /** A pulse that alone takes part in RTC coalescing. */
        boolean rtcPulse() {
            tick = true;
            boolean injected = raise(IoapicPort.RTC_PIN);
            tick = false;
            line[IoapicPort.RTC_PIN] = false;
            return !injected;
        }

        void eoi(int vector) {
            if (rtcIrr && (entries[IoapicPort.RTC_PIN] & 0xFF) == vector) {
                rtcIrr = false;
            }
            for (int pin = 0; pin < IoapicPort.PINS; pin++) {
                long e = entries[pin];
                if ((e & 0xFF) == vector && level(e)) {
                    entries[pin] = e & ~RedirectionEntry.REMOTE_IRR;
                    if (line[pin]) {
                        raise(pin);
                    }
                }
            }
        }
    }

    /** An MSI-X table as the PCI specification describes it, with the fabric's pending rule. */
    static final class RefMsix {
        static final int OPEN = 0;
        static final int MASKED = 1;
        static final int BLOCKED = 2;
        final long[] lo = new long[MSIX_VECTORS];
        final long[] hi = new long[MSIX_VECTORS];
        final long[] data = new long[MSIX_VECTORS];
        final boolean[] vmask = new boolean[MSIX_VECTORS];
        final boolean[] pending = new boolean[MSIX_VECTORS];
        final int[] deliveries = new int[MSIX_VECTORS];
        final int[] rejected = new int[MSIX_VECTORS];
        final boolean[] blockedRun = new boolean[MSIX_VECTORS];
        final StringBuilder[] trace = new StringBuilder[MSIX_VECTORS];
        {
            for (int i = 0; i < MSIX_VECTORS; i++) {
                trace[i] = new StringBuilder();
            }
        }

        void note(int v, String what) {
            trace[v].append(what).append("->").append(state(v)).append(pending[v] ? "p" : "").append(' ');
        }
        final long[] errorsSeen = new long[MSIX_VECTORS];
        long totalDelivered;
        int control;

        RefMsix() {
            java.util.Arrays.fill(vmask, true);
        }

        int state(int v) {
            if ((control & MsixTable.CONTROL_ENABLE) == 0 || (control & MsixTable.CONTROL_FUNCTION_MASK) != 0 || vmask[v]) {
                return MASKED;
            }
            return MsiMessage.isValidAddress(hi[v] << 32 | lo[v]) ? OPEN : BLOCKED;
        }

        private void settle(int v) {
            int s = state(v);
            if (s != MASKED && pending[v]) {
                pending[v] = false;
                if (s == OPEN) {
                    deliveries[v]++;
                    totalDelivered++;
                } else {
                    rejected[v]++;
                }
            }
        }

        void trigger(int v) {
            note(v, "T");
            int s = state(v);
            if (s == OPEN) {
                deliveries[v]++;
                totalDelivered++;
            } else if (s == MASKED) {
                pending[v] = true;
            } else if (!blockedRun[v]) {
                // Triggers of a blocked vector with no other event of this thread between them
                // may coalesce at the source into the first one's event: one rejection per run
                // is certain (the first cannot coalesce into an event before the thread's last
                // controller event), the others may ride on it.
                rejected[v]++;
                blockedRun[v] = true;
            }
        }

        /** This thread published a controller event: the next trigger of any vector starts a new run. */
        void closeRuns() {
            java.util.Arrays.fill(blockedRun, false);
        }

        void control(int c) {
            control = c & (MsixTable.CONTROL_ENABLE | MsixTable.CONTROL_FUNCTION_MASK);
            for (int v = 0; v < MSIX_VECTORS; v++) {
                settle(v);
                note(v, "C" + Integer.toHexString(control >> 14));
            }
        }

        void writeDword(int v, int field, long value) {
            switch (field) {
                case 0:
                    lo[v] = value & 0xFFFF_FFFCL;
                    break;
                case 4:
                    hi[v] = value & 0xFFFF_FFFFL;
                    break;
                case 8:
                    data[v] = value & 0xFFFF_FFFFL;
                    break;
                default:
                    vmask[v] = (value & 1) != 0;
                    break;
            }
            settle(v);
            note(v, "W" + field + "=" + Long.toHexString(value));
        }

        long readDword(int v, int field) {
            switch (field) {
                case 0:
                    return lo[v];
                case 4:
                    return hi[v];
                case 8:
                    return data[v];
                default:
                    return vmask[v] ? 1 : 0;
            }
        }
    }
}
