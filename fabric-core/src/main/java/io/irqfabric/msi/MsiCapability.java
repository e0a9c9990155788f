package io.irqfabric.msi;

/**
 * A device's MSI capability (64-bit addresses, per-vector masking, 1 to 32 vectors), owned by
 * the dispatcher thread. Created by {@link io.irqfabric.InterruptFabric#createMsi(int, int)};
 * vector {@code v} signals GSI {@code baseGsi() + v}.
 *
 * <p>The guest programs it through PCI configuration space; the VMM forwards accesses that
 * fall inside the capability to {@link #configRead} and {@link #configWrite} with offsets
 * relative to the capability start. Accesses of 1, 2 or 4 bytes, naturally aligned, inside
 * the 0x18-byte capability are valid; anything else is ignored and counted, and an invalid
 * read returns all ones. Read-only bits ignore writes.
 *
 * <pre>
 *   +0x00  capability ID 0x05 | next pointer 0x00 | message control (16 bits)
 *   +0x04  message address low  (bits 1:0 read 0)
 *   +0x08  message address high
 *   +0x0C  message data (16 bits) | 0x0000
 *   +0x10  mask bits     (bit v masks vector v)
 *   +0x14  pending bits  (read-only)
 *
 *   message control
 *     15..9   8      7        6..4                   3..1                       0
 *   +-------+------+-------+----------------------+--------------------------+--------+
 *   |   0   | PVM=1| 64b=1 | multiple msg enable  | multiple msg capable (RO)| enable |
 *   +-------+------+-------+----------------------+--------------------------+--------+
 * </pre>
 *
 * <p>With {@code 2^MME} vectors enabled, vector {@code v} sends the programmed data with its low
 * {@code MME} bits replaced by {@code v}. A vector is effectively masked while MSI is disabled,
 * while it lies beyond the enabled count, or while its mask bit is set: a trigger then sets its
 * pending bit; becoming unmasked delivers a set pending bit once and clears it.
 */
public interface MsiCapability extends MsiVectorGroup {
    /** Size of the capability in configuration space. */
    int SIZE = 0x18;
    /** PCI capability ID of MSI. */
    int CAPABILITY_ID = 0x05;
    /** Message control: MSI enable. */
    int CONTROL_ENABLE = 1;

    /**
     * Guest read of the capability.
     *
     * @param offset offset from the capability start
     * @param size   1, 2 or 4
     * @return the value, all ones if the access is invalid
     */
    long configRead(int offset, int size);

    /**
     * Guest write to the capability.
     *
     * @param offset offset from the capability start
     * @param size   1, 2 or 4
     * @param value  the value (low {@code size} bytes used)
     */
    void configWrite(int offset, int size, long value);

    /**
     * Captures the whole state of this capability in ring order (after every event this thread
     * published before), for a VMM that keeps its own snapshot format. Waits for the dispatcher.
     *
     * @return the state
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    MsiState state();

    /**
     * Applies a state captured with {@link #state()} (from this capability or one of the same shape on
     * another fabric), in ring order, and waits until it is applied. Routes are staged for every
     * routed vector and committed before the deliveries of that batch; a pending bit of a vector the state leaves unmasked is delivered once; one of a masked vector stays pending.
     *
     * @param state the state
     * @throws IllegalArgumentException              if {@code state} is null or of another shape
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    void setState(MsiState state);

    /**
     * Function-level reset, in ring order; waits until applied: MSI disabled, one vector enabled,
     * address, data and mask bits zero, routes removed. Pending bits are kept, as for
     * {@link MsixTable#reset()}.
     *
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    void reset();
}
