package io.irqfabric.kvm.sys;

/**
 * The KVM ABI facts this backend hard-codes: ioctl request numbers (computed with the same
 * {@code _IO/_IOR/_IOW/_IOWR} arithmetic as {@code <asm-generic/ioctl.h>}), capability and
 * exit numbers, and the byte offsets of every struct field written or read. All values are
 * for x86-64 and match the system's {@code /usr/include/linux/kvm.h}; {@code KvmAbiTest}
 * compiles a C program against that header and checks every constant here.
 */
public final class KvmAbi {
    private KvmAbi() {
    }

    // ---- ioctl number encoding (asm-generic/ioctl.h): dir<<30 | size<<16 | type<<8 | nr ----
    private static final int IOC_NONE = 0;
    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;
    /** The KVM ioctl type byte, {@code KVMIO}. */
    public static final int KVMIO = 0xAE;

    private static long ioc(int dir, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) KVMIO << 8) | nr;
    }

    public static long io(int nr) {
        return ioc(IOC_NONE, nr, 0);
    }

    public static long iow(int nr, int size) {
        return ioc(IOC_WRITE, nr, size);
    }

    public static long ior(int nr, int size) {
        return ioc(IOC_READ, nr, size);
    }

    public static long iowr(int nr, int size) {
        return ioc(IOC_READ | IOC_WRITE, nr, size);
    }

    // ---- struct sizes ----
    public static final int SIZEOF_USERSPACE_MEMORY_REGION = 32;
    public static final int SIZEOF_IRQ_ROUTING = 8;
    public static final int SIZEOF_IRQ_ROUTING_ENTRY = 48;
    public static final int SIZEOF_IRQFD = 32;
    public static final int SIZEOF_MSI = 32;
    public static final int SIZEOF_IRQ_LEVEL = 8;
    public static final int SIZEOF_ENABLE_CAP = 104;
    public static final int SIZEOF_SEGMENT = 24;
    public static final int SIZEOF_DTABLE = 16;
    public static final int SIZEOF_SREGS = 312;
    public static final int SIZEOF_REGS = 144;
    /** struct kvm_lapic_state: the xAPIC register page, 1 KiB. */
    public static final int SIZEOF_LAPIC_STATE = 1024;

    // ---- ioctls on /dev/kvm ----
    public static final long KVM_GET_API_VERSION = io(0x00);
    public static final long KVM_CREATE_VM = io(0x01);
    public static final long KVM_CHECK_EXTENSION = io(0x03);
    public static final long KVM_GET_VCPU_MMAP_SIZE = io(0x04);
    // ---- ioctls on a VM fd ----
    public static final long KVM_CREATE_VCPU = io(0x41);
    public static final long KVM_SET_USER_MEMORY_REGION = iow(0x46, SIZEOF_USERSPACE_MEMORY_REGION);
    public static final long KVM_CREATE_IRQCHIP = io(0x60);
    public static final long KVM_IRQ_LINE = iow(0x61, SIZEOF_IRQ_LEVEL);
    public static final long KVM_IRQ_LINE_STATUS = iowr(0x67, SIZEOF_IRQ_LEVEL);
    public static final long KVM_SET_GSI_ROUTING = iow(0x6a, SIZEOF_IRQ_ROUTING);
    public static final long KVM_IRQFD = iow(0x76, SIZEOF_IRQFD);
    public static final long KVM_SIGNAL_MSI = iow(0xa5, SIZEOF_MSI);
    public static final long KVM_ENABLE_CAP = iow(0xa3, SIZEOF_ENABLE_CAP);
    // ---- ioctls on a vCPU fd ----
    public static final long KVM_RUN = io(0x80);
    public static final long KVM_GET_REGS = ior(0x81, SIZEOF_REGS);
    public static final long KVM_GET_LAPIC = ior(0x8e, SIZEOF_LAPIC_STATE);
    public static final long KVM_SET_REGS = iow(0x82, SIZEOF_REGS);
    public static final long KVM_GET_SREGS = ior(0x83, SIZEOF_SREGS);
    public static final long KVM_SET_SREGS = iow(0x84, SIZEOF_SREGS);

    /** The API version every KVM since Linux 2.6.22 reports. */
    public static final int KVM_API_VERSION = 12;

    // ---- flags and types ----
    public static final int KVM_IRQFD_FLAG_DEASSIGN = 1;
    public static final int KVM_IRQFD_FLAG_RESAMPLE = 1 << 1;
    public static final int KVM_IRQ_ROUTING_IRQCHIP = 1;
    public static final int KVM_IRQ_ROUTING_MSI = 2;
    /** {@code KVM_IRQCHIP_PIC_MASTER}, {@code _PIC_SLAVE}, {@code _IOAPIC}: irqchip ids in routes. */
    public static final int KVM_IRQCHIP_PIC_MASTER = 0;
    public static final int KVM_IRQCHIP_PIC_SLAVE = 1;
    public static final int KVM_IRQCHIP_IOAPIC = 2;

    // ---- struct kvm_userspace_memory_region ----
    public static final int UMR_SLOT = 0;
    public static final int UMR_FLAGS = 4;
    public static final int UMR_GUEST_PHYS_ADDR = 8;
    public static final int UMR_MEMORY_SIZE = 16;
    public static final int UMR_USERSPACE_ADDR = 24;

    // ---- struct kvm_irq_routing { u32 nr; u32 flags; struct kvm_irq_routing_entry entries[]; } ----
    public static final int ROUTING_NR = 0;
    public static final int ROUTING_FLAGS = 4;
    public static final int ROUTING_ENTRIES = 8;
    // ---- struct kvm_irq_routing_entry ----
    public static final int RE_GSI = 0;
    public static final int RE_TYPE = 4;
    public static final int RE_FLAGS = 8;
    public static final int RE_U = 16;
    public static final int RE_IRQCHIP_IRQCHIP = 16;
    public static final int RE_IRQCHIP_PIN = 20;
    public static final int RE_MSI_ADDRESS_LO = 16;
    public static final int RE_MSI_ADDRESS_HI = 20;
    public static final int RE_MSI_DATA = 24;

    // ---- struct kvm_irqfd ----
    public static final int IRQFD_FD = 0;
    public static final int IRQFD_GSI = 4;
    public static final int IRQFD_FLAGS = 8;
    public static final int IRQFD_RESAMPLEFD = 12;

    // ---- struct kvm_msi ----
    public static final int MSI_ADDRESS_LO = 0;
    public static final int MSI_ADDRESS_HI = 4;
    public static final int MSI_DATA = 8;
    public static final int MSI_FLAGS = 12;

    // ---- struct kvm_irq_level ----
    public static final int IRQ_LEVEL_IRQ = 0;
    public static final int IRQ_LEVEL_LEVEL = 4;

    // ---- struct kvm_enable_cap ----
    public static final int ENABLE_CAP_CAP = 0;
    public static final int ENABLE_CAP_FLAGS = 4;
    public static final int ENABLE_CAP_ARGS = 8;

    // ---- struct kvm_segment ----
    public static final int SEG_BASE = 0;
    public static final int SEG_LIMIT = 8;
    public static final int SEG_SELECTOR = 12;
    public static final int SEG_TYPE = 14;
    public static final int SEG_PRESENT = 15;
    public static final int SEG_DPL = 16;
    public static final int SEG_DB = 17;
    public static final int SEG_S = 18;
    public static final int SEG_L = 19;
    public static final int SEG_G = 20;
    public static final int SEG_AVL = 21;
    public static final int SEG_UNUSABLE = 22;
    // ---- struct kvm_dtable ----
    public static final int DT_BASE = 0;
    public static final int DT_LIMIT = 8;
    // ---- struct kvm_sregs ----
    public static final int SREGS_CS = 0;
    public static final int SREGS_DS = 24;
    public static final int SREGS_ES = 48;
    public static final int SREGS_FS = 72;
    public static final int SREGS_GS = 96;
    public static final int SREGS_SS = 120;
    public static final int SREGS_TR = 144;
    public static final int SREGS_LDT = 168;
    public static final int SREGS_GDT = 192;
    public static final int SREGS_IDT = 208;
    public static final int SREGS_CR0 = 224;
    public static final int SREGS_APIC_BASE = 272;
    // ---- struct kvm_regs (18 u64: rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags) ----
    public static final int REGS_RAX = 0;
    public static final int REGS_RSP = 48;
    public static final int REGS_RIP = 128;
    public static final int REGS_RFLAGS = 136;

    // ---- struct kvm_run (the mmap'ed shared page) ----
    public static final int RUN_REQUEST_INTERRUPT_WINDOW = 0;
    public static final int RUN_IMMEDIATE_EXIT = 1;
    public static final int RUN_EXIT_REASON = 8;
    public static final int RUN_IF_FLAG = 13;
    public static final int RUN_IO_DIRECTION = 32;
    public static final int RUN_IO_SIZE = 33;
    public static final int RUN_IO_PORT = 34;
    public static final int RUN_IO_COUNT = 36;
    public static final int RUN_IO_DATA_OFFSET = 40;
    public static final int RUN_MMIO_PHYS_ADDR = 32;
    public static final int RUN_MMIO_DATA = 40;
    public static final int RUN_MMIO_LEN = 48;
    public static final int RUN_MMIO_IS_WRITE = 52;
    public static final int RUN_EOI_VECTOR = 32;
    public static final int RUN_INTERNAL_SUBERROR = 32;
    public static final int RUN_INTERNAL_NDATA = 36;
    public static final int RUN_INTERNAL_DATA = 40;
    public static final int RUN_FAIL_ENTRY_REASON = 32;
}
