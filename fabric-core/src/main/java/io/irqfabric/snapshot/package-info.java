/**
 * Snapshot and restore of a fabric's interrupt state: the binary format, its error, and the hook
 * through which a backend names interrupts it holds outside the fabric.
 *
 * <p>{@link io.irqfabric.InterruptFabric#snapshot()} writes the format below;
 * {@link io.irqfabric.InterruptFabric#restore(byte[])} reads it. Each controller's state is also
 * available on its own ({@code IoapicPort.state()/setState}, {@code MsixTable.state()/setState},
 * ...) for a VMM that keeps its own format.
 *
 * <h2>Format, version 1</h2>
 * All integers little-endian. The CRC32C (Castagnoli) covers every byte before it.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 magic 0x53515249 ("IRQS")                     |  0
 *  +-------------------------------+-------------------------------+
 *  |        version (u16) = 1      |    header length (u16) = 24   |  4
 *  +-------------------------------+-------------------------------+
 *  |            total length in bytes, trailer included (u32)      |  8
 *  +---------------------------------------------------------------+
 *  |                       GSI count (u32)                         | 12
 *  +---------------------------------------------------------------+
 *  |                 flags (u32): bit 0 = has IOAPIC               | 16
 *  +---------------------------------------------------------------+
 *  |                     section count (u32)                       | 20
 *  +---------------------------------------------------------------+
 *  |                  sections, one after another                 ...  24
 *  +---------------------------------------------------------------+
 *  |                  CRC32C of bytes 0 .. length-5 (u32)          |  length-4
 *  +---------------------------------------------------------------+
 *
 *  section:
 *  +-------------------------------+-------------------------------+
 *  |          type (u16)           |        reserved (u16) = 0     |
 *  +-------------------------------+-------------------------------+
 *  |                     payload length (u32)                      |
 *  +---------------------------------------------------------------+
 *  |                     payload                                  ...
 *  +---------------------------------------------------------------+
 *
 *  type 1  GROUP        type u32 (1 legacy, 2 MSI, 3 MSI-X), first GSI u32, count u32
 *  type 2  IOAPIC       IOREGSEL u32, ID u32, line levels u32 (bit = pin),
 *                       flags u32 (bit 0 RTC "not yet EOIed"), pending rises u32,
 *                       routed u32, then per pin 0..23:
 *                       entry u64 (remote IRR, delivery status included),
 *                       route address u64, route data u32                     = 504 bytes
 *  type 3  MSI-X        first GSI u32, vectors u32, requester ID u32,
 *                       bus secondary u16, bus subordinate u16, message control u32,
 *                       then per vector: address u64, data u32,
 *                       flags u32 (bit 0 mask, bit 1 pending, bit 2 routed),
 *                       route address u64, route data u32                     = 20 + 28 n
 *  type 4  MSI          first GSI u32, vectors u32, requester ID u32, bus secondary u16,
 *                       bus subordinate u16, message control u32, address low u32,
 *                       address high u32, data u32, mask bits u32, pending bits u32,
 *                       routed bits u32, then per vector: route address u64,
 *                       route data u32                                        = 44 + 12 n
 *  type 5  VIRTIO_MMIO  GSI u32, interrupt status u32                         = 8
 *  type 6  VIRTIO_PCI   MSI-X table's first GSI u32, queues u32, config vector u16,
 *                       reserved u16, then per queue its vector u16           = 12 + 2 q
 *  type 7  OWED         words u32 (= ceil(GSI count / 64)), then the words u64: bit g of
 *                       word g/64 = GSI g owed a delivery at the cut          (exactly one)
 * </pre>
 * Sections come in this order: groups, controllers in creation order (the IOAPIC first), owed.
 * A reader refuses, with one {@link io.irqfabric.snapshot.SnapshotFormatException} whose
 * {@link io.irqfabric.snapshot.SnapshotFormatException#reason() reason} says why, and before
 * applying anything: fewer bytes than the header or its declared length (TRUNCATED), a wrong
 * magic (FOREIGN), a version above 1 (NEWER_VERSION), a checksum mismatch or trailing bytes
 * (CORRUPTED), an unknown section, a wrong section length or a value that cannot be
 * (MALFORMED), and a target fabric of another configuration (MISMATCH). A newer version may add
 * section types; it raises the version, so an older reader refuses it rather than half-read it.
 *
 * <h2>What "owed" covers</h2>
 * GSIs asserted before the cut and not yet delivered: the dispatcher's pending set, GSIs whose
 * overflow-log records were not yet applied, and interrupts a
 * {@link io.irqfabric.snapshot.HeldInterruptSource} holds (the KVM backend's eventfd counts
 * behind a deassigned irqfd). Pending bits of masked vectors are in their controller's section.
 * Deliveries a moderation policy holds (a window, a rate cap) and IOAPIC lines whose
 * re-injection the level-storm guard delays are owed too. The policies themselves are not
 * captured (the format is unchanged): a restored fabric starts with the batch policy on every GSI
 * and the VMM sets its policies again.
 */
package io.irqfabric.snapshot;
