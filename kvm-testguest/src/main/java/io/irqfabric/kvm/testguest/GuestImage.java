package io.irqfabric.kvm.testguest;

import io.irqfabric.kvm.GuestMemory;
import io.irqfabric.kvm.KvmVcpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The test guest: a few hundred bytes of hand-assembled 32-bit protected-mode x86 code that
 * enables its LAPIC, optionally programs IOAPIC redirection entries through MMIO, then waits
 * in {@code sti; hlt} and counts every interrupt per vector in its own memory, where the host
 * reads the counts.
 *
 * <h2>Why it looks like this</h2>
 * On this host KVM runs guest kernel code in its instruction emulator (PVM, no VMX), and the
 * emulator cannot execute {@code iret} in 32-bit protected mode. So a handler never returns:
 * it counts, writes 0 to the LAPIC EOI register, resets ESP (discarding the interrupt frame)
 * and jumps back to the loop head, which does {@code sti; hlt}. Waiting in {@code hlt} (not a
 * busy loop) lets KVM's halt polling wake the guest within microseconds.
 *
 * <h2>Guest physical memory layout (one slot, {@link #MEMORY_SIZE} bytes from GPA 0)</h2>
 * <pre>
 *  0x0000 +----------------------------------+
 *         | unused (zero)                    |
 *  0x1000 | GDT: 0x00 null, 0x08 code, 0x10  |  flat 4 GiB, 32-bit, DPL 0; GDTR limit 0x17
 *         |      data                        |
 *  0x2000 | IDT: 256 interrupt gates (8 B)   |  selector 0x08, type 0x8E; IDTR limit 0x7FF
 *  0x3000 | CONFIG (host-written):           |
 *         |   +0x00 u32 IOAPIC entry count n |
 *         |   +0x04 u32 flags (FLAG_EOI_KICK)|
 *         |   +0x10 n x {u32 index of the    |  index = 0x10 + 2*pin (IOAPIC register)
 *         |          low dword, u32 high,    |  written high dword first, then low
 *         |          u32 low}                |
 *  0x3F00 | STATUS (guest-written):          |
 *         |   +0x0 u32 READY_MAGIC when init |
 *         |        is done                   |
 *         |   +0x4 u32 IOAPIC version reg    |  as the guest read it (index 1)
 *         |   +0x8 u32 exception vector      |  when a CPU exception hit
 *  0x4000 | COUNTERS: u32[256], one per      |  incremented by the handler
 *         |   vector                         |
 *  0x8000 | CODE: entry (ENTRY), loop head,  |
 *         |   common handler, stop and fault |
 *         |   handlers, then 256 stubs of 10 |  mov eax, vector; jmp handler
 *         |   bytes                          |
 *  0xF000 | stack top (grows down)           |
 * 0x10000 +----------------------------------+
 * </pre>
 *
 * <h2>CPU state the host sets (KVM_SET_SREGS / KVM_SET_REGS)</h2>
 * CR0.PE = 1, no paging; CS = 0x08 (base 0, limit 0xFFFFFFFF, type 0xB, D = 1, G = 1);
 * DS = ES = FS = GS = SS = 0x10 (type 0x3, D = 1, G = 1); GDTR = {0x1000, 0x17};
 * IDTR = {0x2000, 0x7FF}; EIP = {@link #ENTRY}; ESP = {@link #STACK_TOP}; EFLAGS = 0x2.
 *
 * <h2>Vectors</h2>
 * 0-31 (CPU exceptions) store the vector at STATUS+8 and do {@code out 0xF5, al}: the host
 * sees KVM_EXIT_IO on {@link #FAULT_PORT} and stops. {@link #STOP_VECTOR} does
 * {@code out 0xF4, al} ({@link #STOP_PORT}) so the host can stop the vCPU thread by sending
 * that MSI. Every other vector (32-255) is counted.
 *
 * <p>{@link #writeTo(Path)} writes the whole {@link #MEMORY_SIZE}-byte memory image, so a
 * small C program can boot the same guest (load the file at GPA 0, set the registers above).
 */
public final class GuestImage {
    /** Guest memory size (one slot at GPA 0). */
    public static final int MEMORY_SIZE = 0x10000;
    /** GDT base. */
    public static final int GDT = 0x1000;
    /** GDT limit (3 descriptors). */
    public static final int GDT_LIMIT = 3 * 8 - 1;
    /** Code segment selector. */
    public static final int CODE_SELECTOR = 0x08;
    /** Data segment selector. */
    public static final int DATA_SELECTOR = 0x10;
    /** IDT base. */
    public static final int IDT = 0x2000;
    /** IDT limit (256 gates). */
    public static final int IDT_LIMIT = 256 * 8 - 1;
    /** Config block: u32 IOAPIC entry count. */
    public static final int CONFIG_COUNT = 0x3000;
    /** Config block: u32 flags ({@link #FLAG_EOI_KICK}); the host may change them while the guest runs. */
    public static final int CONFIG_FLAGS = 0x3004;
    /**
     * Flag: after each EOI the handler does {@code out 0xF6, al} ({@link #EOI_KICK_PORT}). On
     * this PVM host the guest's EOI write runs in KVM's instruction emulator and the
     * KVM_EXIT_IOAPIC_EOI it raises is only delivered at the vCPU's next entry; the guest then
     * halts, so without a kick the EOI exit waits for the next interrupt. The kick's I/O exit
     * makes the vCPU re-enter at once and KVM delivers the EOI exit. Needed in split-irqchip
     * mode only ({@link KvmGuestVm} sets it there).
     */
    public static final int FLAG_EOI_KICK = 1;
    /** Config block: IOAPIC entries, 12 bytes each. */
    public static final int CONFIG_ENTRIES = 0x3010;
    /** At most this many IOAPIC entries in the config block. */
    public static final int MAX_IOAPIC_ENTRIES = 24;
    /** Status: READY_MAGIC once initialisation finished. */
    public static final int STATUS_READY = 0x3F00;
    /** Status: the IOAPIC version register as the guest read it. */
    public static final int STATUS_IOAPIC_VERSION = 0x3F04;
    /** Status: the CPU exception vector, if one hit. */
    public static final int STATUS_FAULT_VECTOR = 0x3F08;
    /** The value at {@link #STATUS_READY} once the guest is ready for interrupts. */
    public static final int READY_MAGIC = 0x52454459;
    /** Per-vector interrupt counters, u32[256]. */
    public static final int COUNTERS = 0x4000;
    /** Code origin and entry point. */
    public static final int ENTRY = 0x8000;
    /** Initial and per-interrupt stack pointer. */
    public static final int STACK_TOP = 0xF000;
    /** The vector whose handler exits to the host through {@link #STOP_PORT}. */
    public static final int STOP_VECTOR = 0xFE;
    /** The LAPIC spurious-interrupt vector the guest programs. */
    public static final int SPURIOUS_VECTOR = 0xFF;
    /** I/O port the stop handler writes. */
    public static final int STOP_PORT = 0xF4;
    /** I/O port the exception handler writes. */
    public static final int FAULT_PORT = 0xF5;
    /** I/O port the handler writes after EOI when {@link #FLAG_EOI_KICK} is set. */
    public static final int EOI_KICK_PORT = 0xF6;

    /** LAPIC registers (xAPIC MMIO, default base 0xFEE00000). */
    public static final long LAPIC_BASE = 0xFEE0_0000L;
    static final long LAPIC_TPR = LAPIC_BASE + 0x80;
    static final long LAPIC_EOI = LAPIC_BASE + 0xB0;
    static final long LAPIC_SVR = LAPIC_BASE + 0xF0;
    static final long LAPIC_LVT_LINT0 = LAPIC_BASE + 0x350;
    /** IOAPIC registers (MMIO, default base 0xFEC00000): IOREGSEL at +0, IOWIN at +0x10. */
    public static final long IOAPIC_BASE = 0xFEC0_0000L;
    static final long IOAPIC_IOREGSEL = IOAPIC_BASE;
    static final long IOAPIC_IOWIN = IOAPIC_BASE + 0x10;

    /**
     * One IOAPIC redirection entry the guest programs at boot: pin to vector, fixed delivery,
     * physical destination LAPIC 0, active high, unmasked.
     *
     * @param pin            IOAPIC pin 0-23
     * @param vector         vector 32-255
     * @param levelTriggered level (true) or edge (false) trigger mode
     */
    public record IoapicEntry(int pin, int vector, boolean levelTriggered) {
        /**
         * Validates the entry.
         *
         * @param pin            IOAPIC pin 0-23
         * @param vector         vector 32-253
         * @param levelTriggered level (true) or edge (false) trigger mode
         */
        public IoapicEntry {
            if (pin < 0 || pin >= MAX_IOAPIC_ENTRIES) {
                throw new IllegalArgumentException("IOAPIC pin must be 0..23, was " + pin);
            }
            if (vector < 32 || vector > 255 || vector == STOP_VECTOR || vector == SPURIOUS_VECTOR) {
                throw new IllegalArgumentException("vector must be 32..253, was " + vector);
            }
        }

        /** {@return the redirection entry's low dword (vector, trigger mode; unmasked)} */
        public int lowDword() {
            return vector | (levelTriggered ? 1 << 15 : 0);
        }

        /** {@return the redirection entry's high dword (destination APIC id 0)} */
        public int highDword() {
            return 0;
        }
    }

    private final byte[] memory;
    private final List<Asm32.Line> listing;
    private final int codeEnd;
    private final List<IoapicEntry> ioapicEntries;

    private GuestImage(List<IoapicEntry> entries) {
        if (entries.size() > MAX_IOAPIC_ENTRIES) {
            throw new IllegalArgumentException("at most " + MAX_IOAPIC_ENTRIES + " IOAPIC entries");
        }
        this.ioapicEntries = List.copyOf(entries);
        Asm32 a = assembleCode();
        byte[] code = a.assemble();
        this.listing = a.listing();
        this.codeEnd = ENTRY + code.length;
        if (codeEnd > STACK_TOP - 0x1000) {
            throw new IllegalStateException("guest code overflows into the stack area");
        }
        byte[] m = new byte[MEMORY_SIZE];
        System.arraycopy(code, 0, m, ENTRY, code.length);
        writeGdt(m);
        for (int v = 0; v < 256; v++) {
            writeGate(m, v, a.address("stub" + v));
        }
        putInt(m, CONFIG_COUNT, entries.size());
        for (int i = 0; i < entries.size(); i++) {
            IoapicEntry e = entries.get(i);
            int at = CONFIG_ENTRIES + 12 * i;
            putInt(m, at, 0x10 + 2 * e.pin());
            putInt(m, at + 4, e.highDword());
            putInt(m, at + 8, e.lowDword());
        }
        this.memory = m;
    }

    /** {@return the guest with no IOAPIC programming (MSI-only tests, the storm)} */
    public static GuestImage standard() {
        return new GuestImage(List.of());
    }

    /**
     * {@return the guest}
     *
     * @param entries IOAPIC redirection entries the guest programs through MMIO at boot
     */
    public static GuestImage withIoapicEntries(List<IoapicEntry> entries) {
        return new GuestImage(new ArrayList<>(entries));
    }

    /** {@return the IOAPIC entries this image programs} */
    public List<IoapicEntry> ioapicEntries() {
        return ioapicEntries;
    }

    /** {@return a copy of the whole memory image ({@link #MEMORY_SIZE} bytes, loaded at GPA 0)} */
    public byte[] memoryImage() {
        return memory.clone();
    }

    /** {@return the code bytes from {@link #ENTRY}} */
    public byte[] code() {
        return java.util.Arrays.copyOfRange(memory, ENTRY, codeEnd);
    }

    /** {@return the code listing: one line per instruction, "address: bytes  text"} */
    public String listingText() {
        StringBuilder sb = new StringBuilder();
        for (Asm32.Line l : listing) {
            sb.append(String.format("%08x: ", l.address()));
            StringBuilder hex = new StringBuilder();
            for (byte b : l.bytes()) {
                hex.append(String.format("%02x ", b & 0xFF));
            }
            sb.append(String.format("%-33s %s%n", hex, l.text()));
        }
        return sb.toString();
    }

    List<Asm32.Line> listing() {
        return listing;
    }

    /**
     * Copies the image into guest memory at offset 0.
     *
     * @param mem guest memory of at least {@link #MEMORY_SIZE} bytes
     */
    public void loadInto(GuestMemory mem) {
        if (mem.size() < MEMORY_SIZE) {
            throw new IllegalArgumentException("guest memory too small: " + mem.size() + " < " + MEMORY_SIZE);
        }
        mem.putBytes(0, memory);
    }

    /**
     * Writes the whole memory image (for the benchmarks' C floor program).
     *
     * @param file the file to (over)write
     * @throws IOException if writing fails
     */
    public void writeTo(Path file) throws IOException {
        Files.write(file, memory);
    }

    /**
     * Loads the CPU state described in the class comment into a fresh vCPU.
     *
     * @param vcpu the vCPU, before its first run
     */
    public static void setUpCpu(KvmVcpu vcpu) {
        KvmVcpu.Sregs s = vcpu.getSregs();
        s.segment(KvmVcpu.Sregs.CS, CODE_SELECTOR, 0, 0xFFFF_FFFF, 0xB, 1, 1);
        for (int seg : new int[]{KvmVcpu.Sregs.DS, KvmVcpu.Sregs.ES, KvmVcpu.Sregs.FS, KvmVcpu.Sregs.GS, KvmVcpu.Sregs.SS}) {
            s.segment(seg, DATA_SELECTOR, 0, 0xFFFF_FFFF, 0x3, 1, 1);
        }
        s.gdt(GDT, GDT_LIMIT);
        s.idt(IDT, IDT_LIMIT);
        s.cr0(s.cr0() | 1L); // CR0.PE
        vcpu.setSregs(s);
        vcpu.setRegs(new KvmVcpu.Regs().rip(ENTRY).rsp(STACK_TOP).rflags(0x2));
    }

    /**
     * {@return true once the guest finished initialisation}
     *
     * @param mem the running guest's memory
     */
    public static boolean isReady(GuestMemory mem) {
        return mem.getInt(STATUS_READY) == READY_MAGIC;
    }

    /**
     * {@return how many interrupts on {@code vector} the guest has handled (u32, as unsigned)}
     *
     * @param mem    the guest's memory
     * @param vector the vector
     */
    public static long handled(GuestMemory mem, int vector) {
        return mem.getInt(COUNTERS + 4L * vector) & 0xFFFF_FFFFL;
    }

    // ---- the code --------------------------------------------------------------------------

    private static Asm32 assembleCode() {
        Asm32 a = new Asm32(ENTRY);
        a.label("entry");
        // C7 05 disp32 imm32: LAPIC spurious-vector register = 0x1FF: bit 8 software-enables
        // the LAPIC, low byte is the spurious vector 0xFF.
        a.ins("mov DWORD PTR ds:0xfee000f0,0x1ff", 0xC7, 0x05).imm32(LAPIC_SVR).imm32(0x100 | SPURIOUS_VECTOR);
        // C7 05 disp32 imm32: TPR = 0, accept every priority class.
        a.ins("mov DWORD PTR ds:0xfee00080,0x0", 0xC7, 0x05).imm32(LAPIC_TPR).imm32(0);
        // C7 05 disp32 imm32: LVT LINT0 = masked (bit 16): no ExtINT from the (unused) PIC.
        a.ins("mov DWORD PTR ds:0xfee00350,0x10000", 0xC7, 0x05).imm32(LAPIC_LVT_LINT0).imm32(0x1_0000);
        // C7 05 disp32 imm32: IOREGSEL = 1 (the IOAPIC version register).
        a.ins("mov DWORD PTR ds:0xfec00000,0x1", 0xC7, 0x05).imm32(IOAPIC_IOREGSEL).imm32(1);
        // A1 moffs32: eax = IOWIN (the version register's value).
        a.ins("mov eax,ds:0xfec00010", 0xA1).imm32(IOAPIC_IOWIN);
        // A3 moffs32: STATUS_IOAPIC_VERSION = eax.
        a.ins("mov ds:0x3f04,eax", 0xA3).imm32(STATUS_IOAPIC_VERSION);
        // BE imm32: esi = address of the first config entry.
        a.ins("mov esi,0x3010", 0xBE).imm32(CONFIG_ENTRIES);
        // 8B 0D disp32 (ModRM 00 001 101: ecx, [disp32]): ecx = entry count.
        a.ins("mov ecx,DWORD PTR ds:0x3000", 0x8B, 0x0D).imm32(CONFIG_COUNT);
        // 85 C9 (ModRM 11 001 001): test ecx, ecx.
        a.ins("test ecx,ecx", 0x85, 0xC9);
        // 74 rel8: no entries -> done.
        a.ins("je done", 0x74).rel8("done");
        a.label("program_entry");
        // 8B 06 (ModRM 00 000 110: eax, [esi]): eax = register index of the low dword.
        a.ins("mov eax,DWORD PTR [esi]", 0x8B, 0x06);
        // 40: inc eax -> index of the high dword.
        a.ins("inc eax", 0x40);
        // A3 moffs32: IOREGSEL = high-dword index.
        a.ins("mov ds:0xfec00000,eax", 0xA3).imm32(IOAPIC_IOREGSEL);
        // 8B 56 04 (ModRM 01 010 110: edx, [esi+disp8]): edx = high dword.
        a.ins("mov edx,DWORD PTR [esi+0x4]", 0x8B, 0x56).imm8(4);
        // 89 15 disp32 (ModRM 00 010 101: [disp32], edx): IOWIN = high dword.
        a.ins("mov DWORD PTR ds:0xfec00010,edx", 0x89, 0x15).imm32(IOAPIC_IOWIN);
        // 48: dec eax -> index of the low dword.
        a.ins("dec eax", 0x48);
        // A3 moffs32: IOREGSEL = low-dword index.
        a.ins("mov ds:0xfec00000,eax", 0xA3).imm32(IOAPIC_IOREGSEL);
        // 8B 56 08: edx = low dword (vector, trigger mode, mask bit clear).
        a.ins("mov edx,DWORD PTR [esi+0x8]", 0x8B, 0x56).imm8(8);
        // 89 15 disp32: IOWIN = low dword (this write unmasks the pin).
        a.ins("mov DWORD PTR ds:0xfec00010,edx", 0x89, 0x15).imm32(IOAPIC_IOWIN);
        // 83 C6 0C (ModRM 11 000 110: add esi, imm8): next entry.
        a.ins("add esi,0xc", 0x83, 0xC6).imm8(12);
        // 49: dec ecx.
        a.ins("dec ecx", 0x49);
        // 75 rel8: more entries -> program_entry.
        a.ins("jne program_entry", 0x75).rel8("program_entry");
        a.label("done");
        // C7 05 disp32 imm32: STATUS_READY = READY_MAGIC.
        a.ins("mov DWORD PTR ds:0x3f00,0x52454459", 0xC7, 0x05).imm32(STATUS_READY).imm32(READY_MAGIC);
        a.label("loop_head");
        // FB: sti (takes effect after the next instruction, so no interrupt slips in before hlt).
        a.ins("sti", 0xFB);
        // F4: hlt until an interrupt.
        a.ins("hlt", 0xF4);
        // EB rel8: a wake-up without an interrupt (none expected) waits again.
        a.ins("jmp loop_head", 0xEB).rel8("loop_head");

        a.label("count");
        // Common handler, eax = vector. FF 04 85 disp32 (ModRM 00 000 100 + SIB 10 000 101:
        // inc DWORD [disp32 + eax*4]): COUNTERS[vector]++.
        a.ins("inc DWORD PTR [eax*4+0x4000]", 0xFF, 0x04, 0x85).imm32(COUNTERS);
        // C7 05 disp32 imm32: LAPIC EOI = 0 (for a level vector this also EOIs the IOAPIC).
        a.ins("mov DWORD PTR ds:0xfee000b0,0x0", 0xC7, 0x05).imm32(LAPIC_EOI).imm32(0);
        // F6 05 disp32 imm8 (ModRM 00 000 101: test BYTE [disp32], imm8): FLAG_EOI_KICK set?
        a.ins("test BYTE PTR ds:0x3004,0x1", 0xF6, 0x05).imm32(CONFIG_FLAGS).imm8(FLAG_EOI_KICK);
        // 74 rel8: no -> skip the kick.
        a.ins("je no_kick", 0x74).rel8("no_kick");
        // E6 ib: out EOI_KICK_PORT, al -> I/O exit; re-entry delivers a pending EOI exit.
        a.ins("out 0xf6,al", 0xE6).imm8(EOI_KICK_PORT);
        a.label("no_kick");
        // BC imm32: esp = STACK_TOP, discarding the interrupt frame (no iret: see class doc).
        a.ins("mov esp,0xf000", 0xBC).imm32(STACK_TOP);
        // EB rel8: back to sti; hlt.
        a.ins("jmp loop_head", 0xEB).rel8("loop_head");

        a.label("stop");
        // E6 ib: out STOP_PORT, al -> KVM_EXIT_IO; the host stops running the vCPU.
        a.ins("out 0xf4,al", 0xE6).imm8(STOP_PORT);
        // EB rel8: if the host resumes anyway, count the stop vector like any other.
        a.ins("jmp count", 0xEB).rel8("count");

        a.label("fault");
        // A3 moffs32: STATUS_FAULT_VECTOR = eax (the exception vector).
        a.ins("mov ds:0x3f08,eax", 0xA3).imm32(STATUS_FAULT_VECTOR);
        // E6 ib: out FAULT_PORT, al -> KVM_EXIT_IO; the host records the fault and stops.
        a.ins("out 0xf5,al", 0xE6).imm8(FAULT_PORT);
        a.label("fault_hang");
        // FA: cli.
        a.ins("cli", 0xFA);
        // F4: hlt (never resumed by the host).
        a.ins("hlt", 0xF4);
        // EB rel8: stay here.
        a.ins("jmp fault_hang", 0xEB).rel8("fault_hang");

        for (int v = 0; v < 256; v++) {
            a.label("stub" + v);
            // B8 imm32: eax = vector.
            a.ins("mov eax," + hex(v), 0xB8).imm32(v);
            // E9 rel32: to the handler for this kind of vector.
            String target = v < 32 ? "fault" : v == STOP_VECTOR ? "stop" : "count";
            a.ins("jmp " + target, 0xE9).rel32(target);
        }
        return a;
    }

    private static String hex(int v) {
        return "0x" + Integer.toHexString(v);
    }

    private static void writeGdt(byte[] m) {
        // Descriptor: limit[15:0], base[15:0], base[23:16], access, flags|limit[19:16], base[31:24].
        // 0x08: code, access 0x9B (present, DPL 0, code, execute/read, accessed), flags 0xC (G, D).
        byte[] code = {(byte) 0xFF, (byte) 0xFF, 0, 0, 0, (byte) 0x9B, (byte) 0xCF, 0};
        // 0x10: data, access 0x93 (present, DPL 0, data, read/write, accessed), flags 0xC.
        byte[] data = {(byte) 0xFF, (byte) 0xFF, 0, 0, 0, (byte) 0x93, (byte) 0xCF, 0};
        System.arraycopy(code, 0, m, GDT + CODE_SELECTOR, 8);
        System.arraycopy(data, 0, m, GDT + DATA_SELECTOR, 8);
    }

    private static void writeGate(byte[] m, int vector, int handler) {
        // 32-bit interrupt gate: offset[15:0], selector, 0, type 0x8E (present, DPL 0,
        // interrupt gate: IF cleared on entry), offset[31:16].
        int at = IDT + 8 * vector;
        m[at] = (byte) handler;
        m[at + 1] = (byte) (handler >>> 8);
        m[at + 2] = (byte) CODE_SELECTOR;
        m[at + 3] = 0;
        m[at + 4] = 0;
        m[at + 5] = (byte) 0x8E;
        m[at + 6] = (byte) (handler >>> 16);
        m[at + 7] = (byte) (handler >>> 24);
    }

    private static void putInt(byte[] m, int at, int v) {
        for (int i = 0; i < 4; i++) {
            m[at + i] = (byte) (v >>> (8 * i));
        }
    }
}
