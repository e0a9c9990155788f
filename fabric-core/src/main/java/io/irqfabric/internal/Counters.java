package io.irqfabric.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per-GSI counters written by the dispatcher alone and read by anyone. Each GSI owns one
 * 64-byte block ({@link #STRIDE} longs), so statistics readers never share a line with two
 * GSIs' writes. The single writer stores with opaque mode (a plain store on x86, no fence);
 * readers load opaquely and may see values a few batches old.
 *
 * <pre>
 *   block of gsi g:  [ASSERTED][DELIVERED][ERRORS][MASKED][5 spare ...]
 * </pre>
 */
public final class Counters {
    public static final int STRIDE = 8;
    /** Ring assertions consumed by the dispatcher (overflow records are counted by {@link OverflowLog}). */
    public static final int ASSERTED = 0;
    /** Deliveries the sink accepted (DELIVERED or ALREADY_PENDING). */
    public static final int DELIVERED = 1;
    /** Failed deliveries and handler exceptions. */
    public static final int ERRORS = 2;
    /** Assertions that found their source masked and were kept pending. */
    public static final int MASKED = 3;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values;
    private final int gsiCount;

    public Counters(int gsiCount) {
        this.gsiCount = gsiCount;
        this.values = new long[gsiCount * STRIDE];
    }

    /** @return the number of GSIs */
    public int gsiCount() {
        return gsiCount;
    }

    /**
     * Dispatcher only: adds {@code delta} to a counter.
     *
     * @param gsi   the GSI
     * @param field one of the field constants
     * @param delta amount to add
     */
    public void add(int gsi, int field, long delta) {
        int i = gsi * STRIDE + field;
        LONGS.setOpaque(values, i, values[i] + delta);
    }

    /**
     * Any thread.
     *
     * @param gsi   the GSI
     * @param field one of the field constants
     * @return the counter's current value
     */
    public long get(int gsi, int field) {
        return (long) LONGS.getOpaque(values, gsi * STRIDE + field);
    }
}
