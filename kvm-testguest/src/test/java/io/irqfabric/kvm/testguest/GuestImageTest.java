package io.irqfabric.kvm.testguest;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test guest's image: layout, IDT, config block, file output, and its encodings checked by objdump. */
class GuestImageTest {
    private static int u32(byte[] m, int at) {
        return (m[at] & 0xFF) | (m[at + 1] & 0xFF) << 8 | (m[at + 2] & 0xFF) << 16 | (m[at + 3] & 0xFF) << 24;
    }

    @Test
    void everyIdtGateLeadsToAStubThatLoadsItsVectorAndJumpsToTheRightHandler() {
        GuestImage g = GuestImage.standard();
        byte[] m = g.memoryImage();
        assertEquals(GuestImage.MEMORY_SIZE, m.length);
        List<Asm32.Line> listing = g.listing();
        int count = address(listing, "inc DWORD PTR [eax*4+0x4000]");
        int stop = address(listing, "out 0xf4,al");
        int fault = address(listing, "mov ds:0x3f08,eax");
        for (int v = 0; v < 256; v++) {
            int gate = GuestImage.IDT + 8 * v;
            int handler = (m[gate] & 0xFF) | (m[gate + 1] & 0xFF) << 8 | (m[gate + 6] & 0xFF) << 16 | (m[gate + 7] & 0xFF) << 24;
            assertEquals(GuestImage.CODE_SELECTOR, (m[gate + 2] & 0xFF) | (m[gate + 3] & 0xFF) << 8);
            assertEquals((byte) 0x8E, m[gate + 5], "32-bit interrupt gate, present, DPL 0");
            assertEquals((byte) 0xB8, m[handler], "stub starts with mov eax, imm32");
            assertEquals(v, u32(m, handler + 1), "stub loads its own vector");
            assertEquals((byte) 0xE9, m[handler + 5]);
            int target = handler + 10 + u32(m, handler + 6);
            int expected = v < 32 ? fault : v == GuestImage.STOP_VECTOR ? stop : count;
            assertEquals(expected, target, "vector " + v + " jumps to its handler");
        }
        // GDT: null, flat code, flat data.
        assertEquals(0, u32(m, GuestImage.GDT) | u32(m, GuestImage.GDT + 4));
        assertEquals(0x0000FFFF, u32(m, GuestImage.GDT + 8));
        assertEquals(0x00CF9B00, u32(m, GuestImage.GDT + 12));
        assertEquals(0x00CF9300, u32(m, GuestImage.GDT + 20));
    }

    private static int address(List<Asm32.Line> listing, String text) {
        return listing.stream().filter(l -> l.text().equals(text)).findFirst().orElseThrow().address();
    }

    @Test
    void ioapicEntriesAreWrittenToTheConfigBlock() {
        GuestImage g = GuestImage.withIoapicEntries(List.of(
                new GuestImage.IoapicEntry(20, 0x60, true), new GuestImage.IoapicEntry(3, 0x61, false)));
        byte[] m = g.memoryImage();
        assertEquals(2, u32(m, GuestImage.CONFIG_COUNT));
        assertEquals(0x10 + 40, u32(m, GuestImage.CONFIG_ENTRIES));
        assertEquals(0, u32(m, GuestImage.CONFIG_ENTRIES + 4));
        assertEquals(0x60 | 1 << 15, u32(m, GuestImage.CONFIG_ENTRIES + 8), "level, unmasked, vector 0x60");
        assertEquals(0x10 + 6, u32(m, GuestImage.CONFIG_ENTRIES + 12));
        assertEquals(0x61, u32(m, GuestImage.CONFIG_ENTRIES + 20), "edge, unmasked, vector 0x61");
        assertThrows(IllegalArgumentException.class, () -> new GuestImage.IoapicEntry(24, 0x60, false));
        assertThrows(IllegalArgumentException.class, () -> new GuestImage.IoapicEntry(1, GuestImage.STOP_VECTOR, false));
    }

    @Test
    void writeToWritesTheWholeMemoryImage(@TempDir Path dir) throws IOException {
        GuestImage g = GuestImage.standard();
        Path f = dir.resolve("guest.bin");
        g.writeTo(f);
        assertArrayEquals(g.memoryImage(), Files.readAllBytes(f));
        assertTrue(g.listingText().contains("sti"));
    }

    /**
     * The hand-written encodings decode, instruction by instruction, to the text written next to
     * them: objdump must find the same instruction boundaries, bytes and (for non-jumps) text.
     */
    @Test
    void objdumpDecodesEveryInstructionAsDocumented(@TempDir Path dir) throws IOException, InterruptedException {
        GuestImage g = GuestImage.withIoapicEntries(List.of(new GuestImage.IoapicEntry(20, 0x60, true)));
        assertObjdumpAgrees(g.code(), g.listing(), dir);
    }

    /** The differential test's probe guest, checked the same way. */
    @Test
    void objdumpDecodesTheIoapicProbeGuestAsDocumented(@TempDir Path dir) throws IOException, InterruptedException {
        Asm32 a = IoapicProbeGuest.code();
        byte[] code = a.assemble();
        assertObjdumpAgrees(code, a.listing(), dir);
    }

    /**
     * objdump must find the same instruction boundaries, bytes and (for non-jumps) text as the
     * listing; skipped, saying so, without binutils.
     */
    static void assertObjdumpAgrees(byte[] code, List<Asm32.Line> listing, Path dir) throws IOException, InterruptedException {
        Path bin = dir.resolve("code.bin");
        Files.write(bin, code);
        Process p;
        try {
            p = new ProcessBuilder("objdump", "-D", "-b", "binary", "-m", "i386", "-M", "intel",
                    "--adjust-vma=0x" + Integer.toHexString(GuestImage.ENTRY), "--insn-width=12", bin.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException noBinutils) {
            Assumptions.assumeTrue(false, "objdump check SKIPPED: binutils not installed: " + noBinutils.getMessage());
            return;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        List<String[]> decoded = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] cols = line.split("\t");
            if (cols.length == 3 && cols[0].trim().endsWith(":")) {
                decoded.add(new String[]{cols[0].trim().replace(":", ""), cols[1].trim(), cols[2].trim().replaceAll("\\s+", " ")});
            }
        }
        assertEquals(listing.size(), decoded.size(), "same number of instructions");
        for (int i = 0; i < listing.size(); i++) {
            Asm32.Line mine = listing.get(i);
            String[] theirs = decoded.get(i);
            assertEquals(mine.address(), Integer.parseInt(theirs[0], 16), "instruction " + i + " address");
            StringBuilder hex = new StringBuilder();
            for (byte b : mine.bytes()) {
                hex.append(hex.length() == 0 ? "" : " ").append(String.format("%02x", b & 0xFF));
            }
            assertEquals(hex.toString(), theirs[1], "bytes of " + mine.text());
            String myMnemonic = mine.text().split(" ")[0];
            String theirMnemonic = theirs[2].split(" ")[0];
            assertEquals(myMnemonic, theirMnemonic, "mnemonic at 0x" + Integer.toHexString(mine.address()));
            if (!myMnemonic.startsWith("j")) {
                assertEquals(mine.text(), theirs[2], "text at 0x" + Integer.toHexString(mine.address()));
            }
        }
    }
}
