/**
 * irqfabric KVM backend: KVM ioctls through JNA, the GSI routing manager that turns the
 * fabric's eventfds into KVM irqfds, split-irqchip support, and a tiny x86 test guest.
 */
module io.irqfabric.kvm {
    requires transitive io.irqfabric.core;
    requires com.sun.jna;

    exports io.irqfabric.kvm;
}
