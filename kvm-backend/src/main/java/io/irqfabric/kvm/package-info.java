/**
 * The KVM backend: it connects the fabric's eventfds to a real VM.
 *
 * <h2>How an interrupt flows</h2>
 * <pre>
 *  producer --trigger(gsi)--&gt; ring --&gt; dispatcher --deliver(gsi)--&gt; EventFdSink
 *                                                                 | write(eventfd)
 *                                                                 v
 *        KVM irqfd (KVM_IRQFD, assigned by KvmRoutingManager after the route exists)
 *                                                                 |
 *             KVM GSI route (KVM_SET_GSI_ROUTING): MSI message, or in-kernel irqchip pin
 *                                                                 v
 *                     in-kernel LAPIC (and IOAPIC) --&gt; guest vector handler
 * </pre>
 * The fabric's GSI numbers are mapped to KVM GSIs lazily by {@link io.irqfabric.kvm.KvmRoutingManager}.
 * In {@link io.irqfabric.kvm.IrqchipMode#SPLIT} mode the fabric's IOAPIC is the guest's IOAPIC:
 * the VMM's vCPU loop forwards MMIO exits at 0xFEC00000 and
 * KVM_EXIT_IOAPIC_EOI to it, and its redirection entries arrive as MSI routes on KVM GSIs 0-23.
 *
 * <h2>Bindings</h2>
 * {@link io.irqfabric.kvm.Kvm} (/dev/kvm), {@link io.irqfabric.kvm.KvmVm} (VM fd) and
 * {@link io.irqfabric.kvm.KvmVcpu} (vCPU fd and its kvm_run page) are typed wrappers over the
 * raw ABI in {@code io.irqfabric.kvm.sys} (not exported): {@code KvmAbi} holds every ioctl number
 * and struct offset (drawn in that package's documentation and checked against linux/kvm.h by
 * {@code KvmAbiTest}), {@code LibC} is the backend's one libc binding (JNA direct mapping). Every
 * failure is a {@link io.irqfabric.kvm.KvmException} naming the ioctl and errno.
 *
 * <h2>The test guest</h2>
 * A hand-assembled x86 guest and the vCPU loop that runs it (the KVM end-to-end tests, the
 * storm and the benchmarks use it) are a module of their own, {@code kvm-testguest}
 * ({@code io.irqfabric.kvm.testguest}); the library does not ship them.
 */
package io.irqfabric.kvm;
