package io.irqfabric.kvm;

/**
 * What the vCPU loop needs from a user-space IOAPIC in {@link IrqchipMode#SPLIT} mode: its
 * register window at 0xFEC00000 and the guest's EOIs of level-triggered vectors. The fabric's
 * IOAPIC fits it directly:
 * <pre>{@code
 * Ioapic io = fabric.ioapic();
 * UserspaceIoapic adapter = new UserspaceIoapic() {
 *     public long mmioRead(long offset, int size) { return io.mmioRead(offset, size); }
 *     public void mmioWrite(long offset, int size, long value) { io.mmioWrite(offset, size, value); }
 *     public void eoi(int vector) { io.eoi(vector); }
 * };
 * }</pre>
 * Called on the vCPU thread. Guest input is untrusted: implementations must not throw on a
 * malformed access (a throw is caught, counted and reported by the vCPU loop).
 */
public interface UserspaceIoapic {
    /** The IOAPIC's guest physical base address. */
    long BASE = GuestImage.IOAPIC_BASE;
    /** The size of its MMIO window. */
    long WINDOW = 0x1000;

    /**
     * A guest load from the IOAPIC window.
     *
     * @param offset offset from {@link #BASE}
     * @param size   access size in bytes
     * @return the value the load returns
     */
    long mmioRead(long offset, int size);

    /**
     * A guest store to the IOAPIC window.
     *
     * @param offset offset from {@link #BASE}
     * @param size   access size in bytes
     * @param value  the stored value
     */
    void mmioWrite(long offset, int size, long value);

    /**
     * The guest EOI'd {@code vector} at its LAPIC and a level-triggered IOAPIC route delivers
     * that vector ({@code KVM_EXIT_IOAPIC_EOI}).
     *
     * @param vector the vector
     */
    void eoi(int vector);
}
