package io.irqfabric.kvm.testguest;

import io.irqfabric.kvm.IrqchipMode;
import io.irqfabric.kvm.KvmRoutingManager;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The split-irqchip plumbing of the vCPU loop on the real /dev/kvm, with a recording test
 * double in place of the fabric's IOAPIC: the guest's IOAPIC MMIO accesses arrive as
 * mmioRead/mmioWrite at the right offsets and sizes, reads return what the double answers, a
 * route the double publishes delivers through the routing manager's irqfd, and the guest's
 * EOI of a level-triggered route comes back as KVM_EXIT_IOAPIC_EOI with its vector.
 * (End-to-end test 2 runs the same with the fabric's real IOAPIC.)
 */
class SplitIrqchipPlumbingTest {
    /** Records accesses; answers the version register; publishes redirection entries as routes. */
    private static final class RecordingIoapic implements UserspaceIoapic {
        final List<String> accesses = new CopyOnWriteArrayList<>();
        final List<Integer> eois = new CopyOnWriteArrayList<>();
        final int[] low = new int[24];
        final int[] high = new int[24];
        volatile KvmRoutingManager routing;
        int select;

        @Override
        public long mmioRead(long offset, int size) {
            accesses.add("R " + offset + "/" + size + " sel=" + select);
            if (offset == 0x10 && select == 1) {
                return 0x170020;
            }
            return 0;
        }

        @Override
        public void mmioWrite(long offset, int size, long value) {
            accesses.add("W " + offset + "/" + size + " =" + Long.toHexString(value));
            if (offset == 0) {
                select = (int) value & 0xFF;
            } else if (offset == 0x10 && select >= 0x10 && select < 0x40) {
                int pin = (select - 0x10) / 2;
                if ((select & 1) == 0) {
                    low[pin] = (int) value;
                    boolean level = (value & (1 << 15)) != 0;
                    int vector = (int) value & 0xFF;
                    routing.setMsiRoute(pin, TestMsi.address(high[pin] >>> 24),
                            level ? TestMsi.level(vector) : TestMsi.edge(vector));
                    routing.commitRoutes();
                } else {
                    high[pin] = (int) value;
                }
            }
        }

        @Override
        public void eoi(int vector) {
            eois.add(vector);
        }
    }

    @Test
    void ioapicMmioAndEoiExitsReachTheUserspaceIoapic() {
        KvmAssumptions.assumeKvm("ioapicMmioAndEoiExitsReachTheUserspaceIoapic");
        RecordingIoapic ioapic = new RecordingIoapic();
        GuestImage image = GuestImage.withIoapicEntries(List.of(
                new GuestImage.IoapicEntry(3, 0x58, true),
                new GuestImage.IoapicEntry(4, 0x59, false)));
        try (KvmGuestVm guest = KvmGuestVm.builder().irqchip(IrqchipMode.SPLIT).gsiCount(32).image(image).create()) {
            ioapic.routing = guest.routing();   // before the guest boots and programs the IOAPIC
            guest.start(ioapic);
            assertEquals(0x170020, guest.ioapicVersionSeenByGuest(), "the guest's IOWIN read returned the double's answer");
            assertEquals(List.of(
                    "W 0/4 =1", "R 16/4 sel=1",
                    "W 0/4 =17", "W 16/4 =0", "W 0/4 =16", "W 16/4 =8058",
                    "W 0/4 =19", "W 16/4 =0", "W 0/4 =18", "W 16/4 =59"), ioapic.accesses);
            assertEquals(3, guest.routing().kvmGsi(3), "IOAPIC pin 3 is KVM GSI 3");
            assertEquals(4, guest.routing().kvmGsi(4));

            // Edge pin 4: an eventfd write on the sink's GSI 4 arrives as vector 0x59.
            assertEquals(io.irqfabric.InterruptSink.DELIVERED, guest.sink().deliver(4));
            assertTrue(guest.awaitHandled(0x59, 1, 2_000), "edge pin delivered; failure=" + guest.failure());
            // Level pin 3: delivered as 0x58, and the guest's EOI exits to user space.
            assertEquals(io.irqfabric.InterruptSink.DELIVERED, guest.sink().deliver(3));
            assertTrue(guest.awaitHandled(0x58, 1, 2_000));
            assertTrue(KvmGuestVm.awaitCondition(() -> ioapic.eois.contains(0x58), 2_000), "KVM_EXIT_IOAPIC_EOI for 0x58");
            assertEquals(List.of(0x58), ioapic.eois, "only the level vector's EOI exits");
            assertEquals(0, guest.invalidMmioAccesses());
            assertNull(guest.failure());
        }
    }
}
