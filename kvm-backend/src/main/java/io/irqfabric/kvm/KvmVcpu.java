package io.irqfabric.kvm;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.irqfabric.kvm.sys.KvmAbi;
import io.irqfabric.kvm.sys.LibC;

/**
 * A KVM vCPU: its fd, its mmap'ed {@code kvm_run} page, registers, and {@link #run()}.
 *
 * <p>The {@code kvm_run} page (offsets from linux/kvm.h, x86-64):
 * <pre>
 *   0  u8  request_interrupt_window   1 u8 immediate_exit   2..7 padding
 *   8  u32 exit_reason               12 u8 ready_for_interrupt_injection  13 u8 if_flag  14 u16 flags
 *  16  u64 cr8                       24 u64 apic_base
 *  32  union (256 bytes), e.g.
 *        KVM_EXIT_MMIO:       32 u64 phys_addr  40 u8 data[8]  48 u32 len  52 u8 is_write
 *        KVM_EXIT_IO:         32 u8 direction  33 u8 size  34 u16 port  36 u32 count  40 u64 data_offset
 *        KVM_EXIT_IOAPIC_EOI: 32 u8 vector
 *        KVM_EXIT_INTERNAL_ERROR: 32 u32 suberror  36 u32 ndata  40 u64 data[16]
 * </pre>
 *
 * <p>Thread safety: {@link #run()} and the exit accessors belong to the one thread that runs
 * the vCPU (KVM requires it); register access is for set-up before the first run.
 */
public final class KvmVcpu implements AutoCloseable {
    /** {@code KVM_EXIT_IO}. */
    public static final int EXIT_IO = 2;
    /** {@code KVM_EXIT_HLT}. */
    public static final int EXIT_HLT = 5;
    /** {@code KVM_EXIT_MMIO}. */
    public static final int EXIT_MMIO = 6;
    /** {@code KVM_EXIT_SHUTDOWN}. */
    public static final int EXIT_SHUTDOWN = 8;
    /** {@code KVM_EXIT_FAIL_ENTRY}. */
    public static final int EXIT_FAIL_ENTRY = 9;
    /** {@code KVM_EXIT_INTR}: a signal interrupted KVM_RUN. */
    public static final int EXIT_INTR = 10;
    /** {@code KVM_EXIT_INTERNAL_ERROR} (e.g. emulation failure). */
    public static final int EXIT_INTERNAL_ERROR = 17;
    /** {@code KVM_EXIT_IOAPIC_EOI} (split irqchip). */
    public static final int EXIT_IOAPIC_EOI = 26;
    /** {@link #run()} result when KVM_RUN returned EINTR or EAGAIN (no exit reason). */
    public static final int RUN_INTERRUPTED = -1;

    private final OwnedFd fd;
    private final int id;
    private final long runAddress;
    private final long runSize;
    private final Pointer run;

    private KvmVcpu(int fd, int id, long runAddress, long runSize) {
        this.fd = new OwnedFd(fd);
        this.id = id;
        this.runAddress = runAddress;
        this.runSize = runSize;
        this.run = new Pointer(runAddress);
    }

    static KvmVcpu map(int vcpuFd, int id, int mmapSize) {
        // SAFETY: maps the vCPU's kvm_run area from a vCPU fd we just created and own; size is
        // KVM_GET_VCPU_MMAP_SIZE. Checked against MAP_FAILED.
        long a = LibC.mmap(0L, mmapSize, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_SHARED, vcpuFd, 0L);
        if (a == LibC.MAP_FAILED) {
            int errno = Native.getLastError();
            // SAFETY: vcpuFd is ours and not yet wrapped; closed once here.
            LibC.close(vcpuFd);
            throw new KvmException("mmap(kvm_run)", errno);
        }
        return new KvmVcpu(vcpuFd, id, a, mmapSize);
    }

    /** {@return the vCPU id} */
    public int id() {
        return id;
    }

    /** {@return a copy of the general registers ({@code KVM_GET_REGS})} */
    public Regs getRegs() {
        Regs r = new Regs();
        fd.ioctl("KVM_GET_REGS", KvmAbi.KVM_GET_REGS, r.mem);
        return r;
    }

    /**
     * {@code KVM_GET_LAPIC}: the in-kernel LAPIC's register page (xAPIC layout: register at
     * offset {@code r} as on the MMIO page; ISR at 0x100, TMR at 0x180, IRR at 0x200, 32 vectors
     * per 16-byte register). For tests and diagnostics; the vCPU must not be running.
     *
     * @return a copy of the 1 KiB page
     */
    public byte[] getLapic() {
        try (com.sun.jna.Memory m = new com.sun.jna.Memory(KvmAbi.SIZEOF_LAPIC_STATE)) {
            fd.ioctl("KVM_GET_LAPIC", KvmAbi.KVM_GET_LAPIC, m);
            return m.getByteArray(0, KvmAbi.SIZEOF_LAPIC_STATE);
        }
    }

    /**
     * {@return whether the vector's bit is set in that register}
     *
     * @param lapic    a page from {@link #getLapic()}
     * @param register 0x100 (ISR), 0x180 (TMR) or 0x200 (IRR)
     * @param vector   the vector
     */
    public static boolean lapicBit(byte[] lapic, int register, int vector) {
        int at = register + 0x10 * (vector >>> 5) + ((vector & 31) >>> 3);
        return (lapic[at] >>> (vector & 7) & 1) != 0;
    }

    /**
     * Loads the general registers ({@code KVM_SET_REGS}).
     *
     * @param regs the registers
     */
    public void setRegs(Regs regs) {
        fd.ioctl("KVM_SET_REGS", KvmAbi.KVM_SET_REGS, regs.mem);
    }

    /** {@return a copy of the special registers ({@code KVM_GET_SREGS})} */
    public Sregs getSregs() {
        Sregs s = new Sregs();
        fd.ioctl("KVM_GET_SREGS", KvmAbi.KVM_GET_SREGS, s.mem);
        return s;
    }

    /**
     * Loads the special registers ({@code KVM_SET_SREGS}).
     *
     * @param sregs the registers
     */
    public void setSregs(Sregs sregs) {
        fd.ioctl("KVM_SET_SREGS", KvmAbi.KVM_SET_SREGS, sregs.mem);
    }

    /**
     * {@code KVM_RUN}: runs the guest until it exits to user space.
     *
     * @return the exit reason ({@code EXIT_*}), or {@link #RUN_INTERRUPTED} if a signal
     *         interrupted the call
     * @throws KvmException if KVM_RUN fails otherwise
     */
    public int run() {
        int f = fd.get("KVM_RUN");
        // SAFETY: f is the owned, open vCPU fd; KVM_RUN takes no argument and communicates
        // through the kvm_run page this object keeps mapped until close().
        int r = LibC.ioctl(f, KvmAbi.KVM_RUN, 0L);
        if (r < 0) {
            int errno = Native.getLastError();
            if (errno == LibC.EINTR || errno == LibC.EAGAIN) {
                return RUN_INTERRUPTED;
            }
            throw new KvmException("KVM_RUN", errno);
        }
        return exitReason();
    }

    // SAFETY (all accessors below): run points at the kvm_run page mapped in map() and
    // unmapped only in close(); every offset is inside its first 512 bytes (KvmAbi, checked
    // against linux/kvm.h by KvmAbiTest).

    /** {@return {@code kvm_run.exit_reason}} */
    public int exitReason() {
        return run.getInt(KvmAbi.RUN_EXIT_REASON);
    }

    /** {@return KVM_EXIT_MMIO: the guest physical address accessed} */
    public long mmioPhysAddr() {
        return run.getLong(KvmAbi.RUN_MMIO_PHYS_ADDR);
    }

    /** {@return KVM_EXIT_MMIO: the access size in bytes (1, 2, 4 or 8)} */
    public int mmioLength() {
        return run.getInt(KvmAbi.RUN_MMIO_LEN);
    }

    /** {@return KVM_EXIT_MMIO: true for a write} */
    public boolean mmioIsWrite() {
        return run.getByte(KvmAbi.RUN_MMIO_IS_WRITE) != 0;
    }

    /** {@return KVM_EXIT_MMIO: the written value (little-endian, {@link #mmioLength()} bytes)} */
    public long mmioData() {
        int len = Math.min(8, Math.max(0, mmioLength()));
        long v = 0;
        for (int i = len - 1; i >= 0; i--) {
            v = (v << 8) | (run.getByte(KvmAbi.RUN_MMIO_DATA + i) & 0xFFL);
        }
        return v;
    }

    /**
     * Answers a {@code KVM_EXIT_MMIO} read: the value the guest's load returns.
     *
     * @param value the value (its low {@link #mmioLength()} bytes are used)
     */
    public void setMmioData(long value) {
        for (int i = 0; i < 8; i++) {
            run.setByte(KvmAbi.RUN_MMIO_DATA + i, (byte) (value >>> (8 * i)));
        }
    }

    /** {@return KVM_EXIT_IO: the port} */
    public int ioPort() {
        return run.getShort(KvmAbi.RUN_IO_PORT) & 0xFFFF;
    }

    /** {@return KVM_EXIT_IO: true for OUT} */
    public boolean ioIsOut() {
        return run.getByte(KvmAbi.RUN_IO_DIRECTION) == 1;
    }

    /** {@return KVM_EXIT_IOAPIC_EOI: the vector the guest EOI'd} */
    public int eoiVector() {
        return run.getByte(KvmAbi.RUN_EOI_VECTOR) & 0xFF;
    }

    /** {@return KVM_EXIT_INTERNAL_ERROR: the suberror (1 = emulation failure)} */
    public int internalSuberror() {
        return run.getInt(KvmAbi.RUN_INTERNAL_SUBERROR);
    }

    /** {@return KVM_EXIT_FAIL_ENTRY: the hardware entry failure reason} */
    public long failEntryReason() {
        return run.getLong(KvmAbi.RUN_FAIL_ENTRY_REASON);
    }

    /**
     * Sets {@code kvm_run.immediate_exit}: the next KVM_RUN returns EINTR at once.
     *
     * @param exit true to make KVM_RUN return immediately
     */
    public void setImmediateExit(boolean exit) {
        run.setByte(KvmAbi.RUN_IMMEDIATE_EXIT, (byte) (exit ? 1 : 0));
    }

    /** Unmaps {@code kvm_run} and closes the vCPU fd. Only when no thread is in {@link #run()}. */
    @Override
    public void close() {
        if (!fd.isClosed()) {
            fd.close();
            // SAFETY: runAddress/runSize are exactly the mapping made in map(); the fd close
            // above is atomic and happens once, so this unmaps once.
            LibC.munmap(runAddress, runSize);
        }
    }

    /** {@code struct kvm_regs}: 18 u64 (rax rbx rcx rdx rsi rdi rsp rbp r8-r15 rip rflags). */
    public static final class Regs {
        final Memory mem = new Memory(KvmAbi.SIZEOF_REGS);

        /** A zeroed register set. */
        public Regs() {
            mem.clear();
        }

        /** {@return rip} */
        public long rip() {
            return mem.getLong(KvmAbi.REGS_RIP);
        }

        /**
         * {@return this}
         *
         * @param v rip
         */
        public Regs rip(long v) {
            mem.setLong(KvmAbi.REGS_RIP, v);
            return this;
        }

        /** {@return rsp} */
        public long rsp() {
            return mem.getLong(KvmAbi.REGS_RSP);
        }

        /**
         * {@return this}
         *
         * @param v rsp
         */
        public Regs rsp(long v) {
            mem.setLong(KvmAbi.REGS_RSP, v);
            return this;
        }

        /** {@return rflags} */
        public long rflags() {
            return mem.getLong(KvmAbi.REGS_RFLAGS);
        }

        /**
         * {@return this}
         *
         * @param v rflags (bit 1 must be set)
         */
        public Regs rflags(long v) {
            mem.setLong(KvmAbi.REGS_RFLAGS, v);
            return this;
        }

        /** {@return rax} */
        public long rax() {
            return mem.getLong(KvmAbi.REGS_RAX);
        }
    }

    /**
     * {@code struct kvm_sregs}: segment registers (each a {@code struct kvm_segment}), GDTR and
     * IDTR ({@code struct kvm_dtable}), control registers and the APIC base.
     * <pre>
     * kvm_segment (24 bytes): 0 u64 base | 8 u32 limit | 12 u16 selector | 14 u8 type |
     *                         15 present | 16 dpl | 17 db | 18 s | 19 l | 20 g | 21 avl |
     *                         22 unusable | 23 padding
     * kvm_dtable  (16 bytes): 0 u64 base | 8 u16 limit | 10 u16 padding[3]
     * kvm_sregs  (312 bytes): 0 cs | 24 ds | 48 es | 72 fs | 96 gs | 120 ss | 144 tr | 168 ldt |
     *                         192 gdt | 208 idt | 224 cr0 | 232 cr2 | 240 cr3 | 248 cr4 |
     *                         256 cr8 | 264 efer | 272 apic_base | 280 interrupt_bitmap[4]
     * </pre>
     */
    public static final class Sregs {
        /** Segment register offsets inside {@code kvm_sregs}. */
        public static final int CS = KvmAbi.SREGS_CS, DS = KvmAbi.SREGS_DS, ES = KvmAbi.SREGS_ES,
                FS = KvmAbi.SREGS_FS, GS = KvmAbi.SREGS_GS, SS = KvmAbi.SREGS_SS;
        final Memory mem = new Memory(KvmAbi.SIZEOF_SREGS);

        Sregs() {
            mem.clear();
        }

        /**
         * Sets one segment register's hidden descriptor cache.
         *
         * @param segment  {@link #CS}, {@link #DS}, ...
         * @param selector the selector
         * @param base     the base
         * @param limit    the limit in bytes (already scaled by granularity)
         * @param type     the descriptor type (e.g. 0xB execute/read accessed, 0x3 read/write accessed)
         * @param db       1 for a 32-bit segment
         * @param g        1 for 4 KiB granularity
         * @return this
         */
        public Sregs segment(int segment, int selector, long base, int limit, int type, int db, int g) {
            mem.setLong(segment + KvmAbi.SEG_BASE, base);
            mem.setInt(segment + KvmAbi.SEG_LIMIT, limit);
            mem.setShort(segment + KvmAbi.SEG_SELECTOR, (short) selector);
            mem.setByte(segment + KvmAbi.SEG_TYPE, (byte) type);
            mem.setByte(segment + KvmAbi.SEG_PRESENT, (byte) 1);
            mem.setByte(segment + KvmAbi.SEG_DPL, (byte) 0);
            mem.setByte(segment + KvmAbi.SEG_DB, (byte) db);
            mem.setByte(segment + KvmAbi.SEG_S, (byte) 1);
            mem.setByte(segment + KvmAbi.SEG_L, (byte) 0);
            mem.setByte(segment + KvmAbi.SEG_G, (byte) g);
            mem.setByte(segment + KvmAbi.SEG_AVL, (byte) 0);
            mem.setByte(segment + KvmAbi.SEG_UNUSABLE, (byte) 0);
            return this;
        }

        /**
         * {@return its selector}
         *
         * @param segment a segment offset
         */
        public int selector(int segment) {
            return mem.getShort(segment + KvmAbi.SEG_SELECTOR) & 0xFFFF;
        }

        /**
         * {@return this}
         *
         * @param base GDTR base
         * @param limit GDTR limit
         */
        public Sregs gdt(long base, int limit) {
            mem.setLong(KvmAbi.SREGS_GDT + KvmAbi.DT_BASE, base);
            mem.setShort(KvmAbi.SREGS_GDT + KvmAbi.DT_LIMIT, (short) limit);
            return this;
        }

        /**
         * {@return this}
         *
         * @param base IDTR base
         * @param limit IDTR limit
         */
        public Sregs idt(long base, int limit) {
            mem.setLong(KvmAbi.SREGS_IDT + KvmAbi.DT_BASE, base);
            mem.setShort(KvmAbi.SREGS_IDT + KvmAbi.DT_LIMIT, (short) limit);
            return this;
        }

        /** {@return cr0} */
        public long cr0() {
            return mem.getLong(KvmAbi.SREGS_CR0);
        }

        /**
         * {@return this}
         *
         * @param v cr0
         */
        public Sregs cr0(long v) {
            mem.setLong(KvmAbi.SREGS_CR0, v);
            return this;
        }

        /** {@return the APIC base MSR value} */
        public long apicBase() {
            return mem.getLong(KvmAbi.SREGS_APIC_BASE);
        }
    }
}
