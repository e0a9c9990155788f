package io.irqfabric;

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.WaitStrategy;
import io.irqfabric.internal.ControllerHub;
import io.irqfabric.internal.ControllerPort;
import io.irqfabric.internal.Counters;
import io.irqfabric.internal.Dispatcher;
import io.irqfabric.internal.GuestDevice;
import io.irqfabric.internal.InFlight;
import io.irqfabric.internal.ProducerStates;
import io.irqfabric.internal.IoapicController;
import io.irqfabric.internal.MsiController;
import io.irqfabric.internal.MsixController;
import io.irqfabric.internal.Moderation;
import io.irqfabric.internal.NotifierReader;
import io.irqfabric.internal.OverflowLog;
import io.irqfabric.internal.PaddedInt;
import io.irqfabric.internal.ParkingWaitStrategy;
import io.irqfabric.internal.RingEvent;
import io.irqfabric.internal.SnapshotEngine;
import io.irqfabric.internal.SpinningWaitStrategy;
import io.irqfabric.internal.VirtioMmioController;
import io.irqfabric.internal.VirtioPciController;
import io.irqfabric.internal.WaitDeadline;
import io.irqfabric.eventfd.EventFd;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.ResampleListener;
import io.irqfabric.msi.BusRange;
import io.irqfabric.msi.MsiCapability;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.virtio.VirtioMmioInterrupt;
import io.irqfabric.virtio.VirtioPciVectors;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The interrupt fabric of one VM: producer threads assert interrupts, one dispatcher thread
 * coalesces them and delivers each pending GSI once per batch to an {@link InterruptSink}.
 * This class is the VMM's {@code InterruptManager} (rust-vmm vm-device): it hands out
 * {@link InterruptSourceGroup}s and owns their life cycle.
 *
 * <pre>{@code
 * try (EventFdSink sink = EventFdSink.create(64);
 *      InterruptFabric fabric = InterruptFabric.builder().gsiCount(64).sink(sink).build()) {
 *     InterruptSourceGroup queue = fabric.createGroup(InterruptSourceType.MSI, 32, 4);
 *     queue.trigger(0);          // GSI 32: any thread, lock-free, allocation-free
 * }                              // close(): every accepted assertion is delivered first
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Coverage.</b> Every assertion {@link #trigger(int)} accepts (returns normally) is
 *       followed by at least one delivery of its GSI that starts after it was accepted,
 *       including when the ring is full and across {@link #close()}.</li>
 *   <li><b>Coalescing.</b> Under the default policy, assertions of one GSI in one dispatcher
 *       batch become one delivery at the end of that batch; no timer is involved. Other
 *       {@link ModerationPolicy moderation policies} ({@link #moderate}) write once per
 *       assertion, or hold a GSI's delivery for a bounded time; coverage holds under each.</li>
 *   <li><b>Quiet producers.</b> {@code trigger} allocates nothing, takes no lock and makes no
 *       syscall (with {@link DispatcherWait#PARKING} the first assertion after the dispatcher
 *       parked pays one unpark).</li>
 * </ul>
 *
 * <h2>Ring full</h2>
 * A producer never blocks and never drops. If {@code tryNext()} finds no free slot the
 * assertion goes to the lock-free overflow log (a per-GSI record plus a summary bit). The
 * producer then tries once more to claim a slot and publishes a no-payload OVERFLOW event if it
 * gets one; if the ring is still full, the dispatcher has unreleased events, and since it
 * releases slots with a full fence <em>before</em> it drains the log, its next drain is
 * certain to see the record. Either way a batch end follows the record.
 *
 * <h2>Close</h2>
 * {@link #close()} marks the fabric closed, publishes a SHUTDOWN event and waits for the
 * dispatcher to process everything before it, drain the overflow log one last time and flush.
 * A producer that claimed a slot (or made an overflow record) and then sees the fabric closed
 * waits for that final flush and checks whether its assertion was in it: if yes the call
 * returns normally (accepted and delivered), if not it throws {@link FabricClosedException}
 * (not accepted). So "accepted" always implies "delivered". The sink is not closed: its owner
 * closes it.
 *
 * <h2>Interrupt controllers</h2>
 * The dispatcher thread also owns the guest-programmable interrupt controllers (DESIGN.md
 * invariant 2): the userspace IOAPIC ({@link #ioapic()}, enabled with
 * {@link Builder#ioapic(boolean)}), MSI-X tables ({@link #createMsixTable}), MSI capabilities
 * ({@link #createMsi}), virtio-MMIO interrupt status ({@link #createVirtioMmio}) and virtio-PCI
 * vector maps ({@link #createVirtioPci}). Producers and vCPU threads reach them only through ring
 * events; a guest register read waits for its answer from the dispatcher, so a vCPU always reads
 * its own earlier writes. Masking is a per-GSI dispatcher concept: a trigger of a masked source
 * sets a pending bit ({@link FabricCounters#masked(int)}) that is delivered once on unmask. The
 * routes the controllers compute go to the {@link Builder#routeListener(RouteListener) route
 * listener}, committed once at the end of a batch that changed them, before that batch's
 * deliveries. Malformed guest accesses never throw: they are counted
 * ({@link FabricCounters#guestAccessErrors()}) and reported to the error handler. Each GSI
 * belongs to at most one controller; creating one on a taken GSI throws
 * {@link FabricConfigException}.
 */
public final class InterruptFabric implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(InterruptFabric.class.getName());

    private final RingBuffer<RingEvent> ring;
    private final Dispatcher dispatcher;
    private final OverflowLog overflow;
    private final Counters counters;
    private final FabricCounters publicCounters;
    private final int gsiCount;
    private final DispatcherWait waitKind;
    private final DispatchMode dispatchMode;
    private final InterruptSink sink;
    /** 0 open, 1 closed. Read by every producer on every call, so alone on its cache line. */
    private final PaddedInt closed = new PaddedInt();
    private final Thread dispatcherThread;
    private final ControllerHub hub;
    private final ControllerPort port;
    private final SnapshotEngine snapshots;
    private final IoapicController ioapic;
    /** GSIs below this are IOAPIC pins (24 with an IOAPIC, else 0): trigger() pulses them. */
    private final int ioapicPins;
    /** Notifier eventfds and the thread that reads them (started by the first notifier). */
    private final NotifierReader notifiers;
    /** Per-GSI moderation (dispatcher-owned; {@link #moderate} reaches it through the ring). */
    private final Moderation moderation;

    private InterruptFabric(Builder b) {
        this.gsiCount = b.gsiCount;
        this.waitKind = b.waitKind;
        this.dispatchMode = b.dispatchMode;
        this.sink = b.sink;
        WaitDeadline deadline = new WaitDeadline(b.nanoClock);
        this.ring = RingBuffer.createMultiProducer(RingEvent::new, b.ringSize, waitStrategy(b.waitKind, deadline));
        this.overflow = new OverflowLog(gsiCount);
        this.counters = b.countersFile == null ? Counters.inMemory(gsiCount) : Counters.mapped(gsiCount, b.countersFile);
        final FabricErrorHandler handler = b.errorHandler;
        final java.nio.file.Path countersPath = b.countersFile;
        counters.onFileFailure(fault -> {
            try {
                handler.onError(FabricErrorHandler.Kind.COUNTERS_FILE, -1, 0,
                        new FabricStateException("cannot write the counters file " + countersPath + " (" + fault
                                + "); counting goes on in memory (fabric.counters())", fault));
            } catch (Throwable ignored) {
                // the error handler must not stop the dispatcher
            }
        });
        this.hub = new ControllerHub(gsiCount, counters, b.errorHandler, b.routeListener);
        InFlight inFlight = new InFlight(gsiCount);
        this.moderation = new Moderation(gsiCount, counters, inFlight, deadline);
        hub.moderation(moderation);
        ProducerStates producers = new ProducerStates(gsiCount);
        counters.sourceCoalesced(producers);
        this.dispatcher = new Dispatcher(ring, overflow, b.sink, counters, b.errorHandler, hub, closed, inFlight, b.dispatchMode);
        this.port = new ControllerPort(ring, dispatcher, closed, overflow, inFlight, producers);
        this.publicCounters = new FabricCounters(counters, overflow, hub, producers);
        this.snapshots = new SnapshotEngine(hub, port, overflow, gsiCount, b.ioapic, b.sink, b.routeListener);
        this.notifiers = new NotifierReader(gsiCount, this::trigger, b.errorHandler);
        port.notifiers(this::notifier);
        if (b.ioapic) {
            if (gsiCount < IoapicPort.PINS) {
                throw new FabricConfigException("an IOAPIC needs GSIs 0.." + (IoapicPort.PINS - 1) + " but gsiCount is " + gsiCount);
            }
            hub.claim(0, IoapicPort.PINS, "IOAPIC");
            this.ioapic = new IoapicController(hub, port, b.resampleListener);
            hub.register(ioapic);
            hub.lineDrainer(ioapic);
            moderation.lineReinjector(ioapic);
            ioapic.attach(); // before the dispatcher starts: its start happens-after this
            this.ioapicPins = IoapicPort.PINS;
        } else {
            this.ioapic = null;
            this.ioapicPins = 0;
        }
        final java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        final Dispatcher d = dispatcher;
        Runnable body = () -> {
            started.countDown();
            d.run();
        };
        Thread t;
        try {
            t = b.threadFactory.newThread(body);
            if (t == null) {
                throw new FabricConfigException("threadFactory returned null");
            }
            t.start();
        } catch (FabricConfigException e) {
            counters.close();
            throw e;
        } catch (RuntimeException | Error e) {
            counters.close();
            throw new FabricConfigException("threadFactory failed to make or start the dispatcher thread: " + e, e);
        }
        this.dispatcherThread = t;
        boolean ran;
        try {
            ran = started.await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            ran = true; // not known; do not refuse a thread that may be running
        }
        if (!ran) {
            closed.sv(Dispatcher.STATE_FAILED);
            counters.close();
            throw new FabricConfigException("the thread from threadFactory did not run the dispatcher within "
                    + START_TIMEOUT_SECONDS + " s (does the factory pass its Runnable to the Thread it returns?)");
        }
    }

    /** How long build() waits for the dispatcher thread to start running. */
    private static final long START_TIMEOUT_SECONDS = 10;

    /**
     * The dispatcher's wait: Disruptor's busy-spin and yielding loops and the project's parking
     * one, each made to return at the moderation deadline ({@link WaitDeadline}): a held
     * delivery or a delayed IOAPIC line must be written on time even when no event arrives.
     */
    private static WaitStrategy waitStrategy(DispatcherWait kind, WaitDeadline deadline) {
        switch (kind) {
            case BUSY_SPIN:
                return new SpinningWaitStrategy(-1, deadline);
            case YIELDING:
                return new SpinningWaitStrategy(SpinningWaitStrategy.YIELD_AFTER, deadline);
            case PARKING:
            default:
                return new ParkingWaitStrategy(20_000L, 100_000L, deadline);
        }
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Asserts an edge interrupt on {@code gsi}. Any thread; lock-free; allocates nothing.
     *
     * <p>With the userspace IOAPIC ({@link Builder#ioapic(boolean)}), GSIs 0..23 are its pins:
     * {@code trigger(pin)} is {@link IoapicPort#pulse(int) ioapic().pulse(pin)}, an edge on the
     * line that the IOAPIC delivers as the pin's redirection entry says (not at all while the pin
     * is masked), so a legacy source never bypasses the guest's IOAPIC programming.
     *
     * @param gsi the GSI, {@code 0 <= gsi < gsiCount()}
     * @throws UnknownGsiException   if {@code gsi} is outside the fabric's range
     * @throws FabricClosedException if the fabric was closed before it accepted the assertion
     */
    public void trigger(int gsi) {
        if (gsi < 0 || gsi >= gsiCount) {
            if (closed.lv() != 0) {
                throw port.closedException("trigger(" + gsi + ")");
            }
            throw unknownGsi(gsi);
        }
        if (gsi < ioapicPins) {
            ioapic.pulse(gsi);
            return;
        }
        port.trigger(gsi);
    }

    /**
     * Sets the moderation policy of {@code gsi} (see {@link ModerationPolicy}); takes effect in
     * order with the caller's earlier assertions: it travels through the ring as an event, and
     * what the old policy held is written at the end of the batch that applies the new one.
     * Every GSI starts with {@link ModerationPolicy#batch()}. Any thread; not for hot paths (it
     * may wait for a ring slot, as a register write does). Policies are not part of a
     * {@link #snapshot()}: a restored fabric starts with batch everywhere and the VMM sets them
     * again.
     *
     * @param gsi    the GSI, {@code 0 <= gsi < gsiCount()}
     * @param policy the policy
     * @throws UnknownGsiException   if {@code gsi} is outside the fabric's range
     * @throws FabricClosedException if the fabric is closed
     * @throws FabricConfigException if {@code policy} is null
     */
    public void moderate(int gsi, ModerationPolicy policy) {
        if (policy == null) {
            throw new FabricConfigException("moderate: policy must not be null");
        }
        if (gsi < 0 || gsi >= gsiCount) {
            if (closed.lv() != 0) {
                throw port.closedException("moderate(" + gsi + ")");
            }
            throw unknownGsi(gsi);
        }
        port.checkOpen("moderate(" + gsi + ")");
        moderation.announce(gsi, policy); // the producers' source-coalescing flag (none)
        port.post(RingEvent.MODERATE, gsi, Moderation.encodeA(policy), Moderation.encodeB(policy),
                "moderate(" + gsi + ")");
    }

    /**
     * Waits until every event published before this call has been handled and its batch
     * flushed to the sink. Allocation-free after the first call on a thread. Not for hot paths:
     * it spins (then yields) until the dispatcher answers.
     *
     * @throws FabricClosedException if the fabric closed before the request was handled
     * @throws FabricStateException  if called on the dispatcher thread (from a sink or listener)
     */
    public void sync() {
        port.request(RingEvent.SYNC, 0, 0, 0, "sync()");
    }

    /**
     * Creates a group of {@code count} interrupt sources on consecutive GSIs from
     * {@code baseGsi}, as rust-vmm's {@code InterruptManager::create_group}.
     *
     * @param type    the source type
     * @param baseGsi the first GSI
     * @param count   the number of sources (1 for legacy, 1-32 for MSI, 1-2048 for MSI-X)
     * @return the group
     * @throws UnknownGsiException   if any GSI of the group is out of range
     * @throws FabricConfigException if {@code type} is null, {@code count} does not suit it, or a
     *                               GSI already belongs to another group or a controller (the
     *                               message names the owner); a {@code LEGACY_IRQ} group on
     *                               IOAPIC pins is the exception: it is one more source of those
     *                               lines and its trigger pulses them
     * @throws FabricClosedException if the fabric is closed
     */
    public InterruptSourceGroup createGroup(InterruptSourceType type, int baseGsi, int count) {
        if (type == null) {
            throw new FabricConfigException("createGroup: type must not be null");
        }
        port.checkOpen("createGroup");
        if (count < 1 || count > type.maxSources()) {
            throw new FabricConfigException(type + " group of " + count + " sources: allowed 1.." + type.maxSources());
        }
        checkGsiRange(baseGsi, count);
        if (!(type == InterruptSourceType.LEGACY_IRQ && baseGsi + count <= ioapicPins)) {
            // A legacy group on IOAPIC pins is one more source of those lines (its trigger is a
            // pulse through the IOAPIC), so it shares them; any other group owns its GSIs.
            hub.claim(baseGsi, count, type + " source group");
        }
        InterruptSourceGroup group = new InterruptSourceGroup(this, type, baseGsi, count);
        snapshots.addGroup(group, type, baseGsi, count);
        return group;
    }

    private void checkGsiRange(int baseGsi, int count) {
        if (baseGsi < 0 || baseGsi >= gsiCount) {
            throw unknownGsi(baseGsi);
        }
        if ((long) baseGsi + count > gsiCount) {
            throw new UnknownGsiException(baseGsi + count - 1,
                    "group GSIs " + baseGsi + ".." + (baseGsi + count - 1) + " exceed the fabric's range 0.." + (gsiCount - 1));
        }
    }

    /**
     * The userspace IOAPIC (24 pins; pin {@code p} is GSI {@code p}).
     *
     * @return the IOAPIC's port
     * @throws FabricStateException if the fabric was built without {@link Builder#ioapic(boolean) ioapic(true)}
     */
    public IoapicPort ioapic() {
        if (ioapic == null) {
            throw new FabricStateException("this fabric was built without an IOAPIC: use builder().ioapic(true)");
        }
        return ioapic;
    }

    /**
     * Creates an MSI-X table of {@code vectors} vectors on GSIs {@code baseGsi..baseGsi+vectors-1}
     * for a device at bus 0, devfn 0, that may name any bus. Reset state: every vector masked,
     * MSI-X disabled.
     *
     * @param baseGsi the GSI of vector 0
     * @param vectors 1..2048
     * @return the table
     * @throws FabricConfigException if {@code vectors} is out of range or a GSI belongs to
     *                               another controller
     * @throws UnknownGsiException   if a GSI is outside the fabric's range
     * @throws FabricClosedException if the fabric is closed
     */
    public MsixTable createMsixTable(int baseGsi, int vectors) {
        return createMsixTable(baseGsi, vectors, 0, BusRange.ALL);
    }

    /**
     * Creates an MSI-X table for the device at {@code devfn} on {@code busRange}'s secondary bus
     * (requester ID {@code secondary << 8 | devfn}); see {@link #createMsixTable(int, int)}.
     *
     * @param baseGsi  the GSI of vector 0
     * @param vectors  1..2048
     * @param devfn    device and function, 0..255
     * @param busRange the buses the device's requester IDs may name
     * @return the table
     */
    public MsixTable createMsixTable(int baseGsi, int vectors, int devfn, BusRange busRange) {
        if (vectors < 1 || vectors > MsixTable.MAX_VECTORS) {
            throw new FabricConfigException("MSI-X table of " + vectors + " vectors: allowed 1.." + MsixTable.MAX_VECTORS);
        }
        int rid = requesterId(devfn, busRange);
        return attach(baseGsi, vectors, "MSI-X table",
                new MsixController(hub, port, baseGsi, vectors, rid, busRange));
    }

    /**
     * Creates an MSI capability (64-bit, per-vector masking) with {@code vectors} vectors on
     * GSIs {@code baseGsi..baseGsi+vectors-1} for a device at bus 0, devfn 0. Reset state: MSI
     * disabled, one vector enabled, no mask bit set.
     *
     * @param baseGsi the GSI of vector 0
     * @param vectors 1, 2, 4, 8, 16 or 32 (the capability's "multiple message capable")
     * @return the capability
     * @throws FabricConfigException if {@code vectors} is not a power of two in 1..32 or a GSI
     *                               belongs to another controller
     * @throws UnknownGsiException   if a GSI is outside the fabric's range
     * @throws FabricClosedException if the fabric is closed
     */
    public MsiCapability createMsi(int baseGsi, int vectors) {
        return createMsi(baseGsi, vectors, 0, BusRange.ALL);
    }

    /**
     * Creates an MSI capability for the device at {@code devfn} on {@code busRange}'s secondary
     * bus; see {@link #createMsi(int, int)}.
     *
     * @param baseGsi  the GSI of vector 0
     * @param vectors  1, 2, 4, 8, 16 or 32
     * @param devfn    device and function, 0..255
     * @param busRange the buses the device's requester IDs may name
     * @return the capability
     */
    public MsiCapability createMsi(int baseGsi, int vectors, int devfn, BusRange busRange) {
        if (vectors < 1 || vectors > InterruptSourceType.MSI.maxSources() || Integer.bitCount(vectors) != 1) {
            throw new FabricConfigException("MSI of " + vectors + " vectors: allowed 1, 2, 4, 8, 16 or 32");
        }
        int rid = requesterId(devfn, busRange);
        return attach(baseGsi, vectors, "MSI capability",
                new MsiController(hub, port, baseGsi, vectors, rid, busRange));
    }

    /**
     * Creates the interrupt status of a virtio-MMIO device that signals {@code gsi}.
     *
     * <p>On a GSI of its own the device signals an edge per status change. On a pin of the
     * userspace IOAPIC (GSIs 0..23 with {@link Builder#ioapic(boolean) ioapic(true)}) it drives
     * the pin as a level line that is high while its interrupt status is non-zero and falls when
     * an InterruptACK clears the status; it is one wired-OR source of the pin, so several devices
     * (and {@link IoapicPort#openSharedLine shared sources}) can share a pin.
     *
     * @param gsi the device's GSI, or IOAPIC pin
     * @return the device's interrupt
     * @throws FabricConfigException if the GSI belongs to another controller, or the IOAPIC pin
     *                               has no free source
     * @throws UnknownGsiException   if {@code gsi} is outside the fabric's range
     * @throws FabricClosedException if the fabric is closed
     */
    public VirtioMmioInterrupt createVirtioMmio(int gsi) {
        if (gsi >= 0 && gsi < ioapicPins) {
            port.checkOpen("create virtio-MMIO interrupt");
            VirtioMmioController device = ioapic.createVirtioMmio(gsi);
            hub.register(device);
            port.post(RingEvent.DEVICE_ATTACH, device.id(), 0, 0, "create virtio-MMIO interrupt");
            return device;
        }
        return attach(gsi, 1, "virtio-MMIO interrupt", new VirtioMmioController(hub, port, gsi));
    }

    /**
     * Creates the queue-to-vector map of a virtio-PCI device whose MSI-X table is {@code table}.
     * Every queue and the configuration start with {@link VirtioPciVectors#NO_VECTOR}.
     *
     * @param table  a table this fabric created
     * @param queues number of virtqueues, 1..65535
     * @return the vector map
     * @throws FabricConfigException if {@code table} is not this fabric's or {@code queues} is out of range
     * @throws FabricClosedException if the fabric is closed
     */
    public VirtioPciVectors createVirtioPci(MsixTable table, int queues) {
        if (!(table instanceof MsixController) || !hub.owns((MsixController) table)) {
            throw new FabricConfigException("createVirtioPci needs an MSI-X table created by this fabric");
        }
        if (queues < 1 || queues > 0xFFFF) {
            throw new FabricConfigException("virtio-PCI device of " + queues + " queues: allowed 1..65535");
        }
        if (((MsixController) table).isDestroyed()) {
            throw new SourceDestroyedException("createVirtioPci on a destroyed MSI-X table");
        }
        port.checkOpen("createVirtioPci");
        VirtioPciController vectors = new VirtioPciController(hub, port, table, queues);
        hub.register(vectors);
        return vectors;
    }

    private static int requesterId(int devfn, BusRange busRange) {
        if (busRange == null) {
            throw new FabricConfigException("busRange must not be null");
        }
        if ((devfn & ~0xFF) != 0) {
            throw new FabricConfigException("devfn must be 0..255, was " + devfn);
        }
        return busRange.requesterId(devfn);
    }

    private <T extends GuestDevice> T attach(int baseGsi, int count, String what, T device) {
        port.checkOpen("create " + what);
        checkGsiRange(baseGsi, count);
        hub.claim(baseGsi, count, what);
        overflow.requireFence(baseGsi, count);
        hub.register(device);
        // The dispatcher sets the reset state (masks) before any event published after this one.
        port.post(RingEvent.DEVICE_ATTACH, device.id(), 0, 0, "create " + what);
        return device;
    }

    /**
     * The notifier eventfd of {@code gsi}, for an external writer (a vhost-user back end, a VFIO
     * device, another process) that signals interrupts by writing an eventfd: every signal is
     * read by the fabric and becomes an assertion of {@code gsi}, exactly as {@link #trigger}
     * (so it honours the guest's masking and pending bits instead of going around them).
     * Created on the first call for a GSI; later calls return the same eventfd. The fabric owns
     * it: it is closed by {@link #close()}, after a last read that asserts what was signalled
     * before close began. Do not close it or read it yourself (a second reader would take
     * signals away from the fabric); hand its {@link EventFd#fd() descriptor} to the writer.
     *
     * <p>The first notifier starts one reader thread ({@code irqfabric-notifier}) that waits for
     * all notifiers with poll(2): blocked in the kernel, it uses no CPU while they are quiet. Each
     * signal adds that thread's wake-up and one read(2) to the path of a direct {@code trigger};
     * signals that arrive together are read as one count and become one assertion.
     *
     * @param gsi the GSI, {@code 0 <= gsi < gsiCount()}
     * @return the GSI's notifier (signal it, or pass {@link EventFd#fd()} to the writer)
     * @throws UnknownGsiException   if {@code gsi} is outside the fabric's range
     * @throws FabricClosedException if the fabric is closed
     */
    public EventFd notifier(int gsi) {
        if (closed.lv() != 0) {
            throw port.closedException("notifier(" + gsi + ")");
        }
        if (gsi < 0 || gsi >= gsiCount) {
            throw unknownGsi(gsi);
        }
        try {
            return notifiers.notifier(gsi);
        } catch (FabricStateException e) {
            throw port.closedException("notifier(" + gsi + ")");
        }
    }

    /** Test seam: runs in close() between stopping the notifier reader and its last read. */
    void afterNotifierReaderStopped(Runnable hook) {
        notifiers.afterReaderStopped(hook);
    }

    /** @return the notifier reader thread, or null while no notifier exists */
    Thread notifierThread() {
        return notifiers.thread();
    }

    /**
     * Test seam: the next {@code times} turns of the dispatcher loop throw {@code t}, as an error
     * outside the loop's guards would (see {@link #failure()}).
     */
    void injectDispatcherFault(Throwable t, int times) {
        dispatcher.injectFault(t, times);
    }

    // ---------------------------------------------------------------- snapshot, restore, destroy

    /**
     * Takes a snapshot of every piece of interrupt state at one cut in the ring, encoded in the
     * format drawn in {@link io.irqfabric.snapshot}. The cut is a barrier event: everything
     * published before this call (by any thread that happened-before it) is applied and either
     * delivered or captured as owed; producers are not stopped, and what they publish after the
     * barrier is handled after the capture. The fabric keeps running and still delivers what it
     * owed: a snapshot changes nothing.
     *
     * @return the snapshot
     * @throws FabricClosedException if the fabric is closed
     * @throws FabricStateException  if called on the dispatcher thread
     */
    public byte[] snapshot() {
        return snapshots.snapshot();
    }

    /**
     * Applies a snapshot to this fabric, which must have the same configuration: GSI count,
     * IOAPIC, and the same controllers (kind, GSIs, vector and queue counts, requester ID, bus
     * range, in the same creation order) and groups. Re-create them first, as the VMM re-creates
     * its devices, then restore. The bytes are decoded and checked completely before anything is
     * applied; then, in one dispatcher step at a cut in the ring, every controller gets its state
     * (routes staged, committed before the deliveries of that batch: route before irqfd), and
     * every GSI that owed a delivery at the snapshot's cut is asserted again (when in doubt,
     * raise): delivered at the end of that batch, or a pending bit if its source is masked.
     *
     * @param snapshot the bytes {@link #snapshot()} produced
     * @throws io.irqfabric.snapshot.SnapshotFormatException if the bytes are truncated,
     *         corrupted, foreign, of a newer version, malformed, or of another configuration;
     *         nothing was applied
     * @throws FabricClosedException if the fabric is closed
     */
    public void restore(byte[] snapshot) {
        snapshots.restore(snapshot);
    }

    /**
     * Destroys a group (hot-unplug of a device whose sources are plain GSIs). From the moment
     * this is called the group's {@link InterruptSourceGroup#trigger(int)} throws
     * {@link SourceDestroyedException}; an assertion it accepted before is delivered: this call
     * returns once every event published before it has been handled and flushed. The group's
     * GSIs are free for a new group or controller.
     *
     * @param group a group of this fabric
     * @throws SourceDestroyedException if it already was destroyed
     * @throws FabricConfigException    if it belongs to another fabric
     */
    public void destroy(InterruptSourceGroup group) {
        if (group.fabric() != this) {
            throw new FabricConfigException("destroy: the group belongs to another fabric");
        }
        if (!group.markDestroyed()) {
            throw new SourceDestroyedException("destroy: " + group + " already destroyed");
        }
        snapshots.removeGroup(group);
        if (!(group.type() == InterruptSourceType.LEGACY_IRQ && group.baseGsi() + group.count() <= ioapicPins)) {
            hub.release(group.baseGsi(), group.count()); // as createGroup claimed them
        }
    }

    /**
     * Destroys an MSI-X table or MSI capability (hot-unplug). Its facade refuses every call from
     * now on with {@link SourceDestroyedException}; then, in ring order, its routes are removed,
     * its masked vectors' pending bits are dropped (reported as rejections: no driver remains to
     * unmask them), and its GSIs become plain GSIs, free for a new controller. An assertion
     * accepted before is delivered if its vector was unmasked; one that raced the destroy and was
     * accepted is delivered on the plain GSI. A virtio-PCI map on a table must be destroyed first.
     *
     * @param vectors a table or capability of this fabric
     * @throws SourceDestroyedException if it already was destroyed
     * @throws FabricConfigException    if it belongs to another fabric
     * @throws FabricStateException     if a virtio-PCI map still uses the table
     */
    public void destroy(io.irqfabric.msi.MsiVectorGroup vectors) {
        snapshots.destroy(device(vectors), "destroy(" + vectors.getClass().getSimpleName() + ")");
    }

    /**
     * Destroys a virtio-MMIO interrupt (hot-unplug): its facade refuses from now on, its GSI is
     * free. An assertion accepted before is delivered.
     *
     * @param interrupt an interrupt of this fabric
     * @throws SourceDestroyedException if it already was destroyed
     */
    public void destroy(VirtioMmioInterrupt interrupt) {
        snapshots.destroy(device(interrupt), "destroy(VirtioMmioInterrupt)");
    }

    /**
     * Destroys a virtio-PCI vector map: its facade refuses from now on; its MSI-X table stays.
     *
     * @param vectors a map of this fabric
     * @throws SourceDestroyedException if it already was destroyed
     */
    public void destroy(VirtioPciVectors vectors) {
        snapshots.destroy(device(vectors), "destroy(VirtioPciVectors)");
    }

    private static GuestDevice device(Object facade) {
        if (!(facade instanceof GuestDevice)) {
            throw new FabricConfigException("destroy: not a controller created by an irqfabric fabric");
        }
        return (GuestDevice) facade;
    }

    /**
     * Test seam: run between a failed claim and the overflow record, so a test can make the
     * dispatcher finish its batch (and its drain) inside that window deterministically.
     */
    void beforeOverflowRecord(Runnable hook) {
        port.beforeOverflowRecord(hook);
    }

    /** @return the number of GSIs this fabric serves ({@code 0..gsiCount()-1}) */
    public int gsiCount() {
        return gsiCount;
    }

    /** @return the ring's slot count */
    public int ringSize() {
        return ring.getBufferSize();
    }

    /** @return who writes an assertion's eventfd */
    public DispatchMode dispatchMode() {
        return dispatchMode;
    }

    /** @return the dispatcher's wait strategy */
    public DispatcherWait waitStrategy() {
        return waitKind;
    }

    /** @return the sink deliveries go to */
    public InterruptSink sink() {
        return sink;
    }

    /** @return live per-GSI counters */
    public FabricCounters counters() {
        return publicCounters;
    }

    /** @return true once {@link #close()} has been called, or the fabric has failed: it accepts nothing */
    public boolean isClosed() {
        return closed.lv() != 0;
    }

    /** @return true once the fabric has failed (see {@link #failure()}) */
    public boolean isFailed() {
        return closed.lv() == Dispatcher.STATE_FAILED;
    }

    /**
     * Why the fabric failed: its dispatcher stopped for good without being closed. A failed
     * fabric refuses every call with {@link FabricFailedException}; {@link #close()} returns at
     * once. The dispatcher catches and reports every error it can and resumes, so this is for
     * errors that keep recurring without a batch completing (see ARCHITECTURE.md, "States").
     *
     * @return the cause, or null while the fabric has not failed
     */
    public Throwable failure() {
        return isFailed() ? dispatcher.failure() : null;
    }

    /** @return the dispatcher thread */
    public Thread dispatcherThread() {
        return dispatcherThread;
    }

    /**
     * Stops accepting assertions, delivers every accepted one, and stops the dispatcher. The
     * {@link #notifier notifiers} are read a last time and closed first.
     * Idempotent; a second caller waits for the first to finish. Must not be called from the
     * dispatcher thread (from inside a sink).
     *
     * @throws FabricStateException if called on the dispatcher thread
     */
    @Override
    public void close() {
        closeWithin(Long.MAX_VALUE, "close()");
    }

    /**
     * {@link #close()} with a bound, for an embedder that cannot wait forever on a sink that
     * blocks: stops accepting assertions and waits at most {@code timeout} for the dispatcher to
     * deliver every accepted one. If the bound passes, the fabric stays closed (refusing new
     * calls), the dispatcher goes on and delivers the rest if the sink ever returns, and the
     * exception says what is left undelivered. A failed fabric returns at once.
     *
     * @param timeout how long to wait, not negative
     * @throws FabricCloseTimeoutException if the bound passed first
     * @throws FabricStateException        if called on the dispatcher thread
     * @throws FabricConfigException       if {@code timeout} is null or negative
     */
    public void close(java.time.Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw new FabricConfigException("close(timeout): timeout must be a non-negative duration, was " + timeout);
        }
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        closeWithin(nanos, "close(" + timeout + ")");
    }

    private void closeWithin(long nanos, String what) {
        if (port.onDispatcherSide()) {
            throw new FabricStateException(what + " called on the dispatcher thread or inside an inline delivery (from a sink?): it would wait for itself");
        }
        // First the notifiers: stop their reader, assert what they hold, close them.
        notifiers.close();
        long deadline = System.nanoTime() + nanos;
        if (closed.cas(Dispatcher.STATE_RUNNING, Dispatcher.STATE_CLOSED)) {
            counters.state(Counters.STATE_CLOSED);
            port.publishShutdown(); // gives up only if the dispatcher has failed meanwhile
        }
        if (nanos == Long.MAX_VALUE) {
            port.awaitDispatcherTermination();
        } else if (!port.awaitDispatcherTermination(Math.max(0, deadline - System.nanoTime()))) {
            long unhandled = Math.max(0, ring.getCursor() - dispatcher.handledSequence());
            int in = dispatcher.deliveringGsi();
            throw new FabricCloseTimeoutException(what + " timed out: the dispatcher "
                    + (in >= 0 ? "is still inside sink.deliver(" + in + ")" : "has not finished")
                    + " and " + unhandled + " ring event(s) are not handled yet; they are delivered if the sink returns",
                    in, unhandled);
        }
        try {
            dispatcherThread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        counters.close(); // the dispatcher has terminated: nobody else writes the counters any more
        LOG.log(System.Logger.Level.DEBUG, "irqfabric closed after {0} batches", dispatcher.batches());
    }

    private UnknownGsiException unknownGsi(int gsi) {
        return new UnknownGsiException(gsi, "GSI " + gsi + " is outside this fabric's range 0.." + (gsiCount - 1));
    }

    /**
     * Builds an {@link InterruptFabric}. Defaults: ring of 4096 slots, 4096 GSIs,
     * {@link DispatcherWait#PARKING}, a daemon dispatcher thread named
     * {@code irqfabric-dispatcher}, the rate-limited logging error handler. A sink is required.
     * A builder builds once.
     */
    public static final class Builder {
        /** Largest GSI count: KVM's routing table holds at most 4096 routes, with headroom. */
        public static final int MAX_GSIS = 1 << 16;
        /** Largest ring. */
        public static final int MAX_RING_SIZE = 1 << 24;

        private int ringSize = 4096;
        private int gsiCount = 4096;
        private DispatcherWait waitKind = DispatcherWait.PARKING;
        private DispatchMode dispatchMode = DispatchMode.INLINE_WHEN_IDLE;
        private InterruptSink sink;
        private ThreadFactory threadFactory = r -> {
            Thread t = new Thread(r, "irqfabric-dispatcher");
            t.setDaemon(true);
            return t;
        };
        private FabricErrorHandler errorHandler = FabricErrorHandler.logging();
        private java.nio.file.Path countersFile;
        private boolean ioapic;
        private RouteListener routeListener;
        private ResampleListener resampleListener;
        private java.util.function.LongSupplier nanoClock = System::nanoTime;
        private boolean built;

        private Builder() {
        }

        /**
         * @param slots ring slots: a power of two, 2..2^24
         * @return this
         * @throws FabricConfigException if not a power of two or out of range
         */
        public Builder ringSize(int slots) {
            if (slots < 2 || slots > MAX_RING_SIZE || Integer.bitCount(slots) != 1) {
                throw new FabricConfigException("ringSize must be a power of two in 2.." + MAX_RING_SIZE + ", was " + slots);
            }
            this.ringSize = slots;
            return this;
        }

        /**
         * @param count number of GSIs, 1..65536
         * @return this
         * @throws FabricConfigException if out of range
         */
        public Builder gsiCount(int count) {
            if (count < 1 || count > MAX_GSIS) {
                throw new FabricConfigException("gsiCount must be in 1.." + MAX_GSIS + ", was " + count);
            }
            this.gsiCount = count;
            return this;
        }

        /**
         * Who writes an assertion's eventfd. The default is {@link DispatchMode#INLINE_WHEN_IDLE},
         * chosen by measurement (benchmarks/run-perf.sh, perf-results/): with the default parking
         * dispatcher it cuts the idle and end-to-end latency to near a direct write's (the
         * dedicated parking dispatcher pays a wake-up per idle interrupt), and storms are absorbed
         * at the same rate. Choose {@link DispatchMode#DEDICATED} when the sink may block or must
         * never run on the asserting threads.
         *
         * @param mode who writes an assertion's eventfd (see {@link DispatchMode})
         * @return this
         * @throws FabricConfigException if null
         */
        public Builder dispatchMode(DispatchMode mode) {
            if (mode == null) {
                throw new FabricConfigException("dispatchMode must not be null");
            }
            this.dispatchMode = mode;
            return this;
        }

        /**
         * @param wait how the dispatcher waits when idle
         * @return this
         */
        public Builder waitStrategy(DispatcherWait wait) {
            if (wait == null) {
                throw new FabricConfigException("waitStrategy must not be null");
            }
            this.waitKind = wait;
            return this;
        }

        /**
         * @param sink receives the deliveries; required
         * @return this
         */
        public Builder sink(InterruptSink sink) {
            if (sink == null) {
                throw new FabricConfigException("sink must not be null");
            }
            this.sink = sink;
            return this;
        }

        /**
         * @param factory makes the dispatcher thread (pin it, name it, set its priority)
         * @return this
         */
        public Builder threadFactory(ThreadFactory factory) {
            if (factory == null) {
                throw new FabricConfigException("threadFactory must not be null");
            }
            this.threadFactory = factory;
            return this;
        }

        /**
         * @param handler receives dispatcher-side errors; must not block
         * @return this
         */
        public Builder errorHandler(FabricErrorHandler handler) {
            if (handler == null) {
                throw new FabricConfigException("errorHandler must not be null");
            }
            this.errorHandler = handler;
            return this;
        }

        /**
         * @param enabled true for a userspace 24-pin IOAPIC whose pin {@code p} is GSI {@code p}
         *                (see {@link IoapicPort}); default false. Needs {@code gsiCount >= 24}.
         * @return this
         */
        public Builder ioapic(boolean enabled) {
            this.ioapic = enabled;
            return this;
        }

        /**
         * @param listener receives the MSI routes the controllers compute, on the dispatcher
         *                 thread, with one {@link RouteListener#commitRoutes()} at the end of each
         *                 batch that changed routes (before that batch's deliveries); default none
         * @return this
         */
        public Builder routeListener(RouteListener listener) {
            if (listener == null) {
                throw new FabricConfigException("routeListener must not be null");
            }
            this.routeListener = listener;
            return this;
        }

        /**
         * @param listener told on the dispatcher thread when the guest EOIs a level-triggered
         *                 IOAPIC pin: installed on every pin, so EOI of any level pin has resample
         *                 semantics (see {@link ResampleListener}); default none. For some pins
         *                 only, use {@link IoapicPort#setResampleListener(int, ResampleListener)}.
         * @return this
         */
        public Builder resampleListener(ResampleListener listener) {
            if (listener == null) {
                throw new FabricConfigException("resampleListener must not be null");
            }
            this.resampleListener = listener;
            return this;
        }

        /**
         * Keeps the per-GSI counters in a memory-mapped file that another process can read
         * live with {@link CountersFile} (the storm's {@code stats} tool does). The file is
         * created or truncated; it stays after close with the final values. Put it on a tmpfs
         * ({@code /dev/shm}) so counter updates never touch a disk. Default: private memory.
         *
         * @param file the counters file
         * @return this
         */
        public Builder countersFile(java.nio.file.Path file) {
            if (file == null) {
                throw new FabricConfigException("countersFile must not be null");
            }
            this.countersFile = file;
            return this;
        }

        /**
         * Test seam: the clock moderation deadlines are measured in (default
         * {@code System::nanoTime}), so a test controls when a window expires.
         *
         * @param clock ns
         * @return this
         */
        Builder nanoClock(java.util.function.LongSupplier clock) {
            this.nanoClock = java.util.Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Builds the fabric and starts its dispatcher thread.
         *
         * @return the running fabric
         * @throws FabricConfigException if no sink was given
         * @throws FabricStateException  if this builder already built a fabric
         */
        public InterruptFabric build() {
            if (built) {
                throw new FabricStateException("this builder already built a fabric; use a new builder");
            }
            if (sink == null) {
                throw new FabricConfigException("a sink is required: builder().sink(...)");
            }
            int capacity;
            try {
                capacity = sink.gsiCapacity();
            } catch (RuntimeException e) {
                throw new FabricConfigException("the sink's gsiCapacity() threw: " + e, e);
            }
            if (capacity < gsiCount) {
                throw new FabricConfigException("the sink delivers GSIs 0.." + (capacity - 1) + " but the fabric serves 0.."
                        + (gsiCount - 1) + ": size the sink for gsiCount(" + gsiCount + ") or lower gsiCount");
            }
            if (ioapic && gsiCount < IoapicPort.PINS) {
                // Checked before anything is created (the counters file would be replaced).
                throw new FabricConfigException("an IOAPIC needs GSIs 0.." + (IoapicPort.PINS - 1) + " but gsiCount is " + gsiCount);
            }
            InterruptFabric fabric = new InterruptFabric(this);
            built = true; // only once it exists: a build that failed on bad configuration may be retried
            return fabric;
        }
    }
}
