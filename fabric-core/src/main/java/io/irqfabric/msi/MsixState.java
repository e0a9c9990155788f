package io.irqfabric.msi;

import java.util.Arrays;

/**
 * Everything an MSI-X table holds, as {@link MsixTable#state()} captures it and
 * {@link MsixTable#setState(MsixState)} applies it. Immutable: arrays are copied in and out.
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
    /** Checks that the arrays agree in size and copies them. */
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

    /** @return the number of vectors */
    public int vectors() {
        return address.length;
    }

    /**
     * @param bitmap one of the bitmaps
     * @param v      a vector
     * @return bit {@code v} of {@code bitmap}
     */
    public static boolean bit(long[] bitmap, int v) {
        return (bitmap[v >>> 6] & (1L << (v & 63))) != 0;
    }

    @Override
    public long[] address() {
        return address.clone();
    }

    @Override
    public int[] data() {
        return data.clone();
    }

    @Override
    public long[] vectorMasks() {
        return vectorMasks.clone();
    }

    @Override
    public long[] pending() {
        return pending.clone();
    }

    @Override
    public long[] routed() {
        return routed.clone();
    }

    @Override
    public long[] routeAddress() {
        return routeAddress.clone();
    }

    @Override
    public int[] routeData() {
        return routeData.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MsixState s && control == s.control && Arrays.equals(address, s.address)
                && Arrays.equals(data, s.data) && Arrays.equals(vectorMasks, s.vectorMasks)
                && Arrays.equals(pending, s.pending) && Arrays.equals(routed, s.routed)
                && Arrays.equals(routeAddress, s.routeAddress) && Arrays.equals(routeData, s.routeData);
    }

    @Override
    public int hashCode() {
        return ((control * 31 + Arrays.hashCode(address)) * 31 + Arrays.hashCode(data)) * 31 + Arrays.hashCode(pending);
    }

    @Override
    public String toString() {
        return "MsixState[control=0x" + Integer.toHexString(control) + ", vectors=" + address.length
                + ", masks=" + Arrays.toString(vectorMasks) + ", pending=" + Arrays.toString(pending)
                + ", routed=" + Arrays.toString(routed) + "]";
    }
}
