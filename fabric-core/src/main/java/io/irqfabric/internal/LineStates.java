package io.irqfabric.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The producer side of interrupt lines (IOAPIC pins): one atomic word per line that device
 * threads update lock-free, and a summary word of lines changed since the dispatcher last
 * looked (DESIGN.md, "Ring full": "level lines record their latest level plus an asserted since
 * last drain bit").
 *
 * <pre>
 *   state[line]  int   bit 0 LEVEL  current level, as last set by a device
 *                      bit 1 ROSE   sticky: the line went from low to high (or was pulsed)
 *                                   since the dispatcher last consumed it
 *   changed      long  bit l: line l changed since the last drain (lines 0..63)
 * </pre>
 *
 * A producer updates {@code state} (one CAS loop), then sets its {@code changed} bit, then asks
 * for a ring event. The dispatcher consumes a line with one atomic AND-NOT of ROSE and so sees
 * every rising edge exactly once and the latest level; it clears {@code changed} before reading
 * the states, so an update it misses has set its bit after the clear and is found by the next
 * drain. Because each drain runs after the dispatcher released its slots with a full fence, a
 * producer that finds the ring full after setting its bit is certain a drain follows (the same
 * argument as for the {@link OverflowLog}). Ordering between the ring event and the drain cannot
 * invert the final level: both read the same word.
 */
public final class LineStates {
    public static final int LEVEL = 1;
    public static final int ROSE = 2;

    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle CHANGED;

    static {
        try {
            CHANGED = MethodHandles.lookup().findVarHandle(LineStates.class, "changed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int[] state;
    @SuppressWarnings("unused") // accessed through CHANGED
    private volatile long changed;

    /** @param lines number of lines, at most 64 */
    public LineStates(int lines) {
        if (lines > 64) {
            throw new IllegalArgumentException("at most 64 lines");
        }
        state = new int[lines];
    }

    /**
     * Producer: sets the level; a low-to-high change also sets ROSE.
     *
     * @return true if the line rose (an assertion the dispatcher must see)
     */
    public boolean set(int line, boolean high) {
        boolean rose;
        if (high) {
            int old;
            int next;
            do {
                old = (int) INTS.getVolatile(state, line);
                next = (old & LEVEL) != 0 ? old : old | LEVEL | ROSE;
            } while (old != next && !INTS.compareAndSet(state, line, old, next));
            rose = old != next;
        } else {
            INTS.getAndBitwiseAnd(state, line, ~LEVEL);
            rose = false;
        }
        CHANGED.getAndBitwiseOr(this, 1L << line);
        return rose;
    }

    /** Producer: an edge that cannot be lost: ROSE without changing the level. */
    public void pulse(int line) {
        INTS.getAndBitwiseOr(state, line, ROSE);
        CHANGED.getAndBitwiseOr(this, 1L << line);
    }

    /**
     * Dispatcher: reads the line and consumes its ROSE bit.
     *
     * @return the state before consumption ({@link #LEVEL}, {@link #ROSE} bits)
     */
    public int consume(int line) {
        return (int) INTS.getAndBitwiseAnd(state, line, ~ROSE);
    }

    /** Dispatcher: forces the level low (resample: the device must assert again). */
    public void clearLevel(int line) {
        INTS.getAndBitwiseAnd(state, line, ~LEVEL);
    }

    /** Dispatcher: takes and clears the changed-lines summary. */
    public long takeChanged() {
        if ((long) CHANGED.getVolatile(this) == 0) {
            return 0;
        }
        return (long) CHANGED.getAndSet(this, 0L);
    }

    /**
     * Any thread: whether a rising edge is still unconsumed (exact once the dispatcher has
     * terminated; used to tell a producer after close whether its assertion was handled).
     */
    public boolean roseUnconsumed(int line) {
        return ((int) INTS.getVolatile(state, line) & ROSE) != 0;
    }
}
