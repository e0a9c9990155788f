package io.irqfabric.msi;

/**
 * An x86 MSI message: the 64-bit address and 32-bit data a device writes to signal an
 * interrupt, decoded into its fields. The static methods encode and decode without allocating
 * (for dispatcher-side use); the record form is for callers that prefer a value.
 *
 * <pre>
 *   address (64 bits; the upper 32 are 0 on x86 without interrupt remapping)
 *    31          20 19        12 11       4   3    2   1  0
 *   +--------------+------------+----------+----+----+-----+
 *   |    0xFEE     |  dest ID   | reserved | RH | DM | 0 0 |
 *   +--------------+------------+----------+----+----+-----+
 *   RH = redirection hint, DM = destination mode (1 = logical)
 *
 *   data (32 bits)
 *    31       16  15   14   13  11 10   8 7          0
 *   +-----------+----+----+-------+------+------------+
 *   | reserved  | TM | LV |  res  |  DLM |   vector   |
 *   +-----------+----+----+-------+------+------------+
 *   TM = trigger mode (1 = level), LV = level (1 = assert), DLM = delivery mode
 * </pre>
 *
 * @param destinationId      APIC destination ID (8 bits)
 * @param logicalDestination destination mode: true = logical, false = physical
 * @param redirectionHint    redirection hint (lowest-priority redirection allowed)
 * @param vector             interrupt vector (8 bits)
 * @param deliveryMode       delivery mode (3 bits: 0 fixed, 1 lowest priority, 2 SMI, 4 NMI,
 *                           5 INIT, 7 ExtINT)
 * @param levelTriggered     trigger mode: true = level, false = edge
 * @param levelAssert        the level bit (meaningful for level-triggered messages)
 */
public record MsiMessage(int destinationId, boolean logicalDestination, boolean redirectionHint,
                         int vector, int deliveryMode, boolean levelTriggered, boolean levelAssert) {
    /** The fixed top of every x86 MSI address: bits 31..20 = 0xFEE. */
    public static final long ADDRESS_BASE = 0xFEE0_0000L;
    /** Bits of the address that must equal {@link #ADDRESS_BASE} (the upper 32 bits and 31..20). */
    public static final long ADDRESS_BASE_MASK = 0xFFFF_FFFF_FFF0_0000L;
    /** Delivery mode: fixed. */
    public static final int DELIVERY_FIXED = 0;
    /** Delivery mode: lowest priority. */
    public static final int DELIVERY_LOWEST_PRIORITY = 1;
    /** Delivery mode: SMI. */
    public static final int DELIVERY_SMI = 2;
    /** Delivery mode: NMI. */
    public static final int DELIVERY_NMI = 4;
    /** Delivery mode: INIT. */
    public static final int DELIVERY_INIT = 5;
    /** Delivery mode: ExtINT. */
    public static final int DELIVERY_EXTINT = 7;

    private static final int DEST_ID_SHIFT = 12;
    private static final long REDIRECTION_HINT = 1L << 3;
    private static final long DEST_MODE_LOGICAL = 1L << 2;
    private static final int DELIVERY_SHIFT = 8;
    private static final int LEVEL_ASSERT = 1 << 14;
    private static final int TRIGGER_LEVEL = 1 << 15;

    /**
     * Validates the field ranges.
     *
     * @param destinationId      APIC destination ID, 0..255
     * @param logicalDestination true for logical destination mode
     * @param redirectionHint    the redirection hint
     * @param vector             0..255
     * @param deliveryMode       0..7
     * @param levelTriggered     true for level trigger mode
     * @param levelAssert        the level bit
     * @throws IllegalArgumentException if a field is out of range
     */
    public MsiMessage {
        if ((destinationId & ~0xFF) != 0) {
            throw new IllegalArgumentException("destinationId must be 0..255, was " + destinationId);
        }
        if ((vector & ~0xFF) != 0) {
            throw new IllegalArgumentException("vector must be 0..255, was " + vector);
        }
        if ((deliveryMode & ~0x7) != 0) {
            throw new IllegalArgumentException("deliveryMode must be 0..7, was " + deliveryMode);
        }
    }

    /** {@return the encoded 64-bit address} */
    public long address() {
        return encodeAddress(destinationId, logicalDestination, redirectionHint);
    }

    /** {@return the encoded 32-bit data} */
    public int data() {
        return encodeData(vector, deliveryMode, levelTriggered, levelAssert);
    }

    /**
     * Decodes an address and data pair.
     *
     * @param address the MSI address; must be {@linkplain #isValidAddress valid}
     * @param data    the MSI data
     * @return the decoded message
     * @throws IllegalArgumentException if the address is not in the 0xFEExxxxx window
     */
    public static MsiMessage decode(long address, int data) {
        if (!isValidAddress(address)) {
            throw new IllegalArgumentException("not an x86 MSI address: 0x" + Long.toHexString(address));
        }
        return new MsiMessage(destinationId(address), isLogicalDestination(address), hasRedirectionHint(address),
                vector(data), deliveryMode(data), isLevelTriggered(data), (data & LEVEL_ASSERT) != 0);
    }

    /**
     * {@return true if it lies in the x86 interrupt window 0x00000000_FEExxxxx}
     *
     * @param address a 64-bit MSI address
     */
    public static boolean isValidAddress(long address) {
        return (address & ADDRESS_BASE_MASK) == ADDRESS_BASE;
    }

    /**
     * {@return the address}
     *
     * @param destinationId      8-bit APIC destination
     * @param logicalDestination true for logical destination mode
     * @param redirectionHint    the redirection hint bit
     */
    public static long encodeAddress(int destinationId, boolean logicalDestination, boolean redirectionHint) {
        return ADDRESS_BASE | ((long) (destinationId & 0xFF) << DEST_ID_SHIFT)
                | (redirectionHint ? REDIRECTION_HINT : 0) | (logicalDestination ? DEST_MODE_LOGICAL : 0);
    }

    /**
     * {@return the data}
     *
     * @param vector         8-bit vector
     * @param deliveryMode   3-bit delivery mode
     * @param levelTriggered true for level trigger mode
     * @param levelAssert    the level (assert) bit
     */
    public static int encodeData(int vector, int deliveryMode, boolean levelTriggered, boolean levelAssert) {
        return (vector & 0xFF) | ((deliveryMode & 0x7) << DELIVERY_SHIFT)
                | (levelAssert ? LEVEL_ASSERT : 0) | (levelTriggered ? TRIGGER_LEVEL : 0);
    }

    /**
     * {@return the destination ID}
     *
     * @param address MSI address
     */
    public static int destinationId(long address) {
        return (int) (address >>> DEST_ID_SHIFT) & 0xFF;
    }

    /**
     * {@return true if the destination mode is logical}
     *
     * @param address MSI address
     */
    public static boolean isLogicalDestination(long address) {
        return (address & DEST_MODE_LOGICAL) != 0;
    }

    /**
     * {@return the redirection hint}
     *
     * @param address MSI address
     */
    public static boolean hasRedirectionHint(long address) {
        return (address & REDIRECTION_HINT) != 0;
    }

    /**
     * {@return the vector}
     *
     * @param data MSI data
     */
    public static int vector(int data) {
        return data & 0xFF;
    }

    /**
     * {@return the delivery mode}
     *
     * @param data MSI data
     */
    public static int deliveryMode(int data) {
        return (data >>> DELIVERY_SHIFT) & 0x7;
    }

    /**
     * {@return true if level-triggered}
     *
     * @param data MSI data
     */
    public static boolean isLevelTriggered(int data) {
        return (data & TRIGGER_LEVEL) != 0;
    }
}
