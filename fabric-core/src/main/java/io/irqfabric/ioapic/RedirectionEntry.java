package io.irqfabric.ioapic;

import io.irqfabric.msi.MsiMessage;

/**
 * Field access for a 64-bit IOAPIC redirection table entry, held as a {@code long} so the
 * dispatcher handles entries without allocating. Static methods only.
 *
 * <pre>
 *    63        56 55            17  16   15   14   13   12   11  10   8 7          0
 *   +-----------+----------------+----+----+----+----+----+----+------+------------+
 *   | dest ID   |    reserved    |mask|TM  |RIRR|POL |DS  |DM  | DLM  |   vector   |
 *   +-----------+----------------+----+----+----+----+----+----+------+------------+
 *   TM   trigger mode (1 = level)        RIRR remote IRR (read-only)
 *   POL  polarity (1 = active low)       DS   delivery status (read-only)
 *   DM   destination mode (1 = logical)  DLM  delivery mode
 * </pre>
 *
 * A guest writes the entry as two 32-bit halves (selector {@code 0x10 + 2*pin} for bits 31..0,
 * {@code +1} for bits 63..32). Bits 55..17 are stored as written.
 */
public final class RedirectionEntry {
    /** Bits 7..0: vector. */
    public static final long VECTOR = 0xFFL;
    /** Bits 10..8: delivery mode. */
    public static final long DELIVERY_MODE = 0x7L << 8;
    /** Bit 11: destination mode (1 = logical). */
    public static final long DEST_MODE_LOGICAL = 1L << 11;
    /** Bit 12: delivery status (read-only). */
    public static final long DELIVERY_STATUS = 1L << 12;
    /** Bit 13: polarity (1 = active low). */
    public static final long POLARITY_LOW = 1L << 13;
    /** Bit 14: remote IRR (read-only). */
    public static final long REMOTE_IRR = 1L << 14;
    /** Bit 15: trigger mode (1 = level). */
    public static final long TRIGGER_LEVEL = 1L << 15;
    /** Bit 16: mask. */
    public static final long MASK = 1L << 16;
    /** Bits 63..56: destination ID. */
    public static final long DEST_ID = 0xFFL << 56;
    /** The bits a guest write cannot change. */
    public static final long READ_ONLY = DELIVERY_STATUS | REMOTE_IRR;
    /** The entry after reset: masked, everything else zero. */
    public static final long RESET = MASK;

    private RedirectionEntry() {
    }

    /**
     * {@return the vector}
     *
     * @param e entry
     */
    public static int vector(long e) {
        return (int) (e & VECTOR);
    }

    /**
     * {@return the delivery mode (0..7)}
     *
     * @param e entry
     */
    public static int deliveryMode(long e) {
        return (int) ((e & DELIVERY_MODE) >>> 8);
    }

    /**
     * {@return true for logical destination mode}
     *
     * @param e entry
     */
    public static boolean isLogicalDestination(long e) {
        return (e & DEST_MODE_LOGICAL) != 0;
    }

    /**
     * {@return the delivery status bit}
     *
     * @param e entry
     */
    public static boolean deliveryStatus(long e) {
        return (e & DELIVERY_STATUS) != 0;
    }

    /**
     * {@return true if active low}
     *
     * @param e entry
     */
    public static boolean isActiveLow(long e) {
        return (e & POLARITY_LOW) != 0;
    }

    /**
     * {@return the remote IRR bit}
     *
     * @param e entry
     */
    public static boolean remoteIrr(long e) {
        return (e & REMOTE_IRR) != 0;
    }

    /**
     * {@return true if level-triggered}
     *
     * @param e entry
     */
    public static boolean isLevelTriggered(long e) {
        return (e & TRIGGER_LEVEL) != 0;
    }

    /**
     * {@return true if masked}
     *
     * @param e entry
     */
    public static boolean isMasked(long e) {
        return (e & MASK) != 0;
    }

    /**
     * {@return the destination ID}
     *
     * @param e entry
     */
    public static int destinationId(long e) {
        return (int) (e >>> 56);
    }

    /**
     * The MSI address the entry's message goes to: {@code 0xFEE00000 | dest ID << 12 | DM << 2}.
     *
     * @param e entry
     * @return the address
     */
    public static long msiAddress(long e) {
        return MsiMessage.encodeAddress(destinationId(e), isLogicalDestination(e), false);
    }

    /**
     * The MSI data of the entry's message: {@code vector | delivery mode << 8 | trigger << 15}.
     *
     * @param e entry
     * @return the data
     */
    public static int msiData(long e) {
        return MsiMessage.encodeData(vector(e), deliveryMode(e), isLevelTriggered(e), false);
    }

    /**
     * Builds an entry (for tests and tools).
     *
     * @param vector         vector 0..255
     * @param deliveryMode   0..7
     * @param logical        logical destination mode
     * @param activeLow      polarity
     * @param levelTriggered trigger mode
     * @param masked         mask
     * @param destinationId  destination 0..255
     * @return the entry
     */
    public static long of(int vector, int deliveryMode, boolean logical, boolean activeLow,
                          boolean levelTriggered, boolean masked, int destinationId) {
        return (vector & VECTOR) | ((long) (deliveryMode & 7) << 8) | (logical ? DEST_MODE_LOGICAL : 0)
                | (activeLow ? POLARITY_LOW : 0) | (levelTriggered ? TRIGGER_LEVEL : 0) | (masked ? MASK : 0)
                | ((long) (destinationId & 0xFF) << 56);
    }
}
