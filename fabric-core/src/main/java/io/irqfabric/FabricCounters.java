package io.irqfabric;

import io.irqfabric.internal.Counters;
import io.irqfabric.internal.OverflowLog;

/**
 * Live per-GSI counters, readable from any thread while the fabric runs. Values may lag the
 * dispatcher by a few batches; after {@link InterruptFabric#close()} they are final.
 *
 * <ul>
 *   <li>asserted: accepted assertions the dispatcher has taken in (through the ring, plus
 *       overflow records it has drained);</li>
 *   <li>delivered: deliveries the sink accepted;</li>
 *   <li>coalesced: assertions that rode on another's delivery
 *       ({@code asserted - delivered - errors}, never negative);</li>
 *   <li>overflowed: assertions recorded in the overflow log because the ring was full
 *       (including, after close, records whose producer was refused);</li>
 *   <li>errors: failed deliveries and exceptions while handling the GSI.</li>
 * </ul>
 */
public final class FabricCounters {
    private final Counters counters;
    private final OverflowLog overflow;

    FabricCounters(Counters counters, OverflowLog overflow) {
        this.counters = counters;
        this.overflow = overflow;
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
        return counters.get(gsi, Counters.ASSERTED) + overflow.consumed(gsi);
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
     * @return assertions merged into another assertion's delivery
     */
    public long coalesced(int gsi) {
        return Math.max(0, asserted(gsi) - delivered(gsi) - errors(gsi));
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
