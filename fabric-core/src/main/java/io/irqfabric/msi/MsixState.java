package io.irqfabric.msi;

import io.irqfabric.support.ArrayRecords;

/**
 * Everything an MSI-X table holds, as {@link MsixTable#state()} captures it and
 * {@link MsixTable#setState(MsixState)} applies it. Immutable: arrays are copied in and out, and
 * compared, hashed and printed by content.
 * Vector {@code v}'s bits are bit {@code v % 64} of word {@code v / 64} in the bitmaps.
 *
 * @param control      message control: {@link MsixTable#CONTROL_ENABLE} and
 *                     {@link MsixTable#CONTROL_FUNCTION_MASK} (other bits are ignored)
 * @param address      per vector: the message address (bits 1:0 clear)
 * @param data         per vector: the message data
 * @param vectorMasks  bitmap: the vector control mask bits
 * @param pending      bitmap: the pending bits (the PBA)
 * @param routed       bitmap: the vector has a route at the route listener
 * @param routeAddress per vector: the routed MSI address
 * @param routeData    per vector: the routed MSI data
 */
public record MsixState(int control, long[] address, int[] data, long[] vectorMasks, long[] pending,
                        long[] routed, long[] routeAddress, int[] routeData) {
    /**
     * Checks that the arrays agree in size and copies them. The number of vectors {@code n} is the
     * length of {@code address}; each bitmap has {@code (n + 63) / 64} words.
     *
     * @param control      message control: {@link MsixTable#CONTROL_ENABLE} and
     *                     {@link MsixTable#CONTROL_FUNCTION_MASK} (other bits are not checked here
     *                     and are ignored when the state is applied)
     * @param address      the message address of each vector; 1 to {@link MsixTable#MAX_VECTORS}
     *                     elements
     * @param data         the message data of each vector; {@code n} elements
     * @param vectorMasks  bitmap of the vector control mask bits
     * @param pending      bitmap of the pending bits (the PBA)
     * @param routed       bitmap: the vector has a route at the route listener
     * @param routeAddress the routed MSI address of each vector; {@code n} elements
     * @param routeData    the routed MSI data of each vector; {@code n} elements
     * @throws IllegalArgumentException if an array is null, {@code address} has no elements or more
     *                                  than {@link MsixTable#MAX_VECTORS}, a per-vector array has
     *                                  another length than {@code address}, or a bitmap has
     *                                  another number of words than {@code n} vectors need
     */
    public MsixState {
        int n = address == null ? -1 : address.length;
        if (n < 1 || n > MsixTable.MAX_VECTORS || data == null || data.length != n || routeAddress == null
                || routeAddress.length != n || routeData == null || routeData.length != n) {
            throw new IllegalArgumentException("address, data, routeAddress and routeData must have one element per vector (1.."
                    + MsixTable.MAX_VECTORS + ")");
        }
        int words = (n + 63) >>> 6;
        if (vectorMasks == null || vectorMasks.length != words || pending == null || pending.length != words
                || routed == null || routed.length != words) {
            throw new IllegalArgumentException("vectorMasks, pending and routed must have " + words + " words for " + n + " vectors");
        }
        address = address.clone();
        data = data.clone();
        vectorMasks = vectorMasks.clone();
        pending = pending.clone();
        routed = routed.clone();
        routeAddress = routeAddress.clone();
        routeData = routeData.clone();
    }

    /** {@return the number of vectors} */
    public int vectors() {
        return address.length;
    }

    /**
     * {@return bit {@code v} of {@code bitmap}}
     *
     * @param bitmap one of the bitmaps
     * @param v      a vector
     */
    public static boolean bit(long[] bitmap, int v) {
        return (bitmap[v >>> 6] & (1L << (v & 63))) != 0;
    }

    /** {@return a copy of the message addresses, one per vector} */
    @Override
    public long[] address() {
        return address.clone();
    }

    /** {@return a copy of the message data, one per vector} */
    @Override
    public int[] data() {
        return data.clone();
    }

    /** {@return a copy of the bitmap of vector control mask bits} */
    @Override
    public long[] vectorMasks() {
        return vectorMasks.clone();
    }

    /** {@return a copy of the bitmap of pending bits (the PBA)} */
    @Override
    public long[] pending() {
        return pending.clone();
    }

    /** {@return a copy of the bitmap of vectors that have a route at the route listener} */
    @Override
    public long[] routed() {
        return routed.clone();
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
