package io.irqfabric.snapshot;

import io.irqfabric.InterruptSourceGroup;
import io.irqfabric.InterruptSourceType;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.msi.BusRange;
import io.irqfabric.msi.MsiCapability;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.testing.ControllerFixture;
import io.irqfabric.virtio.VirtioMmioInterrupt;
import io.irqfabric.virtio.VirtioPciVectors;

import java.util.SplittableRandom;

/**
 * One fixed configuration of every controller kind and two groups on a {@link ControllerFixture}
 * (with an IOAPIC), and a guest-like randomizer that drives it into an arbitrary reachable state
 * through the public API only.
 */
final class SnapshotRig implements AutoCloseable {
    static final int TABLE_A = 32;
    static final int TABLE_B = 64;     // 70 vectors: two PBA words
    static final int MSI = 40;
    static final int MMIO = 50;
    static final int GROUP = 200;

    final ControllerFixture f;
    final IoapicPort io;
    final MsixTable tableA;
    final MsixTable tableB;
    final MsiCapability msi;
    final VirtioMmioInterrupt mmio;
    final VirtioPciVectors pci;
    final InterruptSourceGroup group;
    final InterruptSourceGroup legacy;

    SnapshotRig() {
        this(ControllerFixture.withIoapic());
    }

    SnapshotRig(ControllerFixture f) {
        this.f = f;
        io = f.fabric.ioapic();
        tableA = f.fabric.createMsixTable(TABLE_A, 8);
        tableB = f.fabric.createMsixTable(TABLE_B, 70, 0x18, new BusRange(1, 4));
        msi = f.fabric.createMsi(MSI, 4);
        mmio = f.fabric.createVirtioMmio(MMIO);
        pci = f.fabric.createVirtioPci(tableA, 3);
        group = f.fabric.createGroup(InterruptSourceType.MSI, GROUP, 4);
        legacy = f.fabric.createGroup(InterruptSourceType.LEGACY_IRQ, GROUP + 10, 1);
    }

    /** Drives the rig into a random state reachable by a guest and its devices, then syncs. */
    void randomize(long seed, int steps) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < steps; i++) {
            switch (r.nextInt(12)) {
                case 0: {
                    int pin = r.nextInt(IoapicPort.PINS);
                    long e = r.nextInt(0x10, 0x100) | (r.nextBoolean() ? 1L << 15 : 0) | (r.nextInt(4) == 0 ? 1L << 16 : 0)
                            | (long) r.nextInt(4) << 56;
                    ControllerFixture.writeEntry(io, pin, e);
                    break;
                }
                case 1:
                    io.setLevel(r.nextInt(IoapicPort.PINS), r.nextBoolean());
                    break;
                case 2:
                    if (r.nextBoolean()) {
                        io.pulse(r.nextInt(IoapicPort.PINS));
                    } else {
                        io.eoi(r.nextInt(0x10, 0x100));
                    }
                    break;
                case 3:
                    io.mmioWrite(IoapicPort.IOREGSEL, 4, r.nextInt(0x40));
                    if (r.nextInt(4) == 0) {
                        io.mmioWrite(IoapicPort.IOREGSEL, 4, 0);
                        io.mmioWrite(IoapicPort.IOWIN, 4, r.nextInt(16) << 24);
                    }
                    if (r.nextInt(8) == 0) {
                        io.pulseRtc();
                    }
                    break;
                case 4:
                case 5: {
                    MsixTable t = r.nextBoolean() ? tableA : tableB;
                    int v = r.nextInt(t.vectorCount());
                    long address = r.nextInt(8) == 0 ? 0x1000L : MsiMessage.encodeAddress(r.nextInt(4), false, false);
                    t.tableWrite(16L * v, 8, address);
                    t.tableWrite(16L * v + 8, 8, (r.nextInt(0x20, 0xF0)) | (long) (r.nextInt(3) == 0 ? 1 : 0) << 32);
                    break;
                }
                case 6: {
                    MsixTable t = r.nextBoolean() ? tableA : tableB;
                    int c = r.nextInt(4);
                    t.writeMessageControl((c & 1) * MsixTable.CONTROL_ENABLE | (c == 3 ? MsixTable.CONTROL_FUNCTION_MASK : 0));
                    break;
                }
                case 7: {
                    MsixTable t = r.nextBoolean() ? tableA : tableB;
                    t.trigger(r.nextInt(t.vectorCount()));
                    break;
                }
                case 8:
                    switch (r.nextInt(5)) {
                        case 0:
                            msi.configWrite(2, 2, (r.nextBoolean() ? MsiCapability.CONTROL_ENABLE : 0) | r.nextInt(4) << 4);
                            break;
                        case 1:
                            msi.configWrite(4, 4, MsiMessage.encodeAddress(r.nextInt(4), false, false));
                            break;
                        case 2:
                            msi.configWrite(12, 2, r.nextInt(0x20, 0xF0) & ~3);
                            break;
                        case 3:
                            msi.configWrite(16, 4, r.nextInt(16));
                            break;
                        default:
                            msi.trigger(r.nextInt(4));
                            break;
                    }
                    break;
                case 9:
                    if (r.nextBoolean()) {
                        mmio.signalUsedBuffer();
                    } else if (r.nextBoolean()) {
                        mmio.signalConfigChange();
                    } else {
                        mmio.mmioWrite(VirtioMmioInterrupt.INTERRUPT_ACK, 4, r.nextInt(4));
                    }
                    break;
                case 10:
                    if (r.nextBoolean()) {
                        pci.writeQueueVector(r.nextInt(3), r.nextInt(10));
                    } else {
                        pci.writeConfigVector(r.nextInt(10));
                    }
                    break;
                default:
                    group.trigger(r.nextInt(4));
                    break;
            }
        }
        f.fabric.sync();
    }

    @Override
    public void close() {
        f.close();
    }
}
