package io.irqfabric;

/** Kinds of interrupt source group, with the source counts each allows (rust-vmm vm-device). */
public enum InterruptSourceType {
    /** A legacy pin (IOAPIC / PIC line): exactly one source. */
    LEGACY_IRQ(1),
    /** PCI MSI: 1 to 32 vectors. */
    MSI(32),
    /** PCI MSI-X: 1 to 2048 vectors. */
    MSI_X(2048);

    private final int maxSources;

    InterruptSourceType(int maxSources) {
        this.maxSources = maxSources;
    }

    /** @return the largest number of sources a group of this type may have */
    public int maxSources() {
        return maxSources;
    }
}
