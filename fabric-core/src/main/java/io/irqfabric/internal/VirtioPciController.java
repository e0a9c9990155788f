package io.irqfabric.internal;

import io.irqfabric.msi.MsixTable;
import io.irqfabric.virtio.VirtioPciState;
import io.irqfabric.virtio.VirtioPciVectors;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The virtio-PCI queue-to-vector map. The dispatcher alone writes it (guest writes arrive
 * through the ring); device threads read it with one acquire load per signal. Behaviour:
 * {@link VirtioPciVectors}.
 */
public final class VirtioPciController extends GuestDevice implements VirtioPciVectors {
    private static final int SPACE_QUEUE = 0;
    private static final int SPACE_CONFIG = 1;

    private final MsixTable table;
    private final int queues;
    /** Index {@code queues} is the configuration vector. Written by the dispatcher only. */
    private final AtomicIntegerArray vectors;
    private final AtomicLong unsignalled = new AtomicLong();

    public VirtioPciController(ControllerHub hub, ControllerPort port, MsixTable table, int queues) {
        super(hub, port, table.baseGsi());
        this.table = table;
        this.queues = queues;
        this.vectors = new AtomicIntegerArray(queues + 1);
        for (int i = 0; i <= queues; i++) {
            vectors.set(i, NO_VECTOR);
        }
    }

    // ================================================================ producer side

    @Override
    public MsixTable table() {
        return table;
    }

    @Override
    public int queueCount() {
        return queues;
    }

    private void checkQueue(int queue) {
        if (queue < 0 || queue >= queues) {
            throw new IndexOutOfBoundsException("queue " + queue + " is outside 0.." + (queues - 1));
        }
    }

    @Override
    public void writeQueueVector(int queue, int vector) {
        checkQueue(queue);
        // Waits until applied: device threads read the map directly, so a signal issued after
        // this returns must already see the new vector (ring order alone would not give that).
        port.request(RingEvent.DEVICE_WRITE, id(), ControllerPort.pack(SPACE_QUEUE, queue, 2), vector & 0xFFFF, "virtio.writeQueueVector");
    }

    @Override
    public int readQueueVector(int queue) {
        checkQueue(queue);
        return (int) requestRead(SPACE_QUEUE, queue, 2, "virtio.readQueueVector");
    }

    @Override
    public void writeConfigVector(int vector) {
        port.request(RingEvent.DEVICE_WRITE, id(), ControllerPort.pack(SPACE_CONFIG, 0, 2), vector & 0xFFFF, "virtio.writeConfigVector");
    }

    @Override
    public int readConfigVector() {
        return (int) requestRead(SPACE_CONFIG, 0, 2, "virtio.readConfigVector");
    }

    @Override
    public boolean signalQueue(int queue) {
        checkQueue(queue);
        return signal(queue);
    }

    @Override
    public boolean signalConfigChange() {
        return signal(queues);
    }

    private boolean signal(int index) {
        checkLive("virtio.signal");
        int v = vectors.get(index);
        if (v == NO_VECTOR) {
            port.checkOpen("virtio.signal");
            unsignalled.incrementAndGet();
            return false;
        }
        table.trigger(v);
        return true;
    }

    @Override
    public long unsignalled() {
        return unsignalled.get();
    }

    // ================================================================ dispatcher side

    private int index(int space, long offset) {
        if (space == SPACE_QUEUE && offset < queues) {
            return (int) offset;
        }
        return space == SPACE_CONFIG && offset == 0 ? queues : -1;
    }

    @Override
    public long read(int space, long offset, int size) {
        int i = index(space, offset);
        return i < 0 ? invalid(offset, size) : vectors.get(i);
    }

    @Override
    public void write(int space, long offset, int size, long value) {
        int i = index(space, offset);
        if (i < 0) {
            invalid(offset, size);
            return;
        }
        int v = (int) value & 0xFFFF;
        // The virtio spec: a vector the device cannot use reads back as NO_VECTOR.
        vectors.set(i, v < table.vectorCount() ? v : NO_VECTOR);
    }

    // ================================================================ state, destroy

    @Override
    public VirtioPciState state() {
        return (VirtioPciState) hub.snapshotEngine().state(this, "virtio.state");
    }

    @Override
    public void setState(VirtioPciState state) {
        if (state == null || state.queueVectors().length != queues) {
            throw new IllegalArgumentException("a VirtioPciState of " + (state == null ? "null" : state.queueVectors().length
                    + " queues") + " for a device of " + queues);
        }
        hub.snapshotEngine().setState(this, state, "virtio.setState");
    }

    /** The map claims no GSIs of its own (they are its MSI-X table's). */
    @Override
    public int gsiSpan() {
        return 0;
    }

    @Override
    public Object captureState() {
        int[] q = new int[queues];
        for (int i = 0; i < queues; i++) {
            q[i] = vectors.get(i);
        }
        return new VirtioPciState(q, vectors.get(queues));
    }

    @Override
    public void applyState(Object state) {
        VirtioPciState s = (VirtioPciState) state;
        int[] q = s.queueVectors();
        for (int i = 0; i <= queues; i++) {
            int v = i < queues ? q[i] : s.configVector();
            vectors.set(i, v < table.vectorCount() ? v : NO_VECTOR);
        }
    }
}
