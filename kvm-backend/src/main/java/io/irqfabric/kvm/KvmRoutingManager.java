package io.irqfabric.kvm;

import io.irqfabric.FabricErrorHandler;
import io.irqfabric.RouteListener;
import io.irqfabric.eventfd.EventFd;
import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.snapshot.HeldInterruptSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Turns the fabric's routes into KVM state: GSI routes ({@code KVM_SET_GSI_ROUTING}) and
 * irqfds ({@code KVM_IRQFD}) on the eventfds of an {@link EventFdSink} the fabric delivers to.
 *
 * <pre>{@code
 * KvmRoutingManager routing = new KvmRoutingManager(vm, IrqchipMode.IN_KERNEL, 4096);
 * InterruptFabric fabric = InterruptFabric.builder().gsiCount(4096).sink(routing.sink()).build();
 * long lapic0 = MsiMessage.encodeAddress(0, false, false);           // io.irqfabric.msi.MsiMessage
 * routing.setMsiRoute(32, lapic0, MsiMessage.encodeData(0x40, MsiMessage.DELIVERY_FIXED, false, false)); // staged
 * routing.commitRoutes();          // one KVM_SET_GSI_ROUTING, then KVM_IRQFD for GSI 32's eventfd
 * fabric.trigger(32);              // eventfd write -> irqfd -> guest vector 0x40
 * }</pre>
 *
 * <h2>Rules it keeps</h2>
 * <ul>
 *   <li><b>Lazy GSI allocation, counted.</b> A fabric GSI gets a KVM GSI only when its first
 *       route is committed, the lowest free one from 24 up (in {@link IrqchipMode#SPLIT} fabric
 *       GSIs 0-23 are the IOAPIC pins and use KVM GSIs 0-23). The table never holds more
 *       entries than {@code KVM_CAP_IRQ_ROUTING} allows (or the smaller cap given); past that
 *       the route is refused with a {@link KvmRouteLimitException} reported to the error
 *       handler, and that GSI's interrupts stay pending in its eventfd.</li>
 *   <li><b>One ioctl per burst.</b> {@link #setMsiRoute}, {@link #removeRoute} and
 *       {@link #setMasked} only stage; {@link #commitRoutes()} diffs the staged state against
 *       what KVM has and issues at most one {@code KVM_SET_GSI_ROUTING}. A burst that changes
 *       nothing (same address and data) issues none.</li>
 *   <li><b>Route before irqfd.</b> {@code KVM_IRQFD} assign is issued only after the table
 *       holding the route was committed (assigning first panics some AMD hosts with posted
 *       interrupts: Cloud Hypervisor PR #3827); a route is removed only after its irqfd was
 *       deassigned.</li>
 *   <li><b>Masking keeps the route.</b> A masked vector keeps its route and its eventfd in the
 *       sink; its irqfd is deassigned, so what the fabric delivers meanwhile accumulates in the
 *       eventfd counter. Unmasking reassigns the irqfd and KVM injects what is pending at once
 *       (removing the route instead lost interrupts: Cloud Hypervisor PR #795). A removed route
 *       also keeps its eventfd bound, so nothing is lost if the guest routes it again.</li>
 * </ul>
 *
 * <h2>Snapshots</h2>
 * As a {@link HeldInterruptSource} it names, at a fabric's snapshot cut, every GSI whose
 * eventfd holds a count with no irqfd to take it (masked, refused, not routed): the fabric
 * delivered it and the guest has not got it. The snapshot records those GSIs as owing a
 * delivery, and a restore raises them again. The count is left in place (read, then one signal
 * put back: an irqfd injects one interrupt for any count), so the running VM loses nothing.
 *
 * <h2>Threading</h2>
 * As a {@link RouteListener} it is called on the fabric's dispatcher thread. The methods are
 * also safe to call directly from other threads (they synchronise on this object; route
 * changes are configuration, never the interrupt hot path). Nothing here throws from the
 * {@link RouteListener} methods: failures go to the {@link FabricErrorHandler}.
 */
public final class KvmRoutingManager implements RouteListener, HeldInterruptSource, AutoCloseable {
    /** IOAPIC pins: KVM GSIs 0-23 are reserved for them in both modes. */
    public static final int IOAPIC_PINS = 24;
    private static final System.Logger LOG = System.getLogger(KvmRoutingManager.class.getName());

    private final KvmVm vm;
    private final IrqchipMode mode;
    private final EventFdSink sink;
    private final FabricErrorHandler errors;
    private final int gsiCount;
    private final int routeLimit;
    private final int kvmRouteLimit;
    private final List<GsiRoute> fixedRoutes;

    /** Per fabric GSI: staged, committed and planned state. */
    private final GsiState[] gsis;
    /** Per KVM GSI: the fabric GSI that owns it, or -1. */
    private final int[] kvmGsiOwner;
    /** Fabric GSIs with a committed route. */
    private int routedCount;
    /** The GSIs staged since the last commit, in staging order; {@code dirtyCount} of them. */
    private final GsiState[] dirty;
    private int dirtyCount;

    private final List<LevelIrqFd> levelLines = new ArrayList<>();
    private Resampler resampler;
    private long routingCommits;
    private long irqfdAssigns;
    private long irqfdDeassigns;
    private boolean closed;
    /** Test hook: told every KVM call in order ("ROUTING n", "IRQFD+ k", "IRQFD- k"); null in production. */
    private Consumer<String> trace;

    /**
     * A manager using KVM's own route limit and the default logging error handler.
     *
     * @param vm       the VM (irqchip already created or split irqchip enabled)
     * @param mode     where the irqchip lives
     * @param gsiCount the fabric's GSI count (the sink's size)
     */
    public KvmRoutingManager(KvmVm vm, IrqchipMode mode, int gsiCount) {
        this(vm, mode, gsiCount, 0, FabricErrorHandler.logging());
    }

    /**
     * A manager with a route cap and an error handler of the caller's.
     *
     * @param vm        the VM (irqchip already created or split irqchip enabled)
     * @param mode      where the irqchip lives
     * @param gsiCount  the fabric's GSI count (the sink's size)
     * @param maxRoutes a cap below KVM's limit, or 0 for KVM's {@code KVM_CAP_IRQ_ROUTING}
     * @param errors    receives route failures (never thrown from the RouteListener methods)
     */
    public KvmRoutingManager(KvmVm vm, IrqchipMode mode, int gsiCount, int maxRoutes, FabricErrorHandler errors) {
        if (gsiCount < 1) {
            throw new IllegalArgumentException("gsiCount must be positive, was " + gsiCount);
        }
        int kvmLimit = vm.checkExtension(Kvm.CAP_IRQ_ROUTING);
        if (kvmLimit <= 0) {
            throw new KvmException("KVM_CHECK_EXTENSION(KVM_CAP_IRQ_ROUTING)", 0, "KVM offers no GSI routing");
        }
        this.vm = vm;
        this.mode = mode;
        this.gsiCount = gsiCount;
        this.errors = errors;
        this.kvmRouteLimit = kvmLimit;
        this.routeLimit = maxRoutes > 0 ? Math.min(maxRoutes, kvmLimit) : kvmLimit;
        this.fixedRoutes = mode == IrqchipMode.IN_KERNEL ? defaultIrqchipRoutes() : List.of();
        if (fixedRoutes.size() >= routeLimit) {
            throw new IllegalArgumentException("route cap " + routeLimit + " leaves no room beside the "
                    + fixedRoutes.size() + " irqchip routes");
        }
        this.sink = EventFdSink.unbound(gsiCount);
        this.gsis = new GsiState[gsiCount];
        for (int g = 0; g < gsiCount; g++) {
            gsis[g] = new GsiState(g);
        }
        this.kvmGsiOwner = new int[routeLimit];
        Arrays.fill(kvmGsiOwner, -1);
        this.dirty = new GsiState[gsiCount];
    }

    /**
     * KVM's default x86 routing (irq_comm.c): GSI 0-15 to the PIC (master for 0-7, slave for
     * 8-15, pin = gsi % 8) and to IOAPIC pin gsi; GSI 16-23 to IOAPIC pin gsi. KVM_SET_GSI_ROUTING
     * replaces the whole table, so these are resent with every commit.
     */
    private static List<GsiRoute> defaultIrqchipRoutes() {
        List<GsiRoute> r = new ArrayList<>();
        for (int gsi = 0; gsi < IOAPIC_PINS; gsi++) {
            r.add(GsiRoute.irqchip(gsi, GsiRoute.IRQCHIP_IOAPIC, gsi));
            if (gsi < 16) {
                r.add(GsiRoute.irqchip(gsi, gsi < 8 ? GsiRoute.IRQCHIP_PIC_MASTER : GsiRoute.IRQCHIP_PIC_SLAVE, gsi % 8));
            }
        }
        return List.copyOf(r);
    }

    /** {@return the sink to give the fabric ({@code InterruptFabric.Builder.sink})} */
    public EventFdSink sink() {
        return sink;
    }

    /** {@return the irqchip mode} */
    public IrqchipMode mode() {
        return mode;
    }

    /** {@return the most entries the routing table may hold} */
    public int routeLimit() {
        return routeLimit;
    }

    /** {@return entries in KVM's table now (irqchip routes plus committed MSI routes)} */
    public synchronized int routesInUse() {
        return fixedRoutes.size() + routedCount;
    }

    /**
     * {@return the KVM GSI its committed route uses, or -1 if it has none}
     *
     * @param fabricGsi a fabric GSI
     */
    public synchronized int kvmGsi(int fabricGsi) {
        checkGsi(fabricGsi);
        return gsis[fabricGsi].kvmGsi();
    }

    /**
     * {@return true if its irqfd is assigned in KVM now}
     *
     * @param fabricGsi a fabric GSI
     */
    public synchronized boolean isIrqFdAssigned(int fabricGsi) {
        checkGsi(fabricGsi);
        return gsis[fabricGsi].irqfdAssigned;
    }

    /** {@return how many KVM_SET_GSI_ROUTING calls were made} */
    public synchronized long routingCommits() {
        return routingCommits;
    }

    /** {@return how many KVM_IRQFD assigns were made} */
    public synchronized long irqfdAssigns() {
        return irqfdAssigns;
    }

    /** {@return how many KVM_IRQFD deassigns were made} */
    public synchronized long irqfdDeassigns() {
        return irqfdDeassigns;
    }

    // ---- RouteListener: staging --------------------------------------------------------------

    @Override
    public synchronized void setMsiRoute(int gsi, long msiAddress, int msiData) {
        if (!acceptGsi(gsi, "setMsiRoute")) {
            return;
        }
        if (mode == IrqchipMode.IN_KERNEL && gsi < IOAPIC_PINS) {
            report(FabricErrorHandler.Kind.REQUEST_REJECTED, gsi, gsi, new IllegalArgumentException(
                    "GSI " + gsi + " is an in-kernel IOAPIC pin (GSIs 0-23 with IrqchipMode.IN_KERNEL); MSI routes use GSIs from 24"));
            return;
        }
        GsiState s = gsis[gsi];
        try {
            ensureEventFd(s);
        } catch (RuntimeException e) {
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, gsi, 0, e);
            return;
        }
        s.wanted = true;
        s.address = msiAddress;
        s.data = msiData;
        markDirty(s);
    }

    @Override
    public synchronized void removeRoute(int gsi) {
        if (!acceptGsi(gsi, "removeRoute")) {
            return;
        }
        gsis[gsi].wanted = false;
        markDirty(gsis[gsi]);
    }

    @Override
    public synchronized void setMasked(int gsi, boolean mask) {
        if (!acceptGsi(gsi, "setMasked")) {
            return;
        }
        gsis[gsi].masked = mask;
        markDirty(gsis[gsi]);
    }

    /**
     * Applies everything staged since the last commit: deassigns irqfds of removed or masked
     * routes, issues one KVM_SET_GSI_ROUTING if the table changed, then assigns irqfds of new
     * or unmasked routes. Never throws; failures go to the error handler.
     */
    @Override
    public synchronized void commitRoutes() {
        if (closed || dirtyCount == 0) {
            return;
        }
        boolean tableChanged = plan();
        deassignStale();
        if (tableChanged && !applyTable()) {
            return; // stays dirty: hasPendingRoutes() has the fabric call again
        }
        // A plan that leaves the table alone allocated no KVM GSI (a new one changes the table).
        assignReady();
    }

    /**
     * Step 1: decides each staged GSI's table entry ({@link GsiState#planned}), allocating a KVM
     * GSI for a new route (counted against the route limit; refused ones are reported and get
     * none).
     *
     * @return true if KVM's table must change
     */
    private boolean plan() {
        boolean tableChanged = false;
        int plannedRouted = routedCount;
        for (int i = 0; i < dirtyCount; i++) {
            GsiState s = dirty[i];
            s.planned = s.wanted ? plannedRoute(s, plannedRouted) : null;
            s.deassignedForCommit = false;
            if ((s.planned != null) != (s.committed != null)) {
                plannedRouted += s.planned != null ? 1 : -1;
            }
            tableChanged |= s.planChangesTable();
        }
        return tableChanged;
    }

    private GsiRoute plannedRoute(GsiState s, int plannedRouted) {
        int k = s.kvmGsi();
        if (k < 0) {
            k = fixedRoutes.size() + plannedRouted + 1 > routeLimit ? -1 : allocateKvmGsi(s.fabricGsi);
            if (k < 0) {
                reportExhausted(s.fabricGsi);
                return null;
            }
        }
        return GsiRoute.msi(k, s.address, s.data);
    }

    /** Step 2: deassigns the irqfds whose route goes away or whose source is now masked. */
    private void deassignStale() {
        for (int i = 0; i < dirtyCount; i++) {
            GsiState s = dirty[i];
            if (s.irqfdAssigned && (s.planned == null || s.masked)) {
                // A failed deassign is reported, not retried: KVM refuses one only for an fd
                // that is no eventfd any more, and a removed route has no KVM GSI to name.
                s.deassignedForCommit = deassign(s);
            }
        }
    }

    /**
     * Step 3: one KVM_SET_GSI_ROUTING with the planned table. On success the plan becomes the
     * committed state; on failure KVM keeps the old table, which the committed state still
     * describes, so the plan is dropped: its new KVM GSIs are freed and an irqfd deassigned only
     * for this change goes back if its source is not masked.
     *
     * @return true if KVM took the table
     */
    private boolean applyTable() {
        try {
            List<GsiRoute> table = plannedTable();
            vm.setGsiRouting(table);
            routingCommits++;
            trace("ROUTING " + table.size());
        } catch (KvmException e) {
            for (int i = 0; i < dirtyCount; i++) {
                GsiState s = dirty[i];
                if (s.plannedNewKvmGsi()) {
                    kvmGsiOwner[s.planned.gsi()] = -1;
                }
                s.planned = null;
                if (s.deassignedForCommit && s.committed != null && !s.masked) {
                    assign(s);
                }
            }
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, -1, e.errno(), e);
            return false;
        }
        for (int i = 0; i < dirtyCount; i++) {
            GsiState s = dirty[i];
            if (s.planned == null && s.committed != null) {
                kvmGsiOwner[s.committed.gsi()] = -1;
            }
            routedCount += (s.planned != null ? 1 : 0) - (s.committed != null ? 1 : 0);
            s.committed = s.planned;
        }
        return true;
    }

    /**
     * Step 4, only now that KVM has the routes: assigns the irqfds of routed, unmasked sources.
     * A KVM_IRQFD assign that failed keeps its GSI staged and is retried, like a failed routing
     * call: what the fabric delivers meanwhile waits in the eventfd.
     */
    private void assignReady() {
        int kept = 0;
        for (int i = 0; i < dirtyCount; i++) {
            GsiState s = dirty[i];
            s.planned = null;
            if (s.readyToAssign() && !assign(s)) {
                dirty[kept++] = s;
            } else {
                s.dirty = false;
            }
        }
        dirtyCount = kept;
    }

    /**
     * True while a failed KVM_SET_GSI_ROUTING or KVM_IRQFD left changes unapplied. The fabric
     * then calls {@link #commitRoutes()} again at most once a millisecond, also while idle. What
     * a vector signals meanwhile waits in its eventfd and is injected once its irqfd is assigned.
     */
    @Override
    public synchronized boolean hasPendingRoutes() {
        // After a commit only what it could not apply stays staged; nothing is retried once closed.
        return !closed && dirtyCount > 0;
    }

    // ---- snapshots ---------------------------------------------------------------------------

    /**
     * Names every GSI whose eventfd holds an interrupt no irqfd will take now (its irqfd is
     * deassigned because the source is masked, or KVM refused it, or it has no route), and leaves
     * the interrupt there. Level lines bound with a resamplefd are KVM's own and are skipped.
     * Called by the fabric on its dispatcher thread at a snapshot cut.
     */
    @Override
    public synchronized void collectHeld(IntConsumer gsi) {
        if (closed) {
            return;
        }
        for (int g = 0; g < gsiCount; g++) {
            EventFd fd = gsis[g].eventFd;
            if (fd == null || gsis[g].irqfdAssigned || isLevelLine(g)) {
                continue;
            }
            try {
                if (fd.read() > 0) {
                    fd.signal(); // put it back: the running VM must still get it on reassign
                    gsi.accept(g);
                }
            } catch (RuntimeException e) {
                report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, g, 0, e);
            }
        }
    }

    private boolean isLevelLine(int g) {
        for (LevelIrqFd line : levelLines) {
            if (line.pin() == g) {
                return true;
            }
        }
        return false;
    }

    // ---- level lines (in-kernel irqchip, resamplefd) -----------------------------------------

    /**
     * Binds in-kernel IOAPIC pin {@code pin} as a level-triggered line with a resamplefd
     * ({@code KVM_IRQFD_FLAG_RESAMPLE}). The line's irqfd becomes the sink's eventfd for fabric
     * GSI {@code pin}. Only with {@link IrqchipMode#IN_KERNEL}. The guest must program the pin
     * level-triggered in its IOAPIC.
     *
     * @param pin IOAPIC pin 0-23 (16-23 avoid the PIC)
     * @return the line
     * @throws KvmException          if KVM refuses the irqfd
     * @throws IllegalStateException if not in-kernel mode or the pin is already bound
     */
    public synchronized LevelIrqFd levelPin(int pin) {
        if (mode != IrqchipMode.IN_KERNEL) {
            throw new IllegalStateException("resamplefd level lines need the in-kernel IOAPIC (IrqchipMode.IN_KERNEL)");
        }
        if (pin < 0 || pin >= IOAPIC_PINS || pin >= gsiCount) {
            throw new IllegalArgumentException("IOAPIC pin must be 0.." + (Math.min(IOAPIC_PINS, gsiCount) - 1) + ", was " + pin);
        }
        if (gsis[pin].eventFd != null) {
            throw new IllegalStateException("pin " + pin + " already has an eventfd bound");
        }
        if (closed) {
            throw new IllegalStateException("routing manager is closed");
        }
        EventFd irq = ensureEventFd(gsis[pin]);
        EventFd resample = EventFd.create();
        try {
            vm.assignResampleIrqFd(irq, pin, resample);
        } catch (KvmException e) {
            resample.close();
            throw e;
        }
        irqfdAssigns++;
        LevelIrqFd line = new LevelIrqFd(pin, irq, resample);
        levelLines.add(line);
        if (resampler == null) {
            resampler = new Resampler();
        }
        resampler.add(line);
        return line;
    }

    // ---- internals ---------------------------------------------------------------------------

    /** The whole table as planned: the irqchip routes, then each GSI's planned or committed entry. */
    private List<GsiRoute> plannedTable() {
        List<GsiRoute> t = new ArrayList<>(fixedRoutes.size() + routedCount + dirtyCount);
        t.addAll(fixedRoutes);
        for (GsiState s : gsis) {
            GsiRoute r = s.dirty ? s.planned : s.committed;
            if (r != null) {
                t.add(r);
            }
        }
        return t;
    }

    private int allocateKvmGsi(int g) {
        if (mode == IrqchipMode.SPLIT && g < IOAPIC_PINS) {
            kvmGsiOwner[g] = g; // IOAPIC pin p is KVM GSI p (KVM_CAP_SPLIT_IRQCHIP reserves 0-23)
            return g;
        }
        for (int k = IOAPIC_PINS; k < routeLimit; k++) {
            if (kvmGsiOwner[k] < 0) {
                kvmGsiOwner[k] = g;
                return k;
            }
        }
        return -1;
    }

    private void reportExhausted(int g) {
        KvmRouteLimitException e = new KvmRouteLimitException(routeLimit,
                "KVM GSI routes exhausted: all " + routeLimit + " routes are in use ("
                        + (routeLimit < kvmRouteLimit ? "the configured cap; KVM_CAP_IRQ_ROUTING allows " + kvmRouteLimit
                                : "KVM_CAP_IRQ_ROUTING") + "); fabric GSI " + g
                        + " gets no route and its interrupts stay pending until one frees up and it is routed again");
        report(FabricErrorHandler.Kind.REQUEST_REJECTED, g, routeLimit, e);
    }

    private EventFd ensureEventFd(GsiState s) {
        if (s.eventFd == null) {
            s.eventFd = EventFd.create();
            sink.bind(s.fabricGsi, s.eventFd);
        }
        return s.eventFd;
    }

    /** KVM_IRQFD assign of the committed route; a failure is reported. */
    private boolean assign(GsiState s) {
        int k = s.kvmGsi();
        try {
            vm.assignIrqFd(s.eventFd, k);
            s.irqfdAssigned = true;
            irqfdAssigns++;
            trace("IRQFD+ " + k);
            return true;
        } catch (KvmException e) {
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, s.fabricGsi, e.errno(), e);
            return false;
        }
    }

    /** KVM_IRQFD deassign from the committed route; a failure is reported. */
    private boolean deassign(GsiState s) {
        int k = s.kvmGsi();
        try {
            vm.deassignIrqFd(s.eventFd, k);
            s.irqfdAssigned = false;
            irqfdDeassigns++;
            trace("IRQFD- " + k);
            return true;
        } catch (KvmException e) {
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, s.fabricGsi, e.errno(), e);
            return false;
        }
    }

    synchronized void setTrace(Consumer<String> hook) {
        this.trace = hook;
    }

    private void trace(String event) {
        if (trace != null) {
            trace.accept(event);
        }
    }

    private void markDirty(GsiState s) {
        if (!s.dirty) {
            s.dirty = true;
            dirty[dirtyCount++] = s;
        }
    }

    private boolean acceptGsi(int gsi, String what) {
        if (closed) {
            return false;
        }
        if (gsi < 0 || gsi >= gsiCount) {
            report(FabricErrorHandler.Kind.REQUEST_REJECTED, gsi, gsi, new IllegalArgumentException(
                    what + ": GSI " + gsi + " is outside the routing manager's range 0.." + (gsiCount - 1)));
            return false;
        }
        return true;
    }

    private void checkGsi(int gsi) {
        if (gsi < 0 || gsi >= gsiCount) {
            throw new IllegalArgumentException("GSI " + gsi + " is outside 0.." + (gsiCount - 1));
        }
    }

    private void report(FabricErrorHandler.Kind kind, int gsi, long detail, Throwable cause) {
        try {
            errors.onError(kind, gsi, detail, cause);
        } catch (Throwable ignored) {
            // The error handler must not break route handling.
        }
    }

    /**
     * Deassigns every irqfd, stops the resampler, unbinds and closes the eventfds. Close the
     * fabric first (its deliveries would otherwise fail with EBADF). Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (resampler != null) {
            resampler.close();
        }
        for (LevelIrqFd line : levelLines) {
            try {
                vm.deassignIrqFd(line.irqFd(), line.pin());
            } catch (KvmException e) {
                LOG.log(System.Logger.Level.DEBUG, "deassign of level pin " + line.pin() + " at close: " + e.getMessage());
            }
            line.resampleFd().close();
        }
        for (GsiState s : gsis) {
            if (s.irqfdAssigned) {
                try {
                    vm.deassignIrqFd(s.eventFd, s.kvmGsi());
                } catch (KvmException e) {
                    LOG.log(System.Logger.Level.DEBUG, "deassign of GSI " + s.fabricGsi + " at close: " + e.getMessage());
                }
                s.irqfdAssigned = false;
            }
            if (s.eventFd != null) {
                sink.unbind(s.fabricGsi);
                s.eventFd.close();
                s.eventFd = null;
            }
        }
    }
}
