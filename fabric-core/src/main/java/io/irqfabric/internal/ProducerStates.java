package io.irqfabric.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What the producer protocol keeps per producer thread: the sequence of the last controller
 * event the thread published (so its triggers coalesce only into events judged after it), and
 * its count of assertions coalesced at the source, per GSI. Written only by its own thread, so
 * counting needs no atomic and touches no shared cache line; readers sum over every thread that
 * ever triggered (the list only grows, a registration per thread and fabric).
 *
 * <p>A coalesced count is exact for the counting thread at once, and for a reader once the
 * counting thread's writes are visible to it (the reader joined it, or synchronized with it).
 */
public final class ProducerStates {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** One thread's state. */
    public static final class State {
        /** The sequence of the last controller event this thread published, or -1. */
        long lastOrdered = -1;
        private final long[] coalesced;

        State(int gsiCount) {
            coalesced = new long[gsiCount];
        }

        /** @param seq a controller event this thread published */
        void ordered(long seq) {
            if (seq > lastOrdered) {
                lastOrdered = seq;
            }
        }

        /** @param gsi a GSI whose assertion this thread coalesced at the source */
        void countCoalesced(int gsi) {
            LONGS.setOpaque(coalesced, gsi, coalesced[gsi] + 1);
        }
    }

    private final int gsiCount;
    private final ThreadLocal<State> current;
    private volatile State[] all = new State[0];

    /** @param gsiCount number of GSIs */
    public ProducerStates(int gsiCount) {
        this.gsiCount = gsiCount;
        this.current = ThreadLocal.withInitial(this::register);
    }

    private synchronized State register() {
        State s = new State(gsiCount);
        State[] a = java.util.Arrays.copyOf(all, all.length + 1);
        a[a.length - 1] = s;
        all = a;
        return s;
    }

    /** @return the calling thread's state (registered on its first call) */
    State current() {
        return current.get();
    }

    /**
     * Any thread: assertions of {@code gsi} coalesced at the source, over every producer thread.
     *
     * @param gsi the GSI
     * @return the sum
     */
    public long coalesced(int gsi) {
        long sum = 0;
        for (State s : all) {
            sum += (long) LONGS.getOpaque(s.coalesced, gsi);
        }
        return sum;
    }
}
