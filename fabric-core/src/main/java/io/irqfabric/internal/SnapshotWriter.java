package io.irqfabric.internal;

import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.IoapicState;
import io.irqfabric.msi.MsiState;
import io.irqfabric.msi.MsixState;
import io.irqfabric.virtio.VirtioMmioState;
import io.irqfabric.virtio.VirtioPciState;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Encodes a {@link FabricImage} in the snapshot format drawn in
 * {@code io.irqfabric.snapshot} (package documentation): a header, one section per group, device
 * and the owed-delivery bitmap, and a CRC32C trailer. Deterministic: equal images give equal
 * bytes.
 */
final class SnapshotWriter {
    static final int MAGIC = 0x5351_5249; // "IRQS" little-endian
    static final int VERSION = 1;
    static final int HEADER = 24;
    static final int SECTION_HEADER = 8;
    static final int TRAILER = 4;

    static final int SECTION_GROUP = 1;
    static final int SECTION_IOAPIC = 2;
    static final int SECTION_MSIX = 3;
    static final int SECTION_MSI = 4;
    static final int SECTION_VIRTIO_MMIO = 5;
    static final int SECTION_VIRTIO_PCI = 6;
    static final int SECTION_OWED = 7;

    static final int IOAPIC_PAYLOAD = 24 + IoapicPort.PINS * 20;
    static final int GROUP_PAYLOAD = 12;
    static final int MSIX_FIXED = 20;
    static final int MSIX_PER_VECTOR = 28;
    static final int MSI_FIXED = 44;
    static final int MSI_PER_VECTOR = 12;
    static final int VIRTIO_MMIO_PAYLOAD = 8;
    static final int VIRTIO_PCI_FIXED = 12;

    private SnapshotWriter() {
    }

    static byte[] write(FabricImage image) {
        int size = HEADER + TRAILER;
        int sections = 0;
        for (int i = 0; i < image.groups().size(); i++) {
            size += SECTION_HEADER + GROUP_PAYLOAD;
            sections++;
        }
        for (FabricImage.Device d : image.devices()) {
            size += SECTION_HEADER + payloadSize(d);
            sections++;
        }
        size += SECTION_HEADER + 4 + image.owed().length * 8;
        sections++;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort((short) VERSION).putShort((short) HEADER).putInt(size)
                .putInt(image.gsiCount()).putInt(image.ioapic() ? 1 : 0).putInt(sections);
        for (FabricImage.Group g : image.groups()) {
            section(b, SECTION_GROUP, GROUP_PAYLOAD);
            b.putInt(g.type()).putInt(g.base()).putInt(g.count());
        }
        for (FabricImage.Device d : image.devices()) {
            writeDevice(b, d);
        }
        section(b, SECTION_OWED, 4 + image.owed().length * 8);
        b.putInt(image.owed().length);
        for (long w : image.owed()) {
            b.putLong(w);
        }
        if (b.position() != size - TRAILER) {
            throw new IllegalStateException("snapshot layout: wrote " + b.position() + " bytes, sized " + (size - TRAILER));
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    private static void section(ByteBuffer b, int type, int length) {
        b.putShort((short) type).putShort((short) 0).putInt(length);
    }

    private static int payloadSize(FabricImage.Device d) {
        switch (d.kind()) {
            case FabricImage.IOAPIC:
                return IOAPIC_PAYLOAD;
            case FabricImage.MSIX:
                return MSIX_FIXED + d.count() * MSIX_PER_VECTOR;
            case FabricImage.MSI:
                return MSI_FIXED + d.count() * MSI_PER_VECTOR;
            case FabricImage.VIRTIO_MMIO:
                return VIRTIO_MMIO_PAYLOAD;
            case FabricImage.VIRTIO_PCI:
                return VIRTIO_PCI_FIXED + d.count() * 2;
            default:
                throw new IllegalStateException("unknown device kind " + d.kind());
        }
    }

    private static void writeDevice(ByteBuffer b, FabricImage.Device d) {
        switch (d.kind()) {
            case FabricImage.IOAPIC: {
                IoapicState s = (IoapicState) d.state();
                section(b, SECTION_IOAPIC, IOAPIC_PAYLOAD);
                b.putInt(s.ioregsel()).putInt(s.id()).putInt(s.lineLevels()).putInt(s.rtcRemoteIrr() ? 1 : 0)
                        .putInt(s.pendingRises()).putInt(s.routed());
                long[] e = s.entries();
                long[] ra = s.routeAddress();
                int[] rd = s.routeData();
                for (int p = 0; p < IoapicPort.PINS; p++) {
                    b.putLong(e[p]).putLong(ra[p]).putInt(rd[p]);
                }
                return;
            }
            case FabricImage.MSIX: {
                MsixState s = (MsixState) d.state();
                section(b, SECTION_MSIX, payloadSize(d));
                identity(b, d);
                b.putInt(s.control());
                long[] a = s.address();
                int[] data = s.data();
                long[] masks = s.vectorMasks();
                long[] pend = s.pending();
                long[] routed = s.routed();
                long[] ra = s.routeAddress();
                int[] rd = s.routeData();
                for (int v = 0; v < d.count(); v++) {
                    int flags = (MsixState.bit(masks, v) ? 1 : 0) | (MsixState.bit(pend, v) ? 2 : 0) | (MsixState.bit(routed, v) ? 4 : 0);
                    b.putLong(a[v]).putInt(data[v]).putInt(flags).putLong(ra[v]).putInt(rd[v]);
                }
                return;
            }
            case FabricImage.MSI: {
                MsiState s = (MsiState) d.state();
                section(b, SECTION_MSI, payloadSize(d));
                identity(b, d);
                b.putInt(s.control()).putInt(s.addressLow()).putInt(s.addressHigh()).putInt(s.data())
                        .putInt(s.maskBits()).putInt(s.pending()).putInt(s.routed());
                long[] ra = s.routeAddress();
                int[] rd = s.routeData();
                for (int v = 0; v < d.count(); v++) {
                    b.putLong(ra[v]).putInt(rd[v]);
                }
                return;
            }
            case FabricImage.VIRTIO_MMIO: {
                section(b, SECTION_VIRTIO_MMIO, VIRTIO_MMIO_PAYLOAD);
                b.putInt(d.base()).putInt(((VirtioMmioState) d.state()).interruptStatus());
                return;
            }
            case FabricImage.VIRTIO_PCI: {
                VirtioPciState s = (VirtioPciState) d.state();
                section(b, SECTION_VIRTIO_PCI, payloadSize(d));
                b.putInt(d.base()).putInt(d.count()).putShort((short) s.configVector()).putShort((short) 0);
                for (int v : s.queueVectors()) {
                    b.putShort((short) v);
                }
                return;
            }
            default:
                throw new IllegalStateException("unknown device kind " + d.kind());
        }
    }

    /** MSI-X and MSI: first GSI, vectors, requester ID, bus range. */
    private static void identity(ByteBuffer b, FabricImage.Device d) {
        b.putInt(d.base()).putInt(d.count()).putInt(d.requesterId())
                .putShort((short) d.busSecondary()).putShort((short) d.busSubordinate());
    }
}
