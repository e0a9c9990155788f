package io.irqfabric.virtio;

import io.irqfabric.FabricClosedException;
import io.irqfabric.msi.MsixTable;

/**
 * The MSI-X vector assignment of one virtio-PCI device: which {@link MsixTable} vector each
 * virtqueue raises ({@code queue_msix_vector}) and which the configuration change raises
 * ({@code config_msix_vector}). Created by
 * {@link io.irqfabric.InterruptFabric#createVirtioPci(MsixTable, int)}.
 *
 * <p>The guest's writes and reads of the two common-configuration fields arrive from vCPU
 * threads through the ring (a read sees the same vCPU's earlier write). A write returns once the
 * dispatcher has applied it, so any signal issued after it returns uses the new vector (device
 * threads read the map with one acquire load, not through the ring). As the virtio
 * specification requires, a write of a vector the table does not have stores
 * {@link #NO_VECTOR}, which the guest reads back to learn the mapping failed. A queue (or the
 * configuration) mapped to {@link #NO_VECTOR} raises nothing: {@link #signalQueue} returns
 * false and counts it in {@link #unsignalled()}.
 */
public interface VirtioPciVectors {
    /** "No vector": the queue or configuration change raises no interrupt. */
    int NO_VECTOR = 0xFFFF;

    /** {@return the MSI-X table the vectors index} */
    MsixTable table();

    /** {@return the number of virtqueues} */
    int queueCount();

    /**
     * Guest write of {@code queue_msix_vector} for {@code queue} (the transport applies
     * {@code queue_select}).
     *
     * @param queue  the queue, {@code 0 <= queue < queueCount()}
     * @param vector the 16-bit vector
     * @throws IndexOutOfBoundsException if {@code queue} is out of range (a transport bug: the
     *                                   transport validates {@code queue_select})
     */
    void writeQueueVector(int queue, int vector);

    /**
     * Guest read of {@code queue_msix_vector}.
     *
     * @param queue the queue
     * @return the vector, or {@link #NO_VECTOR}
     * @throws IndexOutOfBoundsException if {@code queue} is out of range
     */
    int readQueueVector(int queue);

    /**
     * Guest write of {@code config_msix_vector}.
     *
     * @param vector the 16-bit vector
     */
    void writeConfigVector(int vector);

    /** {@return {@code config_msix_vector}, or {@link #NO_VECTOR}} */
    int readConfigVector();

    /**
     * The device used buffers of {@code queue}: triggers the queue's vector. Any thread;
     * lock-free.
     *
     * @param queue the queue
     * @return true if a vector was triggered, false if the queue has {@link #NO_VECTOR}
     * @throws IndexOutOfBoundsException if {@code queue} is out of range
     * @throws FabricClosedException     if the fabric closed before accepting it
     */
    boolean signalQueue(int queue);

    /**
     * The device configuration changed: triggers the configuration vector.
     *
     * @return true if a vector was triggered, false if it is {@link #NO_VECTOR}
     * @throws FabricClosedException if the fabric closed before accepting it
     */
    boolean signalConfigChange();

    /** {@return signals that raised nothing because their vector was {@link #NO_VECTOR}} */
    long unsignalled();

    /**
     * Captures the whole state of this vector map in ring order (after every event this thread
     * published before), for a VMM that keeps its own snapshot format. Waits for the dispatcher.
     *
     * @return the state
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    VirtioPciState state();

    /**
     * Applies a state captured with {@link #state()} (from this vector map or one of the same shape on
     * another fabric), in ring order, and waits until it is applied. a vector the table does not have becomes NO_VECTOR.
     *
     * @param state the state
     * @throws IllegalArgumentException              if {@code state} is null or of another shape
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    void setState(VirtioPciState state);
}
