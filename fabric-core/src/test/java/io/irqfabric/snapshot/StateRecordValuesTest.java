package io.irqfabric.snapshot;

import io.irqfabric.ioapic.IoapicState;
import io.irqfabric.msi.MsiState;
import io.irqfabric.msi.MsixState;
import io.irqfabric.virtio.VirtioPciState;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The controllers' state records are values: two built from equal arrays are equal, hash alike
 * and print alike, and a change in any one component, an array element included, makes them
 * differ. (Their arrays are copied, so a record's built-in equality would compare copies by
 * identity; they delegate to {@code io.irqfabric.support.ArrayRecords}.)
 */
class StateRecordValuesTest {

    @Test
    void ioapicStateIsAValue() {
        assertValue(() -> ioapic(1, 0x0100_0000, longs(24, 1), 3, true, 4, 5, longs(24, 2), ints(24, 3)), List.of(
                ioapic(2, 0x0100_0000, longs(24, 1), 3, true, 4, 5, longs(24, 2), ints(24, 3)),
                ioapic(1, 0x0200_0000, longs(24, 1), 3, true, 4, 5, longs(24, 2), ints(24, 3)),
                ioapic(1, 0x0100_0000, with(longs(24, 1), 23, -1), 3, true, 4, 5, longs(24, 2), ints(24, 3)),
                ioapic(1, 0x0100_0000, longs(24, 1), 7, true, 4, 5, longs(24, 2), ints(24, 3)),
                ioapic(1, 0x0100_0000, longs(24, 1), 3, false, 4, 5, longs(24, 2), ints(24, 3)),
                ioapic(1, 0x0100_0000, longs(24, 1), 3, true, 6, 5, longs(24, 2), ints(24, 3)),
                ioapic(1, 0x0100_0000, longs(24, 1), 3, true, 4, 9, longs(24, 2), ints(24, 3)),
                ioapic(1, 0x0100_0000, longs(24, 1), 3, true, 4, 5, with(longs(24, 2), 0, -1), ints(24, 3)),
                ioapic(1, 0x0100_0000, longs(24, 1), 3, true, 4, 5, longs(24, 2), with(ints(24, 3), 12, -1))));
    }

    @Test
    void msiStateIsAValue() {
        assertValue(() -> new MsiState(1, 2, 3, 4, 5, 6, 7, longs(4, 1), ints(4, 2)), List.of(
                new MsiState(9, 2, 3, 4, 5, 6, 7, longs(4, 1), ints(4, 2)),
                new MsiState(1, 9, 3, 4, 5, 6, 7, longs(4, 1), ints(4, 2)),
                new MsiState(1, 2, 9, 4, 5, 6, 7, longs(4, 1), ints(4, 2)),
                new MsiState(1, 2, 3, 9, 5, 6, 7, longs(4, 1), ints(4, 2)),
                new MsiState(1, 2, 3, 4, 9, 6, 7, longs(4, 1), ints(4, 2)),
                new MsiState(1, 2, 3, 4, 5, 9, 7, longs(4, 1), ints(4, 2)),
                new MsiState(1, 2, 3, 4, 5, 6, 9, longs(4, 1), ints(4, 2)),
                new MsiState(1, 2, 3, 4, 5, 6, 7, with(longs(4, 1), 3, -1), ints(4, 2)),
                new MsiState(1, 2, 3, 4, 5, 6, 7, longs(4, 1), with(ints(4, 2), 3, -1))));
    }

    @Test
    void msixStateIsAValue() {
        assertValue(() -> new MsixState(1, longs(3, 1), ints(3, 2), bits(1), bits(2), bits(4), longs(3, 3), ints(3, 4)), List.of(
                new MsixState(3, longs(3, 1), ints(3, 2), bits(1), bits(2), bits(4), longs(3, 3), ints(3, 4)),
                new MsixState(1, with(longs(3, 1), 2, -1), ints(3, 2), bits(1), bits(2), bits(4), longs(3, 3), ints(3, 4)),
                new MsixState(1, longs(3, 1), with(ints(3, 2), 1, -1), bits(1), bits(2), bits(4), longs(3, 3), ints(3, 4)),
                new MsixState(1, longs(3, 1), ints(3, 2), bits(3), bits(2), bits(4), longs(3, 3), ints(3, 4)),
                new MsixState(1, longs(3, 1), ints(3, 2), bits(1), bits(3), bits(4), longs(3, 3), ints(3, 4)),
                new MsixState(1, longs(3, 1), ints(3, 2), bits(1), bits(2), bits(5), longs(3, 3), ints(3, 4)),
                new MsixState(1, longs(3, 1), ints(3, 2), bits(1), bits(2), bits(4), with(longs(3, 3), 0, -1), ints(3, 4)),
                new MsixState(1, longs(3, 1), ints(3, 2), bits(1), bits(2), bits(4), longs(3, 3), with(ints(3, 4), 2, -1))));
    }

    @Test
    void virtioPciStateIsAValue() {
        assertValue(() -> new VirtioPciState(new int[] {1, 2, 3}, 4), List.of(
                new VirtioPciState(new int[] {1, 2, 5}, 4),
                new VirtioPciState(new int[] {1, 2, 3}, 6)));
        assertEquals("VirtioPciState[queueVectors=[1, 2, 3], configVector=4]", new VirtioPciState(new int[] {1, 2, 3}, 4).toString());
    }

    @Test
    void theTextFormNamesEveryComponentAndPrintsArraysByContent() {
        assertEquals("MsiState[control=1, addressLow=2, addressHigh=3, data=4, maskBits=5, pending=6, routed=7, "
                        + "routeAddress=[100, 101], routeData=[200, 201]]",
                new MsiState(1, 2, 3, 4, 5, 6, 7, new long[] {100, 101}, new int[] {200, 201}).toString());
    }

    private static <T> void assertValue(Supplier<T> make, List<T> variants) {
        T a = make.get();
        T b = make.get();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(a.toString(), b.toString());
        assertNotEquals(a, null);
        assertNotEquals(a, "not a state");
        for (T v : variants) {
            assertNotEquals(a, v, "differs in one component: " + v);
            assertNotEquals(v, a, "differs in one component: " + v);
            assertNotEquals(a.toString(), v.toString());
        }
    }

    private static IoapicState ioapic(int ioregsel, int id, long[] entries, int lineLevels, boolean rtcRemoteIrr,
                                      int pendingRises, int routed, long[] routeAddress, int[] routeData) {
        return new IoapicState(ioregsel, id, entries, lineLevels, rtcRemoteIrr, pendingRises, routed, routeAddress, routeData);
    }

    private static long[] longs(int n, int seed) {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = seed * 1000L + i;
        }
        return a;
    }

    private static int[] ints(int n, int seed) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = seed * 1000 + i;
        }
        return a;
    }

    private static long[] bits(long word) {
        return new long[] {word};
    }

    private static long[] with(long[] a, int i, long v) {
        a[i] = v;
        return a;
    }

    private static int[] with(int[] a, int i, int v) {
        a[i] = v;
        return a;
    }
}
