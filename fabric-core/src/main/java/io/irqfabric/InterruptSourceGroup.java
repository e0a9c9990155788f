package io.irqfabric;

/**
 * A group of interrupt sources on consecutive GSIs, handed out by
 * {@link InterruptFabric#createGroup}: what a device's queue threads trigger. The Java
 * counterpart of rust-vmm's {@code InterruptSourceGroup}. Immutable and thread-safe.
 */
public final class InterruptSourceGroup {
    private final InterruptFabric fabric;
    private final InterruptSourceType type;
    private final int baseGsi;
    private final int count;

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
