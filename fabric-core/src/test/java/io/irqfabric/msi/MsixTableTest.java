package io.irqfabric.msi;

import io.irqfabric.DispatchMode;
import io.irqfabric.FabricConfigException;
import io.irqfabric.FabricErrorHandler;
import io.irqfabric.UnknownGsiException;
import io.irqfabric.testing.ControllerFixture;
import io.irqfabric.testing.StallingSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.irqfabric.msi.MsixTable.CONTROL_ENABLE;
import static io.irqfabric.msi.MsixTable.CONTROL_FUNCTION_MASK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MSI-X tables: every behaviour checked by whether the vector's real eventfd fired. */
class MsixTableTest {
    private static final int BASE = 64;
    private static final int VECTORS = 70; // two PBA qwords
    private static final long ADDRESS = MsiMessage.encodeAddress(1, false, false);

    private ControllerFixture f;
    private MsixTable t;

    @BeforeEach
    void setUp() {
        f = ControllerFixture.plain();
        t = f.fabric.createMsixTable(BASE, VECTORS);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private void program(int v, long address, int data, boolean masked) {
        t.tableWrite(16L * v, 4, address & 0xFFFF_FFFFL);
        t.tableWrite(16L * v + 4, 4, address >>> 32);
        t.tableWrite(16L * v + 8, 4, data & 0xFFFF_FFFFL);
        t.tableWrite(16L * v + 12, 4, masked ? 1 : 0);
    }

    private boolean pending(int v) {
        return (t.pbaRead(8L * (v / 64), 8) >>> (v % 64) & 1) != 0;
    }

    @Test
    void resetStateIsDisabledWithEveryVectorMasked() {
        assertEquals(VECTORS - 1, t.readMessageControl());
        for (int v = 0; v < VECTORS; v++) {
            assertEquals(1, t.tableRead(16L * v + 12, 4), "vector " + v + " masked");
            assertEquals(0, t.tableRead(16L * v, 8));
        }
        assertEquals(VECTORS * 16, t.tableSize());
        assertEquals(16, t.pbaSize());
    }

    @Test
    void unmaskedVectorDeliversAndItsRouteIsCommittedFirst() {
        f.takeRoutes();
        t.writeMessageControl(CONTROL_ENABLE);
        program(5, ADDRESS, 0x41, false);
        List<String> routes = f.takeRoutes();
        assertTrue(routes.contains("route " + (BASE + 5) + " 0xfee01000 0x41"), routes.toString());
        assertTrue(routes.indexOf("unmask " + (BASE + 5)) > routes.indexOf("route " + (BASE + 5) + " 0xfee01000 0x41"));
        assertEquals("commit", routes.get(routes.size() - 1));
        t.trigger(5);
        assertEquals(1, f.fired(BASE + 5));
        assertEquals(0, f.fired(BASE + 6));
        assertEquals(1, f.fabric.counters().delivered(BASE + 5));
    }

    @Test
    void triggerOnMaskedVectorSetsPendingBitAndUnmaskDeliversItOnce() {
        t.writeMessageControl(CONTROL_ENABLE);
        program(66, ADDRESS, 0x42, true);
        t.trigger(66);
        t.trigger(66);
        assertEquals(0, f.fired(BASE + 66), "masked: nothing delivered");
        assertTrue(pending(66), "PBA shows the pending bit");
        assertEquals(0xFFFF_FFFFL & (1L << 2), t.pbaRead(8, 4), "32-bit PBA read of vectors 64..95");
        // Each assertion either found the vector masked itself or coalesced at the source into
        // an event that did: together, both.
        assertEquals(2, f.fabric.counters().masked(BASE + 66) + f.fabric.counters().coalescedAtSource(BASE + 66));
        t.tableWrite(16L * 66 + 12, 4, 0); // unmask
        assertEquals(1, f.fired(BASE + 66), "delivered once on unmask");
        assertFalse(pending(66), "and the pending bit is cleared");
        t.tableWrite(16L * 66 + 12, 4, 1);
        t.tableWrite(16L * 66 + 12, 4, 0);
        assertEquals(0, f.fired(BASE + 66), "no second delivery");
    }

    @Test
    void unmaskWithoutPendingBitDeliversNothing() {
        t.writeMessageControl(CONTROL_ENABLE);
        program(1, ADDRESS, 0x43, true);
        program(1, ADDRESS, 0x43, false);
        assertEquals(0, f.fired(BASE + 1));
    }

    @Test
    void functionMaskAndEnableGateEveryVector() {
        program(2, ADDRESS, 0x44, false);
        t.trigger(2); // MSI-X not enabled yet
        assertEquals(0, f.fired(BASE + 2));
        assertTrue(pending(2));
        t.writeMessageControl(CONTROL_ENABLE | CONTROL_FUNCTION_MASK);
        assertEquals(0, f.fired(BASE + 2), "function mask still holds it");
        assertEquals(CONTROL_ENABLE | CONTROL_FUNCTION_MASK | (VECTORS - 1), t.readMessageControl());
        t.trigger(2);
        t.writeMessageControl(CONTROL_ENABLE);
        assertEquals(1, f.fired(BASE + 2), "one delivery for both pending triggers");
        assertFalse(pending(2));
        t.trigger(2);
        assertEquals(1, f.fired(BASE + 2));
    }

    @Test
    void maskInTheSameBatchAsTheTriggerKeepsItPending() {
        t.writeMessageControl(CONTROL_ENABLE);
        program(3, ADDRESS, 0x45, false);
        f.fabric.sync();
        // trigger then mask, published back to back; if they land in one batch the flush sees the
        // mask and keeps the bit, otherwise the trigger was delivered before the mask: never both
        t.trigger(3);
        t.tableWrite(16L * 3 + 12, 4, 1);
        long delivered = f.fired(BASE + 3);
        assertEquals(1, delivered + (pending(3) ? 1 : 0));
        t.tableWrite(16L * 3 + 12, 4, 0);
        assertEquals(1 - delivered, f.fired(BASE + 3));
    }

    @Test
    void sixtyFourBitAccessesCoverAddressAndDataPlusControl() {
        t.tableWrite(16L * 4, 8, 0x0000_0001_FEE0_2003L); // bits 1:0 of the address read 0
        t.tableWrite(16L * 4 + 8, 8, 0x0000_0000_0000_0046L | (1L << 32));
        assertEquals(0xFEE0_2000L, t.tableRead(16L * 4, 4));
        assertEquals(1, t.tableRead(16L * 4 + 4, 4));
        assertEquals(0x0000_0001_0000_0046L, t.tableRead(16L * 4 + 8, 8));
        t.tableWrite(16L * 4 + 12, 4, 0xFFFF_FFFFL);
        assertEquals(1, t.tableRead(16L * 4 + 12, 4), "reserved vector-control bits read 0");
        assertEquals(0, f.fabric.counters().guestAccessErrors());
    }

    @Test
    void pbaWritesAreIgnored() {
        t.writeMessageControl(CONTROL_ENABLE);
        program(0, ADDRESS, 0x47, true);
        t.trigger(0);
        f.fabric.sync();
        t.pbaWrite(0, 8, 0);
        t.pbaWrite(0, 8, -1L);
        assertEquals(1, t.pbaRead(0, 8));
        assertEquals(0, f.fabric.counters().guestAccessErrors());
        t.tableWrite(12, 4, 0);
        assertEquals(1, f.fired(BASE));
    }

    @Test
    void malformedAccessesAreIgnoredCountedAndReadAllOnes() {
        program(0, ADDRESS, 0x48, true);
        int bad = 0;
        assertEquals(0xFFFFL, t.tableRead(0, 2)); bad++;
        assertEquals(0xFFFF_FFFFL, t.tableRead(2, 4)); bad++;
        assertEquals(-1L, t.tableRead(4, 8)); bad++;                       // misaligned qword
        assertEquals(0xFFFF_FFFFL, t.tableRead(16L * VECTORS, 4)); bad++;
        assertEquals(-1L, t.pbaRead(16, 8)); bad++;
        t.tableWrite(1, 4, 0); bad++;
        t.tableWrite(0, 1, 0); bad++;
        t.tableWrite(Long.MAX_VALUE, 4, 0); bad++;
        t.tableWrite(-16, 8, 0); bad++;
        t.pbaWrite(3, 4, 0); bad++;
        f.fabric.sync(); // the writes are fire-and-forget: let the dispatcher handle them
        assertEquals(bad, f.fabric.counters().guestAccessErrors());
        assertEquals(bad, f.reported(FabricErrorHandler.Kind.GUEST_ACCESS_INVALID));
        assertEquals(ADDRESS, t.tableRead(0, 8));
        assertEquals(0x48, t.tableRead(8, 4));
        assertEquals(1, t.tableRead(12, 4));
    }

    @Test
    void addressOutsideTheMsiWindowIsRejectedAndCounted() {
        t.writeMessageControl(CONTROL_ENABLE);
        f.takeRoutes();
        program(7, 0xDEAD_0000L, 0x49, false);
        t.trigger(7);
        assertEquals(0, f.fired(BASE + 7));
        assertTrue(f.fabric.counters().errors(BASE + 7) >= 1);
        assertTrue(f.fabric.counters().rejectedRequests() >= 2, "the programming and the interrupt");
        assertTrue(f.reported(FabricErrorHandler.Kind.REQUEST_REJECTED) >= 2);
        assertFalse(f.takeRoutes().stream().anyMatch(r -> r.startsWith("route")));
        program(7, ADDRESS, 0x49, false);
        t.trigger(7);
        assertEquals(1, f.fired(BASE + 7), "valid again");
    }

    @Test
    void requesterIdsOutsideTheBusRangeAreDropped() {
        MsixTable dev = f.fabric.createMsixTable(200, 2, 0x18, new BusRange(2, 3));
        assertEquals(0x0218, dev.requesterId());
        dev.tableWrite(0, 8, ADDRESS);
        dev.tableWrite(8, 8, 0x50);
        dev.writeMessageControl(CONTROL_ENABLE);
        assertFalse(dev.trigger(0, 0x0508));
        assertEquals(0, f.fired(200));
        assertEquals(1, f.fabric.counters().errors(200));
        assertEquals(1, f.fabric.counters().rejectedRequests());
        assertTrue(dev.trigger(0, 0x0308));
        assertEquals(1, f.fired(200));
        dev.trigger(0);
        assertEquals(1, f.fired(200));
    }

    @Test
    void callerMisuseThrows() {
        assertThrows(UnknownGsiException.class, () -> t.trigger(VECTORS));
        assertThrows(UnknownGsiException.class, () -> t.trigger(-1));
        assertThrows(FabricConfigException.class, () -> f.fabric.createMsixTable(BASE + 10, 4), "overlap");
        assertThrows(FabricConfigException.class, () -> f.fabric.createMsixTable(0, 0));
        assertThrows(FabricConfigException.class, () -> f.fabric.createMsixTable(0, 2049));
        assertThrows(UnknownGsiException.class, () -> f.fabric.createMsixTable(250, 10));
        assertThrows(FabricConfigException.class, () -> f.fabric.createMsixTable(0, 1, 256, BusRange.ALL));
    }

    @Test
    void overflowRecordsOfAMaskedVectorBecomePendingBits() throws Exception {
        f.close();
        StallingSink[] stall = new StallingSink[1];
        f = ControllerFixture.custom(b -> b.ringSize(4).dispatchMode(DispatchMode.DEDICATED), sink -> stall[0] = new StallingSink(sink, 0));
        t = f.fabric.createMsixTable(BASE, VECTORS);
        t.writeMessageControl(CONTROL_ENABLE); // vector 9 stays masked
        f.fabric.sync();
        f.fabric.trigger(0);
        assertTrue(stall[0].awaitStalled());
        for (int v = 0; v < 8; v++) {
            t.trigger(v);                      // distinct vectors fill the ring (one event per
        }                                      // vector: the rest coalesce at the source)
        t.trigger(9);
        try {
            assertTrue(f.fabric.counters().overflowed(BASE + 9) > 0, "the ring was full");
        } finally {
            stall[0].release();
        }
        assertEquals(0, f.fired(BASE + 9), "masked even through the overflow log");
        assertTrue(pending(9));
        program(9, ADDRESS, 0x51, false);
        assertEquals(1, f.fired(BASE + 9));
    }
}
