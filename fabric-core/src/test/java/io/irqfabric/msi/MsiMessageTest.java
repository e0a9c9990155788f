package io.irqfabric.msi;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MsiMessageTest {
    @Test
    void encodesTheX86Layout() {
        MsiMessage m = new MsiMessage(0x12, true, true, 0x41, MsiMessage.DELIVERY_LOWEST_PRIORITY, true, true);
        assertEquals(0xFEE1_200CL, m.address());
        assertEquals(0x41 | 1 << 8 | 1 << 14 | 1 << 15, m.data());
        assertEquals(m, MsiMessage.decode(m.address(), m.data()));
    }

    @Test
    void roundTripsEveryField() {
        for (int dest = 0; dest < 256; dest += 17) {
            for (int dm = 0; dm < 8; dm++) {
                MsiMessage m = new MsiMessage(dest, (dest & 1) != 0, (dm & 1) != 0, 255 - dest, dm, (dm & 2) != 0, (dm & 4) != 0);
                assertEquals(m, MsiMessage.decode(m.address(), m.data()));
            }
        }
    }

    @Test
    void onlyTheInterruptWindowIsAValidAddress() {
        assertTrue(MsiMessage.isValidAddress(0xFEE0_0000L));
        assertTrue(MsiMessage.isValidAddress(0xFEEF_FFFCL));
        assertFalse(MsiMessage.isValidAddress(0xFED0_0000L));
        assertFalse(MsiMessage.isValidAddress(0x1_FEE0_0000L));
        assertThrows(IllegalArgumentException.class, () -> MsiMessage.decode(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new MsiMessage(256, false, false, 0, 0, false, false));
        assertThrows(IllegalArgumentException.class, () -> new MsiMessage(0, false, false, 0, 8, false, false));
    }

    @Test
    void busRangeValidatesRequesterIds() {
        BusRange r = new BusRange(4, 6);
        assertEquals(0x0410, r.requesterId(0x10));
        assertTrue(r.accepts(0x0600));
        assertFalse(r.accepts(0x0700));
        assertFalse(r.accepts(0x03FF));
        assertFalse(r.accepts(0x1_0400));
        assertThrows(IllegalArgumentException.class, () -> new BusRange(5, 4));
    }
}
