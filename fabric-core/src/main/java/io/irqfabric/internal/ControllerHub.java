package io.irqfabric.internal;

import io.irqfabric.FabricConfigException;
import io.irqfabric.FabricErrorHandler;
import io.irqfabric.RouteListener;
import io.irqfabric.ioapic.ResampleListener;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Where the dispatcher meets the interrupt controllers: it dispatches controller ring events
 * (types from {@link RingEvent#FIRST_CONTROLLER_TYPE}) to the registered {@link GuestDevice}s,
 * owns the per-GSI <em>gate</em> (masking as a dispatcher concept), forwards routes to the
 * {@link RouteListener} and commits them at batch end. Dispatcher thread only, except
 * registration ({@link #register}, {@link #claim}) and the statistics getters.
 *
 * <h2>The gate</h2>
 * <pre>
 *   gate[gsi]   byte   0 OPEN      a TRIGGER joins the pending set (the fast path: one array load)
 *                      1 MASKED    the source is masked: set the GSI's pending bit, count MASKED
 *                      2 BLOCKED   the source has no valid message (MSI address not 0xFEExxxxx):
 *                                  drop, count an error, report REQUEST_REJECTED
 *   pendingBits  long[] bit per GSI: asserted while MASKED, not yet delivered (the MSI-X PBA,
 *                      the MSI pending bits)
 * </pre>
 * The dispatcher checks the gate when it handles a TRIGGER and again when it flushes (an
 * overflow-log record, or a GSI masked later in the same batch, is caught there). Opening a gate
 * whose pending bit is set delivers the GSI once at the end of the batch and clears the bit.
 */
public final class ControllerHub {
    public static final byte OPEN = 0;
    public static final byte MASKED = 1;
    public static final byte BLOCKED = 2;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int STAT_GUEST_ACCESS_INVALID = Counters.GUEST_ACCESS_ERRORS_OFFSET;
    private static final int STAT_REJECTED = Counters.REJECTED_REQUESTS_OFFSET;
    private static final RouteListener NO_ROUTES = new RouteListener() {
        @Override
        public void setMsiRoute(int gsi, long address, int data) {
        }

        @Override
        public void removeRoute(int gsi) {
        }
    };

    private final int gsiCount;
    private final byte[] gate;
    private final long[] gateDetail;
    private final long[] pendingBits;
    private final Counters counters;
    private final FabricErrorHandler errorHandler;
    private final RouteListener routes;
    private final long[] claimed;
    /** Claimed ranges by first GSI, for the message that names the owner (configuration path only). */
    private final java.util.TreeMap<Integer, Owner> owners = new java.util.TreeMap<>();
    private volatile GuestDevice[] devices = new GuestDevice[0];
    private PendingSet pending;
    private Moderation moderation;
    private boolean routesDirty;
    /** Retries of a failed route commit happen at most this often (one ioctl per ms, not one per batch). */
    static final long ROUTE_RETRY_NANOS = 1_000_000L;
    /** The listener still has staged route changes it could not apply; see {@link #routesUnapplied}. */
    private boolean routesUnapplied;
    private long lastRouteCommitNanos;
    private LineDrainer lineDrainer;
    /** Rejections counted by producers when the ring was full (see countRejectedOffRing). */
    private final java.util.concurrent.atomic.AtomicLong rejectedOffRing = new java.util.concurrent.atomic.AtomicLong();

    /** The dispatcher-side part of a controller with interrupt lines (the IOAPIC). */
    public interface LineDrainer {
        /** A LINE_CHANGED event for {@code line} with its {@link LineStates#record} payload. */
        void onLineChanged(int line, int payload);

        /** Batch end: consume every line changed since the last drain. */
        void drainChangedLines(long processedUpTo);

        /** An EOI for {@code vector}. */
        void onEoi(int vector);

        /**
         * An RTC tick with its {@link LineStates#record} payload.
         *
         * @return true if the RTC tick was coalesced
         */
        boolean onRtcPulse(int payload);
    }

    public ControllerHub(int gsiCount, Counters counters, FabricErrorHandler errorHandler,
                         RouteListener routes) {
        this.gsiCount = gsiCount;
        this.gate = new byte[gsiCount];
        this.gateDetail = new long[gsiCount];
        this.pendingBits = new long[(gsiCount + 63) >>> 6];
        this.claimed = new long[(gsiCount + 63) >>> 6];
        this.counters = counters;
        this.errorHandler = errorHandler;
        this.routes = routes == null ? NO_ROUTES : routes;
    }

    /** Dispatcher: binds the pending set the flush delivers from. */
    void bind(PendingSet pendingSet) {
        this.pending = pendingSet;
    }

    /** Installs the moderation state (before the dispatcher is created). */
    public void moderation(Moderation m) {
        this.moderation = m;
    }

    /** @return the moderation state: policies, held deliveries, delayed lines */
    public Moderation moderation() {
        return moderation;
    }

    /**
     * Dispatcher: the IOAPIC's storm guard tripped on level pin {@code pin}: counted, reported
     * once for this trip, and the re-injection delayed on the moderation deadline.
     */
    void levelStorm(int pin, int eois) {
        counters.add(pin, Counters.STORM_GUARD_TRIPS, 1);
        report(FabricErrorHandler.Kind.LEVEL_STORM, pin, eois, null);
        moderation.delayLine(pin);
    }

    /** @return the gate array the dispatcher checks on every TRIGGER */
    byte[] gate() {
        return gate;
    }

    // ---------------------------------------------------------------- registration (any thread)

    /**
     * Reserves GSIs {@code base..base+count-1} for one controller.
     *
     * @throws FabricConfigException if any of them is already owned by a controller
     */
    public synchronized void claim(int base, int count, String what) {
        for (int g = base; g < base + count; g++) {
            if ((claimed[g >>> 6] & (1L << (g & 63))) != 0) {
                throw new FabricConfigException(what + " on GSIs " + base + ".." + (base + count - 1) + ": GSI " + g
                        + " already belongs to " + ownerOf(g));
            }
        }
        for (int g = base; g < base + count; g++) {
            claimed[g >>> 6] |= 1L << (g & 63);
        }
        owners.put(base, new Owner(base + count - 1, what));
    }

    /**
     * @param gsi a GSI
     * @return what owns it (a controller or a source group), or null
     */
    public synchronized String ownerOf(int gsi) {
        java.util.Map.Entry<Integer, Owner> e = owners.floorEntry(gsi);
        return e != null && gsi <= e.getValue().last ? e.getValue().what + " (GSIs " + e.getKey() + ".." + e.getValue().last + ")" : null;
    }

    /** A claimed range: its last GSI and what claimed it. */
    private static final class Owner {
        final int last;
        final String what;

        Owner(int last, String what) {
            this.last = last;
            this.what = what;
        }
    }

    /**
     * Adds a device (copy on write: the dispatcher reads the array with one volatile load).
     * The caller then publishes DEVICE_ATTACH, or calls {@link GuestDevice#attach()} itself
     * before the dispatcher starts.
     */
    public synchronized void register(GuestDevice device) {
        GuestDevice[] old = devices;
        GuestDevice[] next = java.util.Arrays.copyOf(old, old.length + 1);
        device.id(old.length);
        next[old.length] = device;
        devices = next;
    }

    /**
     * @param device a device
     * @return true if it is registered here
     */
    public boolean owns(GuestDevice device) {
        GuestDevice[] d = devices;
        return device.id() >= 0 && device.id() < d.length && d[device.id()] == device;
    }

    /** Installs the line controller (before the dispatcher starts). */
    public void lineDrainer(LineDrainer drainer) {
        this.lineDrainer = drainer;
    }

    // ---------------------------------------------------------------- dispatcher: events

    /** Dispatcher: handles one controller event. Never throws; always answers a reply. */
    void handle(RingEvent e) {
        ReplySlot reply = e.reply;
        long answer = -1L;
        try {
            switch (e.type) {
                case RingEvent.DEVICE_READ:
                    answer = device(e.target).read(ControllerPort.space(e.a), ControllerPort.offset(e.a), ControllerPort.size(e.a));
                    break;
                case RingEvent.DEVICE_WRITE:
                    device(e.target).write(ControllerPort.space(e.a), ControllerPort.offset(e.a), ControllerPort.size(e.a), e.b);
                    break;
                case RingEvent.DEVICE_ATTACH:
                    device(e.target).attach();
                    break;
                case RingEvent.LINE_CHANGED:
                    lineDrainer.onLineChanged(e.target, (int) e.a);
                    break;
                case RingEvent.EOI:
                    lineDrainer.onEoi(e.target);
                    break;
                case RingEvent.RTC_PULSE:
                    answer = lineDrainer.onRtcPulse((int) e.a) ? 1 : 0;
                    break;
                case RingEvent.REJECTED:
                    reject(e.target, e.a);
                    break;
                case RingEvent.MODERATE:
                    moderation.apply(e.target, e.a, e.b, pending);
                    break;
                default:
                    if (e.type >= RingEvent.FIRST_SNAPSHOT_TYPE && snapshots != null) {
                        snapshots.handle(e);
                    } else {
                        report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, -1, e.type, null);
                    }
                    break;
            }
        } catch (Throwable t) {
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, -1, e.type, t);
        } finally {
            if (reply != null) {
                reply.complete(answer);
            }
        }
    }

    private GuestDevice device(int id) {
        GuestDevice d = devices[id];
        return d.detached ? tombstone : d;
    }

    /** Dispatcher, at batch end before the flush: drain lines, commit routes. */
    void beforeFlush(long processedUpTo) {
        if (lineDrainer != null) {
            try {
                lineDrainer.drainChangedLines(processedUpTo);
            } catch (Throwable t) {
                report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, -1, 0, t);
            }
        }
        if (routesDirty || (routesUnapplied && routeRetryDue())) {
            commitRoutes();
        }
    }

    /**
     * Dispatcher: true while the route listener reported staged changes it could not apply
     * (RouteListener.hasPendingRoutes after a commit). The dispatcher then keeps retrying even
     * with no traffic ({@link #retryRoutesIfDue}), so a GSI whose route KVM refused is not left
     * waiting for an unrelated event.
     */
    boolean routesUnapplied() {
        return routesUnapplied;
    }

    /** Dispatcher, between batches: retry unapplied route changes, at most once per {@link #ROUTE_RETRY_NANOS}. */
    void retryRoutesIfDue() {
        if (routesUnapplied && routeRetryDue()) {
            commitRoutes();
        }
    }

    private boolean routeRetryDue() {
        return System.nanoTime() - lastRouteCommitNanos >= ROUTE_RETRY_NANOS;
    }

    private void commitRoutes() {
        routesDirty = false;
        try {
            routes.commitRoutes();
        } catch (Throwable t) {
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, -1, 0, t);
        }
        boolean unapplied;
        try {
            unapplied = routes.hasPendingRoutes();
        } catch (Throwable t) {
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, -1, 0, t);
            unapplied = false;
        }
        if (unapplied) {
            lastRouteCommitNanos = System.nanoTime(); // only the failure path reads the clock
        }
        routesUnapplied = unapplied;
    }

    // ---------------------------------------------------------------- dispatcher: the gate

    /** Dispatcher: a TRIGGER (or a flushed GSI) found its gate not OPEN. */
    void gated(int gsi) {
        if ((gate[gsi] & MASKED) != 0) {
            pendingBits[gsi >>> 6] |= 1L << (gsi & 63);
            counters.add(gsi, Counters.MASKED, 1);
        } else {
            reject(gsi, gateDetail[gsi]);
        }
    }

    /**
     * Dispatcher: sets the gate of {@code gsi}. Opening it delivers a pending bit (once, at
     * batch end); blocking it drops a pending bit as rejected.
     *
     * @param detail for BLOCKED: what was rejected (the MSI address), reported with each drop
     */
    public void setGate(int gsi, byte state, long detail) {
        byte old = gate[gsi];
        gate[gsi] = state;
        gateDetail[gsi] = detail;
        if (state == BLOCKED && old != BLOCKED) {
            bumpStat(STAT_REJECTED);
            report(FabricErrorHandler.Kind.REQUEST_REJECTED, gsi, detail, null);
        }
        if (state != MASKED && pendingBit(gsi)) {
            pendingBits[gsi >>> 6] &= ~(1L << (gsi & 63));
            if (state == OPEN) {
                pending.add(gsi);
            } else {
                reject(gsi, detail);
            }
        }
    }

    /**
     * @param gsi the GSI
     * @return its pending bit (asserted while masked, not yet delivered)
     */
    public boolean pendingBit(int gsi) {
        return (pendingBits[gsi >>> 6] & (1L << (gsi & 63))) != 0;
    }

    /**
     * Dispatcher: a device withdraws its own interrupt on {@code gsi} before the guest sees it:
     * clears the pending bit (asserted while masked) and takes the GSI out of the current
     * batch's deliveries.
     *
     * @return true if something was pending
     */
    public boolean consumePending(int gsi) {
        boolean was = pendingBit(gsi);
        pendingBits[gsi >>> 6] &= ~(1L << (gsi & 63));
        return pending.remove(gsi) | was;
    }

    /** Dispatcher: a controller injects {@code gsi} (delivered at batch end; gate applies). */
    public void inject(int gsi) {
        counters.add(gsi, Counters.ASSERTED, 1);
        moderation.taken(gsi); // an injection is an assertion: one write each under none
        if (gate[gsi] == OPEN) {
            pending.add(gsi);
        } else {
            gated(gsi);
        }
    }

    private void reject(int gsi, long detail) {
        if (gsi >= 0 && gsi < gsiCount) {
            counters.add(gsi, Counters.ERRORS, 1);
        }
        bumpStat(STAT_REJECTED);
        report(FabricErrorHandler.Kind.REQUEST_REJECTED, gsi, detail, null);
    }

    // ---------------------------------------------------------------- dispatcher: routes

    /** Dispatcher: stages an MSI route for {@code gsi}. */
    public void setMsiRoute(int gsi, long address, int data) {
        routesDirty = true;
        try {
            routes.setMsiRoute(gsi, address, data);
        } catch (Throwable t) {
            counters.add(gsi, Counters.ERRORS, 1);
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, gsi, 0, t);
        }
    }

    /** Dispatcher: stages removal of the route of {@code gsi}. */
    public void removeRoute(int gsi) {
        routesDirty = true;
        try {
            routes.removeRoute(gsi);
        } catch (Throwable t) {
            counters.add(gsi, Counters.ERRORS, 1);
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, gsi, 0, t);
        }
    }

    /** Dispatcher: tells the route listener that the source of {@code gsi} was (un)masked. */
    public void routeMasked(int gsi, boolean masked) {
        routesDirty = true;
        try {
            routes.setMasked(gsi, masked);
        } catch (Throwable t) {
            counters.add(gsi, Counters.ERRORS, 1);
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, gsi, 0, t);
        }
    }

    /** Dispatcher: tells {@code resample} that level pin {@code pin} was EOIed. */
    public void resample(ResampleListener resample, int pin) {
        try {
            resample.resample(pin);
        } catch (Throwable t) {
            counters.add(pin, Counters.ERRORS, 1);
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, pin, 0, t);
        }
    }

    // ---------------------------------------------------------------- errors and statistics

    /** Dispatcher: a malformed guest register access (counted, reported, never thrown). */
    public void invalidGuestAccess(int gsi, long offset) {
        bumpStat(STAT_GUEST_ACCESS_INVALID);
        report(FabricErrorHandler.Kind.GUEST_ACCESS_INVALID, gsi, offset, null);
    }

    private void bumpStat(int offset) {
        counters.addGlobal(offset, 1);
    }

    /**
     * Dispatcher: folds the rejections producers counted off the ring into the counters, so the
     * counters file shows them too.
     */
    void foldRejectedOffRing() {
        if (rejectedOffRing.get() != 0) {
            counters.addGlobal(Counters.REJECTED_REQUESTS_OFFSET, rejectedOffRing.getAndSet(0));
        }
    }

    /** @return malformed guest register accesses so far (any thread; may lag) */
    public long guestAccessErrors() {
        return counters.getGlobal(STAT_GUEST_ACCESS_INVALID);
    }

    /** @return rejected requests so far (any thread; may lag) */
    public long rejectedRequests() {
        return counters.getGlobal(STAT_REJECTED) + rejectedOffRing.get();
    }

    /**
     * Producer: a request was rejected while the ring was full, so no REJECTED event could carry
     * it to the dispatcher; it is counted here instead (a device thread never waits for a slot).
     */
    public void countRejectedOffRing() {
        rejectedOffRing.incrementAndGet();
    }

    private void report(FabricErrorHandler.Kind kind, int gsi, long detail, Throwable t) {
        try {
            errorHandler.onError(kind, gsi, detail, t);
        } catch (Throwable ignored) {
            // The error handler must not stop the dispatcher; its own failure is dropped here.
        }
    }

    // ---------------------------------------------------------------- snapshot, reset, destroy

    private SnapshotEngine snapshots;
    private PendingSet deferred;
    /** Answers register accesses that reach a destroyed device: reads all ones, writes ignored. */
    private final GuestDevice tombstone = new GuestDevice(this, null, -1) {
        @Override
        public long read(int space, long offset, int size) {
            return ones(size);
        }

        @Override
        public void write(int space, long offset, int size, long value) {
        }

        @Override
        public Object captureState() {
            return null;
        }

        @Override
        public void applyState(Object state) {
        }
    };

    /** @return the snapshot engine (facades use it for state, reset and destroy) */
    SnapshotEngine snapshotEngine() {
        return snapshots;
    }

    /** Installs the engine that handles the snapshot event types (before the dispatcher starts). */
    void snapshots(SnapshotEngine engine) {
        this.snapshots = engine;
    }

    /** Dispatcher: binds the set of GSIs whose records wait for their fence (see Dispatcher.endOfBatch). */
    void bindDeferred(PendingSet deferredSet) {
        this.deferred = deferredSet;
    }

    /** @return the pending set (dispatcher) */
    PendingSet pendingSet() {
        return pending;
    }

    /** @return the deferred set, or null if the dispatcher did not bind one (dispatcher) */
    PendingSet deferredSet() {
        return deferred;
    }

    /** @return the registered devices in creation order, destroyed ones included (any thread) */
    GuestDevice[] devices() {
        return devices;
    }

    /** Dispatcher: the device with {@code id}, which must not be detached. */
    GuestDevice liveDevice(int id) {
        GuestDevice d = devices[id];
        if (d.detached) {
            throw new io.irqfabric.SourceDestroyedException("device " + id + " was destroyed");
        }
        return d;
    }

    /** Dispatcher: detaches device {@code id} (hot-unplug); later events for it meet the tombstone. */
    void detach(int id) {
        GuestDevice d = devices[id];
        if (!d.detached) {
            d.detach();
            d.detached = true;
        }
    }

    /** Frees GSIs {@code base..base+count-1} for a new controller (after its owner was detached). */
    public synchronized void release(int base, int count) {
        for (int g = base; g < base + count; g++) {
            claimed[g >>> 6] &= ~(1L << (g & 63));
        }
        owners.remove(base);
    }

    /**
     * Dispatcher: sets or clears the pending bit of {@code gsi} from a state record. A bit for a
     * GSI whose gate is open is raised instead (delivered at batch end): an interrupt that was
     * pending must not stay invisible in a bit nobody will look at. A bit for a blocked GSI is
     * rejected as any assertion on it would be.
     */
    public void restorePendingBit(int gsi, boolean bit) {
        long mask = 1L << (gsi & 63);
        if (!bit) {
            pendingBits[gsi >>> 6] &= ~mask;
        } else if (gate[gsi] == MASKED) {
            pendingBits[gsi >>> 6] |= mask;
        } else if (gate[gsi] == OPEN) {
            pending.add(gsi);
        } else {
            reject(gsi, gateDetail[gsi]);
        }
    }

    /**
     * Dispatcher: a GSI leaves its controller (destroy). Its pending bit is dropped (reported as a
     * rejection: no driver remains to unmask it), its gate opens, so an assertion that still
     * reaches it is delivered as for any GSI without a controller.
     */
    public void releaseGate(int gsi) {
        long mask = 1L << (gsi & 63);
        if ((pendingBits[gsi >>> 6] & mask) != 0) {
            pendingBits[gsi >>> 6] &= ~mask;
            reject(gsi, 0);
        }
        gate[gsi] = OPEN;
        gateDetail[gsi] = 0;
    }
}
