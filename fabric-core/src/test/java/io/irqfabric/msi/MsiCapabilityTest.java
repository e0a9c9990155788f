package io.irqfabric.msi;

import io.irqfabric.FabricConfigException;
import io.irqfabric.testing.ControllerFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MSI capabilities: multi-message groups, per-vector masks, pending bits, on real eventfds. */
class MsiCapabilityTest {
    private static final int BASE = 32;
    private ControllerFixture f;
    private MsiCapability msi;

    @BeforeEach
    void setUp() {
        f = ControllerFixture.plain();
        msi = f.fabric.createMsi(BASE, 8);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private int control() {
        return (int) msi.configRead(2, 2);
    }

    private void program(int mme, int data) {
        msi.configWrite(4, 4, 0xFEE0_3000L);
        msi.configWrite(8, 4, 0);
        msi.configWrite(0xC, 2, data);
        msi.configWrite(2, 2, (mme << 4) | MsiCapability.CONTROL_ENABLE);
    }

    @Test
    void headerAdvertisesCapabilitiesAndIgnoresReadOnlyWrites() {
        assertEquals(MsiCapability.CAPABILITY_ID, msi.configRead(0, 1));
        assertEquals(3 << 1 | 1 << 7 | 1 << 8, control(), "8 vectors capable, 64-bit, per-vector masking");
        msi.configWrite(0, 4, 0xFFFF_FFFFL);
        assertEquals(MsiCapability.CAPABILITY_ID, msi.configRead(0, 1));
        assertEquals(1 | 3 << 4 | 3 << 1 | 1 << 7 | 1 << 8, control(), "only enable and MME change");
        msi.configWrite(0x14, 4, 0xFF);
        assertEquals(0, msi.configRead(0x14, 4), "pending bits are read-only");
        msi.configWrite(0x10, 4, 0xFFFF_FFFFL);
        assertEquals(0xFF, msi.configRead(0x10, 4), "mask bits exist for implemented vectors only");
        assertEquals(0, f.fabric.counters().guestAccessErrors());
    }

    @Test
    void multipleMessagesReplaceTheLowDataBits() {
        f.takeRoutes();
        program(2, 0x60); // 4 vectors enabled
        List<String> routes = f.takeRoutes();
        for (int v = 0; v < 4; v++) {
            assertTrue(routes.contains("route " + (BASE + v) + " 0xfee03000 0x" + Integer.toHexString(0x60 | v)), routes.toString());
        }
        msi.trigger(3);
        assertEquals(1, f.fired(BASE + 3));
        msi.trigger(5); // beyond the enabled count: held pending
        assertEquals(0, f.fired(BASE + 5));
        assertEquals(1 << 5, msi.configRead(0x14, 4));
        msi.configWrite(2, 2, (3 << 4) | MsiCapability.CONTROL_ENABLE); // all 8
        assertEquals(1, f.fired(BASE + 5));
        assertEquals(0, msi.configRead(0x14, 4));
    }

    @Test
    void perVectorMaskHoldsAndUnmaskDeliversOnce() {
        program(3, 0x70);
        msi.configWrite(0x10, 1, 0x02);
        msi.trigger(1);
        msi.trigger(1);
        assertEquals(0, f.fired(BASE + 1));
        assertEquals(0x02, msi.configRead(0x14, 1));
        msi.configWrite(0x10, 1, 0x00);
        assertEquals(1, f.fired(BASE + 1));
        assertEquals(0, msi.configRead(0x14, 1));
    }

    @Test
    void disabledMsiDeliversNothingUntilEnabled() {
        msi.configWrite(4, 4, 0xFEE0_0000L);
        msi.configWrite(0xC, 2, 0x80);
        msi.trigger(0);
        assertEquals(0, f.fired(BASE));
        msi.configWrite(2, 1, MsiCapability.CONTROL_ENABLE); // byte write of the control's low byte
        assertEquals(1, f.fired(BASE));
    }

    @Test
    void malformedAccessesAreCounted() {
        assertEquals(0xFFFF_FFFFL, msi.configRead(1, 4));
        assertEquals(0xFFFF_FFFFL, msi.configRead(0x18, 4));
        msi.configWrite(3, 2, 0);
        msi.configWrite(0, 8, 0);
        f.fabric.sync(); // the writes are fire-and-forget: let the dispatcher handle them
        assertEquals(4, f.fabric.counters().guestAccessErrors());
        assertEquals(0, control() & MsiCapability.CONTROL_ENABLE);
    }

    @Test
    void vectorCountMustBeAPowerOfTwo() {
        assertThrows(FabricConfigException.class, () -> f.fabric.createMsi(100, 3));
        assertThrows(FabricConfigException.class, () -> f.fabric.createMsi(100, 64));
        assertEquals(32, f.fabric.createMsi(100, 32).vectorCount());
    }
}
