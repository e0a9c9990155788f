package io.irqfabric.virtio;

import io.irqfabric.FabricClosedException;

/**
 * The interrupt of one virtio-MMIO device: the {@code InterruptStatus} register (offset
 * {@value #INTERRUPT_STATUS}) and {@code InterruptACK} (offset {@value #INTERRUPT_ACK}) of the
 * virtio-MMIO transport, and an edge on the device's GSI. Created by
 * {@link io.irqfabric.InterruptFabric#createVirtioMmio(int)}.
 *
 * <pre>
 *   InterruptStatus (0x60, read-only, 32 bits)        InterruptACK (0x64, write-only)
 *    31                       2     1        0         writing bits clears exactly those bits
 *   +------------------------+----------+-------+
 *   |        reserved        |  CONFIG  | VRING |
 *   +------------------------+----------+-------+
 * </pre>
 *
 * <p>Device threads call {@link #signalUsedBuffer()} or {@link #signalConfigChange()}: the bit
 * is set with one atomic OR <em>before</em> the interrupt is signalled, so the guest's handler
 * always finds it. How it is signalled depends on the GSI:
 * <ul>
 *   <li>a GSI of its own: an edge (one assertion of the GSI) per signal;</li>
 *   <li>a pin of the fabric's userspace IOAPIC: a <b>level</b> line, high while the interrupt
 *       status is non-zero. A signal raises it; an InterruptACK that leaves the status zero
 *       lowers it (at once, on the dispatcher); an ACK that leaves bits set keeps it high, so a
 *       level-triggered pin is injected again at the guest's EOI. The device is one source of
 *       the pin's wired-OR line ({@link io.irqfabric.ioapic.IoapicLine}).</li>
 * </ul> The guest's reads and ACKs arrive from vCPU threads through the ring
 * ({@link #mmioRead}, {@link #mmioWrite}); an ACK clears only the acknowledged bits. Only these
 * two registers are handled here (the VMM's transport forwards them); other offsets, sizes
 * other than 4, reads of 0x64 and writes of 0x60 are invalid: ignored, counted and reported,
 * and an invalid read returns all ones.
 */
public interface VirtioMmioInterrupt {
    /** Offset of InterruptStatus in the virtio-MMIO register block. */
    int INTERRUPT_STATUS = 0x60;
    /** Offset of InterruptACK. */
    int INTERRUPT_ACK = 0x64;
    /** Status bit: a virtqueue has new used buffers. */
    int VRING = 1;
    /** Status bit: the device configuration changed. */
    int CONFIG = 2;

    /** {@return the device's GSI (its IOAPIC pin in level mode)} */
    int gsi();

    /** {@return true if the device drives an IOAPIC pin as a level line, false if it signals edges} */
    boolean isLevelTriggered();

    /**
     * Sets VRING and triggers the GSI. Any thread; lock-free.
     *
     * @throws FabricClosedException if the fabric closed before accepting it
     */
    void signalUsedBuffer();

    /**
     * Sets CONFIG and triggers the GSI. Any thread; lock-free.
     *
     * @throws FabricClosedException if the fabric closed before accepting it
     */
    void signalConfigChange();

    /**
     * Guest read (vCPU thread), through the ring.
     *
     * @param offset {@link #INTERRUPT_STATUS}
     * @param size   4
     * @return the status bits, all ones for an invalid access
     */
    long mmioRead(long offset, int size);

    /**
     * Guest write (vCPU thread), through the ring.
     *
     * @param offset {@link #INTERRUPT_ACK}
     * @param size   4
     * @param value  the bits to acknowledge
     */
    void mmioWrite(long offset, int size, long value);

    /**
     * Captures the whole state of this device in ring order (after every event this thread
     * published before), for a VMM that keeps its own snapshot format. Waits for the dispatcher.
     *
     * @return the state
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    VirtioMmioState state();

    /**
     * Applies a state captured with {@link #state()} (from this device or one of the same shape on
     * another fabric), in ring order, and waits until it is applied. the status bits are replaced.
     *
     * @param state the state
     * @throws IllegalArgumentException              if {@code state} is null or of another shape
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    void setState(VirtioMmioState state);
}
