package io.irqfabric.kvm;

/**
 * Builds x86 MSI messages (Intel SDM vol. 3, 11.11): the address selects the destination
 * LAPIC, the data the vector, delivery mode and trigger mode.
 *
 * <pre>
 *  address: 0xFEE0_0000 | dest_id &lt;&lt; 12 | RH &lt;&lt; 3 | DM &lt;&lt; 2    (RH = DM = 0: physical, no redirection)
 *  data:    trigger &lt;&lt; 15 | level &lt;&lt; 14 | delivery_mode &lt;&lt; 8 | vector
 * </pre>
 */
public final class MsiMessage {
    /** The x86 MSI address window base. */
    public static final long ADDRESS_BASE = 0xFEE0_0000L;
    /** Data bit 15: level-triggered. */
    public static final int DATA_TRIGGER_LEVEL = 1 << 15;
    /** Data bit 14: asserted (meaningful for level-triggered messages). */
    public static final int DATA_LEVEL_ASSERT = 1 << 14;

    private MsiMessage() {
    }

    /**
     * @param destApicId the destination LAPIC id (0-255, physical destination mode)
     * @return the MSI address
     */
    public static long address(int destApicId) {
        if (destApicId < 0 || destApicId > 255) {
            throw new IllegalArgumentException("APIC id must be 0..255, was " + destApicId);
        }
        return ADDRESS_BASE | ((long) destApicId << 12);
    }

    /**
     * @param vector the interrupt vector, 16..255 (0-15 are reserved for exceptions)
     * @return edge-triggered, fixed-delivery MSI data
     */
    public static int edge(int vector) {
        checkVector(vector);
        return vector;
    }

    /**
     * @param vector the interrupt vector, 16..255
     * @return level-triggered (asserted), fixed-delivery MSI data
     */
    public static int level(int vector) {
        checkVector(vector);
        return vector | DATA_TRIGGER_LEVEL | DATA_LEVEL_ASSERT;
    }

    /**
     * @param data MSI data
     * @return its vector
     */
    public static int vector(int data) {
        return data & 0xFF;
    }

    private static void checkVector(int vector) {
        if (vector < 16 || vector > 255) {
            throw new IllegalArgumentException("vector must be 16..255, was " + vector);
        }
    }
}
