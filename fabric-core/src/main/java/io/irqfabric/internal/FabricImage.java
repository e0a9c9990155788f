package io.irqfabric.internal;

import java.util.Arrays;
import java.util.List;

/**
 * A fabric's interrupt state at one cut, in memory: what {@link SnapshotWriter} encodes and
 * {@link SnapshotReader} decodes. Device states are the public state records
 * ({@code IoapicState}, {@code MsixState}, ...).
 *
 * @param gsiCount the fabric's GSI count
 * @param ioapic   whether the fabric has the userspace IOAPIC
 * @param groups   the interrupt source groups, in creation order
 * @param devices  the controllers, in creation order (the IOAPIC first if present)
 * @param owed     bitmap of GSIs that owed a delivery at the cut: asserted and not yet delivered
 *                 (the pending set, unapplied overflow records, counts held outside the fabric)
 */
record FabricImage(int gsiCount, boolean ioapic, List<Group> groups, List<Device> devices, long[] owed) {
    /** Device kinds, as numbered in the format. */
    static final int IOAPIC = 1;
    static final int MSIX = 2;
    static final int MSI = 3;
    static final int VIRTIO_MMIO = 4;
    static final int VIRTIO_PCI = 5;

    /** An interrupt source group: type code (1 legacy, 2 MSI, 3 MSI-X), first GSI, count. */
    record Group(int type, int base, int count) {
    }

    /**
     * A controller: what identifies it (kind, first GSI, GSI or queue count, requester ID, bus
     * range) and its state record. For virtio-PCI, {@code base} is its MSI-X table's first GSI
     * and {@code count} its queue count.
     */
    record Device(int kind, int base, int count, int requesterId, int busSecondary, int busSubordinate, Object state) {
        /** @return the same device without its state: what must match between snapshot and target */
        Device shape() {
            return new Device(kind, base, count, requesterId, busSecondary, busSubordinate, null);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FabricImage f && gsiCount == f.gsiCount && ioapic == f.ioapic && groups.equals(f.groups)
                && devices.equals(f.devices) && Arrays.equals(owed, f.owed);
    }

    @Override
    public int hashCode() {
        return (gsiCount * 31 + devices.hashCode()) * 31 + Arrays.hashCode(owed);
    }
}
