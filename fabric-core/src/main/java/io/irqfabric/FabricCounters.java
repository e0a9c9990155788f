package io.irqfabric;

import io.irqfabric.internal.ControllerHub;
import io.irqfabric.internal.Counters;
import io.irqfabric.internal.OverflowLog;
import io.irqfabric.internal.ProducerStates;

/**
 * Live per-GSI counters, readable from any thread while the fabric runs. Values may lag the
 * dispatcher by a few batches; after {@link InterruptFabric#close()} they are final.
 *
 * <ul>
 *   <li>asserted: accepted assertions: those the dispatcher has taken in (ring events and
 *       overflow records it has drained) and those coalesced at the source into an event
 *       already in the ring ({@link #coalescedAtSource(int)});</li>
 *   <li>delivered: deliveries the sink accepted;</li>
 *   <li>coalesced: assertions that rode on another's delivery
 *       ({@code asserted - delivered - errors}, never negative);</li>
 *   <li>overflowed: assertions recorded in the overflow log because the ring was full
 *       (including, after close, records whose producer was refused);</li>
 *   <li>errors: failed deliveries and exceptions while handling the GSI, and interrupts a
 *       controller rejected (an MSI address outside 0xFEExxxxx, a requester ID outside the
 *       device's bus range);</li>
 *   <li>masked: assertions that found their source masked and were kept as a pending bit
 *       (delivered once on unmask); an assertion coalesced at the source into such an assertion's
 *       event is counted in {@link #coalescedAtSource(int)} instead.</li>
 * </ul>
 * Two fabric-wide counters belong to the interrupt controllers: {@link #guestAccessErrors()} and
 * {@link #rejectedRequests()}.
 */
public final class FabricCounters {
    private final Counters counters;
    private final OverflowLog overflow;
    private final ControllerHub hub;
    private final ProducerStates producers;

    FabricCounters(Counters counters, OverflowLog overflow, ControllerHub hub, ProducerStates producers) {
        this.counters = counters;
        this.overflow = overflow;
        this.hub = hub;
        this.producers = producers;
    }

    /**
     * @param gsi the GSI
     * @return assertions that found their source masked (kept pending, delivered on unmask)
     */
    public long masked(int gsi) {
        return counters.get(gsi, Counters.MASKED);
    }

    /** @return malformed guest register accesses the controllers ignored (bad size, offset, selector) */
    public long guestAccessErrors() {
        return hub.guestAccessErrors();
    }

    /**
     * @return requests the controllers rejected: interrupts of vectors whose MSI address is
     *         outside 0xFEExxxxx (and each such programming), requester IDs outside a device's bus range
     */
    public long rejectedRequests() {
        return hub.rejectedRequests();
    }

    /** @return the number of GSIs */
    public int gsiCount() {
        return counters.gsiCount();
    }

    /**
     * @param gsi the GSI
     * @return accepted assertions
     */
    public long asserted(int gsi) {
        return counters.get(gsi, Counters.ASSERTED) + counters.get(gsi, Counters.OVERFLOW_DRAINED) + producers.coalesced(gsi);
    }

    /**
     * @param gsi the GSI
     * @return accepted assertions that rode on an event already in the ring (coalesced at the
     *         source, no slot claimed); counted per producer thread, exact for the calling thread
     *         and for threads whose writes it has seen (joined, or synchronized with)
     */
    public long coalescedAtSource(int gsi) {
        return producers.coalesced(gsi);
    }

    /**
     * @param gsi the GSI
     * @return successful deliveries
     */
    public long delivered(int gsi) {
        return counters.get(gsi, Counters.DELIVERED);
    }

    /**
     * @param gsi the GSI
     * @return failed deliveries and handler errors
     */
    public long errors(int gsi) {
        return counters.get(gsi, Counters.ERRORS);
    }

    /**
     * @param gsi the GSI
     * @return assertions recorded in the overflow log
     */
    public long overflowed(int gsi) {
        return overflow.recorded(gsi);
    }

    /**
     * @param gsi the GSI
     * @return assertions merged into another assertion's delivery (at the source or in a batch)
     */
    public long coalesced(int gsi) {
        return Math.max(0, asserted(gsi) - delivered(gsi) - errors(gsi));
    }

    /**
     * @param gsi the GSI
     * @return assertions its moderation policy holds right now (ring events and drained records,
     *         as the dispatcher counts them), 0 when nothing is held
     */
    public long held(int gsi) {
        return counters.get(gsi, Counters.HELD);
    }

    /**
     * @param gsi the GSI
     * @return assertions its rate cap merged into a later delivery (never dropped)
     */
    public long capMerged(int gsi) {
        return counters.get(gsi, Counters.CAP_MERGED);
    }

    /**
     * @param gsi the GSI
     * @return the adaptive policy's current window in ns (0: it holds nothing)
     */
    public long adaptiveWindowNanos(int gsi) {
        return counters.get(gsi, Counters.ADAPTIVE_WINDOW_NS);
    }

    /**
     * @param gsi the GSI (an IOAPIC pin)
     * @return times the level-line storm guard delayed its re-injection
     *         ({@link FabricErrorHandler.Kind#LEVEL_STORM})
     */
    public long stormGuardTrips(int gsi) {
        return counters.get(gsi, Counters.STORM_GUARD_TRIPS);
    }

    /** @return the sum of {@link #asserted(int)} over all GSIs */
    public long totalAsserted() {
        long t = 0;
        for (int g = 0; g < gsiCount(); g++) {
            t += asserted(g);
        }
        return t;
    }

    /** @return the sum of {@link #delivered(int)} over all GSIs */
    public long totalDelivered() {
        long t = 0;
        for (int g = 0; g < gsiCount(); g++) {
            t += delivered(g);
        }
        return t;
    }

    /** @return the sum of {@link #overflowed(int)} over all GSIs */
    public long totalOverflowed() {
        long t = 0;
        for (int g = 0; g < gsiCount(); g++) {
            t += overflowed(g);
        }
        return t;
    }

    /** @return the sum of {@link #errors(int)} over all GSIs */
    public long totalErrors() {
        long t = 0;
        for (int g = 0; g < gsiCount(); g++) {
            t += errors(g);
        }
        return t;
    }
}
