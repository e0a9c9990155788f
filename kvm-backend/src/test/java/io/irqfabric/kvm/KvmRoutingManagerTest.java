package io.irqfabric.kvm;

import io.irqfabric.FabricErrorHandler;
import io.irqfabric.msi.MsiMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The routing manager against a real KVM VM (in-kernel irqchip, no vCPU needed): one
 * KVM_SET_GSI_ROUTING per burst, nothing for unchanged routes, route before irqfd, masking
 * keeps the route, lazy counted GSI allocation with a clear error when it runs out.
 */
class KvmRoutingManagerTest {
    /** LAPIC 0, physical destination. */
    private static final long ADDR = MsiMessage.encodeAddress(0, false, false);
    /** KVM's default in-kernel routing: 16 PIC + 24 IOAPIC entries. */
    private static final int IRQCHIP_ROUTES = 40;

    private record Reported(FabricErrorHandler.Kind kind, int gsi, long detail, Throwable cause) {
    }

    private Kvm kvm;
    private KvmVm vm;
    private final List<Reported> reported = new ArrayList<>();
    private final List<String> trace = new ArrayList<>();

    @BeforeEach
    void createVm() {
        String why = Kvm.unavailableReason();
        Assumptions.assumeTrue(why == null, "KVM test SKIPPED: /dev/kvm not usable: " + why);
        kvm = Kvm.open();
        vm = kvm.createVm();
        vm.createIrqchip();
    }

    @AfterEach
    void closeVm() {
        if (vm != null) {
            vm.close();
        }
        if (kvm != null) {
            kvm.close();
        }
    }

    /** Edge-triggered fixed-delivery MSI data for {@code vector}. */
    private static int edge(int vector) {
        return MsiMessage.encodeData(vector, MsiMessage.DELIVERY_FIXED, false, false);
    }

    private KvmRoutingManager manager(int gsiCount, int maxRoutes) {
        KvmRoutingManager m = new KvmRoutingManager(vm, IrqchipMode.IN_KERNEL, gsiCount, maxRoutes,
                (kind, gsi, detail, cause) -> reported.add(new Reported(kind, gsi, detail, cause)));
        m.setTrace(trace::add);
        return m;
    }

    @Test
    void routeLimitIsWhatKvmReports() {
        try (KvmRoutingManager m = manager(64, 0)) {
            assertEquals(kvm.checkExtension(Kvm.CAP_IRQ_ROUTING), m.routeLimit());
            assertEquals(IRQCHIP_ROUTES, m.routesInUse());
        }
    }

    @Test
    void aBurstIsOneRoutingCallAndUnchangedRoutesCostNothing() {
        try (KvmRoutingManager m = manager(64, 0)) {
            for (int g = 32; g < 40; g++) {
                m.setMsiRoute(g, ADDR, edge(0x40 + g - 32));
            }
            assertEquals(0, m.routingCommits(), "staging alone calls nothing");
            m.commitRoutes();
            assertEquals(1, m.routingCommits());
            assertEquals(8, m.irqfdAssigns());
            assertEquals(IRQCHIP_ROUTES + 8, m.routesInUse());

            // The guest rewrites the same messages: nothing to do.
            for (int g = 32; g < 40; g++) {
                m.setMsiRoute(g, ADDR, edge(0x40 + g - 32));
            }
            m.commitRoutes();
            m.commitRoutes();
            assertEquals(1, m.routingCommits(), "unchanged entries cost nothing");
            assertEquals(8, m.irqfdAssigns());

            // One vector changes: one call, and the irqfd stays (KVM re-resolves it).
            m.setMsiRoute(35, ADDR, edge(0x70));
            m.commitRoutes();
            assertEquals(2, m.routingCommits());
            assertEquals(8, m.irqfdAssigns());
            assertEquals(0, m.irqfdDeassigns());
            assertTrue(reported.isEmpty(), reported.toString());
        }
    }

    @Test
    void irqfdIsAssignedOnlyAfterItsRouteAndDeassignedBeforeTheRouteGoes() {
        try (KvmRoutingManager m = manager(64, 0)) {
            m.setMsiRoute(33, ADDR, edge(0x41));
            m.commitRoutes();
            int k = m.kvmGsi(33);
            assertEquals(List.of("ROUTING " + (IRQCHIP_ROUTES + 1), "IRQFD+ " + k), trace);
            trace.clear();
            m.removeRoute(33);
            m.commitRoutes();
            assertEquals(List.of("IRQFD- " + k, "ROUTING " + IRQCHIP_ROUTES), trace);
            assertEquals(-1, m.kvmGsi(33));
            assertTrue(m.sink().eventFd(33) != null, "a removed route keeps its eventfd bound: nothing is lost");
        }
    }

    @Test
    void maskingKeepsTheRouteAndDeassignsTheIrqfdUnmaskReassigns() {
        try (KvmRoutingManager m = manager(64, 0)) {
            m.setMsiRoute(40, ADDR, edge(0x50));
            m.commitRoutes();
            int k = m.kvmGsi(40);
            trace.clear();
            m.setMasked(40, true);
            m.commitRoutes();
            assertEquals(List.of("IRQFD- " + k), trace, "mask: irqfd deassigned, no routing call");
            assertEquals(k, m.kvmGsi(40));
            assertFalse(m.isIrqFdAssigned(40));
            trace.clear();
            m.setMasked(40, false);
            m.commitRoutes();
            assertEquals(List.of("IRQFD+ " + k), trace);
            assertTrue(m.isIrqFdAssigned(40));

            // A route created while masked gets no irqfd until unmasked.
            trace.clear();
            m.setMasked(41, true);
            m.setMsiRoute(41, ADDR, edge(0x51));
            m.commitRoutes();
            assertEquals(List.of("ROUTING " + (IRQCHIP_ROUTES + 2)), trace);
            assertFalse(m.isIrqFdAssigned(41));
        }
    }

    @Test
    void gsisAreAllocatedLazilyAndRunningOutIsReportedClearly() {
        int cap = IRQCHIP_ROUTES + 3;
        try (KvmRoutingManager m = manager(64, cap)) {
            assertEquals(cap, m.routeLimit());
            assertEquals(-1, m.kvmGsi(50), "no GSI before a route");
            for (int g = 50; g < 54; g++) {
                m.setMsiRoute(g, ADDR, edge(0x40 + g - 50));
            }
            m.commitRoutes();
            assertEquals(cap, m.routesInUse());
            assertEquals(24, m.kvmGsi(50), "first MSI route takes KVM GSI 24, past the IOAPIC pins");
            assertEquals(25, m.kvmGsi(51));
            assertEquals(26, m.kvmGsi(52));
            assertEquals(-1, m.kvmGsi(53), "the fourth route does not fit");
            assertEquals(1, reported.size(), reported.toString());
            Reported r = reported.get(0);
            assertEquals(FabricErrorHandler.Kind.REQUEST_REJECTED, r.kind());
            assertEquals(53, r.gsi());
            KvmRouteLimitException e = assertInstanceOf(KvmRouteLimitException.class, r.cause());
            assertEquals(cap, e.limit());
            assertTrue(e.getMessage().contains("exhausted") && e.getMessage().contains(String.valueOf(cap)), e.getMessage());

            // Freeing one lets the refused GSI in, on the freed KVM GSI.
            m.removeRoute(51);
            m.commitRoutes();
            m.setMsiRoute(53, ADDR, edge(0x43));
            m.commitRoutes();
            assertEquals(25, m.kvmGsi(53));
            assertEquals(cap, m.routesInUse());
            assertTrue(m.isIrqFdAssigned(53));
        }
    }

    @Test
    void badRequestsAreReportedNeverThrown() {
        try (KvmRoutingManager m = manager(64, 0)) {
            m.setMsiRoute(64, ADDR, edge(0x40));   // out of range
            m.setMsiRoute(-1, ADDR, edge(0x40));   // out of range
            m.setMsiRoute(5, ADDR, edge(0x40));    // an in-kernel IOAPIC pin
            m.setMasked(99, true);
            m.commitRoutes();
            assertEquals(4, reported.size(), reported.toString());
            for (Reported r : reported) {
                assertEquals(FabricErrorHandler.Kind.REQUEST_REJECTED, r.kind());
            }
            assertEquals(0, m.routingCommits());
        }
    }

    @Test
    void aRoutingTableKvmRejectsIsReportedWithTheIoctlAndErrno() {
        try (KvmRoutingManager m = manager(64, 0)) {
            // An MSI address KVM accepts in a route, so provoke the failure directly instead:
            // a GSI beyond KVM's limit must fail with EINVAL and name the ioctl.
            KvmException e = org.junit.jupiter.api.Assertions.assertThrows(KvmException.class,
                    () -> vm.setGsiRouting(List.of(GsiRoute.msi(m.routeLimit(), ADDR, 0x40))));
            assertEquals("KVM_SET_GSI_ROUTING", e.call());
            assertEquals(22, e.errno(), e.getMessage());
            assertNotEquals(-1, e.getMessage().indexOf("KVM_SET_GSI_ROUTING"));
        }
    }

    /**
     * A KVM_SET_GSI_ROUTING that KVM refuses through the manager: the committed state stays what
     * KVM still has (the route of GSI 30 and its irqfd, deassigned for the change, back in place),
     * the KVM GSI planned for the new route is free again, and the change stays staged until a
     * commit KVM takes. KVM refuses the table for real: with {@code KVM_X2APIC_API_USE_32BIT_IDS}
     * enabled it rejects an MSI route whose address_hi has a low byte.
     */
    @Test
    void aRoutingTableKvmRefusesLeavesTheCommittedStateAndIsRetried() {
        try (KvmRoutingManager m = manager(64, 0)) {
            m.setMsiRoute(30, ADDR, edge(0x40));
            m.commitRoutes();
            assertEquals(24, m.kvmGsi(30));
            assertTrue(m.isIrqFdAssigned(30));
            vm.enableCap(KVM_CAP_X2APIC_API, KVM_X2APIC_API_USE_32BIT_IDS);

            m.removeRoute(30);
            m.setMsiRoute(31, ADDR | (1L << 32), edge(0x41)); // address_hi = 1: refused
            trace.clear();
            m.commitRoutes();
            assertEquals(List.of("IRQFD- 24", "IRQFD+ 24"), trace, "deassigned for the change, back after the refusal");
            KvmException e = assertInstanceOf(KvmException.class, reported.get(reported.size() - 1).cause());
            assertEquals("KVM_SET_GSI_ROUTING", e.call());
            assertEquals(22, e.errno(), e.getMessage());
            assertEquals(24, m.kvmGsi(30), "KVM still has the old table");
            assertTrue(m.isIrqFdAssigned(30));
            assertEquals(-1, m.kvmGsi(31));
            assertEquals(IRQCHIP_ROUTES + 1, m.routesInUse());
            assertTrue(m.hasPendingRoutes(), "the refused change stays staged");

            m.setMsiRoute(31, ADDR, edge(0x41));
            m.commitRoutes();
            assertFalse(m.hasPendingRoutes());
            assertEquals(-1, m.kvmGsi(30));
            assertFalse(m.isIrqFdAssigned(30));
            assertEquals(25, m.kvmGsi(31), "the KVM GSI planned for the refused table was freed");
            assertTrue(m.isIrqFdAssigned(31));
            assertEquals(IRQCHIP_ROUTES + 1, m.routesInUse());
        }
    }

    /** {@code KVM_CAP_X2APIC_API} and its {@code KVM_X2APIC_API_USE_32BIT_IDS} flag (linux/kvm.h). */
    private static final int KVM_CAP_X2APIC_API = 129;
    private static final long KVM_X2APIC_API_USE_32BIT_IDS = 1;
}
