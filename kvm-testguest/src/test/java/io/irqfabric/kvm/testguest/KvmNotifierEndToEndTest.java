package io.irqfabric.kvm.testguest;

import io.irqfabric.InterruptFabric;
import io.irqfabric.eventfd.EventFd;
import io.irqfabric.msi.MsixTable;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * External writers on the real /dev/kvm: a writer (standing in for a vhost-user back end or a
 * VFIO device) signals the notifier eventfd of an MSI-X vector; the running guest takes the
 * vector while it is unmasked, nothing while the guest has it masked (its PBA bit is set
 * instead), and the pending interrupt on unmask, unless the device consumed it first.
 */
class KvmNotifierEndToEndTest {
    private static final int GSIS = 64;
    private static final int BASE_GSI = 32;
    private static final int VECTOR = 0x48;
    private static final int CONTROL_VECTOR = 0x30;
    private static final long WAIT_MS = 3_000;

    @Test
    void notifierSignalsReachTheGuestThroughTheGuestsMsixMaskAndConsume() {
        KvmAssumptions.assumeKvm("notifierSignalsReachTheGuestThroughTheGuestsMsixMaskAndConsume");
        try (KvmGuestVm guest = KvmGuestVm.builder().gsiCount(GSIS).boot();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(guest.sink())
                     .routeListener(guest.routing()).build()) {
            MsixTable table = fabric.createMsixTable(BASE_GSI, 2);
            table.tableWrite(0, 4, TestMsi.address(0));
            table.tableWrite(4, 4, 0);
            table.tableWrite(8, 4, VECTOR);
            table.tableWrite(12, 4, 0);
            table.writeMessageControl(MsixTable.CONTROL_ENABLE);
            fabric.sync();
            EventFd notifier = table.notifier(0);

            // An external writer signals: the reader thread asserts the vector, the guest takes it.
            for (int n = 1; n <= 3; n++) {
                assertEquals(EventFd.SIGNAL_OK, notifier.signal());
                assertTrue(guest.awaitHandled(VECTOR, n, WAIT_MS), "signal " + n + "; failure=" + guest.failure());
            }

            // The guest masks the vector: a signal sets the PBA bit and the guest sees nothing.
            table.tableWrite(12, 4, MsixTable.VECTOR_CONTROL_MASK);
            fabric.sync();
            notifier.signal();
            assertTrue(KvmGuestVm.awaitCondition(() -> (table.pbaRead(0, 8) & 1) != 0, WAIT_MS), "pending bit set");
            assertTrue(guest.signalMsi(CONTROL_VECTOR) > 0);
            assertTrue(guest.awaitHandled(CONTROL_VECTOR, 1, WAIT_MS));
            assertEquals(3, guest.handled(VECTOR), "masked: the notifier did not go around the mask");

            // Unmask: delivered once.
            table.tableWrite(12, 4, 0);
            assertTrue(guest.awaitHandled(VECTOR, 4, WAIT_MS), "pending interrupt delivered on unmask");

            // Masked again, signalled, then the device consumes its pending interrupt: unmasking
            // delivers nothing.
            table.tableWrite(12, 4, MsixTable.VECTOR_CONTROL_MASK);
            fabric.sync();
            notifier.signal();
            assertTrue(KvmGuestVm.awaitCondition(() -> (table.pbaRead(0, 8) & 1) != 0, WAIT_MS));
            assertTrue(table.consumePending(0));
            table.tableWrite(12, 4, 0);
            fabric.sync();
            assertTrue(guest.signalMsi(CONTROL_VECTOR) > 0);
            assertTrue(guest.awaitHandled(CONTROL_VECTOR, 2, WAIT_MS));
            assertEquals(4, guest.handled(VECTOR), "consumed: never reached the guest");
            assertFalse((table.pbaRead(0, 8) & 1) != 0);
            assertEquals(0, fabric.counters().totalErrors());
            assertNull(guest.failure());
        }
    }
}
