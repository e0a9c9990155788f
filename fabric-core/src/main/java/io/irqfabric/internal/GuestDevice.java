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
    /** Dispatcher only: set when the dispatcher detached the device (destroy). */
    boolean detached;

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
        checkLive(what);
        return port.request(RingEvent.DEVICE_READ, id, ControllerPort.pack(space, offset, size), 0, what);
    }

    /** Producer side: a write through the ring. */
    protected final void postWrite(int space, long offset, int size, long value, String what) {
        checkLive(what);
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

    // ================================================================ state, reset, destroy

    /** Set (once) by the destroying thread before it publishes DEVICE_DESTROY. */
    private volatile boolean destroyed;

    /**
     * Producer side: refuses an operation on a destroyed device.
     *
     * @throws io.irqfabric.SourceDestroyedException if the device was destroyed
     */
    protected final void checkLive(String what) {
        if (destroyed) {
            throw new io.irqfabric.SourceDestroyedException(what + " on a destroyed " + getClass().getSimpleName());
        }
    }

    /** @return true once the device was destroyed */
    public final boolean isDestroyed() {
        return destroyed;
    }

    /**
     * Marks the device destroyed; its facade refuses operations from now on.
     *
     * @return false if it already was
     */
    final synchronized boolean markDestroyed() {
        if (destroyed) {
            return false;
        }
        destroyed = true;
        return true;
    }

    /** @return the first GSI the device claims (its own, for reset and destroy) */
    public int firstGsi() {
        return reportGsi;
    }

    /** @return how many GSIs the device claims (0: it claims none of its own) */
    public int gsiSpan() {
        return 1;
    }

    /**
     * Dispatcher: captures the device's whole state (its public state record).
     *
     * @return the state
     */
    public abstract Object captureState();

    /**
     * Dispatcher: applies a state record captured from a device of the same shape (the caller
     * has checked the shape). Routes, gates and pending bits follow; nothing is thrown for any
     * state that passed the record's own checks.
     */
    public abstract void applyState(Object state);

    /** Dispatcher: the device's reset (guest reboot, function-level reset); default: nothing. */
    public void resetState() {
    }

    /** Dispatcher: the device is destroyed (hot-unplug): release its routes and gates. */
    public void detach() {
    }
}
