package io.irqfabric.controllers;

import io.irqfabric.ioapic.IoapicLine;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.RedirectionEntry;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.testing.ControllerFixture;
import io.irqfabric.testing.SteadyStateAllocation;
import io.irqfabric.virtio.VirtioMmioInterrupt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;


import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DESIGN invariant 3 for the controllers: line changes (own and shared sources, a virtio-MMIO
 * level line and its ACK), MSI-X triggers on masked and unmasked vectors, guest register reads
 * and writes and EOIs allocate nothing, on the calling thread or
 * on the dispatcher, once every path has run (measured with the per-thread allocation counter).
 * The 4-slot ring sends many line changes down the ring-full path.
 */
class ControllerAllocationTest {
    private static final int ROUNDS = 20_000;

    @ParameterizedTest(name = "ring {0}")
    @ValueSource(ints = {4096, 4})
    void controllerTrafficAllocatesNothing(int ringSize) {
        SteadyStateAllocation.meter();
        try (ControllerFixture f = ControllerFixture.custom(
                b -> b.ioapic(true).ringSize(ringSize), s -> s)) { // the default PARKING dispatcher
            IoapicPort io = f.fabric.ioapic();
            ControllerFixture.writeEntry(io, 3, RedirectionEntry.of(0x30, 0, false, false, false, false, 0));
            ControllerFixture.writeEntry(io, 5, RedirectionEntry.of(0x35, 0, false, false, true, false, 0));
            MsixTable t = f.fabric.createMsixTable(64, 4);
            t.tableWrite(0, 8, MsiMessage.encodeAddress(0, false, false));
            t.tableWrite(8, 8, 0x41);                 // vector 0 unmasked
            t.tableWrite(16, 8, MsiMessage.encodeAddress(0, false, false));
            t.tableWrite(24, 8, 0x42 | (1L << 32));   // vector 1 masked
            t.writeMessageControl(MsixTable.CONTROL_ENABLE);
            ControllerFixture.writeEntry(io, 6, RedirectionEntry.of(0x36, 0, false, false, true, false, 0));
            IoapicLine shared = io.openSharedLine(6);
            VirtioMmioInterrupt virtio = f.fabric.createVirtioMmio(6);
            Traffic traffic = new Traffic(io, t, shared, virtio);
            long me = Thread.currentThread().getId();
            long dispatcher = f.fabric.dispatcherThread().getId();
            SteadyStateAllocation.assertAllocatesNothing("controller calls / the dispatcher handling them", () -> {
                traffic.run(ROUNDS);
                f.fabric.sync();
            }, me, dispatcher);
            f.drainAll();
            traffic.run(16);
            f.fabric.sync();
            assertTrue(f.fired(3) > 0 && f.fired(5) > 0 && f.fired(6) > 0 && f.fired(64) > 0, "the traffic delivered interrupts");
        }
    }

    /** One round of every controller path, shared lines and a virtio-MMIO level line included. */
    private record Traffic(IoapicPort io, MsixTable t, IoapicLine shared, VirtioMmioInterrupt virtio) {
        void run(int rounds) {
            long sink = 0;
            for (int i = 0; i < rounds; i++) {
                io.pulse(3);
                io.setLevel(5, (i & 1) == 0);
                shared.setLevel((i & 2) == 0);
                virtio.signalUsedBuffer();
                t.trigger(0);
                t.trigger(1);                             // masked: pending bit
                if ((i & 15) == 0) {
                    io.eoi(0x35);
                    io.eoi(0x36);
                    io.mmioWrite(IoapicPort.IOREGSEL, 4, IoapicPort.redirectionSelector(5, false));
                    sink += io.mmioRead(IoapicPort.IOWIN, 4);
                    sink += t.pbaRead(0, 8);
                    sink += virtio.mmioRead(VirtioMmioInterrupt.INTERRUPT_STATUS, 4);
                    virtio.mmioWrite(VirtioMmioInterrupt.INTERRUPT_ACK, 4, VirtioMmioInterrupt.VRING); // the line falls (dispatcher CAS)
                    io.mmioRead(0x20, 4);                 // malformed: counted and reported, not thrown
                }
            }
            if (sink == 42) {
                throw new AssertionError("unreachable; keeps the reads alive");
            }
        }
    }
}
