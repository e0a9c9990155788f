package io.irqfabric.kvm.testguest;

import io.irqfabric.FabricErrorHandler;
import io.irqfabric.InterruptFabric;
import io.irqfabric.ioapic.IoapicLine;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.kvm.GsiRoute;
import io.irqfabric.kvm.GuestMemory;
import io.irqfabric.kvm.IrqchipMode;
import io.irqfabric.kvm.Kvm;
import io.irqfabric.kvm.KvmRoutingManager;
import io.irqfabric.kvm.KvmVcpu;
import io.irqfabric.kvm.KvmVm;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.virtio.VirtioMmioInterrupt;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one {@link IoapicProbeGuest} script on a real KVM VM with either KVM's in-kernel IOAPIC
 * or a split irqchip whose IOAPIC is the fabric's, and returns what the guest observed: the
 * vectors it took in each drain (in order), the IOAPIC registers it read, and whether each RTC
 * tick was coalesced. The vCPU runs on the calling thread; every host step happens inside a
 * vCPU exit, with the guest stopped, so both runs see the same sequence.
 *
 * <p>Host side of a step, per irqchip:
 * <pre>
 *                    in-kernel IOAPIC                 fabric IOAPIC (split irqchip)
 *   raise / lower    KVM_IRQ_LINE(pin, 1 / 0)          ioapic.setLevel(pin, true / false)
 *   pulse            KVM_IRQ_LINE 1 then 0             ioapic.pulse(pin)
 *   RTC tick         KVM_IRQ_LINE_STATUS(8, 1), 0      ioapic.pulseRtc()
 *   guest MMIO       in the kernel                     MMIO exit -&gt; ioapic.mmioRead/Write
 *   guest EOI        in the kernel                     KVM_EXIT_IOAPIC_EOI -&gt; ioapic.eoi(v)
 * </pre>
 * The fabric side is settled ({@code fabric.sync()}: its eventfd writes, and so KVM's irqfd
 * injections, are done) after each host step and each EOI, before the guest runs on. A drain
 * ends with a marker MSI (KVM_SIGNAL_MSI) on the lowest-priority vector, sent once everything
 * before it is settled: the LAPIC delivers it after every interrupt pending above it.
 *
 * <p>The device model behind each pin (host side, the same for both runs): a level source is
 * raised "for n services"; the guest's ISR exit (before its EOI) counts one service and lowers
 * the line after the n-th, as a driver acknowledging its device does. So a level line stays
 * high across n-1 EOIs and is re-injected at each.
 */
final class IoapicDifferential {
    /** The drain marker: priority class 2, below every vector the scripts use. */
    static final int MARKER = 0x21;
    static final long LAPIC0 = MsiMessage.encodeAddress(0, false, false);
    private static final long DRAIN_TIMEOUT_MS = 3_000;
    /** More interrupts than this in one drain is a storm (a line nobody lowers); the log holds more. */
    private static final int MAX_PER_DRAIN = 1_000;
    /** Sources per pin in the device model: the pin's own and two shared ones. */
    static final int SOURCES = 3;
    static boolean TRACE = Boolean.getBoolean("irqfabric.differential.trace");

    /** One step of a script. */
    sealed interface Step permits HostStep, GuestStep {
    }

    /** Host steps. */
    enum HostOp { RAISE, LOWER, PULSE, RTC_TICK, VIRTIO_SIGNAL }

    /**
     * A device-side action on source {@code source} of a pin (0 = the pin's own, 1 and 2 =
     * shared sources); {@code services} for RAISE.
     */
    record HostStep(HostOp op, int pin, int source, int services) implements Step {
        @Override
        public String toString() {
            return op + "(" + pin + (source != 0 ? "/" + source : "") + (op == HostOp.RAISE ? ", " + services : "") + ")";
        }
    }

    /** Guest steps. */
    enum GuestOp { WRITE, READ, DRAIN }

    /** An IOAPIC register access by the guest, or a drain. */
    record GuestStep(GuestOp op, int selector, int value) implements Step {
        @Override
        public String toString() {
            return op == GuestOp.DRAIN ? "DRAIN" : op + "(0x" + Integer.toHexString(selector)
                    + (op == GuestOp.WRITE ? ", 0x" + Integer.toHexString(value) : "") + ")";
        }
    }

    static Step raise(int pin, int services) {
        return raise(pin, 0, services);
    }

    static Step raise(int pin, int source, int services) {
        return new HostStep(HostOp.RAISE, pin, source, services);
    }

    static Step lower(int pin) {
        return lower(pin, 0);
    }

    static Step lower(int pin, int source) {
        return new HostStep(HostOp.LOWER, pin, source, 0);
    }

    static Step pulse(int pin) {
        return pulse(pin, 0);
    }

    static Step pulse(int pin, int source) {
        return new HostStep(HostOp.PULSE, pin, source, 0);
    }

    static Step rtcTick() {
        return new HostStep(HostOp.RTC_TICK, IoapicPort.RTC_PIN, 0, 0);
    }

    /** A virtio-MMIO device on the pin sets its VRING status bit. */
    static Step virtioSignal(int pin) {
        return new HostStep(HostOp.VIRTIO_SIGNAL, pin, 0, 0);
    }

    static Step write(int selector, int value) {
        return new GuestStep(GuestOp.WRITE, selector, value);
    }

    static Step read(int selector) {
        return new GuestStep(GuestOp.READ, selector, 0);
    }

    static Step drain() {
        return new GuestStep(GuestOp.DRAIN, 0, 0);
    }

    /** The guest programs a redirection entry: high dword (destination 0), then low dword. */
    static List<Step> program(int pin, int vector, boolean level, boolean masked) {
        return List.of(write(IoapicPort.redirectionSelector(pin, true), 0),
                write(IoapicPort.redirectionSelector(pin, false), lowDword(vector, level, masked)));
    }

    static int lowDword(int vector, boolean level, boolean masked) {
        return vector | (level ? 1 << 15 : 0) | (masked ? 1 << 16 : 0);
    }

    /** The two irqchips under comparison. */
    enum Chip { IN_KERNEL, FABRIC }

    /** What one run observed, one line per observation, plus counters of the fabric run. */
    record Result(List<String> observations, long fabricErrors, long guestAccessErrors) {
    }

    private IoapicDifferential() {
    }

    /**
     * Runs {@code script} to the end.
     *
     * @param chip   which IOAPIC
     * @param script the steps
     * @return the observations
     */
    static Result run(Chip chip, List<Step> script) {
        try (Machine m = new Machine(chip)) {
            return m.run(script);
        }
    }

    /** One VM with its vCPU, and for {@link Chip#FABRIC} the fabric and routing manager. */
    private static final class Machine implements AutoCloseable {
        private final Chip chip;
        private final Kvm kvm;
        private final KvmVm vm;
        private final GuestMemory mem;
        private final KvmVcpu vcpu;
        private final KvmRoutingManager routing;
        private final InterruptFabric fabric;
        private final IoapicPort ioapic;
        private final AtomicLong routingErrors = new AtomicLong();
        // device model, per pin and source (0 own, 1 and 2 shared), plus a virtio-MMIO status
        private final boolean[][] high = new boolean[IoapicPort.PINS][SOURCES];
        private final int[][] services = new int[IoapicPort.PINS][SOURCES];
        private final int[] virtioStatus = new int[IoapicPort.PINS];
        private final boolean[] virtioPresent = new boolean[IoapicPort.PINS];
        /** In-kernel: the level last given to KVM_IRQ_LINE (the wired-OR of the sources). */
        private final boolean[] kernelLine = new boolean[IoapicPort.PINS];
        /** Fabric: shared sources and virtio devices, opened on first use. */
        private final IoapicLine[][] shared = new IoapicLine[IoapicPort.PINS][SOURCES];
        private final VirtioMmioInterrupt[] virtio = new VirtioMmioInterrupt[IoapicPort.PINS];
        private final int[] pinOfVector = new int[256];
        private final List<String> out = new ArrayList<>();
        private volatile long drainStarted;
        private volatile boolean drainTimedOut;

        Machine(Chip chip) {
            this.chip = chip;
            java.util.Arrays.fill(pinOfVector, -1);
            Kvm k = Kvm.open();
            KvmVm v = null;
            GuestMemory g = null;
            KvmVcpu c = null;
            KvmRoutingManager r = null;
            InterruptFabric f = null;
            try {
                v = k.createVm();
                if (chip == Chip.IN_KERNEL) {
                    v.createIrqchip();
                    // GSI p -> IOAPIC pin p only: without KVM's default PIC entries, whose status
                    // would be added to KVM_IRQ_LINE_STATUS's answer for the RTC's GSI 8.
                    List<GsiRoute> routes = new ArrayList<>();
                    for (int p = 0; p < IoapicPort.PINS; p++) {
                        routes.add(GsiRoute.irqchip(p, GsiRoute.IRQCHIP_IOAPIC, p));
                    }
                    v.setGsiRouting(routes);
                } else {
                    v.enableSplitIrqchip(KvmRoutingManager.IOAPIC_PINS);
                }
                g = GuestMemory.allocate(GuestImage.MEMORY_SIZE);
                g.putBytes(0, IoapicProbeGuest.image());
                v.setUserMemoryRegion(0, 0, g);
                if (chip == Chip.FABRIC) {
                    FabricErrorHandler errors = (kind, gsi, detail, cause) -> routingErrors.incrementAndGet();
                    r = new KvmRoutingManager(v, IrqchipMode.SPLIT, 32, 0, errors);
                    f = InterruptFabric.builder().gsiCount(32).ioapic(true)
                            .sink(r.sink()).routeListener(r).errorHandler(errors).build();
                }
                c = v.createVcpu(0);
                GuestImage.setUpCpu(c);
            } catch (RuntimeException e) {
                closeAll(f, r, c, v, g, k);
                throw e;
            }
            this.kvm = k;
            this.vm = v;
            this.mem = g;
            this.vcpu = c;
            this.routing = r;
            this.fabric = f;
            this.ioapic = f == null ? null : f.ioapic();
        }

        Result run(List<Step> script) {
            for (Step s : script) {
                if (s instanceof GuestStep gs && gs.op() == GuestOp.WRITE
                        && gs.selector() >= IoapicPort.SELECT_REDIRECTION_TABLE && (gs.selector() & 1) == 0) {
                    pinOfVector[gs.value() & 0xFF] = (gs.selector() - IoapicPort.SELECT_REDIRECTION_TABLE) / 2;
                }
            }
            Thread watchdog = new Thread(this::watch, "ioapic-differential-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            int next = 0;
            GuestStep pending = null;
            try {
                while (true) {
                    int reason = vcpu.run();
                    switch (reason) {
                        case KvmVcpu.RUN_INTERRUPTED:
                        case KvmVcpu.EXIT_HLT:
                        case KvmVcpu.EXIT_INTR:
                            break;
                        case KvmVcpu.EXIT_MMIO:
                            mmio();
                            break;
                        case KvmVcpu.EXIT_IOAPIC_EOI:
                            if (TRACE) {
                                System.out.println(chip + " EOI exit " + Integer.toHexString(vcpu.eoiVector()));
                            }
                            ioapic.eoi(vcpu.eoiVector());
                            fabric.sync();
                            break;
                        case KvmVcpu.EXIT_IO: {
                            int port = vcpu.ioPort();
                            if (port == IoapicProbeGuest.COMMAND_PORT) {
                                finish(pending);
                                pending = null;
                                while (next < script.size() && script.get(next) instanceof HostStep hs) {
                                    host(hs);
                                    next++;
                                }
                                settle();
                                if (next == script.size()) {
                                    mem.putInt(IoapicProbeGuest.COMMAND, IoapicProbeGuest.OP_STOP);
                                } else {
                                    pending = (GuestStep) script.get(next++);
                                    command(pending);
                                }
                            } else if (port == GuestImage.EOI_KICK_PORT && TRACE) {
                                System.out.println(chip + " kick");
                            } else if (port == IoapicProbeGuest.ISR_PORT) {
                                isr();
                            } else if (port == GuestImage.STOP_PORT) {
                                return result();
                            } else if (port == GuestImage.FAULT_PORT) {
                                throw new AssertionError(chip + ": guest CPU exception, vector "
                                        + mem.getInt(GuestImage.STATUS_FAULT_VECTOR));
                            }
                            break;
                        }
                        default:
                            throw new AssertionError(chip + ": unexpected KVM exit " + reason
                                    + (reason == KvmVcpu.EXIT_INTERNAL_ERROR ? " suberror " + vcpu.internalSuberror() : ""));
                    }
                }
            } finally {
                drainStarted = -1;
                watchdog.interrupt();
            }
        }

        private Result result() {
            long errors = fabric == null ? 0 : fabric.counters().totalErrors();
            long access = fabric == null ? 0 : fabric.counters().guestAccessErrors();
            return new Result(List.copyOf(out), errors + routingErrors.get(), access);
        }

        private void mmio() {
            long offset = vcpu.mmioPhysAddr() - IoapicPort.BASE_ADDRESS;
            if (ioapic == null || offset < 0 || offset >= IoapicPort.WINDOW_SIZE) {
                throw new AssertionError(chip + ": MMIO outside the IOAPIC at 0x" + Long.toHexString(vcpu.mmioPhysAddr()));
            }
            if (vcpu.mmioIsWrite()) {
                ioapic.mmioWrite(offset, vcpu.mmioLength(), vcpu.mmioData());
            } else {
                vcpu.setMmioData(ioapic.mmioRead(offset, vcpu.mmioLength()));
            }
        }

        /** The guest finished {@code step}: record what it observed. */
        private void finish(GuestStep step) {
            if (step == null) {
                return;
            }
            if (step.op() == GuestOp.READ) {
                out.add("read 0x" + Integer.toHexString(step.selector()) + " = 0x"
                        + Integer.toHexString(mem.getInt(IoapicProbeGuest.RESULT)));
            } else if (step.op() == GuestOp.DRAIN) {
                drainStarted = 0;
                int n = mem.getInt(IoapicProbeGuest.LOG_COUNT);
                StringBuilder sb = new StringBuilder("took");
                for (int i = 0; i < n; i++) {
                    sb.append(" 0x").append(Integer.toHexString(mem.getInt(IoapicProbeGuest.LOG + 4L * i)));
                }
                out.add(drainTimedOut ? sb + " (TIMED OUT: marker forced)" : sb.toString());
                drainTimedOut = false;
                mem.putInt(IoapicProbeGuest.LOG_COUNT, 0);
            }
        }

        private void command(GuestStep step) {
            int op = switch (step.op()) {
                case WRITE -> IoapicProbeGuest.OP_WRITE;
                case READ -> IoapicProbeGuest.OP_READ;
                case DRAIN -> IoapicProbeGuest.OP_DRAIN;
            };
            mem.putInt(IoapicProbeGuest.ARG1, step.selector());
            mem.putInt(IoapicProbeGuest.ARG2, step.value());
            mem.putInt(IoapicProbeGuest.COMMAND, op);
            if (step.op() == GuestOp.DRAIN) {
                drainStarted = System.nanoTime();
                vm.signalMsi(LAPIC0, MsiMessage.encodeData(MARKER, MsiMessage.DELIVERY_FIXED, false, false));
            }
        }

        /** The guest's ISR for the vector it logged last runs: service the device behind it. */
        private void isr() {
            int n = mem.getInt(IoapicProbeGuest.LOG_COUNT);
            if (n >= MAX_PER_DRAIN) {
                throw new AssertionError(chip + ": interrupt storm: " + n + " interrupts in one drain (last "
                        + out.size() + " observations: " + out.subList(Math.max(0, out.size() - 5), out.size()) + ")");
            }
            int vector = n > 0 ? mem.getInt(IoapicProbeGuest.LOG + 4L * (n - 1)) : -1;
            if (TRACE && vector == MARKER) {
                byte[] l = vcpu.getLapic();
                System.out.println(chip + " isr marker: ISR=" + KvmVcpu.lapicBit(l, 0x100, vector) + " TMR=" + KvmVcpu.lapicBit(l, 0x180, vector));
            }
            if (vector == MARKER) {
                mem.putInt(IoapicProbeGuest.DRAIN_DONE, 1);
                return;
            }
            int pin = vector >= 0 && vector < 256 ? pinOfVector[vector] : -1;
            if (TRACE && vector >= 0 && vector != MARKER) {
                byte[] l = vcpu.getLapic();
                System.out.println(chip + " isr " + Integer.toHexString(vector) + ": ISR=" + KvmVcpu.lapicBit(l, 0x100, vector)
                        + " IRR=" + KvmVcpu.lapicBit(l, 0x200, vector) + " TMR=" + KvmVcpu.lapicBit(l, 0x180, vector));
            }
            if (pin < 0) {
                return;
            }
            // Every handler on the (shared) line runs: each source that asked for service gets
            // one, a virtio device's status is read and acknowledged as its driver does.
            boolean changed = false;
            for (int src = 0; src < SOURCES; src++) {
                if (high[pin][src] && services[pin][src] > 0 && --services[pin][src] == 0) {
                    source(pin, src, false);
                    changed = true;
                }
            }
            if (virtioPresent[pin]) {
                int status = chip == Chip.FABRIC
                        ? (int) virtio[pin].mmioRead(VirtioMmioInterrupt.INTERRUPT_STATUS, 4)
                        : virtioStatus[pin];
                out.add("virtio status of pin " + pin + " = " + status);
                if (status != 0) {
                    if (chip == Chip.FABRIC) {
                        virtio[pin].mmioWrite(VirtioMmioInterrupt.INTERRUPT_ACK, 4, status);
                    } else {
                        virtioStatus[pin] &= ~status;
                        kernelOr(pin);
                    }
                    changed = true;
                }
            }
            if (changed) {
                settle();
            }
        }

        private void host(HostStep s) {
            int pin = s.pin();
            int src = s.source();
            switch (s.op()) {
                case RAISE -> {
                    services[pin][src] = s.services();
                    if (!high[pin][src]) {
                        source(pin, src, true);
                    }
                }
                case LOWER -> source(pin, src, false);
                case PULSE -> {
                    high[pin][src] = false;
                    if (chip == Chip.IN_KERNEL) {
                        // raise, then the OR of what is left: the IOAPIC sees raise-then-lower
                        vm.irqLine(pin, true);
                        kernelLine[pin] = true;
                        kernelOr(pin);
                    } else if (src == 0) {
                        ioapic.pulse(pin);
                    } else {
                        sharedLine(pin, src).pulse();
                    }
                }
                case RTC_TICK -> {
                    boolean coalesced;
                    high[pin][0] = false;
                    if (chip == Chip.IN_KERNEL) {
                        coalesced = vm.irqLineStatus(pin, true) <= 0;
                        kernelLine[pin] = true;
                        kernelOr(pin);
                    } else {
                        coalesced = ioapic.pulseRtc();
                    }
                    out.add("rtc tick " + (coalesced ? "coalesced" : "injected"));
                }
                case VIRTIO_SIGNAL -> {
                    virtioPresent[pin] = true;
                    if (chip == Chip.IN_KERNEL) {
                        virtioStatus[pin] |= VirtioMmioInterrupt.VRING;
                        kernelOr(pin);
                    } else {
                        if (virtio[pin] == null) {
                            virtio[pin] = fabric.createVirtioMmio(pin);
                        }
                        virtio[pin].signalUsedBuffer();
                    }
                }
            }
        }

        /** Sets one source's level; in-kernel, KVM_IRQ_LINE follows the OR of the sources. */
        private void source(int pin, int src, boolean level) {
            high[pin][src] = level;
            if (chip == Chip.IN_KERNEL) {
                kernelOr(pin);
            } else if (src == 0) {
                ioapic.setLevel(pin, level);
            } else {
                sharedLine(pin, src).setLevel(level);
            }
        }

        private void kernelOr(int pin) {
            boolean or = virtioStatus[pin] != 0;
            for (int src = 0; src < SOURCES; src++) {
                or |= high[pin][src];
            }
            if (or != kernelLine[pin]) {
                kernelLine[pin] = or;
                vm.irqLine(pin, or);
            }
        }

        private IoapicLine sharedLine(int pin, int src) {
            if (shared[pin][src] == null) {
                shared[pin][src] = ioapic.openSharedLine(pin);
            }
            return shared[pin][src];
        }

        private void settle() {
            if (fabric != null) {
                fabric.sync();
            }
        }

        /** Forces the marker if a drain hangs, so a missing interrupt fails the comparison instead of the build. */
        private void watch() {
            while (true) {
                try {
                    Thread.sleep(50); // a watchdog's poll period, not a synchronisation
                } catch (InterruptedException e) {
                    return;
                }
                long started = drainStarted;
                if (started < 0) {
                    return;
                }
                if (started > 0 && System.nanoTime() - started > TimeUnit.MILLISECONDS.toNanos(DRAIN_TIMEOUT_MS)) {
                    drainTimedOut = true;
                    drainStarted = 0;
                    vm.signalMsi(LAPIC0, MsiMessage.encodeData(MARKER, MsiMessage.DELIVERY_FIXED, false, false));
                }
            }
        }

        @Override
        public void close() {
            closeAll(fabric, routing, vcpu, vm, mem, kvm);
        }

        private static void closeAll(AutoCloseable... resources) {
            for (AutoCloseable r : resources) {
                if (r != null) {
                    try {
                        r.close();
                    } catch (Exception ignored) {
                        // best effort: the first failure was already thrown
                    }
                }
            }
        }
    }
}
