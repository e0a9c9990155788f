package io.irqfabric.internal;

import io.irqfabric.msi.BusRange;
import io.irqfabric.msi.MsixState;
import io.irqfabric.msi.MsixTable;

/**
 * An MSI-X table and PBA: the {@link MsixTable} facade (producer side) and the table the
 * dispatcher alone reads and writes. Layout and behaviour are documented on {@link MsixTable}.
 */
public final class MsixController extends MsiVectorBank implements MsixTable {
    static final int SPACE_TABLE = 0;
    static final int SPACE_PBA = 1;
    static final int SPACE_CONTROL = 2;
    private static final int WRITABLE_CONTROL = CONTROL_ENABLE | CONTROL_FUNCTION_MASK;

    // ---- dispatcher-only state
    private final long[] address;
    private final int[] data;
    private final boolean[] vectorMasked;
    private int control;

    public MsixController(ControllerHub hub, ControllerPort port,
                          int baseGsi, int count, int requesterId, BusRange busRange) {
        super(hub, port, baseGsi, count, requesterId, busRange);
        this.address = new long[count];
        this.data = new int[count];
        this.vectorMasked = new boolean[count];
        java.util.Arrays.fill(vectorMasked, true);
    }

    // ================================================================ producer side

    @Override
    public int tableSize() {
        return ENTRY_SIZE * count;
    }

    @Override
    public int pbaSize() {
        return ((count + 63) >>> 6) * 8;
    }

    @Override
    public long tableRead(long offset, int size) {
        return requestRead(SPACE_TABLE, offset, size, "msix.tableRead");
    }

    @Override
    public void tableWrite(long offset, int size, long value) {
        postWrite(SPACE_TABLE, offset, size, value, "msix.tableWrite");
    }

    @Override
    public long pbaRead(long offset, int size) {
        return requestRead(SPACE_PBA, offset, size, "msix.pbaRead");
    }

    @Override
    public void pbaWrite(long offset, int size, long value) {
        postWrite(SPACE_PBA, offset, size, value, "msix.pbaWrite");
    }

    @Override
    public int readMessageControl() {
        return (int) requestRead(SPACE_CONTROL, 0, 2, "msix.readMessageControl");
    }

    @Override
    public void writeMessageControl(int value) {
        postWrite(SPACE_CONTROL, 0, 2, value & 0xFFFF, "msix.writeMessageControl");
    }

    // ================================================================ dispatcher side

    private boolean validAccess(long offset, int size, int windowSize) {
        return (size == 4 || size == 8) && (offset & (size - 1)) == 0 && offset + size <= windowSize;
    }

    @Override
    protected long readRegister(int space, long offset, int size) {
        switch (space) {
            case SPACE_TABLE: {
                if (!validAccess(offset, size, tableSize())) {
                    return invalid(offset, size);
                }
                int v = (int) (offset >>> 4);
                int field = (int) (offset & 0xF);
                long lo = field < 8 ? address[v] & 0xFFFF_FFFFL : data[v] & 0xFFFF_FFFFL;
                long hi = field < 8 ? address[v] >>> 32 : (vectorMasked[v] ? VECTOR_CONTROL_MASK : 0);
                if (size == 8) {
                    return lo | hi << 32;
                }
                return (field & 4) == 0 ? lo : hi;
            }
            case SPACE_PBA: {
                if (!validAccess(offset, size, pbaSize())) {
                    return invalid(offset, size);
                }
                return pendingBits((int) offset * 8, size * 8);
            }
            case SPACE_CONTROL:
                return control | (count - 1);
            default:
                return invalid(offset, size);
        }
    }

    @Override
    public void write(int space, long offset, int size, long value) {
        switch (space) {
            case SPACE_TABLE:
                if (!validAccess(offset, size, tableSize())) {
                    invalid(offset, size);
                    return;
                }
                writeTable((int) (offset >>> 4), (int) (offset & 0xF), size, value);
                return;
            case SPACE_PBA:
                if (!validAccess(offset, size, pbaSize())) {
                    invalid(offset, size);
                }
                return; // the PBA is read-only
            case SPACE_CONTROL:
                control = (int) value & WRITABLE_CONTROL;
                for (int v = 0; v < count; v++) {
                    reapply(v);
                }
                return;
            default:
                invalid(offset, size);
        }
    }

    private void writeTable(int v, int field, int size, long value) {
        if (size == 8) {
            if (field == 0) {
                address[v] = value & ~3L;
            } else {
                data[v] = (int) value;
                vectorMasked[v] = ((value >>> 32) & VECTOR_CONTROL_MASK) != 0;
            }
        } else {
            int dword = (int) value;
            switch (field) {
                case 0:
                    address[v] = (address[v] & 0xFFFF_FFFF_0000_0000L) | (dword & 0xFFFF_FFFCL);
                    break;
                case 4:
                    address[v] = (address[v] & 0xFFFF_FFFFL) | ((long) dword << 32);
                    break;
                case 8:
                    data[v] = dword;
                    break;
                default:
                    vectorMasked[v] = (dword & VECTOR_CONTROL_MASK) != 0;
                    break;
            }
        }
        reapply(v);
    }

    private void reapply(int v) {
        boolean masked = (control & CONTROL_ENABLE) == 0 || (control & CONTROL_FUNCTION_MASK) != 0 || vectorMasked[v];
        apply(v, masked, address[v], data[v]);
    }

    // ================================================================ state, reset

    @Override
    public MsixState state() {
        return (MsixState) hub.snapshotEngine().state(this, "msix.state");
    }

    @Override
    public void setState(MsixState state) {
        if (state == null || state.vectors() != count) {
            throw new IllegalArgumentException("an MsixState of " + (state == null ? "null" : state.vectors() + " vectors")
                    + " for a table of " + count);
        }
        hub.snapshotEngine().setState(this, state, "msix.setState");
    }

    @Override
    public void reset() {
        hub.snapshotEngine().reset(this, "msix.reset");
    }

    @Override
    public Object captureState() {
        int words = (count + 63) >>> 6;
        long[] masks = new long[words];
        long[] pending = new long[words];
        long[] routedBits = new long[words];
        long[] ra = new long[count];
        int[] rd = new int[count];
        for (int v = 0; v < count; v++) {
            long bit = 1L << (v & 63);
            masks[v >>> 6] |= vectorMasked[v] ? bit : 0;
            pending[v >>> 6] |= hub.pendingBit(baseGsi + v) ? bit : 0;
            routedBits[v >>> 6] |= routeCached(v) ? bit : 0;
            ra[v] = routeCached(v) ? routeCachedAddress(v) : 0; // an unrouted cache is meaningless
            rd[v] = routeCached(v) ? routeCachedData(v) : 0;
        }
        return new MsixState(control, address, data, masks, pending, routedBits, ra, rd);
    }

    @Override
    public void applyState(Object state) {
        MsixState s = (MsixState) state;
        control = s.control() & WRITABLE_CONTROL;
        long[] a = s.address();
        int[] d = s.data();
        long[] masks = s.vectorMasks();
        long[] routedBits = s.routed();
        long[] ra = s.routeAddress();
        int[] rd = s.routeData();
        for (int v = 0; v < count; v++) {
            address[v] = a[v] & ~3L;
            data[v] = d[v];
            vectorMasked[v] = MsixState.bit(masks, v);
            stageRoute(v, MsixState.bit(routedBits, v), ra[v], rd[v]);
        }
        for (int v = 0; v < count; v++) {
            reapply(v);
        }
        long[] pending = s.pending();
        for (int v = 0; v < count; v++) {
            restorePending(v, MsixState.bit(pending, v));
        }
    }

    /**
     * Function-level reset: MSI-X disabled, function mask clear, every entry zero and masked,
     * routes removed. Pending bits are kept: the vectors come back masked, and a pending bit is
     * delivered once the re-initialised driver unmasks its vector (a spurious interrupt for a
     * fresh driver is harmless; a lost one is not). Assertions handled before the reset and not
     * yet delivered become pending bits the same way (the flush finds the vector masked).
     */
    @Override
    public void resetState() {
        control = 0;
        java.util.Arrays.fill(address, 0L);
        java.util.Arrays.fill(data, 0);
        java.util.Arrays.fill(vectorMasked, true);
        for (int v = 0; v < count; v++) {
            stageRoute(v, false, 0, 0);
            reapply(v);
        }
    }
}
