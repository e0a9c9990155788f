package io.irqfabric.kvm.testguest;

import io.irqfabric.FabricCounters;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSourceGroup;
import io.irqfabric.InterruptSourceType;
import io.irqfabric.eventfd.EventFd;
import io.irqfabric.kvm.KvmException;
import io.irqfabric.kvm.KvmRoutingManager;
import io.irqfabric.msi.MsixTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import io.irqfabric.DispatchMode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End-to-end test 1 on the real /dev/kvm, in-kernel irqchip, MSI routes: triggers through the
 * fabric reach a running guest as the right vectors; each burst is seen at least once and
 * never more often than it was asserted; a masked vector delivers nothing until unmasked, then
 * its pending interrupt arrives.
 */
class KvmMsiEndToEndTest {
    private static final int GSIS = 64;
    private static final int BASE_GSI = 32;
    private static final int BASE_VECTOR = 0x40;
    private static final int SOURCES = 8;
    private static final long WAIT_MS = 3_000;

    @ParameterizedTest
    @EnumSource(DispatchMode.class)
    void burstsThroughTheFabricArriveAsTheRightVectorsAtLeastOnceAndAtMostAsserted(DispatchMode mode) {
        KvmAssumptions.assumeKvm("burstsThroughTheFabricArriveAsTheRightVectorsAtLeastOnceAndAtMostAsserted");
        try (KvmGuestVm guest = KvmGuestVm.builder().gsiCount(GSIS).boot();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(guest.sink()).dispatchMode(mode).build()) {
            KvmRoutingManager routing = guest.routing();
            for (int i = 0; i < SOURCES; i++) {
                routing.setMsiRoute(BASE_GSI + i, TestMsi.address(0), TestMsi.edge(BASE_VECTOR + i));
            }
            routing.commitRoutes();
            assertEquals(1, routing.routingCommits(), "a burst of 8 routes is one KVM_SET_GSI_ROUTING");
            assertEquals(SOURCES, routing.irqfdAssigns());

            InterruptSourceGroup msix = fabric.createGroup(InterruptSourceType.MSI_X, BASE_GSI, SOURCES);
            long[] before = new long[256];
            for (int round = 1; round <= 3; round++) {
                int k = 4 * round; // bursts of 4, 8, 12 assertions per vector
                guest.handledSnapshot(before);
                for (int n = 0; n < k; n++) {
                    for (int i = 0; i < SOURCES; i++) {
                        msix.trigger(i);
                    }
                }
                fabric.sync();
                for (int i = 0; i < SOURCES; i++) {
                    int v = BASE_VECTOR + i;
                    assertTrue(guest.awaitHandled(v, before[v] + 1, WAIT_MS),
                            "round " + round + ": vector 0x" + Integer.toHexString(v) + " seen at least once; failure=" + guest.failure());
                }
                // Lowest-priority marker after everything: once it is handled, every higher
                // vector KVM had pending was handled too, so the counts below are settled.
                assertTrue(guest.signalMsi(0x30) > 0);
                assertTrue(guest.awaitHandled(0x30, round, WAIT_MS), "marker handled");
                for (int i = 0; i < SOURCES; i++) {
                    int v = BASE_VECTOR + i;
                    long seen = guest.handled(v) - before[v];
                    assertTrue(seen >= 1 && seen <= k,
                            "round " + round + ": vector 0x" + Integer.toHexString(v) + " handled " + seen + " times for a burst of " + k);
                }
                // Nothing arrived on vectors that were never routed.
                for (int v = BASE_VECTOR + SOURCES; v < 0xFE; v++) {
                    assertEquals(0, guest.handled(v), "vector 0x" + Integer.toHexString(v));
                }
            }
            FabricCounters c = fabric.counters();
            for (int i = 0; i < SOURCES; i++) {
                int g = BASE_GSI + i;
                assertEquals(4 + 8 + 12, c.asserted(g));
                assertEquals(0, c.errors(g), "no failed eventfd write on GSI " + g);
                assertTrue(guest.handled(BASE_VECTOR + i) <= c.delivered(g),
                        "the guest never sees more interrupts than the fabric delivered");
            }
            if (mode == DispatchMode.INLINE_WHEN_IDLE) {
                // Into an idle fabric: written by this thread under the dispatcher role, and
                // KVM injects it into the running guest just the same.
                long inlineBefore = c.inlineDeliveries();
                for (int i = 0; i < 20 && c.inlineDeliveries() == inlineBefore; i++) {
                    fabric.sync();
                    long quietUntil = System.nanoTime() + 2_000_000L;
                    while (System.nanoTime() - quietUntil < 0) {
                        Thread.onSpinWait();
                    }
                    long handled = guest.handled(BASE_VECTOR);
                    msix.trigger(0);
                    assertTrue(guest.awaitHandled(BASE_VECTOR, handled + 1, WAIT_MS), "handled after an idle assertion");
                }
                assertTrue(c.inlineDeliveries() > inlineBefore, "an assertion into the idle fabric was delivered inline");
            }
            assertNull(guest.failure());
        }
    }

    @ParameterizedTest
    @EnumSource(DispatchMode.class)
    void maskedVectorDeliversNothingUntilUnmaskedThenItsPendingInterruptArrives(DispatchMode mode) {
        KvmAssumptions.assumeKvm("maskedVectorDeliversNothingUntilUnmaskedThenItsPendingInterruptArrives");
        final int maskedGsi = 40;
        final int maskedVector = 0x50;
        final int controlGsi = 41;
        final int controlVector = 0x48; // lower priority class than 0x50
        try (KvmGuestVm guest = KvmGuestVm.builder().gsiCount(GSIS).boot();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(guest.sink()).dispatchMode(mode).build()) {
            KvmRoutingManager routing = guest.routing();
            routing.setMsiRoute(maskedGsi, TestMsi.address(0), TestMsi.edge(maskedVector));
            routing.setMsiRoute(controlGsi, TestMsi.address(0), TestMsi.edge(controlVector));
            routing.commitRoutes();
            int kvmGsi = routing.kvmGsi(maskedGsi);

            fabric.trigger(maskedGsi);
            assertTrue(guest.awaitHandled(maskedVector, 1, WAIT_MS), "unmasked vector delivers");

            // The guest masks the MSI-X vector: the route stays, the irqfd goes.
            long commits = routing.routingCommits();
            routing.setMasked(maskedGsi, true);
            routing.commitRoutes();
            assertFalse(routing.isIrqFdAssigned(maskedGsi));
            assertEquals(kvmGsi, routing.kvmGsi(maskedGsi), "masking keeps the route and its GSI");
            assertEquals(commits, routing.routingCommits(), "masking costs no KVM_SET_GSI_ROUTING");

            for (int n = 0; n < 3; n++) {
                fabric.trigger(maskedGsi);
                fabric.sync();
            }
            assertTrue(fabric.counters().delivered(maskedGsi) >= 2, "the fabric wrote the eventfd while masked");
            // Control: the guest is running and takes other interrupts, but not the masked one.
            for (int n = 1; n <= 3; n++) {
                fabric.trigger(controlGsi);
                assertTrue(guest.awaitHandled(controlVector, n, WAIT_MS), "control vector handled");
            }
            assertEquals(1, guest.handled(maskedVector), "a masked vector delivers nothing");

            // Unmask: the irqfd comes back and KVM injects what is pending in the eventfd.
            routing.setMasked(maskedGsi, false);
            routing.commitRoutes();
            assertTrue(routing.isIrqFdAssigned(maskedGsi));
            assertTrue(guest.awaitHandled(maskedVector, 2, WAIT_MS), "the pending interrupt arrives on unmask");
            assertTrue(guest.signalMsi(0x30) > 0);
            assertTrue(guest.awaitHandled(0x30, 1, WAIT_MS));
            assertEquals(2, guest.handled(maskedVector),
                    "three assertions while masked become one pending interrupt, delivered once");
            assertEquals(0, fabric.counters().errors(maskedGsi));
            assertNull(guest.failure());
        }
    }

    @ParameterizedTest
    @EnumSource(DispatchMode.class)
    void msixVectorMaskedInTheFabricsTableKeepsItsRouteAndDeliversItsPendingBitOnUnmask(DispatchMode mode) {
        KvmAssumptions.assumeKvm("msixVectorMaskedInTheFabricsTableKeepsItsRouteAndDeliversItsPendingBitOnUnmask");
        try (KvmGuestVm guest = KvmGuestVm.builder().gsiCount(GSIS).boot();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(guest.sink()).dispatchMode(mode)
                     .routeListener(guest.routing()).build()) {
            KvmRoutingManager routing = guest.routing();
            MsixTable table = fabric.createMsixTable(BASE_GSI, 4);
            // What the guest's writes to the device's MSI-X BAR and capability do (the vCPU
            // thread forwards them to the fabric): program 4 vectors, unmask them, enable MSI-X.
            for (int v = 0; v < 4; v++) {
                table.tableWrite(16L * v, 4, TestMsi.address(0));
                table.tableWrite(16L * v + 4, 4, 0);
                table.tableWrite(16L * v + 8, 4, BASE_VECTOR + v);
                table.tableWrite(16L * v + 12, 4, 0);
            }
            table.writeMessageControl(MsixTable.CONTROL_ENABLE);
            fabric.sync();
            long commits = routing.routingCommits();
            for (int v = 0; v < 4; v++) {
                assertTrue(routing.kvmGsi(BASE_GSI + v) >= 0 && routing.isIrqFdAssigned(BASE_GSI + v), "vector " + v + " routed");
            }
            table.trigger(1);
            assertTrue(guest.awaitHandled(BASE_VECTOR + 1, 1, WAIT_MS), "failure=" + guest.failure());

            // The guest masks vector 1 in the table: the fabric keeps a pending bit, the backend
            // keeps the route and deassigns the irqfd.
            table.tableWrite(16 + 12, 4, MsixTable.VECTOR_CONTROL_MASK);
            fabric.sync();
            int kvmGsi = routing.kvmGsi(BASE_GSI + 1);
            assertTrue(kvmGsi >= 0, "masked vector keeps its route");
            assertFalse(routing.isIrqFdAssigned(BASE_GSI + 1));
            for (int n = 0; n < 3; n++) {
                table.trigger(1);
            }
            fabric.sync();
            assertEquals(1L << 1, table.pbaRead(0, 8) & 0xF, "pending bit of vector 1 set, nothing else");
            for (int n = 1; n <= 3; n++) {
                table.trigger(0);
                assertTrue(guest.awaitHandled(BASE_VECTOR, n, WAIT_MS), "control vector handled");
            }
            assertEquals(1, guest.handled(BASE_VECTOR + 1), "masked: nothing delivered");

            // Unmask: irqfd reassigned first (same route, same KVM GSI), then the pending bit
            // is delivered once.
            table.tableWrite(16 + 12, 4, 0);
            fabric.sync();
            assertEquals(kvmGsi, routing.kvmGsi(BASE_GSI + 1));
            assertTrue(routing.isIrqFdAssigned(BASE_GSI + 1));
            assertTrue(guest.awaitHandled(BASE_VECTOR + 1, 2, WAIT_MS), "pending interrupt arrives on unmask");
            assertTrue(guest.signalMsi(0x30) > 0);
            assertTrue(guest.awaitHandled(0x30, 1, WAIT_MS));
            assertEquals(2, guest.handled(BASE_VECTOR + 1), "delivered exactly once");
            assertEquals(0, table.pbaRead(0, 8) & 0xF, "pending bit cleared");
            assertEquals(commits, routing.routingCommits(), "mask and unmask cost no KVM_SET_GSI_ROUTING");
            assertEquals(0, fabric.counters().totalErrors());
            assertNull(guest.failure());
        }
    }

    /**
     * KVM refuses the irqfd of a vector the guest unmasks (EBUSY: the test holds its eventfd
     * bound to another, unrouted KVM GSI). The refusal is reported with the ioctl and errno and
     * stays staged; with no further fabric traffic the dispatcher retries on its own once KVM
     * accepts, and the vector's interrupts reach the guest again. (That an interrupt written
     * while no irqfd is assigned waits in the eventfd and arrives on assign is shown by the
     * masking tests above; here the test's own blocking irqfd would consume it.)
     */
    @Test
    void anIrqfdKvmRefusedIsRetriedWhileIdleUntilKvmAcceptsIt() {
        KvmAssumptions.assumeKvm("anIrqfdKvmRefusedIsRetriedWhileIdleUntilKvmAcceptsIt");
        final int gsi = BASE_GSI;
        final int vector = 0x58;
        final int blockerKvmGsi = 1000; // no route: an irqfd on it injects nothing
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        try (KvmGuestVm guest = KvmGuestVm.builder().gsiCount(GSIS)
                .errorHandler((kind, g, detail, cause) -> errors.add(cause)).boot();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(GSIS).sink(guest.sink())
                     .routeListener(guest.routing()).build()) {
            KvmRoutingManager routing = guest.routing();
            MsixTable table = fabric.createMsixTable(gsi, 1);
            table.tableWrite(0, 4, TestMsi.address(0));
            table.tableWrite(4, 4, 0);
            table.tableWrite(8, 4, vector);
            table.tableWrite(12, 4, 0);
            table.writeMessageControl(MsixTable.CONTROL_ENABLE);
            fabric.sync();
            assertTrue(routing.isIrqFdAssigned(gsi));
            table.trigger(0);
            assertTrue(guest.awaitHandled(vector, 1, WAIT_MS), "routed and delivered; failure=" + guest.failure());

            table.tableWrite(12, 4, MsixTable.VECTOR_CONTROL_MASK); // mask: irqfd deassigned
            fabric.sync();
            assertFalse(routing.isIrqFdAssigned(gsi));
            EventFd fd = routing.sink().eventFd(gsi);
            assertNotNull(fd);
            guest.vm().assignIrqFd(fd, blockerKvmGsi); // KVM now refuses a second irqfd on fd

            table.tableWrite(12, 4, 0);                // unmask: KVM_IRQFD assign fails
            fabric.sync();
            assertFalse(routing.isIrqFdAssigned(gsi));
            assertTrue(routing.hasPendingRoutes(), "the refused irqfd stays staged");
            KvmException refused = (KvmException) errors.stream().filter(KvmException.class::isInstance)
                    .findFirst().orElseThrow(() -> new AssertionError("the refusal was reported: " + errors));
            assertEquals("KVM_IRQFD(assign)", refused.call());
            assertEquals(16, refused.errno(), "EBUSY");

            guest.vm().deassignIrqFd(fd, blockerKvmGsi);
            // No fabric call from here on: the retry must come from the idle dispatcher.
            long deadline = System.nanoTime() + WAIT_MS * 1_000_000L;
            while (!routing.isIrqFdAssigned(gsi) && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(routing.isIrqFdAssigned(gsi), "retried without traffic once KVM accepts");
            assertFalse(routing.hasPendingRoutes());

            table.trigger(0);
            assertTrue(guest.awaitHandled(vector, 2, WAIT_MS), "the vector delivers again");
            assertEquals(0, fabric.counters().totalErrors());
            assertNull(guest.failure());
        }
    }
}
