package io.irqfabric.internal;

import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.IoapicState;
import io.irqfabric.msi.MsiState;
import io.irqfabric.msi.MsixState;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.snapshot.SnapshotFormatException;
import io.irqfabric.snapshot.SnapshotFormatException.Reason;
import io.irqfabric.virtio.VirtioMmioState;
import io.irqfabric.virtio.VirtioPciState;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import static io.irqfabric.internal.SnapshotWriter.*;

/**
 * Decodes and checks a snapshot completely, into a {@link FabricImage}, before anything is
 * applied. The checks run in this order, and the first that fails decides the
 * {@link SnapshotFormatException.Reason}: length of the magic (TRUNCATED), magic (FOREIGN),
 * header length (TRUNCATED), version (NEWER_VERSION; 0 is MALFORMED), declared length against
 * the bytes (TRUNCATED if shorter, CORRUPTED if longer), CRC32C (CORRUPTED), then every section
 * (MALFORMED: unknown type, wrong length, a value out of range, sections that overlap GSIs).
 */
final class SnapshotReader {
    private SnapshotReader() {
    }

    static FabricImage read(byte[] bytes) {
        if (bytes == null) {
            throw new SnapshotFormatException(Reason.TRUNCATED, "no snapshot (null)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 4) {
            throw new SnapshotFormatException(Reason.TRUNCATED, bytes.length + " bytes: shorter than the magic");
        }
        int magic = b.getInt(0);
        if (magic != MAGIC) {
            throw new SnapshotFormatException(Reason.FOREIGN, "magic 0x" + Integer.toHexString(magic)
                    + " is not an irqfabric snapshot's (0x" + Integer.toHexString(MAGIC) + ", \"IRQS\")");
        }
        if (bytes.length < HEADER + TRAILER) {
            throw new SnapshotFormatException(Reason.TRUNCATED, bytes.length + " bytes: shorter than header and checksum ("
                    + (HEADER + TRAILER) + ")");
        }
        int version = Short.toUnsignedInt(b.getShort(4));
        if (version > VERSION) {
            throw new SnapshotFormatException(Reason.NEWER_VERSION, "format version " + version
                    + " is newer than this reader's (" + VERSION + ")");
        }
        if (version == 0) {
            throw new SnapshotFormatException(Reason.MALFORMED, "format version 0");
        }
        int length = b.getInt(8);
        if (Integer.compareUnsigned(length, bytes.length) > 0) {
            throw new SnapshotFormatException(Reason.TRUNCATED, "the header declares " + Integer.toUnsignedString(length)
                    + " bytes, " + bytes.length + " are present");
        }
        if (length != bytes.length) {
            throw new SnapshotFormatException(Reason.CORRUPTED, "the header declares " + length + " bytes, "
                    + bytes.length + " are present");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length - TRAILER);
        int stored = b.getInt(length - TRAILER);
        if ((int) crc.getValue() != stored) {
            throw new SnapshotFormatException(Reason.CORRUPTED, "CRC32C 0x" + Integer.toHexString((int) crc.getValue())
                    + " does not match the stored 0x" + Integer.toHexString(stored));
        }
        return new Sections(b, length - TRAILER).parse();
    }

    /** The section walk, after the checksum matched. */
    private static final class Sections {
        private final ByteBuffer b;
        private final int end;
        private int gsiCount;
        private long[] used;

        Sections(ByteBuffer b, int end) {
            this.b = b;
            this.end = end;
        }

        FabricImage parse() {
            int headerLength = Short.toUnsignedInt(b.getShort(6));
            if (headerLength != HEADER) {
                throw malformed("header length " + headerLength + ", expected " + HEADER);
            }
            gsiCount = b.getInt(12);
            if (gsiCount < 1 || gsiCount > io.irqfabric.InterruptFabric.Builder.MAX_GSIS) {
                throw malformed("GSI count " + gsiCount);
            }
            int flags = b.getInt(16);
            if ((flags & ~1) != 0) {
                throw malformed("unknown header flags 0x" + Integer.toHexString(flags));
            }
            boolean ioapic = flags == 1;
            int sections = b.getInt(20);
            used = new long[(gsiCount + 63) >>> 6];
            List<FabricImage.Group> groups = new ArrayList<>();
            List<FabricImage.Device> devices = new ArrayList<>();
            long[] owed = null;
            b.position(HEADER);
            for (int i = 0; i < sections; i++) {
                if (end - b.position() < SECTION_HEADER) {
                    throw malformed("section " + i + " of " + sections + " starts past the end");
                }
                int type = Short.toUnsignedInt(b.getShort());
                int reserved = Short.toUnsignedInt(b.getShort());
                int length = b.getInt();
                int start = b.position();
                if (reserved != 0 || length < 0 || length > end - start) {
                    throw malformed("section " + i + " (type " + type + ") at offset " + (start - SECTION_HEADER)
                            + ": length " + Integer.toUnsignedString(length) + " does not fit");
                }
                try {
                    switch (type) {
                        case SECTION_GROUP:
                            expect(length, GROUP_PAYLOAD, type);
                            groups.add(group());
                            break;
                        case SECTION_IOAPIC:
                            expect(length, IOAPIC_PAYLOAD, type);
                            if (!ioapic || !devices.isEmpty()) {
                                throw malformed("an IOAPIC section must come first, in a snapshot whose header says IOAPIC");
                            }
                            devices.add(ioapicSection());
                            break;
                        case SECTION_MSIX:
                            devices.add(msix(length));
                            break;
                        case SECTION_MSI:
                            devices.add(msi(length));
                            break;
                        case SECTION_VIRTIO_MMIO:
                            expect(length, VIRTIO_MMIO_PAYLOAD, type);
                            devices.add(virtioMmio());
                            break;
                        case SECTION_VIRTIO_PCI:
                            devices.add(virtioPci(length, devices));
                            break;
                        case SECTION_OWED:
                            if (owed != null) {
                                throw malformed("two owed-delivery sections");
                            }
                            owed = owed(length);
                            break;
                        default:
                            throw malformed("unknown section type " + type + " at offset " + (start - SECTION_HEADER));
                    }
                } catch (IllegalArgumentException e) {
                    throw malformed("section " + i + " (type " + type + "): " + e.getMessage());
                }
                if (b.position() != start + length) {
                    throw malformed("section " + i + " (type " + type + ") has trailing bytes");
                }
            }
            if (b.position() != end) {
                throw malformed((end - b.position()) + " bytes after the last section");
            }
            if (owed == null) {
                throw malformed("no owed-delivery section");
            }
            if (ioapic && (devices.isEmpty() || devices.get(0).kind() != FabricImage.IOAPIC)) {
                throw malformed("the header says IOAPIC but there is no IOAPIC section");
            }
            return new FabricImage(gsiCount, ioapic, List.copyOf(groups), List.copyOf(devices), owed);
        }

        private static void expect(int length, int expected, int type) {
            if (length != expected) {
                throw malformed("section type " + type + ": length " + length + ", expected " + expected);
            }
        }

        private void range(int base, int count, String what) {
            if (base < 0 || count < 1 || (long) base + count > gsiCount) {
                throw malformed(what + ": GSIs " + base + "+" + count + " outside 0.." + (gsiCount - 1));
            }
        }

        /** Controllers own their GSIs exclusively: two sections may not claim the same GSI. */
        private void claim(int base, int count, String what) {
            range(base, count, what);
            for (int g = base; g < base + count; g++) {
                long bit = 1L << (g & 63);
                if ((used[g >>> 6] & bit) != 0) {
                    throw malformed(what + ": GSI " + g + " is claimed twice");
                }
                used[g >>> 6] |= bit;
            }
        }

        private FabricImage.Group group() {
            int type = b.getInt();
            int base = b.getInt();
            int count = b.getInt();
            if (type < 1 || type > 3) {
                throw malformed("group type " + type);
            }
            range(base, count, "group");
            return new FabricImage.Group(type, base, count);
        }

        private FabricImage.Device ioapicSection() {
            claim(0, IoapicPort.PINS, "IOAPIC");
            int ioregsel = b.getInt();
            int id = b.getInt();
            int levels = b.getInt();
            int flags = b.getInt();
            int rises = b.getInt();
            int routed = b.getInt();
            if ((flags & ~1) != 0 || (levels | rises | routed) >>> IoapicPort.PINS != 0) {
                throw malformed("IOAPIC: bits beyond pin 23 or unknown flags");
            }
            long[] entries = new long[IoapicPort.PINS];
            long[] ra = new long[IoapicPort.PINS];
            int[] rd = new int[IoapicPort.PINS];
            for (int p = 0; p < IoapicPort.PINS; p++) {
                entries[p] = b.getLong();
                ra[p] = b.getLong();
                rd[p] = b.getInt();
            }
            return new FabricImage.Device(FabricImage.IOAPIC, 0, IoapicPort.PINS, 0, 0, 0,
                    new IoapicState(ioregsel, id, entries, levels, flags == 1, rises, routed, ra, rd));
        }

        private FabricImage.Device msix(int length) {
            if (length < MSIX_FIXED) {
                throw malformed("MSI-X section of " + length + " bytes");
            }
            int base = b.getInt();
            int count = b.getInt();
            int rid = b.getInt();
            int sec = Short.toUnsignedInt(b.getShort());
            int sub = Short.toUnsignedInt(b.getShort());
            if (count < 1 || count > MsixTable.MAX_VECTORS || length != MSIX_FIXED + count * MSIX_PER_VECTOR) {
                throw malformed("MSI-X section: " + count + " vectors in " + length + " bytes");
            }
            claim(base, count, "MSI-X table");
            int control = b.getInt();
            long[] address = new long[count];
            int[] data = new int[count];
            long[] masks = new long[(count + 63) >>> 6];
            long[] pending = new long[masks.length];
            long[] routed = new long[masks.length];
            long[] ra = new long[count];
            int[] rd = new int[count];
            for (int v = 0; v < count; v++) {
                address[v] = b.getLong();
                data[v] = b.getInt();
                int flags = b.getInt();
                ra[v] = b.getLong();
                rd[v] = b.getInt();
                if ((flags & ~7) != 0 || (address[v] & 3) != 0) {
                    throw malformed("MSI-X vector " + v + ": flags 0x" + Integer.toHexString(flags) + ", address 0x" + Long.toHexString(address[v]));
                }
                long bit = 1L << (v & 63);
                masks[v >>> 6] |= (flags & 1) != 0 ? bit : 0;
                pending[v >>> 6] |= (flags & 2) != 0 ? bit : 0;
                routed[v >>> 6] |= (flags & 4) != 0 ? bit : 0;
            }
            if ((control & ~(MsixTable.CONTROL_ENABLE | MsixTable.CONTROL_FUNCTION_MASK)) != 0) {
                throw malformed("MSI-X message control 0x" + Integer.toHexString(control));
            }
            checkBus(rid, sec, sub);
            return new FabricImage.Device(FabricImage.MSIX, base, count, rid, sec, sub,
                    new MsixState(control, address, data, masks, pending, routed, ra, rd));
        }

        private FabricImage.Device msi(int length) {
            if (length < MSI_FIXED) {
                throw malformed("MSI section of " + length + " bytes");
            }
            int base = b.getInt();
            int count = b.getInt();
            int rid = b.getInt();
            int sec = Short.toUnsignedInt(b.getShort());
            int sub = Short.toUnsignedInt(b.getShort());
            if (count < 1 || count > 32 || Integer.bitCount(count) != 1 || length != MSI_FIXED + count * MSI_PER_VECTOR) {
                throw malformed("MSI section: " + count + " vectors in " + length + " bytes");
            }
            claim(base, count, "MSI capability");
            int control = b.getInt();
            int lo = b.getInt();
            int hi = b.getInt();
            int data = b.getInt();
            int mask = b.getInt();
            int pending = b.getInt();
            int routed = b.getInt();
            long[] ra = new long[count];
            int[] rd = new int[count];
            for (int v = 0; v < count; v++) {
                ra[v] = b.getLong();
                rd[v] = b.getInt();
            }
            int beyond = count == 32 ? 0 : -1 << count;
            if ((control & ~0xFFFF) != 0 || (data & ~0xFFFF) != 0 || (lo & 3) != 0 || ((mask | pending | routed) & beyond) != 0) {
                throw malformed("MSI: a register holds bits it cannot hold");
            }
            checkBus(rid, sec, sub);
            return new FabricImage.Device(FabricImage.MSI, base, count, rid, sec, sub,
                    new MsiState(control, lo, hi, data, mask, pending, routed, ra, rd));
        }

        private static void checkBus(int rid, int sec, int sub) {
            if (sec > 255 || sub > 255 || sec > sub || (rid & ~0xFFFF) != 0) {
                throw malformed("requester ID 0x" + Integer.toHexString(rid) + " on buses " + sec + ".." + sub);
            }
        }

        private FabricImage.Device virtioMmio() {
            int gsi = b.getInt();
            int status = b.getInt();
            claim(gsi, 1, "virtio-MMIO");
            return new FabricImage.Device(FabricImage.VIRTIO_MMIO, gsi, 1, 0, 0, 0, new VirtioMmioState(status));
        }

        private FabricImage.Device virtioPci(int length, List<FabricImage.Device> devices) {
            if (length < VIRTIO_PCI_FIXED) {
                throw malformed("virtio-PCI section of " + length + " bytes");
            }
            int tableBase = b.getInt();
            int queues = b.getInt();
            int config = Short.toUnsignedInt(b.getShort());
            b.getShort();
            if (queues < 1 || queues > 0xFFFF || length != VIRTIO_PCI_FIXED + queues * 2) {
                throw malformed("virtio-PCI section: " + queues + " queues in " + length + " bytes");
            }
            boolean tableFound = false;
            for (FabricImage.Device d : devices) {
                tableFound |= d.kind() == FabricImage.MSIX && d.base() == tableBase;
            }
            if (!tableFound) {
                throw malformed("virtio-PCI map on an MSI-X table at GSI " + tableBase + " that no earlier section holds");
            }
            int[] q = new int[queues];
            for (int i = 0; i < queues; i++) {
                q[i] = Short.toUnsignedInt(b.getShort());
            }
            return new FabricImage.Device(FabricImage.VIRTIO_PCI, tableBase, queues, 0, 0, 0, new VirtioPciState(q, config));
        }

        private long[] owed(int length) {
            int words = (gsiCount + 63) >>> 6;
            if (length != 4 + words * 8 || b.getInt() != words) {
                throw malformed("owed-delivery bitmap: expected " + words + " words");
            }
            long[] owed = new long[words];
            for (int i = 0; i < words; i++) {
                owed[i] = b.getLong();
            }
            int tail = gsiCount & 63;
            if (tail != 0 && (owed[words - 1] >>> tail) != 0) {
                throw malformed("owed-delivery bitmap names GSIs beyond " + (gsiCount - 1));
            }
            return owed;
        }

        private static SnapshotFormatException malformed(String message) {
            return new SnapshotFormatException(Reason.MALFORMED, message);
        }
    }
}
