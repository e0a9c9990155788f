package io.irqfabric.msi;

import io.irqfabric.support.ArrayRecords;

/**
 * Everything an MSI capability holds, as {@link MsiCapability#state()} captures it and
 * {@link MsiCapability#setState(MsiState)} applies it. Immutable: arrays are copied in and out,
 * and compared, hashed and printed by content.
 *
 * @param control      message control (bits 15..0; only enable and multiple message enable are
 *                     applied, the read-only bits come from the capability itself)
 * @param addressLow   message address, low dword
 * @param addressHigh  message address, high dword
 * @param data         message data (16 bits)
 * @param maskBits     per-vector mask bits
 * @param pending      per-vector pending bits
 * @param routed       per-vector: has a route at the route listener
 * @param routeAddress per vector: the routed MSI address
 * @param routeData    per vector: the routed MSI data
 */
public record MsiState(int control, int addressLow, int addressHigh, int data, int maskBits, int pending,
                       int routed, long[] routeAddress, int[] routeData) {
    /**
     * Checks that the route arrays have one element per vector and copies them. The number of
     * vectors is the length of {@code routeAddress}.
     *
     * @param control      message control (bits 15..0; only enable and multiple message enable are
     *                     applied)
     * @param addressLow   message address, low dword
     * @param addressHigh  message address, high dword
     * @param data         message data
     * @param maskBits     per-vector mask bits (bit {@code v} for vector {@code v})
     * @param pending      per-vector pending bits
     * @param routed       per-vector bits: the vector has a route at the route listener
     * @param routeAddress the routed MSI address of each vector; 1, 2, 4, 8, 16 or 32 elements
     * @param routeData    the routed MSI data of each vector; as many elements as {@code routeAddress}
     * @throws IllegalArgumentException if {@code routeAddress} is null or its length is not a power
     *                                  of two from 1 to 32, or {@code routeData} is null or of
     *                                  another length
     */
    public MsiState {
        int n = routeAddress == null ? -1 : routeAddress.length;
        if (n < 1 || n > 32 || Integer.bitCount(n) != 1 || routeData == null || routeData.length != n) {
            throw new IllegalArgumentException("routeAddress and routeData must have one element per vector (1, 2, 4 .. 32)");
        }
        routeAddress = routeAddress.clone();
        routeData = routeData.clone();
    }

    /** {@return the number of vectors} */
    public int vectors() {
        return routeAddress.length;
    }

    /** {@return a copy of the routed MSI addresses, one per vector} */
    @Override
    public long[] routeAddress() {
        return routeAddress.clone();
    }

    /** {@return a copy of the routed MSI data, one per vector} */
    @Override
    public int[] routeData() {
        return routeData.clone();
    }

    @Override
    public boolean equals(Object o) {
        return ArrayRecords.equals(this, o);
    }

    @Override
    public int hashCode() {
        return ArrayRecords.hashCode(this);
    }

    @Override
    public String toString() {
        return ArrayRecords.toString(this);
    }
}
