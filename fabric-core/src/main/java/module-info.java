/**
 * irqfabric core: the public API ({@code io.irqfabric}), the Linux eventfd sink
 * ({@code io.irqfabric.eventfd}) and the interrupt controllers' API ({@code io.irqfabric.ioapic},
 * {@code io.irqfabric.msi}, {@code io.irqfabric.virtio}) and the snapshot format ({@code io.irqfabric.snapshot}). Internals ({@code io.irqfabric.internal}) are not exported.
 */
module io.irqfabric.core {
    requires com.lmax.disruptor;
    requires com.sun.jna;

    exports io.irqfabric;
    exports io.irqfabric.eventfd;
    exports io.irqfabric.ioapic;
    exports io.irqfabric.msi;
    exports io.irqfabric.snapshot;
    exports io.irqfabric.virtio;
}
