package io.irqfabric.kvm;

/** Where the VM's interrupt controllers live. */
public enum IrqchipMode {
    /**
     * {@code KVM_CREATE_IRQCHIP}: PIC, IOAPIC and LAPIC in the kernel. KVM GSIs 0-23 keep their
     * default irqchip routes (0-15 to PIC and IOAPIC, 16-23 to the IOAPIC); MSI routes get
     * GSIs from 24 up.
     */
    IN_KERNEL,
    /**
     * {@code KVM_CAP_SPLIT_IRQCHIP}: the LAPIC in the kernel, the IOAPIC in user space (the
     * fabric's). KVM GSIs 0-23 are the IOAPIC pins, routed as MSI messages the user-space
     * IOAPIC computes from its redirection entries; other MSI routes get GSIs from 24 up.
     */
    SPLIT
}
