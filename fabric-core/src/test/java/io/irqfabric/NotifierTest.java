package io.irqfabric;

import io.irqfabric.eventfd.EventFd;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.RedirectionEntry;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import io.irqfabric.testing.ControllerFixture;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Notifier eventfds (external writers): a signal written to a GSI's notifier is read by the
 * fabric's reader thread and asserted like {@code trigger}, through masking and pending bits.
 * Real eventfds on both ends: the test writes the notifier and waits on the sink's eventfd.
 */
class NotifierTest {
    private static final long WAIT_MS = 5_000;

    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
            Thread.onSpinWait();
        }
    }

    @Test
    void aSignalOnTheNotifierIsDeliveredAsAnAssertion() {
        try (ControllerFixture f = ControllerFixture.plain()) {
            assertNull(f.fabric.notifierThread(), "no notifier, no reader thread");
            EventFd n = f.fabric.notifier(40);
            assertSame(n, f.fabric.notifier(40), "one notifier per GSI");
            assertNotNull(f.fabric.notifierThread());
            assertEquals(EventFd.SIGNAL_OK, n.signal());
            assertEquals(1, f.sink.eventFd(40).await((int) WAIT_MS), "delivered to the GSI's sink eventfd");
            assertEquals(1, f.fabric.counters().asserted(40));
            EventFd other = f.fabric.createGroup(InterruptSourceType.MSI, 41, 2).notifier(1);
            other.signal();
            assertEquals(1, f.sink.eventFd(42).await((int) WAIT_MS), "group notifier of source 1 is GSI 42");
        }
    }

    @Test
    void aMaskedVectorsNotifierSetsItsPendingBitInsteadOfReachingTheGuest() {
        try (ControllerFixture f = ControllerFixture.plain()) {
            MsixTable t = f.fabric.createMsixTable(64, 2);
            t.writeMessageControl(MsixTable.CONTROL_ENABLE);
            t.tableWrite(0, 4, MsiMessage.encodeAddress(0, false, false));
            t.tableWrite(8, 4, 0x41);
            t.tableWrite(12, 4, MsixTable.VECTOR_CONTROL_MASK);
            t.notifier(0).signal();
            awaitTrue(() -> f.fabric.counters().masked(64) == 1, "the reader asserted the masked vector");
            assertEquals(1, t.pbaRead(0, 8) & 1, "pending bit set");
            assertEquals(0, f.fired(64), "masked: nothing delivered");
            t.tableWrite(12, 4, 0); // unmask
            assertEquals(1, f.fired(64), "the pending interrupt is delivered on unmask");
        }
    }

    @Test
    void aNotifierOnAnIoapicPinIsAPulseThroughTheRedirectionEntry() {
        try (ControllerFixture f = ControllerFixture.withIoapic()) {
            IoapicPort io = f.fabric.ioapic();
            ControllerFixture.writeEntry(io, 3, RedirectionEntry.of(0x30, 0, false, false, false, false, 0));
            EventFd n = f.fabric.notifier(3);
            for (int i = 0; i < 3; i++) {
                n.signal();
                assertEquals(1, f.sink.eventFd(3).await((int) WAIT_MS), "signal " + i + ": an edge on the pin");
            }
        }
    }

    @Test
    void closeAssertsWhatWasSignalledThenClosesTheNotifiersAndStopsTheReader() {
        ControllerFixture f = ControllerFixture.plain();
        try {
            EventFd n = f.fabric.notifier(50);
            Thread reader = f.fabric.notifierThread();
            // Signalled after the reader thread stopped: only close()'s last read can find it.
            f.fabric.afterNotifierReaderStopped(n::signal);
            f.fabric.close();
            assertEquals(1, f.sink.eventFd(50).read());
            assertTrue(n.isClosed(), "the fabric owns and closes its notifiers");
            assertFalse(reader.isAlive());
            assertEquals(EventFd.SIGNAL_FAILED, n.signal());
            assertThrows(FabricClosedException.class, () -> f.fabric.notifier(50));
        } finally {
            f.close();
        }
    }

    @Test
    void misuseThrowsAtOnce() {
        try (ControllerFixture f = ControllerFixture.plain()) {
            assertThrows(UnknownGsiException.class, () -> f.fabric.notifier(-1));
            assertThrows(UnknownGsiException.class, () -> f.fabric.notifier(ControllerFixture.GSIS));
            assertThrows(UnknownGsiException.class, () -> f.fabric.createMsixTable(64, 2).notifier(2));
        }
    }

    @Test
    void theReaderAllocatesNothingPerSignal() {
        io.irqfabric.testing.SteadyStateAllocation.meter();
        try (ControllerFixture f = ControllerFixture.plain()) {
            EventFd n = f.fabric.notifier(40);
            EventFd out = f.sink.eventFd(40);
            long reader = f.fabric.notifierThread().getId();
            io.irqfabric.testing.SteadyStateAllocation.assertAllocatesNothing("the notifier reader, 2,000 signals", () -> {
                for (int i = 0; i < 2_000; i++) {
                    n.signal();
                    while (out.await((int) WAIT_MS) == 0) {
                        Thread.onSpinWait();
                    }
                }
            }, reader);
        }
    }

    @Test
    void theIdleReaderIsBlockedInTheKernelAndUsesNoCpu() throws Exception {
        try (ControllerFixture f = ControllerFixture.plain()) {
            EventFd n = f.fabric.notifier(40);
            n.signal();
            assertEquals(1, f.sink.eventFd(40).await((int) WAIT_MS));
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long id = f.fabric.notifierThread().getId();
            long before = mx.getThreadCpuTime(id);
            Thread.sleep(300); // an idle period to measure, not a synchronisation
            long used = mx.getThreadCpuTime(id) - before;
            assertTrue(used < TimeUnit.MILLISECONDS.toNanos(20), "idle reader used " + used + " ns of CPU in 300 ms");
        }
    }
}
