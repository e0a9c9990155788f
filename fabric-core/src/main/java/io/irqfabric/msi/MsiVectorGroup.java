package io.irqfabric.msi;

import io.irqfabric.FabricClosedException;
import io.irqfabric.UnknownGsiException;

/**
 * The producer side shared by {@link MsixTable} and {@link MsiCapability}: a device's message
 * signalled vectors on consecutive GSIs, with the requester ID the device signals under.
 *
 * <p>{@link #trigger(int)} is the device's "send this vector" on any thread, lock-free and
 * allocation-free (it is {@link io.irqfabric.InterruptFabric#trigger(int)} on the vector's GSI).
 * Whether it reaches the guest is decided on the dispatcher thread by the guest's programming:
 * a masked vector keeps a pending bit and is delivered once on unmask; a vector whose message
 * address lies outside 0xFEExxxxx is rejected (dropped and counted as an error of its GSI).
 */
public interface MsiVectorGroup {
    /** {@return the number of vectors} */
    int vectorCount();

    /** {@return the GSI of vector 0; vector {@code v} is GSI {@code baseGsi() + v}} */
    int baseGsi();

    /**
     * {@return its GSI}
     *
     * @param vector the vector index
     * @throws UnknownGsiException if {@code vector} is outside the group
     */
    int gsi(int vector);

    /** {@return the default requester ID ({@code bus << 8 | devfn})} */
    int requesterId();

    /** {@return the bus range the device's requester IDs must fall in} */
    BusRange busRange();

    /**
     * Signals {@code vector} under the default requester ID. Any thread; lock-free.
     *
     * @param vector the vector index
     * @throws UnknownGsiException   if {@code vector} is outside the group
     * @throws FabricClosedException if the fabric closed before accepting it
     */
    void trigger(int vector);

    /**
     * Signals {@code vector} under an explicit requester ID, as a multi-function device whose
     * functions span several buses does (OpenVMM {@code signal_msi_with_rid}). If the ID's bus
     * is outside {@link #busRange()} the message is dropped: the dispatcher counts it as an
     * error of the vector's GSI and in {@link io.irqfabric.FabricCounters#rejectedRequests()} and
     * reports {@link io.irqfabric.FabricErrorHandler.Kind#REQUEST_REJECTED} (detail: the ID).
     *
     * @param vector      the vector index
     * @param requesterId the 16-bit requester ID
     * @return true if accepted, false if dropped
     * @throws UnknownGsiException   if {@code vector} is outside the group
     * @throws FabricClosedException if the fabric is closed
     */
    boolean trigger(int vector, int requesterId);

    /**
     * The notifier eventfd of {@code vector} (rust-vmm {@code notifier()}), for an external writer
     * such as a vhost-user back end or a VFIO device: every signal is read by the fabric and
     * becomes a {@link #trigger(int)} of the vector, so a masked vector sets its pending bit
     * instead of reaching the guest. See {@link io.irqfabric.InterruptFabric#notifier(int)}.
     *
     * @param vector the vector index
     * @return the vector's notifier, owned by the fabric
     * @throws UnknownGsiException   if {@code vector} is outside the group
     * @throws FabricClosedException if the fabric is closed
     */
    io.irqfabric.eventfd.EventFd notifier(int vector);

    /**
     * The device withdraws its own interrupt on {@code vector} before the guest sees it (the
     * device handled the condition itself, or it is being reset): clears the vector's pending bit
     * (set by a trigger while the vector was masked; visible in the PBA or the MSI pending bits)
     * and drops a trigger the dispatcher has taken in but not yet delivered. Goes through the
     * ring after this thread's earlier triggers and waits for the dispatcher's answer, so it is
     * not for a hot path. A trigger already delivered cannot be taken back (returns false), and
     * one that went to the ring-full overflow path may still be delivered afterwards: a spurious
     * interrupt at worst, never a lost one.
     *
     * @param vector the vector index
     * @return true if an interrupt was pending and is now withdrawn
     * @throws UnknownGsiException   if {@code vector} is outside the group
     * @throws FabricClosedException if the fabric is closed
     * @throws io.irqfabric.FabricStateException if called on the dispatcher thread
     */
    boolean consumePending(int vector);
}
