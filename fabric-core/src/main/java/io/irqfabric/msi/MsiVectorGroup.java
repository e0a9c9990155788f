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
    /** @return the number of vectors */
    int vectorCount();

    /** @return the GSI of vector 0; vector {@code v} is GSI {@code baseGsi() + v} */
    int baseGsi();

    /**
     * @param vector the vector index
     * @return its GSI
     * @throws UnknownGsiException if {@code vector} is outside the group
     */
    int gsi(int vector);

    /** @return the default requester ID ({@code bus << 8 | devfn}) */
    int requesterId();

    /** @return the bus range the device's requester IDs must fall in */
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
}
