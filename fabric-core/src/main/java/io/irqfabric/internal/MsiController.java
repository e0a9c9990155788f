package io.irqfabric.internal;

import io.irqfabric.msi.BusRange;
import io.irqfabric.msi.MsiCapability;
import io.irqfabric.msi.MsiState;

/**
 * An MSI capability with 64-bit addresses and per-vector masking: the {@link MsiCapability}
 * facade (producer side) and the registers the dispatcher alone touches. The capability is six
 * dwords; a write merges its bytes into a dword under that dword's writable-bits mask, which
 * makes every access size and the read-only bits one rule.
 */
public final class MsiController extends MsiVectorBank implements MsiCapability {
    private static final int MMC_SHIFT = 1;
    private static final int MME_SHIFT = 4;
    private static final int CAPABLE_64BIT = 1 << 7;
    private static final int CAPABLE_PER_VECTOR_MASK = 1 << 8;

    private final int log2Count;
    /** Writable bits of each dword (control is the upper half of dword 0). */
    private final int[] writable;

    // ---- dispatcher-only state
    private int control;
    private int addressLow;
    private int addressHigh;
    private int data;
    private int maskBits;

    public MsiController(ControllerHub hub, ControllerPort port,
                         int baseGsi, int count, int requesterId, BusRange busRange) {
        super(hub, port, baseGsi, count, requesterId, busRange);
        this.log2Count = Integer.numberOfTrailingZeros(count);
        this.writable = new int[] {
            (CONTROL_ENABLE | 7 << MME_SHIFT) << 16,
            0xFFFF_FFFC,
            0xFFFF_FFFF,
            0x0000_FFFF,
            count == 32 ? -1 : (1 << count) - 1,
            0,
        };
        this.control = log2Count << MMC_SHIFT | CAPABLE_64BIT | CAPABLE_PER_VECTOR_MASK;
    }

    // ================================================================ producer side

    @Override
    public long configRead(int offset, int size) {
        return requestRead(0, offset, size, "msi.configRead");
    }

    @Override
    public void configWrite(int offset, int size, long value) {
        postWrite(0, offset, size, value, "msi.configWrite");
    }

    // ================================================================ dispatcher side

    private static boolean validAccess(long offset, int size) {
        return (size == 1 || size == 2 || size == 4) && (offset & (size - 1)) == 0 && offset + size <= SIZE;
    }

    private int dword(int i) {
        switch (i) {
            case 0:
                return CAPABILITY_ID | control << 16;
            case 1:
                return addressLow;
            case 2:
                return addressHigh;
            case 3:
                return data;
            case 4:
                return maskBits;
            default:
                return (int) pendingBits(0, count);
        }
    }

    @Override
    protected long readRegister(int space, long offset, int size) {
        if (space != 0 || !validAccess(offset, size)) {
            return invalid(offset, size);
        }
        int shift = (int) (offset & 3) * 8;
        return ((dword((int) offset >>> 2) & 0xFFFF_FFFFL) >>> shift) & ones(size);
    }

    @Override
    public void write(int space, long offset, int size, long value) {
        if (space != 0 || !validAccess(offset, size)) {
            invalid(offset, size);
            return;
        }
        int i = (int) offset >>> 2;
        int shift = (int) (offset & 3) * 8;
        int mask = (int) (ones(size) << shift) & writable[i];
        int next = (dword(i) & ~mask) | ((int) (value << shift) & mask);
        switch (i) {
            case 0: {
                int c = next >>> 16;
                int mme = Math.min((c >>> MME_SHIFT) & 7, log2Count);
                control = (control & ~(CONTROL_ENABLE | 7 << MME_SHIFT)) | (c & CONTROL_ENABLE) | mme << MME_SHIFT;
                break;
            }
            case 1:
                addressLow = next;
                break;
            case 2:
                addressHigh = next;
                break;
            case 3:
                data = next;
                break;
            case 4:
                maskBits = next;
                break;
            default:
                return; // pending bits are read-only (writable mask 0)
        }
        reapplyAll();
    }

    private void reapplyAll() {
        boolean enabled = (control & CONTROL_ENABLE) != 0;
        int enabledCount = 1 << ((control >>> MME_SHIFT) & 7);
        long address = (long) addressHigh << 32 | (addressLow & 0xFFFF_FFFFL);
        for (int v = 0; v < count; v++) {
            boolean masked = !enabled || v >= enabledCount || (maskBits & (1 << v)) != 0;
            int vectorData = (data & ~(enabledCount - 1)) | v;
            apply(v, masked, address, vectorData);
        }
    }

    // ================================================================ state, reset

    @Override
    public MsiState state() {
        return (MsiState) hub.snapshotEngine().state(this, "msi.state");
    }

    @Override
    public void setState(MsiState state) {
        if (state == null || state.vectors() != count) {
            throw new IllegalArgumentException("an MsiState of " + (state == null ? "null" : state.vectors() + " vectors")
                    + " for a capability of " + count);
        }
        hub.snapshotEngine().setState(this, state, "msi.setState");
    }

    @Override
    public void reset() {
        hub.snapshotEngine().reset(this, "msi.reset");
    }

    @Override
    public Object captureState() {
        int routedBits = 0;
        long[] ra = new long[count];
        int[] rd = new int[count];
        for (int v = 0; v < count; v++) {
            routedBits |= routeCached(v) ? 1 << v : 0;
            ra[v] = routeCached(v) ? routeCachedAddress(v) : 0; // an unrouted cache is meaningless
            rd[v] = routeCached(v) ? routeCachedData(v) : 0;
        }
        return new MsiState(control, addressLow, addressHigh, data, maskBits, (int) pendingBits(0, count), routedBits, ra, rd);
    }

    @Override
    public void applyState(Object state) {
        MsiState s = (MsiState) state;
        int mme = Math.min((s.control() >>> MME_SHIFT) & 7, log2Count);
        control = (control & ~(CONTROL_ENABLE | 7 << MME_SHIFT)) | (s.control() & CONTROL_ENABLE) | mme << MME_SHIFT;
        addressLow = s.addressLow() & writable[1];
        addressHigh = s.addressHigh();
        data = s.data() & writable[3];
        maskBits = s.maskBits() & writable[4];
        long[] ra = s.routeAddress();
        int[] rd = s.routeData();
        for (int v = 0; v < count; v++) {
            stageRoute(v, (s.routed() >>> v & 1) != 0, ra[v], rd[v]);
        }
        reapplyAll();
        for (int v = 0; v < count; v++) {
            restorePending(v, (s.pending() >>> v & 1) != 0);
        }
    }

    /**
     * Function-level reset: MSI disabled, one vector enabled, address, data and mask bits zero,
     * routes removed. Pending bits are kept, as for an MSI-X reset.
     */
    @Override
    public void resetState() {
        control &= ~(CONTROL_ENABLE | 7 << MME_SHIFT);
        addressLow = 0;
        addressHigh = 0;
        data = 0;
        maskBits = 0;
        for (int v = 0; v < count; v++) {
            stageRoute(v, false, 0, 0);
        }
        reapplyAll();
    }
}
