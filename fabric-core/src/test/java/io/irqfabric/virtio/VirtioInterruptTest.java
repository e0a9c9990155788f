package io.irqfabric.virtio;

import io.irqfabric.FabricConfigException;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.testing.ControllerFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.irqfabric.virtio.VirtioMmioInterrupt.CONFIG;
import static io.irqfabric.virtio.VirtioMmioInterrupt.INTERRUPT_ACK;
import static io.irqfabric.virtio.VirtioMmioInterrupt.INTERRUPT_STATUS;
import static io.irqfabric.virtio.VirtioMmioInterrupt.VRING;
import static io.irqfabric.virtio.VirtioPciVectors.NO_VECTOR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** virtio-MMIO interrupt status and virtio-PCI vector assignment, on real eventfds. */
class VirtioInterruptTest {
    private ControllerFixture f;

    @BeforeEach
    void setUp() {
        f = ControllerFixture.plain();
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void mmioStatusBitsAreSetWithTheTriggerAndAckClearsOnlyAckedBits() {
        VirtioMmioInterrupt irq = f.fabric.createVirtioMmio(40);
        assertEquals(0, irq.mmioRead(INTERRUPT_STATUS, 4));
        irq.signalUsedBuffer();
        assertEquals(1, f.fired(40));
        assertEquals(VRING, irq.mmioRead(INTERRUPT_STATUS, 4));
        irq.signalConfigChange();
        assertEquals(1, f.fired(40));
        assertEquals(VRING | CONFIG, irq.mmioRead(INTERRUPT_STATUS, 4));
        irq.mmioWrite(INTERRUPT_ACK, 4, VRING);
        assertEquals(CONFIG, irq.mmioRead(INTERRUPT_STATUS, 4));
        irq.mmioWrite(INTERRUPT_ACK, 4, CONFIG);
        assertEquals(0, irq.mmioRead(INTERRUPT_STATUS, 4));
        assertEquals(0, f.fired(40), "ACK raises nothing");
        assertEquals(0, f.fabric.counters().guestAccessErrors());
    }

    @Test
    void mmioStatusMisuseIsCountedNotThrown() {
        VirtioMmioInterrupt irq = f.fabric.createVirtioMmio(41);
        irq.signalUsedBuffer();
        assertEquals(0xFFFF_FFFFL, irq.mmioRead(INTERRUPT_ACK, 4));  // ACK is write-only
        assertEquals(0xFFFFL, irq.mmioRead(INTERRUPT_STATUS, 2));    // bad size
        irq.mmioWrite(INTERRUPT_STATUS, 4, 0xFF);                    // status is read-only
        irq.mmioWrite(INTERRUPT_ACK, 1, VRING);                      // bad size
        assertEquals(VRING, irq.mmioRead(INTERRUPT_STATUS, 4), "nothing changed");
        assertEquals(4, f.fabric.counters().guestAccessErrors());
        assertEquals(1, f.fired(41));
    }

    @Test
    void pciQueuesRaiseTheirAssignedVectorAndNoVectorRaisesNothing() {
        MsixTable table = f.fabric.createMsixTable(128, 4);
        for (int v = 0; v < 4; v++) {
            table.tableWrite(16L * v, 8, MsiMessage.encodeAddress(0, false, false));
            table.tableWrite(16L * v + 8, 8, 0x60 + v); // data, vector control 0 (unmasked)
        }
        table.writeMessageControl(MsixTable.CONTROL_ENABLE);
        VirtioPciVectors pci = f.fabric.createVirtioPci(table, 3);
        assertEquals(NO_VECTOR, pci.readQueueVector(0), "reset value");
        assertEquals(NO_VECTOR, pci.readConfigVector());
        assertFalse(pci.signalQueue(0));
        assertEquals(0, f.fired(128));
        assertEquals(1, pci.unsignalled());

        pci.writeQueueVector(0, 2);
        pci.writeQueueVector(1, 2);
        pci.writeConfigVector(3);
        assertEquals(2, pci.readQueueVector(0));
        assertEquals(3, pci.readConfigVector());
        assertTrue(pci.signalQueue(0));
        assertTrue(pci.signalQueue(1));
        long both = f.fired(128 + 2);
        assertTrue(both == 1 || both == 2, "two queues on one vector: one delivery if they shared a batch, else two; was " + both);
        assertTrue(pci.signalConfigChange());
        assertEquals(1, f.fired(128 + 3));
        assertFalse(pci.signalQueue(2));
        assertEquals(0, f.fired(128) + f.fired(129));

        pci.writeQueueVector(1, 4); // the table has 4 vectors: 4 cannot be mapped
        assertEquals(NO_VECTOR, pci.readQueueVector(1));
        pci.writeQueueVector(0, NO_VECTOR);
        assertFalse(pci.signalQueue(0));
        assertEquals(0, f.fired(130));
    }

    @Test
    void pciQueueOnAMaskedVectorIsHeldPending() {
        MsixTable table = f.fabric.createMsixTable(140, 2);
        table.tableWrite(0, 8, MsiMessage.encodeAddress(0, false, false));
        table.tableWrite(8, 8, 0x70 | (1L << 32)); // masked
        table.writeMessageControl(MsixTable.CONTROL_ENABLE);
        VirtioPciVectors pci = f.fabric.createVirtioPci(table, 1);
        pci.writeQueueVector(0, 0);
        assertTrue(pci.signalQueue(0));
        assertEquals(0, f.fired(140));
        assertEquals(1, table.pbaRead(0, 8));
        table.tableWrite(12, 4, 0);
        assertEquals(1, f.fired(140));
    }

    @Test
    void pciMisuseThrows() {
        MsixTable table = f.fabric.createMsixTable(150, 2);
        VirtioPciVectors pci = f.fabric.createVirtioPci(table, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> pci.signalQueue(2));
        assertThrows(IndexOutOfBoundsException.class, () -> pci.writeQueueVector(-1, 0));
        assertThrows(FabricConfigException.class, () -> f.fabric.createVirtioPci(table, 0));
        try (ControllerFixture other = ControllerFixture.plain()) {
            assertThrows(FabricConfigException.class, () -> other.fabric.createVirtioPci(table, 1));
        }
        assertThrows(FabricConfigException.class, () -> f.fabric.createVirtioMmio(150), "GSI taken by the table");
    }
}
