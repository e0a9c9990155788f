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

    // Staged (what the fabric asked for), per fabric GSI.
    private final boolean[] wantRoute;
    private final long[] wantAddress;
    private final int[] wantData;
    private final boolean[] masked;
    // Committed (what KVM has), per fabric GSI.
    private final int[] kvmGsi;
    private final boolean[] routed;
    private final long[] address;
    private final int[] data;
    private final boolean[] assigned;
    private final EventFd[] eventFds;
    /** Per KVM GSI: the fabric GSI that owns it, or -1. */
    private final int[] kvmGsiOwner;
    private int routedCount;

    private final int[] dirty;
    private final boolean[] isDirty;
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
        this.wantRoute = new boolean[gsiCount];
        this.wantAddress = new long[gsiCount];
        this.wantData = new int[gsiCount];
        this.masked = new boolean[gsiCount];
        this.kvmGsi = new int[gsiCount];
        Arrays.fill(kvmGsi, -1);
        this.routed = new boolean[gsiCount];
        this.address = new long[gsiCount];
        this.data = new int[gsiCount];
        this.assigned = new boolean[gsiCount];
        this.eventFds = new EventFd[gsiCount];
        this.kvmGsiOwner = new int[routeLimit];
        Arrays.fill(kvmGsiOwner, -1);
        this.dirty = new int[gsiCount];
        this.isDirty = new boolean[gsiCount];
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

    /** @return the sink to give the fabric ({@code InterruptFabric.Builder.sink}) */
    public EventFdSink sink() {
        return sink;
    }

    /** @return the irqchip mode */
    public IrqchipMode mode() {
        return mode;
    }

    /** @return the most entries the routing table may hold */
    public int routeLimit() {
        return routeLimit;
    }

    /** @return entries in KVM's table now (irqchip routes plus committed MSI routes) */
    public synchronized int routesInUse() {
        return fixedRoutes.size() + routedCount;
    }

    /**
     * @param fabricGsi a fabric GSI
     * @return the KVM GSI its committed route uses, or -1 if it has none
     */
    public synchronized int kvmGsi(int fabricGsi) {
        checkGsi(fabricGsi);
        return routed[fabricGsi] ? kvmGsi[fabricGsi] : -1;
    }

    /**
     * @param fabricGsi a fabric GSI
     * @return true if its irqfd is assigned in KVM now
     */
    public synchronized boolean isIrqFdAssigned(int fabricGsi) {
        checkGsi(fabricGsi);
        return assigned[fabricGsi];
    }

    /** @return how many KVM_SET_GSI_ROUTING calls were made */
    public synchronized long routingCommits() {
        return routingCommits;
    }

    /** @return how many KVM_IRQFD assigns were made */
    public synchronized long irqfdAssigns() {
        return irqfdAssigns;
    }

    /** @return how many KVM_IRQFD deassigns were made */
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
        try {
            ensureEventFd(gsi);
        } catch (RuntimeException e) {
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, gsi, 0, e);
            return;
        }
        wantRoute[gsi] = true;
        wantAddress[gsi] = msiAddress;
        wantData[gsi] = msiData;
        markDirty(gsi);
    }

    @Override
    public synchronized void removeRoute(int gsi) {
        if (!acceptGsi(gsi, "removeRoute")) {
            return;
        }
        wantRoute[gsi] = false;
        markDirty(gsi);
    }

    @Override
    public synchronized void setMasked(int gsi, boolean mask) {
        if (!acceptGsi(gsi, "setMasked")) {
            return;
        }
        masked[gsi] = mask;
        markDirty(gsi);
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
        final int n = dirtyCount;
        int[] plan = new int[n];
        boolean[] newlyAllocated = new boolean[n];
        boolean tableChanged = false;
        int plannedRouted = routedCount;
        for (int i = 0; i < n; i++) {
            int g = dirty[i];
            int k = -1;
            if (wantRoute[g]) {
                k = kvmGsi[g];
                if (k < 0) {
                    if (fixedRoutes.size() + plannedRouted + 1 > routeLimit) {
                        reportExhausted(g);
                    } else {
                        k = allocateKvmGsi(g);
                        if (k < 0) {
                            reportExhausted(g);
                        } else {
                            newlyAllocated[i] = true;
                        }
                    }
                }
            }
            plan[i] = k;
            boolean want = k >= 0;
            if (want != routed[g]) {
                plannedRouted += want ? 1 : -1;
                tableChanged = true;
            } else if (want && (address[g] != wantAddress[g] || data[g] != wantData[g])) {
                tableChanged = true;
            }
        }
        // 1. Deassign irqfds whose route goes away or whose source is now masked.
        boolean[] deassignedNow = new boolean[n];
        boolean[] retry = new boolean[n];
        for (int i = 0; i < n; i++) {
            int g = dirty[i];
            if (assigned[g] && (plan[i] < 0 || masked[g])) {
                // A failed deassign is reported, not retried: KVM refuses one only for an fd
                // that is no eventfd any more, and a removed route has no KVM GSI to name.
                deassignedNow[i] = deassign(g);
            }
        }
        // 2. One KVM_SET_GSI_ROUTING for the whole burst, if anything in the table changed.
        if (tableChanged) {
            boolean[] oldRouted = new boolean[n];
            long[] oldAddress = new long[n];
            int[] oldData = new int[n];
            int[] oldKvm = new int[n];
            for (int i = 0; i < n; i++) {
                int g = dirty[i];
                oldRouted[i] = routed[g];
                oldAddress[i] = address[g];
                oldData[i] = data[g];
                oldKvm[i] = kvmGsi[g];
                routed[g] = plan[i] >= 0;
                if (routed[g]) {
                    address[g] = wantAddress[g];
                    data[g] = wantData[g];
                    kvmGsi[g] = plan[i];
                }
            }
            try {
                List<GsiRoute> table = buildTable();
                vm.setGsiRouting(table);
                routingCommits++;
                trace("ROUTING " + table.size());
            } catch (KvmException e) {
                for (int i = 0; i < n; i++) {
                    int g = dirty[i];
                    routed[g] = oldRouted[i];
                    address[g] = oldAddress[i];
                    data[g] = oldData[i];
                    kvmGsi[g] = oldKvm[i];
                    if (newlyAllocated[i]) {
                        kvmGsiOwner[plan[i]] = -1;
                        kvmGsi[g] = -1;
                    }
                    // The old table is still in KVM: an irqfd deassigned only for this change
                    // goes back if its source is not masked.
                    if (deassignedNow[i] && routed[g] && !masked[g]) {
                        assign(g);
                    }
                }
                report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, -1, e.errno(), e);
                return; // stays dirty: hasPendingRoutes() has the fabric call again
            }
            routedCount = 0;
            for (int i = 0; i < n; i++) {
                int g = dirty[i];
                if (!routed[g] && oldKvm[i] >= 0) {
                    kvmGsiOwner[oldKvm[i]] = -1;
                    kvmGsi[g] = -1;
                }
            }
            for (int g = 0; g < gsiCount; g++) {
                if (routed[g]) {
                    routedCount++;
                }
            }
        } else {
            for (int i = 0; i < n; i++) {
                if (newlyAllocated[i]) { // cannot happen without a table change; keep the books straight
                    kvmGsiOwner[plan[i]] = -1;
                }
            }
        }
        // 3. Only now that KVM has the routes: assign irqfds of routed, unmasked sources.
        //    A KVM_IRQFD assign that failed keeps its GSI staged and is retried, like a failed
        //    routing call: what the fabric delivers meanwhile waits in the eventfd.
        int kept = 0;
        for (int i = 0; i < n; i++) {
            int g = dirty[i];
            if (routed[g] && !masked[g] && !assigned[g] && !assign(g)) {
                retry[i] = true;
            }
            if (retry[i]) {
                dirty[kept++] = g;
            } else {
                isDirty[g] = false;
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
            EventFd fd = eventFds[g];
            if (fd == null || assigned[g] || isLevelLine(g)) {
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
        if (eventFds[pin] != null) {
            throw new IllegalStateException("pin " + pin + " already has an eventfd bound");
        }
        if (closed) {
            throw new IllegalStateException("routing manager is closed");
        }
        EventFd irq = ensureEventFd(pin);
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

    private List<GsiRoute> buildTable() {
        List<GsiRoute> t = new ArrayList<>(fixedRoutes.size() + routedCount + dirtyCount);
        t.addAll(fixedRoutes);
        for (int g = 0; g < gsiCount; g++) {
            if (routed[g]) {
                t.add(GsiRoute.msi(kvmGsi[g], address[g], data[g]));
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

    private EventFd ensureEventFd(int g) {
        EventFd fd = eventFds[g];
        if (fd == null) {
            fd = EventFd.create();
            eventFds[g] = fd;
            sink.bind(g, fd);
        }
        return fd;
    }

    private boolean assign(int g) {
        try {
            vm.assignIrqFd(eventFds[g], kvmGsi[g]);
            assigned[g] = true;
            irqfdAssigns++;
            trace("IRQFD+ " + kvmGsi[g]);
            return true;
        } catch (KvmException e) {
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, g, e.errno(), e);
            return false;
        }
    }

    private boolean deassign(int g) {
        try {
            vm.deassignIrqFd(eventFds[g], kvmGsi[g]);
            assigned[g] = false;
            irqfdDeassigns++;
            trace("IRQFD- " + kvmGsi[g]);
            return true;
        } catch (KvmException e) {
            report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, g, e.errno(), e);
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

    private void markDirty(int g) {
        if (!isDirty[g]) {
            isDirty[g] = true;
            dirty[dirtyCount++] = g;
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
        for (int g = 0; g < gsiCount; g++) {
            if (assigned[g]) {
                try {
                    vm.deassignIrqFd(eventFds[g], kvmGsi[g]);
                } catch (KvmException e) {
                    LOG.log(System.Logger.Level.DEBUG, "deassign of GSI " + g + " at close: " + e.getMessage());
                }
                assigned[g] = false;
            }
            if (eventFds[g] != null) {
                sink.unbind(g);
                eventFds[g].close();
                eventFds[g] = null;
            }
        }
    }
}
