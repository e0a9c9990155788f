package io.irqfabric.snapshot;

import io.irqfabric.testing.ControllerFixture;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every malformed snapshot is refused with its {@link SnapshotFormatException.Reason}, and the
 * target fabric is untouched: its own snapshot is the same before and after, and nothing was
 * delivered.
 */
class SnapshotFormatTest {
    /** A snapshot with state in every section and a pending bit. */
    private static byte[] sample() {
        try (SnapshotRig rig = new SnapshotRig()) {
            rig.randomize(99L, 300);
            rig.tableA.writeMessageControl(0); // disabled: everything masked
            rig.tableA.trigger(3);              // a pending bit
            return rig.f.fabric.snapshot();
        }
    }

    private static byte[] withCrc(byte[] b) {
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length - 4, (int) crc.getValue());
        return b;
    }

    private static byte[] edit(byte[] s, UnaryOperator<ByteBuffer> change) {
        byte[] b = s.clone();
        change.apply(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
        return b;
    }

    private static void refused(byte[] bad, SnapshotFormatException.Reason reason) {
        try (SnapshotRig target = new SnapshotRig()) {
            target.randomize(5L, 100);
            target.f.drainAll();
            byte[] before = target.f.fabric.snapshot();
            SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> target.f.fabric.restore(bad));
            assertEquals(reason, e.reason(), e.getMessage());
            assertArrayEquals(before, target.f.fabric.snapshot(), "the target is untouched after " + e.getMessage());
            for (int g = 0; g < ControllerFixture.GSIS; g++) {
                assertEquals(0, target.f.fired(g), "nothing delivered on GSI " + g + " after " + e.getMessage());
            }
        }
    }

    @Test
    void aValidSnapshotIsAccepted() {
        byte[] s = sample();
        try (SnapshotRig target = new SnapshotRig()) {
            target.f.fabric.restore(s);
            assertEquals(1L, target.tableA.pbaRead(0, 8) >>> 3 & 1, "the pending bit came across");
        }
    }

    @Test
    void truncatedSnapshotsAreRefused() {
        byte[] s = sample();
        for (int len : new int[] {0, 3, 4, 20, 27, s.length / 2, s.length - 1}) {
            refused(Arrays.copyOf(s, len), SnapshotFormatException.Reason.TRUNCATED);
        }
        assertEquals(SnapshotFormatException.Reason.TRUNCATED,
                assertThrows(SnapshotFormatException.class, () -> new SnapshotRig().f.fabric.restore(null)).reason());
    }

    @Test
    void aCorruptedByteIsRefused() {
        byte[] s = sample();
        for (int at : new int[] {13, 30, s.length / 2, s.length - 5, s.length - 1}) {
            refused(edit(s, b -> b.put(at, (byte) (b.get(at) ^ 0x10))), SnapshotFormatException.Reason.CORRUPTED);
        }
        byte[] longer = Arrays.copyOf(s, s.length + 8);
        refused(longer, SnapshotFormatException.Reason.CORRUPTED);
    }

    @Test
    void aForeignFileIsRefused() {
        refused("not a snapshot at all, just text".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                SnapshotFormatException.Reason.FOREIGN);
        refused(edit(sample(), b -> b.putInt(0, 0x464C457F)), SnapshotFormatException.Reason.FOREIGN); // ELF
    }

    @Test
    void aNewerVersionIsRefused() {
        refused(withCrc(edit(sample(), b -> b.putShort(4, (short) 2))), SnapshotFormatException.Reason.NEWER_VERSION);
        // Newer is decided before the checksum: a newer writer may checksum differently.
        refused(edit(sample(), b -> b.putShort(4, (short) 9)), SnapshotFormatException.Reason.NEWER_VERSION);
    }

    @Test
    void wellCheckedButInconsistentContentIsMalformed() {
        byte[] s = sample();
        int first = 24; // the first section: a group (type 1)
        refused(withCrc(edit(s, b -> b.putShort(first, (short) 99))), SnapshotFormatException.Reason.MALFORMED);
        refused(withCrc(edit(s, b -> b.putInt(first + 4, 11))), SnapshotFormatException.Reason.MALFORMED);
        refused(withCrc(edit(s, b -> b.putInt(first + 8 + 4, 100_000))), SnapshotFormatException.Reason.MALFORMED);
        refused(withCrc(edit(s, b -> b.putInt(20, b.getInt(20) + 1))), SnapshotFormatException.Reason.MALFORMED);
        refused(withCrc(edit(s, b -> b.putShort(4, (short) 0))), SnapshotFormatException.Reason.MALFORMED);
        refused(withCrc(edit(s, b -> b.putInt(16, 0))), SnapshotFormatException.Reason.MALFORMED); // IOAPIC section without the flag
    }

    @Test
    void aSnapshotOfAnotherConfigurationIsAMismatch() {
        byte[] s = sample();
        try (ControllerFixture other = ControllerFixture.withIoapic()) {
            other.fabric.createMsixTable(SnapshotRig.TABLE_A, 8);
            byte[] before = other.fabric.snapshot();
            SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> other.fabric.restore(s));
            assertEquals(SnapshotFormatException.Reason.MISMATCH, e.reason());
            assertArrayEquals(before, other.fabric.snapshot());
        }
        try (ControllerFixture plain = ControllerFixture.plain()) {
            assertEquals(SnapshotFormatException.Reason.MISMATCH,
                    assertThrows(SnapshotFormatException.class, () -> plain.fabric.restore(s)).reason());
        }
    }
}
