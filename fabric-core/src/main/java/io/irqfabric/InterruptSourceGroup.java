package io.irqfabric;

/**
 * A group of interrupt sources on consecutive GSIs, handed out by
 * {@link InterruptFabric#createGroup}: what a device's queue threads trigger. The Java
 * counterpart of rust-vmm's {@code InterruptSourceGroup}. Thread-safe; its only state is whether
 * it was {@link InterruptFabric#destroy(InterruptSourceGroup) destroyed}.
 */
public final class InterruptSourceGroup {
    private final InterruptFabric fabric;
    private final InterruptSourceType type;
    private final int baseGsi;
    private final int count;
    /** Set once by {@link InterruptFabric#destroy(InterruptSourceGroup)}; read on every trigger. */
    private volatile boolean destroyed;

    InterruptSourceGroup(InterruptFabric fabric, InterruptSourceType type, int baseGsi, int count) {
        this.fabric = fabric;
        this.type = type;
        this.baseGsi = baseGsi;
        this.count = count;
    }

    /**
     * Asserts source {@code index}: an edge on GSI {@code baseGsi() + index}. Any thread,
     * lock-free, allocation-free.
     *
     * @param index the source, {@code 0 <= index < count()}
     * @throws UnknownGsiException   if {@code index} is outside the group
     * @throws FabricClosedException if the fabric closed before accepting the assertion
     */
    public void trigger(int index) {
        if (index < 0 || index >= count) {
            throw new UnknownGsiException(index, "source index " + index + " is outside this " + type
                    + " group of " + count + " (GSIs " + baseGsi + ".." + (baseGsi + count - 1) + ")");
        }
        if (destroyed) {
            throw new SourceDestroyedException("trigger(" + index + ") on destroyed " + this);
        }
        fabric.trigger(baseGsi + index);
    }

    /**
     * The notifier eventfd of source {@code index} (rust-vmm {@code notifier()}): signals written
     * to it by an external writer are read by the fabric and assert the source, through the
     * guest's masking like {@link #trigger}. See {@link InterruptFabric#notifier(int)}.
     *
     * @param index the source, {@code 0 <= index < count()}
     * @return the source's notifier, owned by the fabric
     * @throws UnknownGsiException   if {@code index} is outside the group
     * @throws FabricClosedException if the fabric is closed
     */
    public io.irqfabric.eventfd.EventFd notifier(int index) {
        return fabric.notifier(gsi(index));
    }

    /**
     * @param index the source
     * @return its GSI
     */
    public int gsi(int index) {
        if (index < 0 || index >= count) {
            throw new UnknownGsiException(index, "source index " + index + " is outside this group of " + count);
        }
        return baseGsi + index;
    }

    /** @return true once the group was destroyed */
    public boolean isDestroyed() {
        return destroyed;
    }

    InterruptFabric fabric() {
        return fabric;
    }

    synchronized boolean markDestroyed() {
        if (destroyed) {
            return false;
        }
        destroyed = true;
        return true;
    }

    /** @return the group's type */
    public InterruptSourceType type() {
        return type;
    }

    /** @return the first GSI */
    public int baseGsi() {
        return baseGsi;
    }

    /** @return the number of sources */
    public int count() {
        return count;
    }

    @Override
    public String toString() {
        return type + "[gsi " + baseGsi + ".." + (baseGsi + count - 1) + "]";
    }
}
