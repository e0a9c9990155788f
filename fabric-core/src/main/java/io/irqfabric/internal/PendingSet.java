package io.irqfabric.internal;

/**
 * The dispatcher's set of GSIs that owe a delivery at the end of the current batch: a bitmap
 * for O(1) membership plus a list in arrival order for O(pending) flushing. Dispatcher thread
 * only; allocates nothing after construction.
 */
public final class PendingSet {
    private final long[] bits;
    private final int[] list;
    private int size;

    public PendingSet(int gsiCount) {
        bits = new long[(gsiCount + 63) >>> 6];
        list = new int[gsiCount];
    }

    /**
     * @param gsi the GSI
     * @return true if newly added, false if it was already pending (coalesced)
     */
    public boolean add(int gsi) {
        int w = gsi >>> 6;
        long bit = 1L << (gsi & 63);
        if ((bits[w] & bit) != 0) {
            return false;
        }
        bits[w] |= bit;
        list[size++] = gsi;
        return true;
    }

    /**
     * @param gsi the GSI
     * @return true if pending
     */
    public boolean contains(int gsi) {
        return (bits[gsi >>> 6] & (1L << (gsi & 63))) != 0;
    }

    /**
     * Removes {@code gsi} (O(size): rare, device-side consume only), keeping arrival order.
     *
     * @param gsi the GSI
     * @return true if it was pending
     */
    public boolean remove(int gsi) {
        if (!contains(gsi)) {
            return false;
        }
        bits[gsi >>> 6] &= ~(1L << (gsi & 63));
        int i = 0;
        while (list[i] != gsi) {
            i++;
        }
        System.arraycopy(list, i + 1, list, i, size - i - 1);
        size--;
        return true;
    }

    /** @return how many GSIs are pending */
    public int size() {
        return size;
    }

    /**
     * @param i index below {@link #size()}
     * @return the i-th pending GSI in arrival order
     */
    public int get(int i) {
        return list[i];
    }

    /** Empties the set. */
    public void clear() {
        for (int i = 0; i < size; i++) {
            int gsi = list[i];
            bits[gsi >>> 6] = 0;
        }
        size = 0;
    }
}
