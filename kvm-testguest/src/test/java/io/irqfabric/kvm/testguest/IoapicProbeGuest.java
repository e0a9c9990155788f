package io.irqfabric.kvm.testguest;

/**
 * A remote-controlled 32-bit guest for the IOAPIC differential test: the host decides every
 * step. The guest asks for its next command with an I/O exit, performs it (an IOAPIC register
 * write or read through MMIO at 0xFEC00000, or a "drain": take interrupts until the host's
 * marker interrupt arrives), and asks again. Every interrupt it takes is appended to a log in
 * its memory; the handler does an I/O exit (an EOI exit pending from the interrupt's delivery
 * is delivered on its re-entry: see docs/kvm-backend.md on PVM's early EOI), reports the vector
 * to the host ("device ISR", an I/O exit before the EOI, so the host's device model can lower
 * its line the way a driver's ISR acknowledges its device), then writes the LAPIC EOI and does
 * one more I/O exit (so an EOI exit of a split irqchip is delivered at once; see
 * {@link GuestImage#FLAG_EOI_KICK}). Interrupts are enabled only while
 * draining ({@code sti; hlt}), so what the guest observes depends only on the order of host
 * steps, not on timing. Like {@link GuestImage} the handler never {@code iret}s.
 *
 * <pre>
 *  0x1000 GDT, 0x2000 IDT         as GuestImage (the same CPU set-up: GuestImage.setUpCpu)
 *  0x3000 COMMAND  +0x0 u32 op    1 write: IOREGSEL = arg1, IOWIN = arg2
 *                                 2 read:  IOREGSEL = arg1, RESULT = IOWIN
 *                                 3 drain: sti; hlt until DRAIN_DONE is set
 *                                 4 stop:  out STOP_PORT forever
 *                                 else: ask again
 *                  +0x4 u32 arg1  +0x8 u32 arg2  +0xC u32 RESULT
 *                  +0x10 u32 DRAIN_DONE (host-written at the marker's ISR exit)
 *                  +0x14 u32 LOG_COUNT  (guest-incremented, host-reset)
 *  0x3F08 u32 exception vector
 *  0x4000 LOG: u32 vectors, in the order taken
 *  0x8000 code
 * </pre>
 */
final class IoapicProbeGuest {
    static final int COMMAND = 0x3000;
    static final int ARG1 = 0x3004;
    static final int ARG2 = 0x3008;
    static final int RESULT = 0x300C;
    static final int DRAIN_DONE = 0x3010;
    static final int LOG_COUNT = 0x3014;
    static final int LOG = 0x4000;
    static final int MAX_LOG = (GuestImage.ENTRY - LOG) / 4;
    static final int OP_WRITE = 1;
    static final int OP_READ = 2;
    static final int OP_DRAIN = 3;
    static final int OP_STOP = 4;
    /** I/O port: "give me the next command". */
    static final int COMMAND_PORT = 0xF7;
    /** I/O port: the ISR of the last logged vector runs (before its EOI). */
    static final int ISR_PORT = 0xF8;

    private IoapicProbeGuest() {
    }

    /** @return the memory image, {@link GuestImage#MEMORY_SIZE} bytes loaded at GPA 0 */
    static byte[] image() {
        Asm32 a = code();
        byte[] code = a.assemble();
        byte[] m = new byte[GuestImage.MEMORY_SIZE];
        System.arraycopy(code, 0, m, GuestImage.ENTRY, code.length);
        // GDT (as GuestImage): null, flat code 0x08 (access 0x9B, G and D), flat data 0x10 (0x93).
        byte[] gdtCode = {(byte) 0xFF, (byte) 0xFF, 0, 0, 0, (byte) 0x9B, (byte) 0xCF, 0};
        byte[] gdtData = {(byte) 0xFF, (byte) 0xFF, 0, 0, 0, (byte) 0x93, (byte) 0xCF, 0};
        System.arraycopy(gdtCode, 0, m, GuestImage.GDT + GuestImage.CODE_SELECTOR, 8);
        System.arraycopy(gdtData, 0, m, GuestImage.GDT + GuestImage.DATA_SELECTOR, 8);
        for (int v = 0; v < 256; v++) {
            int handler = a.address("stub" + v);
            int at = GuestImage.IDT + 8 * v; // 32-bit interrupt gate, selector 0x08, type 0x8E
            m[at] = (byte) handler;
            m[at + 1] = (byte) (handler >>> 8);
            m[at + 2] = (byte) GuestImage.CODE_SELECTOR;
            m[at + 5] = (byte) 0x8E;
            m[at + 6] = (byte) (handler >>> 16);
            m[at + 7] = (byte) (handler >>> 24);
        }
        return m;
    }

    static Asm32 code() {
        Asm32 a = new Asm32(GuestImage.ENTRY);
        // LAPIC: software-enable with spurious vector 0xFF, TPR 0, LINT0 masked (as GuestImage).
        a.ins("mov DWORD PTR ds:0xfee000f0,0x1ff", 0xC7, 0x05).imm32(GuestImage.LAPIC_SVR).imm32(0x1FF);
        a.ins("mov DWORD PTR ds:0xfee00080,0x0", 0xC7, 0x05).imm32(GuestImage.LAPIC_TPR).imm32(0);
        a.ins("mov DWORD PTR ds:0xfee00350,0x10000", 0xC7, 0x05).imm32(GuestImage.LAPIC_LVT_LINT0).imm32(0x1_0000);
        a.label("command");
        // E6 ib: out COMMAND_PORT, al -> the host writes the next command.
        a.ins("out 0xf7,al", 0xE6).imm8(COMMAND_PORT);
        // A1 moffs32: eax = op.
        a.ins("mov eax,ds:0x3000", 0xA1).imm32(COMMAND);
        // 83 /7 ib (ModRM 11 111 000): cmp eax, imm8; 74 rel8: je.
        a.ins("cmp eax,0x1", 0x83, 0xF8).imm8(OP_WRITE);
        a.ins("je op_write", 0x74).rel8("op_write");
        a.ins("cmp eax,0x2", 0x83, 0xF8).imm8(OP_READ);
        a.ins("je op_read", 0x74).rel8("op_read");
        a.ins("cmp eax,0x3", 0x83, 0xF8).imm8(OP_DRAIN);
        a.ins("je op_drain", 0x74).rel8("op_drain");
        a.ins("cmp eax,0x4", 0x83, 0xF8).imm8(OP_STOP);
        a.ins("je op_stop", 0x74).rel8("op_stop");
        a.ins("jmp command", 0xEB).rel8("command");

        a.label("op_write");
        a.ins("mov eax,ds:0x3004", 0xA1).imm32(ARG1);
        // A3 moffs32: IOREGSEL = eax.
        a.ins("mov ds:0xfec00000,eax", 0xA3).imm32(GuestImage.IOAPIC_IOREGSEL);
        a.ins("mov eax,ds:0x3008", 0xA1).imm32(ARG2);
        a.ins("mov ds:0xfec00010,eax", 0xA3).imm32(GuestImage.IOAPIC_IOWIN);
        a.ins("jmp command", 0xEB).rel8("command");

        a.label("op_read");
        a.ins("mov eax,ds:0x3004", 0xA1).imm32(ARG1);
        a.ins("mov ds:0xfec00000,eax", 0xA3).imm32(GuestImage.IOAPIC_IOREGSEL);
        a.ins("mov eax,ds:0xfec00010", 0xA1).imm32(GuestImage.IOAPIC_IOWIN);
        a.ins("mov ds:0x300c,eax", 0xA3).imm32(RESULT);
        a.ins("jmp command", 0xEB).rel8("command");

        a.label("op_drain");
        // C7 05 disp32 imm32: DRAIN_DONE = 0.
        a.ins("mov DWORD PTR ds:0x3010,0x0", 0xC7, 0x05).imm32(DRAIN_DONE).imm32(0);
        a.label("drain_loop");
        // FB F4: sti; hlt (sti's shadow covers hlt: no interrupt slips in between).
        a.ins("sti", 0xFB);
        a.ins("hlt", 0xF4);
        a.label("drain_check");
        // 83 /7 ib (ModRM 00 111 101 + disp32): cmp DWORD PTR [DRAIN_DONE], 0.
        a.ins("cmp DWORD PTR ds:0x3010,0x0", 0x83, 0x3D).imm32(DRAIN_DONE).imm8(0);
        a.ins("je drain_loop", 0x74).rel8("drain_loop");
        a.ins("jmp command", 0xEB).rel8("command");

        a.label("op_stop");
        a.ins("out 0xf4,al", 0xE6).imm8(GuestImage.STOP_PORT);
        a.ins("jmp op_stop", 0xEB).rel8("op_stop");

        a.label("isr");
        // eax = vector. 8B 0D disp32 (ModRM 00 001 101): ecx = LOG_COUNT.
        a.ins("mov ecx,DWORD PTR ds:0x3014", 0x8B, 0x0D).imm32(LOG_COUNT);
        // 89 04 8D disp32 (ModRM 00 000 100, SIB 10 001 101): LOG[ecx] = eax.
        a.ins("mov DWORD PTR [ecx*4+0x4000],eax", 0x89, 0x04, 0x8D).imm32(LOG);
        // 41: inc ecx; 89 0D disp32: LOG_COUNT = ecx.
        a.ins("inc ecx", 0x41);
        a.ins("mov DWORD PTR ds:0x3014,ecx", 0x89, 0x0D).imm32(LOG_COUNT);
        // E6 ib: out EOI_KICK_PORT, al: a first exit, before the device is serviced. On a PVM host
        // the LAPIC has already EOIed the vector when the handler starts (its ISR bit is clear);
        // the in-kernel IOAPIC handled that EOI at once, and a split irqchip's EOI exit comes on
        // this exit's re-entry, so both irqchips see the EOI before the device is serviced.
        a.ins("out 0xf6,al", 0xE6).imm8(GuestImage.EOI_KICK_PORT);
        // E6 ib: out ISR_PORT, al -> the host's device model services the device.
        a.ins("out 0xf8,al", 0xE6).imm8(ISR_PORT);
        // C7 05 disp32 imm32: LAPIC EOI = 0.
        a.ins("mov DWORD PTR ds:0xfee000b0,0x0", 0xC7, 0x05).imm32(GuestImage.LAPIC_EOI).imm32(0);
        // E6 ib: out EOI_KICK_PORT, al -> re-entry delivers a pending EOI exit (split irqchip).
        a.ins("out 0xf6,al", 0xE6).imm8(GuestImage.EOI_KICK_PORT);
        // BC imm32: esp = STACK_TOP (discard the frame; no iret). IF stays clear.
        a.ins("mov esp,0xf000", 0xBC).imm32(GuestImage.STACK_TOP);
        a.ins("jmp drain_check", 0xEB).rel8("drain_check");

        a.label("fault");
        a.ins("mov ds:0x3f08,eax", 0xA3).imm32(GuestImage.STATUS_FAULT_VECTOR);
        a.ins("out 0xf5,al", 0xE6).imm8(GuestImage.FAULT_PORT);
        a.label("fault_hang");
        a.ins("cli", 0xFA);
        a.ins("hlt", 0xF4);
        a.ins("jmp fault_hang", 0xEB).rel8("fault_hang");

        for (int v = 0; v < 256; v++) {
            a.label("stub" + v);
            a.ins("mov eax,0x" + Integer.toHexString(v), 0xB8).imm32(v);
            String target = v < 32 ? "fault" : "isr";
            a.ins("jmp " + target, 0xE9).rel32(target);
        }
        return a;
    }
}
