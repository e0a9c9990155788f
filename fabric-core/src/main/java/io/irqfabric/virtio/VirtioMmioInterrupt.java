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
 * is set with one atomic OR <em>before</em> the GSI is triggered, so the guest's handler always
 * finds it. The guest's reads and ACKs arrive from vCPU threads through the ring
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

    /** @return the device's GSI */
    int gsi();

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
