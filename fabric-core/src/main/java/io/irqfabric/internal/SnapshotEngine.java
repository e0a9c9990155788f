package io.irqfabric.internal;

import io.irqfabric.FabricStateException;
import io.irqfabric.InterruptSourceType;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.msi.BusRange;
import io.irqfabric.snapshot.HeldInterruptSource;
import io.irqfabric.snapshot.SnapshotFormatException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Snapshot, restore, per-controller state, reset and destroy: every request that carries an
 * object to or from the dispatcher. The caller parks the object in a mailbox under a ticket,
 * publishes a request event whose {@code a} is the ticket, and waits for the dispatcher's
 * answer in its {@link ReplySlot}; the dispatcher takes the object, does the work in ring order
 * (so the request is a cut: everything published before it is applied, nothing after it is),
 * puts the result in the same object and answers. None of this is on a hot path.
 *
 * <h2>The cut</h2>
 * When the dispatcher handles SNAPSHOT, every event before it in the ring has been applied to
 * controller state; what those events asserted is either delivered already, in the dispatcher's
 * pending set (delivered at the end of this batch), a masked GSI's pending bit, a deferred
 * record, an overflow-log record not yet drained, or a count held outside the fabric (a
 * {@link HeldInterruptSource}). The capture reads all of them without consuming any: the
 * snapshotted fabric keeps running and delivers what it owes as usual. Events published after
 * the SNAPSHOT event are handled after the capture (producers are never stopped). An overflow
 * record or a held count made after the cut may be captured too: it is raised once more after a
 * restore, which is harmless, while missing one would lose an interrupt.
 */
public final class SnapshotEngine {
    private static final System.Logger LOG = System.getLogger(SnapshotEngine.class.getName());
    private final ControllerHub hub;
    private final ControllerPort port;
    private final OverflowLog overflow;
    private final int gsiCount;
    private final boolean ioapic;
    private final List<HeldInterruptSource> held;
    private final ConcurrentHashMap<Long, Exchange> mailbox = new ConcurrentHashMap<>();
    private final AtomicLong tickets = new AtomicLong();
    private final CopyOnWriteArrayList<GroupEntry> groups = new CopyOnWriteArrayList<>();

    /** One request's object, both ways. Fields written by the dispatcher before it answers. */
    private static final class Exchange {
        final Object in;
        Object out;
        RuntimeException error;

        Exchange(Object in) {
            this.in = in;
        }
    }

    /** A registered interrupt source group. */
    private record GroupEntry(Object owner, FabricImage.Group image) {
    }

    /**
     * @param hub      the controller hub
     * @param port     the request path
     * @param overflow the overflow log (peeked at the cut)
     * @param gsiCount the fabric's GSI count
     * @param ioapic   whether the fabric has the IOAPIC
     * @param holders  sink and route listener; those that are {@link HeldInterruptSource}s are asked at every cut
     */
    public SnapshotEngine(ControllerHub hub, ControllerPort port, OverflowLog overflow, int gsiCount, boolean ioapic,
                          Object... holders) {
        this.hub = hub;
        this.port = port;
        this.overflow = overflow;
        this.gsiCount = gsiCount;
        this.ioapic = ioapic;
        List<HeldInterruptSource> h = new ArrayList<>();
        for (Object o : holders) {
            if (o instanceof HeldInterruptSource s && !h.contains(s)) {
                h.add(s);
            }
        }
        this.held = List.copyOf(h);
        hub.snapshots(this);
    }

    // ================================================================ caller side

    /**
     * Takes a snapshot at a cut in the ring and encodes it.
     *
     * @return the snapshot bytes
     */
    public byte[] snapshot() {
        FabricImage image = (FabricImage) call(RingEvent.SNAPSHOT, 0, null, "snapshot()");
        byte[] bytes = SnapshotWriter.write(image);
        LOG.log(System.Logger.Level.DEBUG, "snapshot: {0} controllers, {1} groups, {2} bytes",
                image.devices().size(), image.groups().size(), bytes.length);
        return bytes;
    }

    /**
     * Decodes and checks {@code bytes} completely on the calling thread, then applies them on the
     * dispatcher in one step, after checking that this fabric has the same shape.
     *
     * @throws SnapshotFormatException if the bytes are refused; nothing was applied
     */
    public void restore(byte[] bytes) {
        FabricImage image = SnapshotReader.read(bytes);
        checkShape(image, currentShape()); // early, for a clear error; the dispatcher checks again at the cut
        call(RingEvent.RESTORE, 0, image, "restore()");
        LOG.log(System.Logger.Level.DEBUG, "restored {0} controllers and {1} groups", image.devices().size(), image.groups().size());
    }

    /**
     * @param device a controller of this fabric
     * @return its state, captured in ring order
     */
    public Object state(GuestDevice device, String what) {
        device.checkLive(what);
        return call(RingEvent.STATE_GET, device.id(), null, what);
    }

    /** Applies {@code state} to {@code device} in ring order. */
    public void setState(GuestDevice device, Object state, String what) {
        device.checkLive(what);
        call(RingEvent.STATE_SET, device.id(), state, what);
    }

    /** Resets {@code device} in ring order. */
    public void reset(GuestDevice device, String what) {
        device.checkLive(what);
        call(RingEvent.DEVICE_RESET, device.id(), null, what);
    }

    /**
     * Destroys {@code device}: marks it destroyed (its facade refuses from now on), then has the
     * dispatcher detach it in ring order, then frees its GSIs.
     *
     * @throws io.irqfabric.SourceDestroyedException if it already was destroyed
     */
    public void destroy(GuestDevice device, String what) {
        if (!hub.owns(device)) {
            throw new io.irqfabric.FabricConfigException(what + ": the controller does not belong to this fabric");
        }
        for (GuestDevice d : hub.devices()) {
            if (d instanceof VirtioPciController pci && !d.isDestroyed() && pci.table() == device) {
                throw new FabricStateException(what + ": a virtio-PCI vector map still uses this MSI-X table; destroy it first");
            }
        }
        if (!device.markDestroyed()) {
            throw new io.irqfabric.SourceDestroyedException(what + ": already destroyed");
        }
        call(RingEvent.DEVICE_DESTROY, device.id(), null, what);
        if (device.gsiSpan() > 0) {
            hub.release(device.firstGsi(), device.gsiSpan());
        }
    }

    /** Registers a group (creation order is kept). */
    public void addGroup(Object owner, InterruptSourceType type, int base, int count) {
        groups.add(new GroupEntry(owner, new FabricImage.Group(typeCode(type), base, count)));
    }

    /**
     * Unregisters a group; then waits until every event published before is handled, so an
     * assertion accepted before the destroy has been delivered (or is pending) when it returns.
     */
    public void removeGroup(Object owner) {
        groups.removeIf(g -> g.owner() == owner);
        port.request(RingEvent.SYNC, 0, 0, 0, "destroy(group)");
    }

    private static int typeCode(InterruptSourceType type) {
        switch (type) {
            case LEGACY_IRQ:
                return 1;
            case MSI:
                return 2;
            default:
                return 3;
        }
    }

    private Object call(int type, int target, Object in, String what) {
        Exchange x = new Exchange(in);
        long ticket = tickets.incrementAndGet();
        mailbox.put(ticket, x);
        try {
            port.request(type, target, ticket, 0, what);
        } finally {
            mailbox.remove(ticket);
        }
        if (x.error != null) {
            // The fabric's own typed exceptions (a shape found different at the cut, a destroyed
            // device) pass through; anything else is a bug, wrapped with the dispatcher's cause.
            if (x.error instanceof io.irqfabric.FabricException f) {
                throw f;
            }
            throw new FabricStateException(what + " failed on the dispatcher: " + x.error);
        }
        return x.out;
    }

    // ================================================================ dispatcher side

    /** Dispatcher: one request; the hub answers the reply afterwards. Never throws. */
    void handle(RingEvent e) {
        Exchange x = mailbox.get(e.a);
        if (x == null) {
            return; // the caller gave up (closed); nothing to do
        }
        try {
            switch (e.type) {
                case RingEvent.SNAPSHOT:
                    x.out = capture();
                    break;
                case RingEvent.RESTORE:
                    apply((FabricImage) x.in);
                    break;
                case RingEvent.STATE_GET:
                    x.out = hub.liveDevice(e.target).captureState();
                    break;
                case RingEvent.STATE_SET:
                    hub.liveDevice(e.target).applyState(x.in);
                    break;
                case RingEvent.DEVICE_RESET:
                    hub.liveDevice(e.target).resetState();
                    break;
                case RingEvent.DEVICE_DESTROY:
                    hub.detach(e.target);
                    break;
                default:
                    break;
            }
        } catch (RuntimeException ex) {
            x.error = ex;
        }
    }

    /** The target's shape: devices and groups without state. Any thread (both are copy-on-write). */
    private FabricImage currentShape() {
        List<FabricImage.Device> devices = new ArrayList<>();
        for (GuestDevice d : hub.devices()) {
            if (!d.isDestroyed()) {
                devices.add(describe(d, null));
            }
        }
        return new FabricImage(gsiCount, ioapic, groupImages(), devices, null);
    }

    private List<FabricImage.Group> groupImages() {
        List<FabricImage.Group> g = new ArrayList<>();
        for (GroupEntry e : groups) {
            g.add(e.image());
        }
        return g;
    }

    private static void checkShape(FabricImage snapshot, FabricImage target) {
        if (snapshot.gsiCount() != target.gsiCount() || snapshot.ioapic() != target.ioapic()) {
            throw new SnapshotFormatException(SnapshotFormatException.Reason.MISMATCH, "snapshot of a fabric with "
                    + snapshot.gsiCount() + " GSIs" + (snapshot.ioapic() ? " and an IOAPIC" : "") + ", target has "
                    + target.gsiCount() + (target.ioapic() ? " and an IOAPIC" : ""));
        }
        List<FabricImage.Device> want = new ArrayList<>();
        for (FabricImage.Device d : snapshot.devices()) {
            want.add(d.shape());
        }
        List<FabricImage.Device> have = new ArrayList<>();
        for (FabricImage.Device d : target.devices()) {
            have.add(d.shape());
        }
        if (!want.equals(have)) {
            throw new SnapshotFormatException(SnapshotFormatException.Reason.MISMATCH,
                    "controllers differ: snapshot " + want + ", target " + have);
        }
        Comparator<FabricImage.Group> order = Comparator.comparingInt(FabricImage.Group::base)
                .thenComparingInt(FabricImage.Group::count).thenComparingInt(FabricImage.Group::type);
        List<FabricImage.Group> wg = new ArrayList<>(snapshot.groups());
        List<FabricImage.Group> hg = new ArrayList<>(target.groups());
        wg.sort(order);
        hg.sort(order);
        if (!wg.equals(hg)) {
            throw new SnapshotFormatException(SnapshotFormatException.Reason.MISMATCH,
                    "interrupt source groups differ: snapshot " + wg + ", target " + hg);
        }
    }

    private FabricImage.Device describe(GuestDevice d, Object state) {
        if (d instanceof IoapicController) {
            return new FabricImage.Device(FabricImage.IOAPIC, 0, IoapicPort.PINS, 0, 0, 0, state);
        }
        if (d instanceof MsiVectorBank bank) {
            BusRange r = bank.busRange();
            int kind = d instanceof MsixController ? FabricImage.MSIX : FabricImage.MSI;
            return new FabricImage.Device(kind, bank.baseGsi(), bank.vectorCount(), bank.requesterId(),
                    r.secondary(), r.subordinate(), state);
        }
        if (d instanceof VirtioMmioController v) {
            return new FabricImage.Device(FabricImage.VIRTIO_MMIO, v.gsi(), 1, 0, 0, 0, state);
        }
        VirtioPciController p = (VirtioPciController) d;
        return new FabricImage.Device(FabricImage.VIRTIO_PCI, p.table().baseGsi(), p.queueCount(), 0, 0, 0, state);
    }

    /** Dispatcher, at the cut. */
    private FabricImage capture() {
        List<FabricImage.Device> devices = new ArrayList<>();
        for (GuestDevice d : hub.devices()) {
            if (!d.isDestroyed()) {
                devices.add(describe(d, d.captureState()));
            }
        }
        long[] owed = new long[(gsiCount + 63) >>> 6];
        PendingSet p = hub.pendingSet();
        for (int i = 0; i < p.size(); i++) {
            mark(owed, p.get(i));
        }
        PendingSet deferred = hub.deferredSet();
        if (deferred != null) {
            for (int i = 0; i < deferred.size(); i++) {
                mark(owed, deferred.get(i));
            }
        }
        Moderation m = hub.moderation();
        if (m != null) {
            // Held by a moderation policy, or a level line whose re-injection the storm guard
            // delays: owed as much as a pending GSI (policies themselves are not captured).
            PendingSet held = m.held();
            for (int i = 0; i < held.size(); i++) {
                mark(owed, held.get(i));
            }
            for (int lines = m.delayedLines(); lines != 0; lines &= lines - 1) {
                mark(owed, Integer.numberOfTrailingZeros(lines));
            }
        }
        for (int g = 0; g < gsiCount; g++) {
            if (!overflow.consumedAtLeast(g, overflow.recorded(g))) {
                mark(owed, g); // a ring-full record not drained yet
            }
        }
        for (HeldInterruptSource h : held) {
            h.collectHeld(g -> {
                if (g >= 0 && g < gsiCount) {
                    mark(owed, g);
                }
            });
        }
        return new FabricImage(gsiCount, ioapic, groupImages(), devices, owed);
    }

    private static void mark(long[] bits, int g) {
        bits[g >>> 6] |= 1L << (g & 63);
    }

    /** Dispatcher: checks the shape again (at the cut), applies every device, then raises what was owed. */
    private void apply(FabricImage image) {
        checkShape(image, currentShape());
        int i = 0;
        for (GuestDevice d : hub.devices()) {
            if (!d.isDestroyed()) {
                d.applyState(image.devices().get(i++).state());
            }
        }
        // When in doubt, raise: every GSI that owed a delivery at the cut is asserted again. The
        // gate decides as for any assertion: delivered at the end of this batch (after the
        // routes staged above are committed), or a pending bit if its source is masked.
        long[] owed = image.owed();
        for (int w = 0; w < owed.length; w++) {
            long bits = owed[w];
            while (bits != 0) {
                hub.inject((w << 6) + Long.numberOfTrailingZeros(bits));
                bits &= bits - 1;
            }
        }
    }
}
