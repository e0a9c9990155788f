package io.irqfabric.kvm;

import io.irqfabric.kvm.sys.KvmAbi;

/**
 * One entry of KVM's GSI routing table ({@code struct kvm_irq_routing_entry}): a GSI routed
 * either to an MSI message or to a pin of an in-kernel interrupt controller.
 *
 * @param gsi     the KVM GSI, {@code 0 <= gsi < KVM_CAP_IRQ_ROUTING}
 * @param type    {@link #TYPE_MSI} or {@link #TYPE_IRQCHIP}
 * @param address MSI: the 64-bit message address; irqchip: 0
 * @param data    MSI: the 32-bit message data; irqchip: 0
 * @param irqchip irqchip: {@link #IRQCHIP_PIC_MASTER}, {@link #IRQCHIP_PIC_SLAVE} or
 *                {@link #IRQCHIP_IOAPIC}; MSI: 0
 * @param pin     irqchip: the controller pin; MSI: 0
 */
public record GsiRoute(int gsi, int type, long address, int data, int irqchip, int pin) {
    /** {@code KVM_IRQ_ROUTING_IRQCHIP}. */
    public static final int TYPE_IRQCHIP = KvmAbi.KVM_IRQ_ROUTING_IRQCHIP;
    /** {@code KVM_IRQ_ROUTING_MSI}. */
    public static final int TYPE_MSI = KvmAbi.KVM_IRQ_ROUTING_MSI;
    /** {@code KVM_IRQCHIP_PIC_MASTER}. */
    public static final int IRQCHIP_PIC_MASTER = KvmAbi.KVM_IRQCHIP_PIC_MASTER;
    /** {@code KVM_IRQCHIP_PIC_SLAVE}. */
    public static final int IRQCHIP_PIC_SLAVE = KvmAbi.KVM_IRQCHIP_PIC_SLAVE;
    /** {@code KVM_IRQCHIP_IOAPIC}. */
    public static final int IRQCHIP_IOAPIC = KvmAbi.KVM_IRQCHIP_IOAPIC;

    /**
     * {@return an MSI route}
     *
     * @param gsi     the KVM GSI
     * @param address the MSI address
     * @param data    the MSI data
     */
    public static GsiRoute msi(int gsi, long address, int data) {
        return new GsiRoute(gsi, TYPE_MSI, address, data, 0, 0);
    }

    /**
     * {@return an irqchip route}
     *
     * @param gsi     the KVM GSI
     * @param irqchip the in-kernel controller
     * @param pin     its pin
     */
    public static GsiRoute irqchip(int gsi, int irqchip, int pin) {
        return new GsiRoute(gsi, TYPE_IRQCHIP, 0, 0, irqchip, pin);
    }
}
