package io.irqfabric.internal;

import io.irqfabric.FabricConfigException;
import io.irqfabric.FabricStateException;
import io.irqfabric.UnknownGsiException;
import io.irqfabric.ioapic.IoapicLine;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.IoapicState;
import io.irqfabric.ioapic.RedirectionEntry;
import io.irqfabric.ioapic.ResampleListener;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The userspace IOAPIC: the {@link IoapicPort} facade (producer side, top of the file) and the
 * register file and pin logic that only the dispatcher touches (the rest). Behaviour and
 * register layout are documented on {@link IoapicPort}; the state machine follows the ICH10
 * datasheet as crosvm and KVM implement it.
 */
public final class IoapicController extends GuestDevice
        implements IoapicPort, ControllerHub.LineDrainer, Moderation.LineReinjector {
    /** Register space: the MMIO window. */
    static final int SPACE_MMIO = 0;
    /** Register space: direct redirection-entry read (offset = pin), for the VMM. */
    static final int SPACE_ENTRY = 1;
    /** Register space: a write installs the requested resample listener of pin {@code offset}. */
    static final int SPACE_RESAMPLE = 2;
    private static final long LOW_HALF = 0xFFFF_FFFFL;
    /** MSI data bit 15, trigger mode level: set in the RTC pin's route (see updateRoute). */
    private static final int RTC_ROUTE_TRIGGER_LEVEL = 1 << 15;

    private final LineStates lines = new LineStates(PINS);
    /** Fences of ring-full line records (see RingFence); raised by producers, read by the dispatcher. */
    private final RingFence fence = new RingFence(PINS);
    /** Per pin: HOLDERS bits of open sources (bit 0, the pin's own, always). Guarded by this. */
    private final long[] openSources = new long[PINS];
    /** Per pin: HOLDERS bits of sources whose level follows device state (kept by a resample). */
    private final AtomicLongArray conditionSources = new AtomicLongArray(PINS);
    /** Resample listeners requested by setResampleListener, installed by the dispatcher in ring order. */
    private final AtomicReferenceArray<ResampleListener> requestedResample = new AtomicReferenceArray<>(PINS);

    // ---- dispatcher-only state
    private final long[] entries = new long[PINS];
    /** The dispatcher's view of each line (crosvm's interrupt_level). */
    private final boolean[] level = new boolean[PINS];
    /** The last line generation applied per pin (see {@link LineStates}). */
    private final int[] lastGen = new int[PINS];
    private final boolean[] routed = new boolean[PINS];
    private final long[] routeAddress = new long[PINS];
    private final int[] routeData = new int[PINS];
    private int ioregsel;
    private int ioapicId;
    /** The RTC's own "not yet EOIed" bit for its edge interrupt (tick-stuffing support). */
    private boolean rtcRemoteIrr;
    /** True while an RTC tick ({@link #pulseRtc()}) is applied: only ticks take part in RTC coalescing. */
    private boolean rtcTick;
    /**
     * The storm guard: per level pin, consecutive EOIs that found the line still high (reset
     * when an EOI finds it low or the line drops). At {@link Moderation#STORM_EOIS} the
     * re-injection is delayed instead ({@link #onEoi}).
     */
    private final int[] eoisHigh = new int[PINS];
    /** A rise of a pin whose re-injection is delayed: re-injected with the delay's end. */
    private final boolean[] roseWhileDelayed = new boolean[PINS];
    /** Per-pin resample listeners (dispatcher copy). */
    private final ResampleListener[] resample = new ResampleListener[PINS];

    /**
     * @param allPins a resample listener for every pin (the builder's), or null
     */
    public IoapicController(ControllerHub hub, ControllerPort port, ResampleListener allPins) {
        super(hub, port, -1);
        java.util.Arrays.fill(entries, RedirectionEntry.RESET);
        java.util.Arrays.fill(openSources, LineStates.OWN_SOURCE);
        for (int p = 0; p < PINS; p++) {
            resample[p] = allPins;
            requestedResample.set(p, allPins);
        }
    }

    // ================================================================ producer side (any thread)

    @Override
    public long mmioRead(long offset, int size) {
        return requestRead(SPACE_MMIO, offset, size, "ioapic.mmioRead");
    }

    @Override
    public void mmioWrite(long offset, int size, long value) {
        postWrite(SPACE_MMIO, offset, size, value, "ioapic.mmioWrite");
    }

    @Override
    public void eoi(int vector) {
        if ((vector & ~0xFF) != 0) {
            throw new IllegalArgumentException("EOI vector must be 0..255, was " + vector);
        }
        port.post(RingEvent.EOI, vector, 0, 0, "ioapic.eoi");
    }

    @Override
    public void setLevel(int pin, boolean asserted) {
        checkPin(pin);
        lineChange(pin, LineStates.OWN_SOURCE, asserted ? LineStates.SET_HIGH : LineStates.SET_LOW, null, "ioapic.setLevel");
    }

    @Override
    public void pulse(int pin) {
        checkPin(pin);
        lineChange(pin, LineStates.OWN_SOURCE, LineStates.PULSE, null, "ioapic.pulse");
    }

    /**
     * Producer: one source's change of {@code pin}, published in ring order (or, on a full ring,
     * recorded in the line word and drained). With a {@code condition} the source's level is
     * what the condition says, read inside the CAS ({@link LineStates#recordCondition}).
     */
    void lineChange(int pin, long source, int op, LineStates.Condition condition, String what) {
        port.checkOpen(what);
        int payload = condition != null ? lines.recordCondition(pin, source, condition) : lines.record(pin, source, op);
        boolean rose = (payload & LineStates.ROSE) != 0;
        long seq = port.tryPost(RingEvent.LINE_CHANGED, pin, payload);
        if (seq < 0) {
            // Ring full: the word keeps the rise and the latest level. Then one more try for a
            // batch end; if the ring is still full the dispatcher has unreleased events and
            // drains changed lines after releasing them (LineStates), so nothing is lost. The
            // fence keeps the drain after this thread's earlier events (an unmask): RingFence.
            fence.raise(pin, port.cursor());
            lines.overflow(pin, rose);
            port.tryPost(RingEvent.OVERFLOW, 0, 0);
        }
        if (rose && port.isClosed()) {
            port.awaitDispatcherTermination();
            boolean handled = seq >= 0 ? seq <= port.finalSequence() : !lines.roseUnconsumed(pin);
            if (!handled) {
                throw port.closedException(what + "(" + pin + ")");
            }
        }
    }

    /**
     * Any thread: a virtio-MMIO interrupt that drives {@code pin} as a level line, high while its
     * interrupt status is non-zero. The caller registers it with the hub.
     *
     * @throws FabricConfigException if the pin has no free source
     */
    public VirtioMmioController createVirtioMmio(int pin) {
        checkPin(pin);
        return new VirtioMmioController(hub, port, pin, this, allocateSource(pin, true));
    }

    @Override
    public IoapicLine openSharedLine(int pin) {
        checkPin(pin);
        port.checkOpen("ioapic.openSharedLine");
        return new SharedLine(pin, allocateSource(pin, false));
    }

    /**
     * Any thread: reserves a source of {@code pin}.
     *
     * @param condition true for a source whose level follows device state (kept by a resample)
     * @return its HOLDERS bit
     * @throws FabricConfigException if the pin has no free source
     */
    synchronized long allocateSource(int pin, boolean condition) {
        long free = ~openSources[pin] & 0xFFFF_FFFF_0000_0000L;
        if (free == 0) {
            throw new FabricConfigException("IOAPIC pin " + pin + " already has " + MAX_SHARED_SOURCES
                    + " shared sources open; close one first");
        }
        long bit = Long.lowestOneBit(free);
        openSources[pin] |= bit;
        if (condition) {
            conditionSources.getAndAccumulate(pin, bit, (a, b) -> a | b);
        }
        return bit;
    }

    private synchronized void releaseSource(int pin, long bit) {
        openSources[pin] &= ~bit;
    }

    @Override
    public void setResampleListener(int pin, ResampleListener listener) {
        checkPin(pin);
        requestedResample.set(pin, listener);
        postWrite(SPACE_RESAMPLE, pin, 8, 0, "ioapic.setResampleListener");
    }

    /** A shared (wired-OR) source of one pin. */
    private final class SharedLine implements IoapicLine {
        private final int pin;
        private final long bit;
        private volatile boolean closed;

        SharedLine(int pin, long bit) {
            this.pin = pin;
            this.bit = bit;
        }

        @Override
        public int pin() {
            return pin;
        }

        @Override
        public void setLevel(boolean asserted) {
            checkOpenSource();
            lineChange(pin, bit, asserted ? LineStates.SET_HIGH : LineStates.SET_LOW, null, "ioapicLine.setLevel");
        }

        @Override
        public void pulse() {
            checkOpenSource();
            lineChange(pin, bit, LineStates.PULSE, null, "ioapicLine.pulse");
        }

        @Override
        public boolean isAsserted() {
            return (lines.holders(pin) & bit) != 0;
        }

        private void checkOpenSource() {
            if (closed) {
                throw new FabricStateException("shared source of IOAPIC pin " + pin + " is closed");
            }
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (!port.isClosed()) {
                try {
                    lineChange(pin, bit, LineStates.SET_LOW, null, "ioapicLine.close");
                } catch (io.irqfabric.FabricException ignored) {
                    // closed (or failed) meanwhile: nothing to de-assert any more
                }
            }
            releaseSource(pin, bit);
        }

        @Override
        public String toString() {
            return "IoapicLine[pin " + pin + ", source " + (Long.numberOfTrailingZeros(bit) - 32) + "]";
        }
    }

    @Override
    public boolean pulseRtc() {
        port.checkOpen("ioapic.pulseRtc");
        int payload = lines.record(RTC_PIN, LineStates.OWN_SOURCE, LineStates.PULSE);
        return port.request(RingEvent.RTC_PULSE, RTC_PIN, payload, 0, "ioapic.pulseRtc") != 0;
    }

    @Override
    public long redirectionEntry(int pin) {
        checkPin(pin);
        return requestRead(SPACE_ENTRY, pin, 8, "ioapic.redirectionEntry");
    }

    private static void checkPin(int pin) {
        if (pin < 0 || pin >= PINS) {
            throw new UnknownGsiException(pin, "IOAPIC pin " + pin + " is outside 0.." + (PINS - 1));
        }
    }

    // ================================================================ dispatcher side

    @Override
    public long read(int space, long offset, int size) {
        if (space == SPACE_ENTRY) {
            return offset < PINS ? entries[(int) offset] : invalid(offset, size);
        }
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            return invalid(offset, size);
        }
        final long value;
        if (offset == IOREGSEL) {
            value = ioregsel;
        } else if (offset == IOREGSEL + 4 && size <= 4) {
            value = 0;
        } else if (offset == IOWIN) {
            value = readSelected(size);
        } else if (offset == EOI && size <= 4) {
            value = 0;
        } else {
            return invalid(offset, size);
        }
        return value & ones(size);
    }

    private long readSelected(int size) {
        int sel = ioregsel;
        switch (sel) {
            case SELECT_ID:
            case SELECT_ARBITRATION:
                return ioapicId;
            case SELECT_VERSION:
                return VERSION;
            default:
                int pin = (sel - SELECT_REDIRECTION_TABLE) >> 1;
                if (sel < SELECT_REDIRECTION_TABLE || pin >= PINS) {
                    return invalid(sel, size); // all ones, as KVM returns for an invalid index
                }
                long e = entries[pin];
                return (sel & 1) != 0 ? e >>> 32 : e & LOW_HALF;
        }
    }

    @Override
    public void write(int space, long offset, int size, long value) {
        if (space == SPACE_RESAMPLE && offset >= 0 && offset < PINS) {
            resample[(int) offset] = requestedResample.get((int) offset);
            return;
        }
        if (space != SPACE_MMIO || (size != 1 && size != 2 && size != 4 && size != 8)) {
            invalid(offset, size);
            return;
        }
        if (offset == IOREGSEL) {
            ioregsel = (int) (value & 0xFF);
        } else if (offset == IOREGSEL + 4 && size <= 4) {
            // the upper half of a 64-bit IOREGSEL: ignored
        } else if (offset == IOWIN && size == 4) {
            writeSelected((int) value);
        } else if (offset == EOI && size <= 4) {
            onEoi((int) (value & 0xFF));
        } else {
            invalid(offset, size);
        }
    }

    private void writeSelected(int value) {
        int sel = ioregsel;
        switch (sel) {
            case SELECT_ID:
                ioapicId = value & 0x0F00_0000;
                return;
            case SELECT_VERSION:
            case SELECT_ARBITRATION:
                return; // read-only registers
            default:
                int pin = (sel - SELECT_REDIRECTION_TABLE) >> 1;
                if (sel < SELECT_REDIRECTION_TABLE || pin >= PINS) {
                    invalid(sel, 4);
                    return;
                }
                writeEntry(pin, (sel & 1) != 0, value & LOW_HALF);
        }
    }

    private void writeEntry(int pin, boolean highHalf, long half) {
        long before = entries[pin];
        long e;
        if (highHalf) {
            e = (before & LOW_HALF) | (half << 32);
        } else {
            e = (before & ~LOW_HALF) | half;
            e = (e & ~RedirectionEntry.READ_ONLY) | (before & RedirectionEntry.READ_ONLY);
            if (!RedirectionEntry.isLevelTriggered(e)) {
                e &= ~RedirectionEntry.REMOTE_IRR; // switching to edge clears remote IRR
            }
        }
        entries[pin] = e;
        // The route first: a level pin that gets its first route here can be injected on it.
        updateRoute(pin, e);
        // A level pin asserted while masked (or while it had no route) fires now.
        if (RedirectionEntry.isLevelTriggered(e) && level[pin] && !RedirectionEntry.isMasked(e)) {
            raise(pin);
        }
    }

    private void updateRoute(int pin, long e) {
        long address = RedirectionEntry.msiAddress(e);
        int data = RedirectionEntry.msiData(e);
        if (data == 0) {
            return; // Linux programs every pin with data 0 while booting: no usable route yet
        }
        if (pin == RTC_PIN) {
            // The RTC's edge interrupt needs its EOI (tick coalescing), but a split irqchip
            // reports EOIs only for vectors whose message says level: so the route says level.
            data |= RTC_ROUTE_TRIGGER_LEVEL;
        }
        if (!routed[pin] || routeAddress[pin] != address || routeData[pin] != data) {
            routed[pin] = true;
            routeAddress[pin] = address;
            routeData[pin] = data;
            hub.setMsiRoute(pin, address, data);
        }
    }

    /**
     * A rising assertion of {@code pin}.
     *
     * @return true if injected, false if ignored or coalesced
     */
    private boolean raise(int pin) {
        long e = entries[pin];
        boolean levelTriggered = RedirectionEntry.isLevelTriggered(e);
        if (!levelTriggered && level[pin]) {
            return false; // an edge pin that is already high has no new edge
        }
        level[pin] = true;
        if (RedirectionEntry.isMasked(e)) {
            return false;
        }
        if (levelTriggered && RedirectionEntry.remoteIrr(e)) {
            return false; // coalesced into the interrupt the guest has not EOIed yet
        }
        if (levelTriggered && hub.moderation().lineDelayed(pin)) {
            roseWhileDelayed[pin] = true; // the storm guard's delay: injected when it ends
            return false;
        }
        boolean tick = pin == RTC_PIN && rtcTick;
        if (tick && rtcRemoteIrr) {
            return false; // coalesced RTC tick: the CMOS learns it and stuffs the tick later
        }
        if (!routed[pin]) {
            return false; // never programmed (MSI data 0 so far): no route, nothing to inject
        }
        hub.inject(pin);
        if (levelTriggered) {
            entries[pin] = e | RedirectionEntry.REMOTE_IRR;
        } else if (tick) {
            rtcRemoteIrr = true;
        }
        return true;
    }

    @Override
    public void onLineChanged(int pin, int payload) {
        applyPayload(pin, payload);
    }

    /** @return true if the change injected the pin */
    private boolean applyPayload(int pin, int payload) {
        int gen = LineStates.gen(payload);
        if (LineStates.newer(gen, lastGen[pin])) {
            lastGen[pin] = gen;
            return applyLine(pin, (payload & LineStates.ROSE) != 0, (payload & LineStates.LEVEL) != 0);
        } else if ((payload & LineStates.ROSE) != 0) {
            return pulseOnce(pin); // a drain already applied a later level: keep only this event's edge
        }
        return false;
    }

    /**
     * Dispatcher: a condition source of {@code pin} re-evaluates its level here and now (a
     * virtio-MMIO ACK that cleared the interrupt status), applied at once rather than through
     * the ring.
     */
    void conditionChangedOnDispatcher(int pin, long source, LineStates.Condition condition) {
        applyPayload(pin, lines.recordCondition(pin, source, condition));
    }

    @Override
    public void drainChangedLines(long processedUpTo) {
        long changed = lines.takeChanged();
        while (changed != 0) {
            int pin = Long.numberOfTrailingZeros(changed);
            changed &= changed - 1;
            if (!fence.passed(pin, processedUpTo)) {
                lines.reflag(pin); // its producer's earlier events are not handled yet
                continue;
            }
            int w = lines.consume(pin);
            int gen = LineStates.gen(w);
            if (LineStates.newer(gen, lastGen[pin])) {
                lastGen[pin] = gen;
                applyLine(pin, (w & LineStates.ROSE) != 0, (w & LineStates.LEVEL) != 0);
            } else if ((w & LineStates.ROSE) != 0) {
                pulseOnce(pin); // its level was already applied by a later event
            }
        }
    }

    /** Raise (if it rose) then settle at the new level; a pulse is raise-then-lower. */
    private boolean applyLine(int pin, boolean rose, boolean high) {
        boolean injected = false;
        if (rose || (high && !level[pin])) {
            injected = raise(pin);
        }
        if (!high) {
            level[pin] = false;
            eoisHigh[pin] = 0; // the line dropped: the storm (if any) is over
        }
        return injected;
    }

    /**
     * An edge that leaves the line where it was.
     *
     * @return true if injected
     */
    private boolean pulseOnce(int pin) {
        boolean wasHigh = level[pin];
        boolean injected = raise(pin);
        level[pin] = wasHigh;
        return injected;
    }

    @Override
    public void onEoi(int vector) {
        if (rtcRemoteIrr && RedirectionEntry.vector(entries[RTC_PIN]) == vector) {
            rtcRemoteIrr = false;
        }
        for (int pin = 0; pin < PINS; pin++) {
            long e = entries[pin];
            if (RedirectionEntry.vector(e) != vector || !RedirectionEntry.isLevelTriggered(e)) {
                continue;
            }
            entries[pin] = e & ~RedirectionEntry.REMOTE_IRR;
            ResampleListener listener = resample[pin];
            if (listener != null) {
                // resamplefd semantics: de-assert the devices' sources, then ask them to re-check.
                // Sources whose level follows device state keep it (they re-check themselves).
                level[pin] = lines.clearLevel(pin, conditionSources.get(pin));
                hub.resample(listener, pin);
            }
            if (level[pin] && hub.moderation().lineDelayed(pin)) {
                continue; // the storm guard's delay runs: its end re-injects, these EOIs do not count
            }
            if (!level[pin] || RedirectionEntry.isMasked(entries[pin])) {
                eoisHigh[pin] = 0; // low, or masked: not a storm (KVM counts the same way)
                if (level[pin]) {
                    raise(pin); // masked: only records the level, the unmask fires it
                }
            } else if (++eoisHigh[pin] >= Moderation.STORM_EOIS) {
                // Storm guard (KVM's and QEMU's IOAPICs): a line still high after this many
                // EOIs in a row is re-injected after a delay, not at once, so a guest that
                // cannot quiet its device makes slow progress. Never lost: reinject() below.
                eoisHigh[pin] = 0;
                hub.levelStorm(pin, Moderation.STORM_EOIS);
            } else {
                raise(pin); // still asserted: the interrupt that raced the EOI is re-injected
            }
        }
    }

    /**
     * Dispatcher: the storm guard's delay of {@code pin} has passed (or the fabric closes):
     * the line is injected if it is still high or rose meanwhile.
     */
    @Override
    public void reinject(int pin) {
        boolean rose = roseWhileDelayed[pin];
        roseWhileDelayed[pin] = false;
        if (level[pin] || rose) {
            pulseOnce(pin); // raise without changing the level: high stays high, a pulse stays a pulse
        }
    }

    @Override
    public boolean onRtcPulse(int payload) {
        rtcTick = true;
        try {
            return !applyPayload(RTC_PIN, payload);
        } finally {
            rtcTick = false;
        }
    }

    // ================================================================ state, reset (snapshot)

    @Override
    public IoapicState state() {
        return (IoapicState) hub.snapshotEngine().state(this, "ioapic.state");
    }

    @Override
    public void setState(IoapicState state) {
        if (state == null) {
            throw new IllegalArgumentException("state must not be null");
        }
        hub.snapshotEngine().setState(this, state, "ioapic.setState");
    }

    @Override
    public void reset() {
        hub.snapshotEngine().reset(this, "ioapic.reset");
    }

    @Override
    public int firstGsi() {
        return 0;
    }

    @Override
    public int gsiSpan() {
        return PINS;
    }

    @Override
    public Object captureState() {
        int levels = 0;
        int rises = 0;
        int routedPins = 0;
        for (int p = 0; p < PINS; p++) {
            levels |= level[p] ? 1 << p : 0;
            rises |= lines.roseUnconsumed(p) ? 1 << p : 0;
            routedPins |= routed[p] ? 1 << p : 0;
        }
        long[] ra = new long[PINS];
        int[] rd = new int[PINS];
        for (int p = 0; p < PINS; p++) {
            ra[p] = routed[p] ? routeAddress[p] : 0; // an unrouted pin's cache is meaningless
            rd[p] = routed[p] ? routeData[p] : 0;
        }
        return new IoapicState(ioregsel, ioapicId, entries, levels, rtcRemoteIrr, rises, routedPins, ra, rd);
    }

    @Override
    public void applyState(Object state) {
        IoapicState s = (IoapicState) state;
        ioregsel = s.ioregsel();
        ioapicId = s.id();
        rtcRemoteIrr = s.rtcRemoteIrr();
        long[] e = s.entries();
        long[] ra = s.routeAddress();
        int[] rd = s.routeData();
        for (int p = 0; p < PINS; p++) {
            entries[p] = e[p];
            boolean high = (s.lineLevels() >>> p & 1) != 0;
            level[p] = high;
            // The line word follows, so a device's next setLevel sees the restored level; its
            // generation becomes the applied one (an older event in flight adds only its edge).
            lastGen[p] = LineStates.gen(lines.record(p, high ? LineStates.SET_HIGH : LineStates.SET_LOW));
            if ((s.routed() >>> p & 1) != 0) {
                if (!routed[p] || routeAddress[p] != ra[p] || routeData[p] != rd[p]) {
                    routed[p] = true;
                    routeAddress[p] = ra[p];
                    routeData[p] = rd[p];
                    hub.setMsiRoute(p, ra[p], rd[p]);
                }
            } else if (routed[p]) {
                routed[p] = false;
                hub.removeRoute(p);
            }
        }
        for (int p = 0; p < PINS; p++) {
            if ((s.pendingRises() >>> p & 1) != 0) {
                pulseOnce(p); // a ring-full rise the source had not applied at the cut
            }
        }
    }

    /**
     * Guest reboot: IOREGSEL, ID and the RTC bit cleared, every entry back to its reset value
     * (masked, remote IRR and delivery status clear), routes removed. Line levels stay: they are
     * the devices' wires, not IOAPIC state. Interrupts injected before the reset are delivered at
     * the end of the batch as usual; from the reset on every pin is masked, so an edge is lost as
     * on hardware, and a level held high fires once the guest unmasks the pin again.
     */
    @Override
    public void resetState() {
        ioregsel = 0;
        ioapicId = 0;
        rtcRemoteIrr = false;
        hub.moderation().clearDelayedLines(); // every pin is masked now: nothing to re-inject
        for (int p = 0; p < PINS; p++) {
            eoisHigh[p] = 0;
            roseWhileDelayed[p] = false;
            entries[p] = RedirectionEntry.RESET;
            if (routed[p]) {
                routed[p] = false;
                hub.removeRoute(p);
            }
        }
    }
}
