/**
 * irqfabric core: the public API ({@code io.irqfabric}) and the Linux eventfd sink
 * ({@code io.irqfabric.eventfd}). Internals ({@code io.irqfabric.internal}) are not exported.
 */
module io.irqfabric.core {
    requires com.lmax.disruptor;
    requires com.sun.jna;

    exports io.irqfabric;
    exports io.irqfabric.eventfd;
}
