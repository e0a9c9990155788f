/*
 * Prints the KVM ABI facts kvm-backend hard-codes (ioctl numbers, struct sizes and field
 * offsets) as NAME=value lines, straight from the system's <linux/kvm.h>. KvmAbiTest compiles
 * and runs it and compares every line with the Java constants.
 */
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>

#define P(name, v) printf("%s=%lu\n", name, (unsigned long)(v))
#define IOCTL(n) P(#n, n)
#define SIZE(t) P("sizeof(" #t ")", sizeof(struct t))
#define OFF(t, f) P("offsetof(" #t "," #f ")", offsetof(struct t, f))

int main(void) {
    IOCTL(KVM_GET_API_VERSION);
    IOCTL(KVM_CREATE_VM);
    IOCTL(KVM_CHECK_EXTENSION);
    IOCTL(KVM_GET_VCPU_MMAP_SIZE);
    IOCTL(KVM_CREATE_VCPU);
    IOCTL(KVM_SET_USER_MEMORY_REGION);
    IOCTL(KVM_CREATE_IRQCHIP);
    IOCTL(KVM_IRQ_LINE);
    IOCTL(KVM_IRQ_LINE_STATUS);
    IOCTL(KVM_SET_GSI_ROUTING);
    IOCTL(KVM_IRQFD);
    IOCTL(KVM_SIGNAL_MSI);
    IOCTL(KVM_ENABLE_CAP);
    IOCTL(KVM_RUN);
    IOCTL(KVM_GET_REGS);
    IOCTL(KVM_GET_LAPIC);
    IOCTL(KVM_SET_REGS);
    IOCTL(KVM_GET_SREGS);
    IOCTL(KVM_SET_SREGS);

    P("KVM_CAP_IRQCHIP", KVM_CAP_IRQCHIP);
    P("KVM_CAP_IRQ_ROUTING", KVM_CAP_IRQ_ROUTING);
    P("KVM_CAP_IRQFD", KVM_CAP_IRQFD);
    P("KVM_CAP_SIGNAL_MSI", KVM_CAP_SIGNAL_MSI);
    P("KVM_CAP_IRQFD_RESAMPLE", KVM_CAP_IRQFD_RESAMPLE);
    P("KVM_CAP_SPLIT_IRQCHIP", KVM_CAP_SPLIT_IRQCHIP);
    P("KVM_CAP_USER_MEMORY", KVM_CAP_USER_MEMORY);
    P("KVM_IRQFD_FLAG_DEASSIGN", KVM_IRQFD_FLAG_DEASSIGN);
    P("KVM_IRQFD_FLAG_RESAMPLE", KVM_IRQFD_FLAG_RESAMPLE);
    P("KVM_IRQ_ROUTING_IRQCHIP", KVM_IRQ_ROUTING_IRQCHIP);
    P("KVM_IRQ_ROUTING_MSI", KVM_IRQ_ROUTING_MSI);
    P("KVM_EXIT_IO", KVM_EXIT_IO);
    P("KVM_EXIT_HLT", KVM_EXIT_HLT);
    P("KVM_EXIT_MMIO", KVM_EXIT_MMIO);
    P("KVM_EXIT_SHUTDOWN", KVM_EXIT_SHUTDOWN);
    P("KVM_EXIT_FAIL_ENTRY", KVM_EXIT_FAIL_ENTRY);
    P("KVM_EXIT_INTR", KVM_EXIT_INTR);
    P("KVM_EXIT_INTERNAL_ERROR", KVM_EXIT_INTERNAL_ERROR);
    P("KVM_EXIT_IOAPIC_EOI", KVM_EXIT_IOAPIC_EOI);

    SIZE(kvm_userspace_memory_region);
    OFF(kvm_userspace_memory_region, slot);
    OFF(kvm_userspace_memory_region, flags);
    OFF(kvm_userspace_memory_region, guest_phys_addr);
    OFF(kvm_userspace_memory_region, memory_size);
    OFF(kvm_userspace_memory_region, userspace_addr);

    SIZE(kvm_irq_routing);
    OFF(kvm_irq_routing, nr);
    OFF(kvm_irq_routing, flags);
    OFF(kvm_irq_routing, entries);
    SIZE(kvm_irq_routing_entry);
    OFF(kvm_irq_routing_entry, gsi);
    OFF(kvm_irq_routing_entry, type);
    OFF(kvm_irq_routing_entry, flags);
    OFF(kvm_irq_routing_entry, u);
    OFF(kvm_irq_routing_entry, u.irqchip.irqchip);
    OFF(kvm_irq_routing_entry, u.irqchip.pin);
    OFF(kvm_irq_routing_entry, u.msi.address_lo);
    OFF(kvm_irq_routing_entry, u.msi.address_hi);
    OFF(kvm_irq_routing_entry, u.msi.data);

    SIZE(kvm_irqfd);
    OFF(kvm_irqfd, fd);
    OFF(kvm_irqfd, gsi);
    OFF(kvm_irqfd, flags);
    OFF(kvm_irqfd, resamplefd);

    SIZE(kvm_msi);
    OFF(kvm_msi, address_lo);
    OFF(kvm_msi, address_hi);
    OFF(kvm_msi, data);
    OFF(kvm_msi, flags);

    SIZE(kvm_irq_level);
    OFF(kvm_irq_level, irq);
    OFF(kvm_irq_level, level);

    SIZE(kvm_enable_cap);
    OFF(kvm_enable_cap, cap);
    OFF(kvm_enable_cap, flags);
    OFF(kvm_enable_cap, args);

    SIZE(kvm_segment);
    OFF(kvm_segment, base);
    OFF(kvm_segment, limit);
    OFF(kvm_segment, selector);
    OFF(kvm_segment, type);
    OFF(kvm_segment, present);
    OFF(kvm_segment, dpl);
    OFF(kvm_segment, db);
    OFF(kvm_segment, s);
    OFF(kvm_segment, l);
    OFF(kvm_segment, g);
    OFF(kvm_segment, avl);
    OFF(kvm_segment, unusable);
    SIZE(kvm_dtable);
    OFF(kvm_dtable, base);
    OFF(kvm_dtable, limit);
    SIZE(kvm_sregs);
    OFF(kvm_sregs, cs);
    OFF(kvm_sregs, ds);
    OFF(kvm_sregs, es);
    OFF(kvm_sregs, fs);
    OFF(kvm_sregs, gs);
    OFF(kvm_sregs, ss);
    OFF(kvm_sregs, tr);
    OFF(kvm_sregs, ldt);
    OFF(kvm_sregs, gdt);
    OFF(kvm_sregs, idt);
    OFF(kvm_sregs, cr0);
    OFF(kvm_sregs, apic_base);

    SIZE(kvm_regs);
    SIZE(kvm_lapic_state);
    OFF(kvm_regs, rax);
    OFF(kvm_regs, rsp);
    OFF(kvm_regs, rip);
    OFF(kvm_regs, rflags);

    OFF(kvm_run, request_interrupt_window);
    OFF(kvm_run, immediate_exit);
    OFF(kvm_run, exit_reason);
    OFF(kvm_run, if_flag);
    OFF(kvm_run, io.direction);
    OFF(kvm_run, io.size);
    OFF(kvm_run, io.port);
    OFF(kvm_run, io.count);
    OFF(kvm_run, io.data_offset);
    OFF(kvm_run, mmio.phys_addr);
    OFF(kvm_run, mmio.data);
    OFF(kvm_run, mmio.len);
    OFF(kvm_run, mmio.is_write);
    OFF(kvm_run, eoi.vector);
    OFF(kvm_run, internal.suberror);
    OFF(kvm_run, internal.ndata);
    OFF(kvm_run, internal.data);
    OFF(kvm_run, fail_entry.hardware_entry_failure_reason);
    return 0;
}
