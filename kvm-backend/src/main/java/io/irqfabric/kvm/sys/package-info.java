/**
 * The raw KVM ABI of the backend, in one place: {@code KvmAbi} (ioctl numbers, capability and
 * exit numbers, struct sizes and field offsets) and {@code LibC} (the backend's one libc binding:
 * open, close, ioctl, mmap, munmap, poll, strerror, through JNA direct mapping). The classes of
 * {@code io.irqfabric.kvm} ({@code Kvm}, {@code KvmVm}, {@code KvmVcpu}, {@code GuestMemory}) are
 * the typed wrappers over them; this package is not exported.
 *
 * <h2>Encoding</h2>
 * ioctl numbers are computed like {@code <asm-generic/ioctl.h>}:
 * {@code dir << 30 | size << 16 | 0xAE << 8 | nr}. errno is read with JNA's
 * {@code Native.getLastError()} right after a failed call. The struct layouts below (x86-64)
 * are checked against the system's linux/kvm.h by {@code KvmAbiTest}, which compiles a C program
 * with cc.
 *
 * <pre>
 * struct kvm_userspace_memory_region (32)      KVM_SET_USER_MEMORY_REGION = _IOW(0xAE, 0x46, 32)
 *   0 u32 slot | 4 u32 flags | 8 u64 guest_phys_addr | 16 u64 memory_size | 24 u64 userspace_addr
 *
 * struct kvm_irq_routing (8 + nr * 48)         KVM_SET_GSI_ROUTING = _IOW(0xAE, 0x6a, 8)
 *   0 u32 nr | 4 u32 flags | 8 entries[nr]:
 *   struct kvm_irq_routing_entry (48)
 *     0 u32 gsi | 4 u32 type (1 irqchip, 2 msi) | 8 u32 flags | 12 u32 pad |
 *     16 union u (32):  irqchip: 16 u32 irqchip (0 PIC master, 1 PIC slave, 2 IOAPIC) | 20 u32 pin
 *                       msi:     16 u32 address_lo | 20 u32 address_hi | 24 u32 data | 28 u32 devid
 *
 * struct kvm_irqfd (32)                        KVM_IRQFD = _IOW(0xAE, 0x76, 32)
 *   0 u32 fd | 4 u32 gsi | 8 u32 flags (1 DEASSIGN, 2 RESAMPLE) | 12 u32 resamplefd | 16 u8 pad[16]
 *
 * struct kvm_msi (32)                          KVM_SIGNAL_MSI = _IOW(0xAE, 0xa5, 32)
 *   0 u32 address_lo | 4 u32 address_hi | 8 u32 data | 12 u32 flags | 16 u32 devid | 20 u8 pad[12]
 *
 * struct kvm_irq_level (8)                     KVM_IRQ_LINE = _IOW(0xAE, 0x61, 8)
 *   0 u32 irq | 4 u32 level
 *
 * struct kvm_enable_cap (104)                  KVM_ENABLE_CAP = _IOW(0xAE, 0xa3, 104)
 *   0 u32 cap | 4 u32 flags | 8 u64 args[4] | 40 u8 pad[64]
 *   split irqchip: cap = KVM_CAP_SPLIT_IRQCHIP (121), args[0] = IOAPIC pins (24)
 *
 * struct kvm_regs (144)                        KVM_GET_REGS = _IOR(0xAE, 0x81, 144), SET _IOW 0x82
 *   0 rax 8 rbx 16 rcx 24 rdx 32 rsi 40 rdi 48 rsp 56 rbp 64..120 r8-r15 128 rip 136 rflags
 *
 * struct kvm_sregs (312)                       KVM_GET_SREGS = _IOR(0xAE, 0x83, 312), SET _IOW 0x84
 *   0 cs 24 ds 48 es 72 fs 96 gs 120 ss 144 tr 168 ldt   (struct kvm_segment, 24 each)
 *   192 gdt 208 idt                                      (struct kvm_dtable, 16 each)
 *   224 cr0 232 cr2 240 cr3 248 cr4 256 cr8 264 efer 272 apic_base 280 interrupt_bitmap[4]
 *   struct kvm_segment: 0 u64 base | 8 u32 limit | 12 u16 selector | 14 u8 type | 15 present |
 *                       16 dpl | 17 db | 18 s | 19 l | 20 g | 21 avl | 22 unusable | 23 pad
 *   struct kvm_dtable:  0 u64 base | 8 u16 limit | 10 u16 pad[3]
 *
 * struct kvm_run (mmap'ed from the vCPU fd, KVM_GET_VCPU_MMAP_SIZE bytes)   KVM_RUN = _IO(0xAE, 0x80)
 *   0 u8 request_interrupt_window | 1 u8 immediate_exit | 8 u32 exit_reason | 13 u8 if_flag |
 *   16 u64 cr8 | 24 u64 apic_base | 32 exit union (256):
 *     KVM_EXIT_MMIO (6):        32 u64 phys_addr | 40 u8 data[8] | 48 u32 len | 52 u8 is_write
 *     KVM_EXIT_IO (2):          32 u8 direction | 33 u8 size | 34 u16 port | 36 u32 count | 40 u64 data_offset
 *     KVM_EXIT_IOAPIC_EOI (26): 32 u8 vector
 *     KVM_EXIT_INTERNAL_ERROR (17): 32 u32 suberror | 36 u32 ndata | 40 u64 data[16]
 * </pre>
 */
package io.irqfabric.kvm.sys;
