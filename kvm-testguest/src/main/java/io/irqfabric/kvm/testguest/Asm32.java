package io.irqfabric.kvm.testguest;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal emitter for hand-assembled 32-bit x86 code: the caller gives every instruction's
 * bytes and its text; this class only concatenates them, resolves jump labels and keeps a
 * listing (address, bytes, text) for documentation and for {@code GuestImageTest}, which
 * checks the listing against {@code objdump} when binutils is installed. It is not an
 * assembler: it knows no encodings.
 */
final class Asm32 {
    /** One listing line: an instruction's address, its bytes and its text. */
    record Line(int address, byte[] bytes, String text) {
    }

    private record Fixup(int position, int width, String label, int nextAddress) {
    }

    private final int origin;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Map<String, Integer> labels = new HashMap<>();
    private final List<Fixup> fixups = new ArrayList<>();
    private final List<int[]> lineSpans = new ArrayList<>();
    private final List<String> lineTexts = new ArrayList<>();
    private byte[] code;

    Asm32(int origin) {
        this.origin = origin;
    }

    /** {@return the address the next byte gets} */
    int here() {
        return origin + out.size();
    }

    /** Defines {@code name} at the current address. */
    Asm32 label(String name) {
        if (labels.putIfAbsent(name, here()) != null) {
            throw new IllegalStateException("label defined twice: " + name);
        }
        return this;
    }

    /** Starts an instruction with its opcode/ModRM bytes and its assembly text. */
    Asm32 ins(String text, int... opcodeBytes) {
        closeLine();
        lineSpans.add(new int[]{out.size(), -1});
        lineTexts.add(text);
        for (int b : opcodeBytes) {
            out.write(b);
        }
        return this;
    }

    /** Appends an 8-bit immediate or displacement. */
    Asm32 imm8(int v) {
        out.write(v);
        return this;
    }

    /** Appends a 32-bit little-endian immediate, displacement or absolute address. */
    Asm32 imm32(long v) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    /** Appends an 8-bit displacement to {@code label}, relative to the end of this instruction. */
    Asm32 rel8(String label) {
        fixups.add(new Fixup(out.size(), 1, label, here() + 1));
        out.write(0);
        return this;
    }

    /** Appends a 32-bit displacement to {@code label}, relative to the end of this instruction. */
    Asm32 rel32(String label) {
        fixups.add(new Fixup(out.size(), 4, label, here() + 4));
        imm32(0);
        return this;
    }

    private void closeLine() {
        if (!lineSpans.isEmpty() && lineSpans.get(lineSpans.size() - 1)[1] < 0) {
            lineSpans.get(lineSpans.size() - 1)[1] = out.size();
        }
    }

    /** Resolves labels; after this the code is fixed. */
    byte[] assemble() {
        closeLine();
        byte[] b = out.toByteArray();
        for (Fixup f : fixups) {
            Integer target = labels.get(f.label);
            if (target == null) {
                throw new IllegalStateException("undefined label " + f.label);
            }
            int rel = target - f.nextAddress;
            if (f.width == 1) {
                if (rel < -128 || rel > 127) {
                    throw new IllegalStateException("rel8 to " + f.label + " out of range: " + rel);
                }
                b[f.position] = (byte) rel;
            } else {
                for (int i = 0; i < 4; i++) {
                    b[f.position + i] = (byte) (rel >>> (8 * i));
                }
            }
        }
        code = b;
        return b.clone();
    }

    /** {@return the address of {@code name}} */
    int address(String name) {
        Integer a = labels.get(name);
        if (a == null) {
            throw new IllegalStateException("undefined label " + name);
        }
        return a;
    }

    /** {@return the listing; valid after {@link #assemble()}} */
    List<Line> listing() {
        List<Line> l = new ArrayList<>(lineSpans.size());
        for (int i = 0; i < lineSpans.size(); i++) {
            int[] s = lineSpans.get(i);
            byte[] bytes = java.util.Arrays.copyOfRange(code, s[0], s[1]);
            l.add(new Line(origin + s[0], bytes, lineTexts.get(i)));
        }
        return l;
    }
}
