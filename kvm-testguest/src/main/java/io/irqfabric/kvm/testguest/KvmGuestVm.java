package io.irqfabric.kvm.testguest;

import io.irqfabric.FabricErrorHandler;
import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.kvm.GuestMemory;
import io.irqfabric.kvm.IrqchipMode;
import io.irqfabric.kvm.Kvm;
import io.irqfabric.kvm.KvmException;
import io.irqfabric.kvm.KvmRoutingManager;
import io.irqfabric.kvm.KvmVcpu;
import io.irqfabric.kvm.KvmVm;
import io.irqfabric.msi.MsiMessage;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A running KVM VM with one vCPU executing the {@link GuestImage test guest}: what the
 * end-to-end tests, the storm's KVM mode and the KVM demo use to put the fabric in front of a
 * real guest. It owns /dev/kvm, the VM, guest memory, the vCPU thread and a
 * {@link KvmRoutingManager} whose {@link #sink()} the fabric delivers to.
 *
 * <pre>{@code
 * if (Kvm.unavailableReason() == null) {
 *     try (KvmGuestVm guest = KvmGuestVm.builder().gsiCount(64).boot();   // create() + start()
 *          InterruptFabric fabric = InterruptFabric.builder().gsiCount(64).sink(guest.sink()).build()) {
 *         for (int i = 0; i < 8; i++) {
 *             guest.routeMsi(32 + i, 0x40 + i);          // fabric GSI 32+i -> guest vector 0x40+i
 *         }
 *         fabric.trigger(32);
 *         guest.awaitHandled(0x40, 1, 1_000);             // the guest counted it
 *         long handled = guest.handled(0x40);             // read from guest memory
 *     }   // fabric closes first (drains), then the guest: vCPU stopped, irqfds deassigned, VM freed
 * }
 * }</pre>
 *
 * <p>Split irqchip with the fabric's IOAPIC: the guest programs the IOAPIC while it boots, so
 * create the VM, then the fabric, then start the vCPU:
 * <pre>{@code
 * KvmGuestVm guest = KvmGuestVm.builder().irqchip(IrqchipMode.SPLIT).image(image).create();
 * InterruptFabric fabric = InterruptFabric.builder().gsiCount(64).ioapic(true)
 *         .sink(guest.sink()).routeListener(guest.routing()).build();
 * guest.start(UserspaceIoapic.of(fabric.ioapic()));
 * }</pre>
 *
 * <h2>The vCPU loop</h2>
 * One platform thread ({@code irqfabric-vcpu0}) calls KVM_RUN. With the in-kernel irqchip the
 * guest's LAPIC, IOAPIC and {@code hlt} never leave the kernel, so the loop sleeps in KVM_RUN.
 * In {@link IrqchipMode#SPLIT} mode it forwards MMIO exits in 0xFEC00000-0xFEC00FFF to the
 * {@link UserspaceIoapic} and {@code KVM_EXIT_IOAPIC_EOI} to its {@code eoi(vector)}. Any
 * other MMIO access is a guest error: counted, reported, reads return all ones. A CPU
 * exception in the guest, an emulation failure or a shutdown stops the loop and is reported
 * by {@link #failure()}.
 *
 * <p>Thread safety: the query methods may be called from any thread; {@link #close()} once.
 */
public final class KvmGuestVm implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KvmGuestVm.class.getName());
    /** How long {@link Builder#boot()} waits for the guest to report ready. */
    private static final long READY_TIMEOUT_MS = 5_000;
    /** MSI address of the guest's only LAPIC (id 0, physical destination). */
    private static final long LAPIC0 = MsiMessage.encodeAddress(0, false, false);

    private final Kvm kvm;
    private final KvmVm vm;
    private final GuestMemory memory;
    private final KvmVcpu vcpu;
    private final KvmRoutingManager routing;
    private final IrqchipMode mode;
    private volatile UserspaceIoapic ioapic;
    private final FabricErrorHandler errors;
    private final GuestImage image;
    private Thread vcpuThread;
    private boolean started;
    private final CountDownLatch vcpuStopped = new CountDownLatch(1);
    private volatile String failure;
    private volatile boolean stopRequested;
    private final AtomicLong exits = new AtomicLong();
    private final AtomicLong ioapicMmioExits = new AtomicLong();
    private final AtomicLong eoiExits = new AtomicLong();
    private final AtomicLong invalidMmio = new AtomicLong();
    private final AtomicLong eoiKicks = new AtomicLong();
    private boolean closed;

    private KvmGuestVm(Builder b) {
        this.mode = b.mode;
        this.ioapic = b.ioapic;
        this.errors = b.errors;
        this.image = b.image;
        Kvm k = null;
        KvmVm v = null;
        GuestMemory m = null;
        KvmVcpu c = null;
        KvmRoutingManager r = null;
        try {
            k = Kvm.open();
            v = k.createVm();
            if (mode == IrqchipMode.IN_KERNEL) {
                v.createIrqchip();
            } else {
                v.enableSplitIrqchip(KvmRoutingManager.IOAPIC_PINS);
            }
            m = GuestMemory.allocate(GuestImage.MEMORY_SIZE);
            image.loadInto(m);
            if (mode == IrqchipMode.SPLIT) {
                m.putInt(GuestImage.CONFIG_FLAGS, GuestImage.FLAG_EOI_KICK); // see FLAG_EOI_KICK: PVM quirk
            }
            v.setUserMemoryRegion(0, 0, m);
            r = new KvmRoutingManager(v, mode, b.gsiCount, b.maxRoutes, errors);
            c = v.createVcpu(0);
            GuestImage.setUpCpu(c);
        } catch (RuntimeException e) {
            closeQuietly(r, c, v, m, k);
            throw e;
        }
        this.kvm = k;
        this.vm = v;
        this.memory = m;
        this.vcpu = c;
        this.routing = r;
    }

    /**
     * Starts the vCPU thread and waits (up to 5 s) until the guest reports ready: LAPIC
     * enabled, IOAPIC entries programmed. Build the fabric (sink, route listener) before this:
     * the guest programs its IOAPIC while it boots.
     *
     * @return this
     * @throws IllegalStateException if already started, if split mode has no IOAPIC, or if the
     *                               guest does not come up (the VM is closed then)
     */
    public synchronized KvmGuestVm start() {
        if (started || closed) {
            throw new IllegalStateException(closed ? "closed" : "already started");
        }
        if (mode == IrqchipMode.SPLIT && ioapic == null) {
            throw new IllegalStateException("split irqchip needs a user-space IOAPIC: start(ioapic) or builder().ioapic(...)");
        }
        started = true;
        vcpuThread = new Thread(this::runVcpu, "irqfabric-vcpu0");
        vcpuThread.setDaemon(true);
        vcpuThread.start();
        if (!awaitCondition(() -> GuestImage.isReady(memory) || failure != null, READY_TIMEOUT_MS) || failure != null) {
            String why = failure != null ? failure : "guest not ready after " + READY_TIMEOUT_MS + " ms";
            close();
            throw new IllegalStateException("test guest failed to boot: " + why);
        }
        return this;
    }

    /**
     * {@link #start()} with the user-space IOAPIC the vCPU loop forwards to (split mode).
     *
     * @param userspaceIoapic the IOAPIC; for the fabric's: {@code UserspaceIoapic.of(fabric.ioapic())}
     * @return this
     */
    public synchronized KvmGuestVm start(UserspaceIoapic userspaceIoapic) {
        if (mode != IrqchipMode.SPLIT) {
            throw new IllegalStateException("a user-space IOAPIC is only used with IrqchipMode.SPLIT");
        }
        this.ioapic = userspaceIoapic;
        return start();
    }

    /** {@return a builder (in-kernel irqchip, 64 GSIs, the standard image)} */
    public static Builder builder() {
        return new Builder();
    }

    // ---- the vCPU loop -----------------------------------------------------------------------

    private void runVcpu() {
        try {
            while (!stopRequested) {
                int reason = vcpu.run();
                exits.incrementAndGet();
                switch (reason) {
                    case KvmVcpu.RUN_INTERRUPTED:
                    case KvmVcpu.EXIT_HLT:
                    case KvmVcpu.EXIT_INTR:
                        break;
                    case KvmVcpu.EXIT_MMIO:
                        handleMmio();
                        break;
                    case KvmVcpu.EXIT_IOAPIC_EOI:
                        eoiExits.incrementAndGet();
                        if (ioapic != null) {
                            int vector = vcpu.eoiVector();
                            try {
                                ioapic.eoi(vector);
                            } catch (RuntimeException e) {
                                report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, -1, vector, e);
                            }
                        }
                        break;
                    case KvmVcpu.EXIT_IO:
                        if (vcpu.ioPort() == GuestImage.STOP_PORT) {
                            return;
                        }
                        if (vcpu.ioPort() == GuestImage.EOI_KICK_PORT) {
                            eoiKicks.incrementAndGet();
                            break;
                        }
                        if (vcpu.ioPort() == GuestImage.FAULT_PORT) {
                            failure = "guest CPU exception, vector " + memory.getInt(GuestImage.STATUS_FAULT_VECTOR);
                            return;
                        }
                        report(FabricErrorHandler.Kind.GUEST_ACCESS_INVALID, -1, vcpu.ioPort(), null);
                        break;
                    case KvmVcpu.EXIT_INTERNAL_ERROR:
                        failure = "KVM_EXIT_INTERNAL_ERROR, suberror " + vcpu.internalSuberror()
                                + " (1 = emulation failure)";
                        return;
                    case KvmVcpu.EXIT_FAIL_ENTRY:
                        failure = "KVM_EXIT_FAIL_ENTRY, reason 0x" + Long.toHexString(vcpu.failEntryReason());
                        return;
                    default:
                        failure = "unexpected KVM exit reason " + reason;
                        return;
                }
            }
        } catch (RuntimeException e) {
            failure = "vCPU loop failed: " + e;
        } finally {
            vcpuStopped.countDown();
            if (failure != null) {
                LOG.log(System.Logger.Level.WARNING, "test guest vCPU stopped: " + failure);
            }
        }
    }

    private void handleMmio() {
        long addr = vcpu.mmioPhysAddr();
        int len = vcpu.mmioLength();
        boolean write = vcpu.mmioIsWrite();
        long offset = addr - UserspaceIoapic.BASE;
        if (ioapic != null && offset >= 0 && offset < UserspaceIoapic.WINDOW) {
            ioapicMmioExits.incrementAndGet();
            try {
                if (write) {
                    ioapic.mmioWrite(offset, len, vcpu.mmioData());
                } else {
                    vcpu.setMmioData(ioapic.mmioRead(offset, len));
                }
            } catch (RuntimeException e) {
                report(FabricErrorHandler.Kind.HANDLER_EXCEPTION, -1, addr, e);
                if (!write) {
                    vcpu.setMmioData(-1L);
                }
            }
            return;
        }
        invalidMmio.incrementAndGet();
        report(FabricErrorHandler.Kind.GUEST_ACCESS_INVALID, -1, addr, null);
        if (!write) {
            vcpu.setMmioData(-1L);
        }
    }

    private void report(FabricErrorHandler.Kind kind, int gsi, long detail, Throwable t) {
        try {
            errors.onError(kind, gsi, detail, t);
        } catch (Throwable ignored) {
            // never let the error handler stop the vCPU
        }
    }

    // ---- API ---------------------------------------------------------------------------------

    /** {@return the sink to build the fabric with; its eventfds are the VM's irqfds} */
    public EventFdSink sink() {
        return routing.sink();
    }

    /** {@return the routing manager (also the fabric's {@code RouteListener})} */
    public KvmRoutingManager routing() {
        return routing;
    }

    /** {@return the VM} */
    public KvmVm vm() {
        return vm;
    }

    /** {@return the guest's memory} */
    public GuestMemory memory() {
        return memory;
    }

    /** {@return the image the guest runs} */
    public GuestImage image() {
        return image;
    }

    /** {@return the irqchip mode} */
    public IrqchipMode mode() {
        return mode;
    }

    /**
     * Routes fabric GSI {@code fabricGsi} to guest vector {@code vector} (edge MSI to LAPIC 0)
     * and commits at once: one KVM_SET_GSI_ROUTING, then the irqfd.
     *
     * @param fabricGsi the fabric GSI (24 and up with the in-kernel irqchip)
     * @param vector    the guest vector, 32-253
     */
    public void routeMsi(int fabricGsi, int vector) {
        checkVector(vector);
        routing.setMsiRoute(fabricGsi, LAPIC0, MsiMessage.encodeData(vector, MsiMessage.DELIVERY_FIXED, false, false));
        routing.commitRoutes();
    }

    /**
     * Injects {@code vector} with KVM_SIGNAL_MSI (no route, no irqfd).
     *
     * @param vector the vector
     * @return &gt; 0 if delivered
     */
    public int signalMsi(int vector) {
        return vm.signalMsi(LAPIC0, MsiMessage.encodeData(vector, MsiMessage.DELIVERY_FIXED, false, false));
    }

    /**
     * {@return how many interrupts on it the guest has handled (read from guest memory)}
     *
     * @param vector a vector
     */
    public long handled(int vector) {
        return GuestImage.handled(memory, vector);
    }

    /**
     * Copies all 256 per-vector counts into {@code into} without allocating.
     *
     * @param into an array of at least 256 elements
     */
    public void handledSnapshot(long[] into) {
        for (int v = 0; v < 256; v++) {
            into[v] = GuestImage.handled(memory, v);
        }
    }

    /**
     * Waits until the guest has handled at least {@code atLeast} interrupts on {@code vector}.
     *
     * @param vector        the vector
     * @param atLeast       the count to reach
     * @param timeoutMillis the deadline
     * @return true if reached, false on timeout or if the vCPU stopped
     */
    public boolean awaitHandled(int vector, long atLeast, long timeoutMillis) {
        return awaitCondition(() -> handled(vector) >= atLeast || failure != null, timeoutMillis)
                && handled(vector) >= atLeast;
    }

    /** {@return the IOAPIC version register as the guest read it at boot} */
    public int ioapicVersionSeenByGuest() {
        return memory.getInt(GuestImage.STATUS_IOAPIC_VERSION);
    }

    /** {@return null while the vCPU runs normally, else why it stopped} */
    public String failure() {
        return failure;
    }

    /** {@return true while the vCPU thread runs} */
    public boolean isRunning() {
        return vcpuStopped.getCount() > 0;
    }

    /** {@return vCPU exits to user space so far} */
    public long exits() {
        return exits.get();
    }

    /** {@return MMIO exits forwarded to the user-space IOAPIC} */
    public long ioapicMmioExits() {
        return ioapicMmioExits.get();
    }

    /** {@return KVM_EXIT_IOAPIC_EOI exits} */
    public long eoiExits() {
        return eoiExits.get();
    }

    /** {@return I/O exits of the guest's EOI kick (split mode; see {@link GuestImage#FLAG_EOI_KICK})} */
    public long eoiKicks() {
        return eoiKicks.get();
    }

    /** {@return MMIO accesses outside any device (guest errors)} */
    public long invalidMmioAccesses() {
        return invalidMmio.get();
    }

    /**
     * Waits with a deadline for a condition (checks every 50 us).
     *
     * @param condition     the condition
     * @param timeoutMillis the deadline
     * @return true if it became true in time
     */
    static boolean awaitCondition(BooleanSupplier condition, long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return condition.getAsBoolean();
            }
            LockSupport.parkNanos(50_000);
        }
        return true;
    }

    private static void checkVector(int vector) {
        if (vector < 32 || vector > 253) {
            throw new IllegalArgumentException("guest vector must be 32..253 (254 stops the guest, 255 is spurious), was " + vector);
        }
    }

    /**
     * Stops the vCPU (an MSI on {@link GuestImage#STOP_VECTOR} makes the guest exit through
     * its stop port), deassigns the irqfds, closes the vCPU and VM and unmaps guest memory.
     * Close the fabric first. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopRequested = true;
        boolean stopped = !started || vcpuStopped.getCount() == 0;
        for (int attempt = 0; attempt < 3 && !stopped; attempt++) {
            try {
                vm.signalMsi(LAPIC0, MsiMessage.encodeData(GuestImage.STOP_VECTOR, MsiMessage.DELIVERY_FIXED, false, false));
            } catch (KvmException e) {
                LOG.log(System.Logger.Level.DEBUG, "stop MSI failed: " + e.getMessage());
            }
            try {
                stopped = vcpuStopped.await(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!stopped) {
            // Leave the vCPU, VM and memory mapped rather than pull memory from under a vCPU.
            LOG.log(System.Logger.Level.WARNING, "test guest vCPU did not stop; leaking its VM");
            routing.close();
            return;
        }
        closeQuietly(routing, vcpu, vm, memory, kvm);
    }

    private static void closeQuietly(AutoCloseable... resources) {
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                r.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "close: " + e);
            }
        }
    }

    /** Configures and boots a {@link KvmGuestVm}. */
    public static final class Builder {
        private IrqchipMode mode = IrqchipMode.IN_KERNEL;
        private int gsiCount = 64;
        private int maxRoutes;
        private GuestImage image = GuestImage.standard();
        private UserspaceIoapic ioapic;
        private FabricErrorHandler errors = FabricErrorHandler.logging();

        private Builder() {
        }

        /**
         * {@return this}
         *
         * @param mode in-kernel or split irqchip (default in-kernel)
         */
        public Builder irqchip(IrqchipMode mode) {
            this.mode = mode;
            return this;
        }

        /**
         * {@return this}
         *
         * @param count the fabric's GSI count (default 64)
         */
        public Builder gsiCount(int count) {
            this.gsiCount = count;
            return this;
        }

        /**
         * {@return this}
         *
         * @param max a route cap below KVM's limit (0 = KVM's)
         */
        public Builder maxRoutes(int max) {
            this.maxRoutes = max;
            return this;
        }

        /**
         * {@return this}
         *
         * @param image the guest to run (default {@link GuestImage#standard()})
         */
        public Builder image(GuestImage image) {
            this.image = image;
            return this;
        }

        /**
         * {@return this}
         *
         * @param ioapic the user-space IOAPIC (required with {@link IrqchipMode#SPLIT})
         */
        public Builder ioapic(UserspaceIoapic ioapic) {
            this.ioapic = ioapic;
            return this;
        }

        /**
         * {@return this}
         *
         * @param handler receives guest and routing errors
         */
        public Builder errorHandler(FabricErrorHandler handler) {
            this.errors = handler;
            return this;
        }

        /**
         * Creates the VM (irqchip, memory with the guest loaded, routing manager, vCPU with its
         * registers set) without running it; {@link KvmGuestVm#start()} runs it.
         *
         * @return the created, not yet running guest
         * @throws KvmException if /dev/kvm or an ioctl fails
         */
        public KvmGuestVm create() {
            if (mode == IrqchipMode.IN_KERNEL && ioapic != null) {
                throw new IllegalStateException("a user-space IOAPIC is only used with IrqchipMode.SPLIT");
            }
            return new KvmGuestVm(this);
        }

        /**
         * {@link #create()} then {@link KvmGuestVm#start()}.
         *
         * @return the running guest
         * @throws KvmException          if /dev/kvm or an ioctl fails
         * @throws IllegalStateException if the guest does not come up
         */
        public KvmGuestVm boot() {
            if (mode == IrqchipMode.SPLIT && ioapic == null) {
                throw new IllegalStateException("split irqchip needs a user-space IOAPIC: builder().ioapic(...)");
            }
            KvmGuestVm vm = create();
            try {
                return vm.start();
            } catch (RuntimeException e) {
                vm.close();
                throw e;
            }
        }
    }
}
