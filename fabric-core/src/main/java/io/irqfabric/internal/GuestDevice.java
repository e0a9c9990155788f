package io.irqfabric.internal;

/**
 * A controller with guest-visible registers, registered with the {@link ControllerHub}. The
 * facade methods (producer side, any thread) publish ring events through the
 * {@link ControllerPort}; the dispatcher calls {@link #read}, {@link #write} and
 * {@link #attach} on its own thread, and only it touches the state they change.
 */
public abstract class GuestDevice {
    protected final ControllerHub hub;
    protected final ControllerPort port;
    /** GSI named in error reports about this device's registers. */
    protected final int reportGsi;
    private int id = -1;

    protected GuestDevice(ControllerHub hub, ControllerPort port, int reportGsi) {
        this.hub = hub;
        this.port = port;
        this.reportGsi = reportGsi;
    }

    final void id(int id) {
        this.id = id;
    }

    /** @return the device's index in the hub */
    public final int id() {
        return id;
    }

    /**
     * Dispatcher: a guest read. Must not throw for any input.
     *
     * @return the value; all ones for an invalid access (after {@link #invalid})
     */
    public abstract long read(int space, long offset, int size);

    /** Dispatcher: a guest write. Must not throw for any input. */
    public abstract void write(int space, long offset, int size, long value);

    /** Dispatcher: sets up the reset state (before any event that names the device). */
    public void attach() {
    }

    /** Producer side: a read through the ring. */
    protected final long requestRead(int space, long offset, int size, String what) {
        return port.request(RingEvent.DEVICE_READ, id, ControllerPort.pack(space, offset, size), 0, what);
    }

    /** Producer side: a write through the ring. */
    protected final void postWrite(int space, long offset, int size, long value, String what) {
        port.post(RingEvent.DEVICE_WRITE, id, ControllerPort.pack(space, offset, size), value, what);
    }

    /**
     * Dispatcher: counts and reports a malformed guest access.
     *
     * @return all ones of {@code size} bytes (what an invalid read returns)
     */
    protected final long invalid(long offset, int size) {
        hub.invalidGuestAccess(reportGsi, offset);
        return ones(size);
    }

    /**
     * @param size access size in bytes
     * @return all ones in the low {@code size} bytes (64 ones for sizes outside 1..7)
     */
    public static long ones(int size) {
        return size >= 1 && size < 8 ? (1L << (size * 8)) - 1 : -1L;
    }
}
