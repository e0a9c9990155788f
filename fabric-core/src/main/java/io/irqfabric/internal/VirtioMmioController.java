package io.irqfabric.internal;

import io.irqfabric.virtio.VirtioMmioInterrupt;
import io.irqfabric.virtio.VirtioMmioState;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The interrupt status of one virtio-MMIO device. Device threads set status bits with one
 * atomic OR and then signal (so the bit is visible before the interrupt can be); the guest's
 * reads and ACKs are handled by the dispatcher, which clears acknowledged bits with one atomic
 * AND-NOT. Layout and behaviour: {@link VirtioMmioInterrupt}.
 *
 * <p>Two ways to signal. On a GSI of its own, an edge: {@code trigger(gsi)}. On a pin of the
 * userspace IOAPIC, a level: the device is a condition source of the pin
 * ({@link LineStates#recordCondition}) that holds it while the status is non-zero; a device
 * thread re-evaluates after its OR (through the ring), the dispatcher after an ACK (at once).
 * Both read the status inside the line word's CAS, so the line cannot be left high with the
 * status zero, or low with it non-zero.
 */
public final class VirtioMmioController extends GuestDevice implements VirtioMmioInterrupt, LineStates.Condition {
    private final int gsi;
    /** The IOAPIC whose pin {@link #gsi} this device drives as a level line, or null (edge on its own GSI). */
    private final IoapicController ioapic;
    /** This device's HOLDERS bit on the pin (line mode). */
    private final long source;
    private static final VarHandle STATUS;

    static {
        try {
            STATUS = MethodHandles.lookup().findVarHandle(VirtioMmioController.class, "status", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through STATUS
    private volatile int status;

    /** An edge-signalling device on its own GSI. */
    public VirtioMmioController(ControllerHub hub, ControllerPort port, int gsi) {
        this(hub, port, gsi, null, 0);
    }

    /** A level-signalling device on IOAPIC pin {@code gsi}, with source bit {@code source}. */
    VirtioMmioController(ControllerHub hub, ControllerPort port, int gsi, IoapicController ioapic, long source) {
        super(hub, port, gsi);
        this.gsi = gsi;
        this.ioapic = ioapic;
        this.source = source;
    }

    /** @return true while the interrupt status is non-zero (the level of the device's line) */
    @Override
    public boolean high() {
        return (int) STATUS.getVolatile(this) != 0;
    }

    private void signal(int bit, String what) {
        checkLive(what);
        port.checkOpen(what);
        STATUS.getAndBitwiseOr(this, bit);
        if (ioapic != null) {
            ioapic.lineChange(gsi, source, LineStates.SET_HIGH, this, what);
        } else {
            port.trigger(gsi);
        }
    }

    @Override
    public int gsi() {
        return gsi;
    }

    @Override
    public void signalUsedBuffer() {
        signal(VRING, "virtio.signalUsedBuffer");
    }

    @Override
    public void signalConfigChange() {
        signal(CONFIG, "virtio.signalConfigChange");
    }

    @Override
    public boolean isLevelTriggered() {
        return ioapic != null;
    }

    @Override
    public long mmioRead(long offset, int size) {
        return requestRead(0, offset, size, "virtio.mmioRead");
    }

    @Override
    public void mmioWrite(long offset, int size, long value) {
        postWrite(0, offset, size, value, "virtio.mmioWrite");
    }

    @Override
    public long read(int space, long offset, int size) {
        if (space != 0 || offset != INTERRUPT_STATUS || size != 4) {
            return invalid(offset, size);
        }
        return (int) STATUS.getVolatile(this) & 0xFFFF_FFFFL;
    }

    @Override
    public void write(int space, long offset, int size, long value) {
        if (space != 0 || offset != INTERRUPT_ACK || size != 4) {
            invalid(offset, size);
            return;
        }
        STATUS.getAndBitwiseAnd(this, ~(int) value);
        if (ioapic != null) {
            ioapic.conditionChangedOnDispatcher(gsi, source, this); // status 0: the line falls
        }
    }

    // ================================================================ state, destroy

    @Override
    public VirtioMmioState state() {
        return (VirtioMmioState) hub.snapshotEngine().state(this, "virtio.state");
    }

    @Override
    public void setState(VirtioMmioState state) {
        if (state == null) {
            throw new IllegalArgumentException("state must not be null");
        }
        hub.snapshotEngine().setState(this, state, "virtio.setState");
    }

    @Override
    public Object captureState() {
        return new VirtioMmioState((int) STATUS.getVolatile(this) & (VRING | CONFIG));
    }

    @Override
    public void applyState(Object state) {
        STATUS.setVolatile(this, ((VirtioMmioState) state).interruptStatus());
        if (ioapic != null) {
            ioapic.conditionChangedOnDispatcher(gsi, source, this); // the line follows the status
        }
    }

    @Override
    public void detach() {
        hub.releaseGate(gsi);
    }
}
