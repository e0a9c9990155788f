package io.irqfabric.kvm.testguest;

import io.irqfabric.ioapic.IoapicPort;

/**
 * What the vCPU loop needs from a user-space IOAPIC in {@link io.irqfabric.kvm.IrqchipMode#SPLIT} mode: its
 * register window at 0xFEC00000 and the guest's EOIs of level-triggered vectors.
 * {@link #of(IoapicPort)} adapts the fabric's IOAPIC:
 * <pre>{@code
 * guest.start(UserspaceIoapic.of(fabric.ioapic()));
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

    /**
     * {@return the vCPU loop's view of it: MMIO and EOIs travel through the fabric's ring}
     *
     * @param port the fabric's IOAPIC ({@code InterruptFabric.ioapic()})
     */
    static UserspaceIoapic of(IoapicPort port) {
        return new UserspaceIoapic() {
            @Override
            public long mmioRead(long offset, int size) {
                return port.mmioRead(offset, size);
            }

            @Override
            public void mmioWrite(long offset, int size, long value) {
                port.mmioWrite(offset, size, value);
            }

            @Override
            public void eoi(int vector) {
                port.eoi(vector);
            }
        };
    }
}
