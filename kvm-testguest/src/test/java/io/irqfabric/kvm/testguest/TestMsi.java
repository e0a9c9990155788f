package io.irqfabric.kvm.testguest;

import io.irqfabric.msi.MsiMessage;

/** Short names for the fixed-delivery MSI messages the tests route (codec: core's {@link MsiMessage}). */
final class TestMsi {
    private TestMsi() {
    }

    /** @return the MSI address of LAPIC {@code apicId}, physical destination */
    static long address(int apicId) {
        return MsiMessage.encodeAddress(apicId, false, false);
    }

    /** @return edge-triggered fixed-delivery data for {@code vector} */
    static int edge(int vector) {
        return MsiMessage.encodeData(vector, MsiMessage.DELIVERY_FIXED, false, false);
    }

    /** @return level-triggered, asserted, fixed-delivery data for {@code vector} */
    static int level(int vector) {
        return MsiMessage.encodeData(vector, MsiMessage.DELIVERY_FIXED, true, true);
    }
}
