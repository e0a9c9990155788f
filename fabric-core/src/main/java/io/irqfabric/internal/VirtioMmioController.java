package io.irqfabric.internal;

import io.irqfabric.virtio.VirtioMmioInterrupt;
import io.irqfabric.virtio.VirtioMmioState;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The interrupt status of one virtio-MMIO device. Device threads set status bits with one
 * atomic OR and then trigger the GSI (so the bit is visible before the interrupt can be); the
 * guest's reads and ACKs are handled by the dispatcher, which clears acknowledged bits with one
 * atomic AND-NOT. Layout and behaviour: {@link VirtioMmioInterrupt}.
 */
public final class VirtioMmioController extends GuestDevice implements VirtioMmioInterrupt {
    private final int gsi;
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

    public VirtioMmioController(ControllerHub hub, ControllerPort port, int gsi) {
        super(hub, port, gsi);
        this.gsi = gsi;
    }

    @Override
    public int gsi() {
        return gsi;
    }

    @Override
    public void signalUsedBuffer() {
        checkLive("virtio.signalUsedBuffer");
        port.checkOpen("virtio.signalUsedBuffer");
        STATUS.getAndBitwiseOr(this, VRING);
        port.trigger(gsi);
    }

    @Override
    public void signalConfigChange() {
        checkLive("virtio.signalConfigChange");
        port.checkOpen("virtio.signalConfigChange");
        STATUS.getAndBitwiseOr(this, CONFIG);
        port.trigger(gsi);
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
    }

    @Override
    public void detach() {
        hub.releaseGate(gsi);
    }
}
