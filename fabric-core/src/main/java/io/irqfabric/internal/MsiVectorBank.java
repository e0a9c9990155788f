package io.irqfabric.internal;

import io.irqfabric.UnknownGsiException;
import io.irqfabric.msi.BusRange;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsiVectorGroup;

/**
 * What MSI and MSI-X share: vectors on consecutive GSIs, the producer-side triggers with
 * requester-ID validation, and the dispatcher-side step that turns a vector's programming
 * (effective mask, address, data) into the gate, the route and the route listener's mask state.
 */
public abstract class MsiVectorBank extends GuestDevice implements MsiVectorGroup {
    protected final int baseGsi;
    protected final int count;
    private final int requesterId;
    private final BusRange busRange;

    // ---- dispatcher-only state
    private final boolean[] effectiveMasked;
    private final boolean[] routed;
    private final long[] routeAddress;
    private final int[] routeData;

    protected MsiVectorBank(ControllerHub hub, ControllerPort port,
                            int baseGsi, int count, int requesterId, BusRange busRange) {
        super(hub, port, baseGsi);
        this.baseGsi = baseGsi;
        this.count = count;
        this.requesterId = requesterId;
        this.busRange = busRange;
        this.effectiveMasked = new boolean[count];
        this.routed = new boolean[count];
        this.routeAddress = new long[count];
        this.routeData = new int[count];
    }

    // ================================================================ producer side

    @Override
    public final int vectorCount() {
        return count;
    }

    @Override
    public final int baseGsi() {
        return baseGsi;
    }

    @Override
    public final int gsi(int vector) {
        if (vector < 0 || vector >= count) {
            throw new UnknownGsiException(vector, "vector " + vector + " is outside this group of " + count
                    + " (GSIs " + baseGsi + ".." + (baseGsi + count - 1) + ")");
        }
        return baseGsi + vector;
    }

    @Override
    public final int requesterId() {
        return requesterId;
    }

    @Override
    public final BusRange busRange() {
        return busRange;
    }

    @Override
    public final void trigger(int vector) {
        checkLive("trigger(vector)");
        port.trigger(gsi(vector));
    }

    @Override
    public final boolean trigger(int vector, int rid) {
        checkLive("trigger(vector, requesterId)");
        int gsi = gsi(vector);
        if (busRange.accepts(rid)) {
            port.trigger(gsi);
            return true;
        }
        port.checkOpen("trigger(vector, requesterId)");
        // Never wait for a slot on a device thread: on a full ring count the rejection directly.
        if (port.tryPost(RingEvent.REJECTED, gsi, rid & 0xFFFF_FFFFL) < 0) {
            hub.countRejectedOffRing();
        }
        return false;
    }

    @Override
    public final io.irqfabric.eventfd.EventFd notifier(int vector) {
        return port.notifier(gsi(vector));
    }

    @Override
    public final boolean consumePending(int vector) {
        int v = gsi(vector) - baseGsi;
        return requestRead(SPACE_CONSUME, v, 1, "consumePending") != 0;
    }

    // ================================================================ dispatcher side

    /** Register space of the device-side consume request (offset = vector); no guest access uses it. */
    static final int SPACE_CONSUME = 0x80;

    @Override
    public final long read(int space, long offset, int size) {
        if (space == SPACE_CONSUME) {
            return hub.consumePending(baseGsi + (int) offset) ? 1 : 0;
        }
        return readRegister(space, offset, size);
    }

    /** Dispatcher: a guest register read (see {@link GuestDevice#read}). */
    protected abstract long readRegister(int space, long offset, int size);

    /** Reset: every vector masked. */
    @Override
    public void attach() {
        for (int v = 0; v < count; v++) {
            effectiveMasked[v] = true;
            hub.setGate(baseGsi + v, ControllerHub.MASKED, 0);
            hub.routeMasked(baseGsi + v, true);
        }
    }

    /**
     * Applies vector {@code v}'s programming. Unmasking sets the route first (the listener
     * commits it before the batch's deliveries), then opens the gate, which delivers a pending
     * bit once. An address outside 0xFEExxxxx blocks the vector instead: no route, every
     * interrupt dropped and counted.
     */
    protected final void apply(int v, boolean masked, long address, int data) {
        int gsi = baseGsi + v;
        if (masked) {
            if (!effectiveMasked[v]) {
                effectiveMasked[v] = true;
                hub.setGate(gsi, ControllerHub.MASKED, 0);
                hub.routeMasked(gsi, true);
            }
            return;
        }
        boolean valid = MsiMessage.isValidAddress(address);
        stageRoute(v, valid, address, data);
        if (effectiveMasked[v]) {
            effectiveMasked[v] = false;
            hub.routeMasked(gsi, false);
        }
        hub.setGate(gsi, valid ? ControllerHub.OPEN : ControllerHub.BLOCKED, address);
    }

    /**
     * @param first first vector
     * @param bits  how many vectors (at most 64)
     * @return their pending bits, vector {@code first} in bit 0
     */
    protected final long pendingBits(int first, int bits) {
        long w = 0;
        for (int i = 0; i < bits && first + i < count; i++) {
            if (hub.pendingBit(baseGsi + first + i)) {
                w |= 1L << i;
            }
        }
        return w;
    }

    // ================================================================ state, reset, destroy

    @Override
    public final int firstGsi() {
        return baseGsi;
    }

    @Override
    public final int gsiSpan() {
        return count;
    }

    /** @return whether vector {@code v} has a route at the listener (dispatcher) */
    protected final boolean routeCached(int v) {
        return routed[v];
    }

    /** @return the routed address of vector {@code v} (dispatcher) */
    protected final long routeCachedAddress(int v) {
        return routeAddress[v];
    }

    /** @return the routed data of vector {@code v} (dispatcher) */
    protected final int routeCachedData(int v) {
        return routeData[v];
    }

    /**
     * Dispatcher: makes vector {@code v}'s route at the listener the given one: staged if it
     * differs from what was staged, removed if there is none. Used when the guest programs a
     * vector and when a state record is applied (before the vectors are re-applied, so an
     * unmasked vector's route is in place before its gate opens).
     */
    protected final void stageRoute(int v, boolean isRouted, long address, int data) {
        int gsi = baseGsi + v;
        if (isRouted) {
            if (!routed[v] || routeAddress[v] != address || routeData[v] != data) {
                routed[v] = true;
                routeAddress[v] = address;
                routeData[v] = data;
                hub.setMsiRoute(gsi, address, data);
            }
        } else if (routed[v]) {
            routed[v] = false;
            hub.removeRoute(gsi);
        }
    }

    /** Dispatcher: the bit of a state record for vector {@code v}'s pending bit. */
    protected final void restorePending(int v, boolean bit) {
        hub.restorePendingBit(baseGsi + v, bit);
    }

    /**
     * Dispatcher, destroy (hot-unplug): every route is removed, the listener hears the vectors
     * unmasked (so a later owner of the GSIs starts clean), pending bits are dropped and reported,
     * and the gates open: the GSIs are plain GSIs again.
     */
    @Override
    public void detach() {
        for (int v = 0; v < count; v++) {
            int gsi = baseGsi + v;
            if (routed[v]) {
                routed[v] = false;
                hub.removeRoute(gsi);
            }
            if (effectiveMasked[v]) {
                effectiveMasked[v] = false;
                hub.routeMasked(gsi, false);
            }
            hub.releaseGate(gsi);
        }
    }
}
