package io.irqfabric.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The producer side of interrupt lines (IOAPIC pins): one atomic word per line that device
 * threads update lock-free, and a summary word of lines that need a drain because the ring was
 * full (DESIGN.md, "Ring full": "level lines record their latest level plus an asserted since
 * last drain bit").
 *
 * <pre>
 *   state[line]  int   bit 0      LEVEL  the latest level a device set
 *                      bit 1      ROSE   sticky: a rising edge recorded while the ring was full,
 *                                        not yet consumed by the dispatcher
 *                      bits 31..8 GEN    generation: +1 per change (24 bits, wrapping)
 *   changed      long  bit l: line l has a ring-full record to drain (lines 0..63)
 * </pre>
 *
 * <b>Normal path.</b> {@link #record} bumps GEN and sets LEVEL in one CAS and returns a payload
 * (GEN, the new level, whether it rose) that the producer publishes in a LINE_CHANGED event. The
 * dispatcher applies payloads in ring order, so a device thread's line changes are ordered with
 * everything else it (or a thread it synchronised with) published, e.g. a guest unmask.
 *
 * <p><b>Ring full.</b> If no slot can be claimed the producer sets ROSE (for a rise) and its
 * {@code changed} bit, then tries once more to publish a payload-free OVERFLOW event. The
 * dispatcher drains changed lines at every batch end after releasing its slots with a full
 * fence, so as for the {@link OverflowLog} a drain is certain to follow the record. A drain
 * applies the word's latest LEVEL and consumes ROSE.
 *
 * <p><b>No inversion.</b> The dispatcher remembers the last GEN it applied per line. An event
 * whose GEN is not newer (a drain already applied a later state) contributes only its edge,
 * never its stale level; so whichever way ring events and drains interleave, the final level is
 * the latest one and no rising edge is lost.
 */
public final class LineStates {
    public static final int LEVEL = 1;
    public static final int ROSE = 2;
    public static final int GEN_SHIFT = 8;
    /** {@link #record} operations. */
    public static final int SET_LOW = 0;
    public static final int SET_HIGH = 1;
    public static final int PULSE = 2;

    private static final int GEN_MASK = 0xFF_FFFF;
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
     * Producer: records a change of {@code line}. Lock-free (one CAS loop).
     *
     * @param op {@link #SET_LOW}, {@link #SET_HIGH} or {@link #PULSE}
     * @return the event payload: GEN, the new LEVEL, and ROSE if this change is a rising edge
     */
    public int record(int line, int op) {
        int old;
        int next;
        do {
            old = (int) INTS.getVolatile(state, line);
            int level = op == SET_HIGH ? LEVEL : op == SET_LOW ? 0 : old & LEVEL;
            int gen = ((old >>> GEN_SHIFT) + 1) & GEN_MASK;
            next = gen << GEN_SHIFT | (old & ROSE) | level;
        } while (!INTS.compareAndSet(state, line, old, next));
        boolean rose = op == PULSE || (op == SET_HIGH && (old & LEVEL) == 0);
        return (next & ~ROSE) | (rose ? ROSE : 0);
    }

    /** Producer, ring full: keeps the rise sticky (if any) and flags the line for the next drain. */
    public void overflow(int line, boolean rose) {
        if (rose) {
            INTS.getAndBitwiseOr(state, line, ROSE);
        }
        CHANGED.getAndBitwiseOr(this, 1L << line);
    }

    /**
     * Dispatcher: reads the line and consumes its ROSE bit.
     *
     * @return the word before consumption
     */
    public int consume(int line) {
        return (int) INTS.getAndBitwiseAnd(state, line, ~ROSE);
    }

    /** Dispatcher: forces the level low (resample: the device must assert again). */
    public void clearLevel(int line) {
        INTS.getAndBitwiseAnd(state, line, ~LEVEL);
    }

    /** Dispatcher: puts {@code line} back in the summary, to be drained in a later batch. */
    public void reflag(int line) {
        CHANGED.getAndBitwiseOr(this, 1L << line);
    }

    /** Dispatcher: takes and clears the summary of lines with ring-full records. */
    public long takeChanged() {
        if ((long) CHANGED.getVolatile(this) == 0) {
            return 0;
        }
        return (long) CHANGED.getAndSet(this, 0L);
    }

    /**
     * Any thread: whether a ring-full rising edge is still unconsumed (exact once the dispatcher
     * has terminated; tells a producer after close whether its assertion was handled).
     */
    public boolean roseUnconsumed(int line) {
        return ((int) INTS.getVolatile(state, line) & ROSE) != 0;
    }

    /**
     * @param payload a {@link #record} payload or a state word
     * @return its generation
     */
    public static int gen(int payload) {
        return payload >>> GEN_SHIFT;
    }

    /**
     * @return true if generation {@code gen} is later than {@code than} (24-bit wrap-around)
     */
    public static boolean newer(int gen, int than) {
        int d = (gen - than) & GEN_MASK;
        return d != 0 && d < (1 << 23);
    }
}
