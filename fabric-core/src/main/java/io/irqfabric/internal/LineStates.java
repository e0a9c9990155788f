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
 *   state[line]  long  bit 0       LEVEL    the line's level: 1 while any source holds it (wired-OR)
 *                      bit 1       ROSE     sticky: a rising edge recorded while the ring was full,
 *                                           not yet consumed by the dispatcher
 *                      bits 31..8  GEN      generation: +1 per change (24 bits, wrapping)
 *                      bits 63..32 HOLDERS  source s holds the line high (bit 32 + s); source 0 is
 *                                           the pin's own IoapicPort.setLevel / pulse
 *   changed      long  bit l: line l has a ring-full record to drain (lines 0..63)
 * </pre>
 *
 * <b>Normal path.</b> {@link #record} changes one source's HOLDERS bit, sets LEVEL to "any
 * holder" and bumps GEN in one CAS, and returns a payload (the low 32 bits: GEN, the new level,
 * whether the line rose) that the producer publishes in a LINE_CHANGED event. The dispatcher
 * applies payloads in ring order, so a device thread's line changes are ordered with everything
 * else it (or a thread it synchronised with) published, e.g. a guest unmask.
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
    /** Raise then lower: the source's edge; afterwards the source no longer holds the line. */
    public static final int PULSE = 2;
    /** Sources per line (HOLDERS bits). */
    public static final int MAX_SOURCES = 32;
    /** The HOLDERS bit of source 0, the pin's own {@code setLevel} / {@code pulse}. */
    public static final long OWN_SOURCE = sourceBit(0);

    private static final int GEN_MASK = 0xFF_FFFF;
    private static final long LOW_WORD = 0xFFFF_FFFFL;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle CHANGED;

    static {
        try {
            CHANGED = MethodHandles.lookup().findVarHandle(LineStates.class, "changed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A source whose level is a condition of its own state (a virtio-MMIO status word). */
    public interface Condition {
        /** @return true while the source wants the line high; read inside the CAS loop */
        boolean high();
    }

    private final long[] state;
    @SuppressWarnings("unused") // accessed through CHANGED
    private volatile long changed;

    /** @param lines number of lines, at most 64 */
    public LineStates(int lines) {
        if (lines > 64) {
            throw new IllegalArgumentException("at most 64 lines");
        }
        state = new long[lines];
    }

    /**
     * @param source 0..{@link #MAX_SOURCES}-1
     * @return its HOLDERS bit in a state word
     */
    public static long sourceBit(int source) {
        return 1L << (32 + source);
    }

    /**
     * Producer: records a change of {@code line} by its own source (source 0).
     *
     * @param op {@link #SET_LOW}, {@link #SET_HIGH} or {@link #PULSE}
     * @return the event payload: GEN, the new LEVEL, and ROSE if this change is a rising edge
     */
    public int record(int line, int op) {
        return record(line, OWN_SOURCE, op);
    }

    /**
     * Producer: records a change of {@code line} by the source with HOLDERS bit {@code source}.
     * Lock-free (one CAS loop). The line is high while any source holds it; a pulse always
     * reports ROSE (the dispatcher ignores it on an edge pin that is already high) and leaves
     * the source not holding the line.
     *
     * @param source a {@link #sourceBit}
     * @param op     {@link #SET_LOW}, {@link #SET_HIGH} or {@link #PULSE}
     * @return the event payload: GEN, the new LEVEL, and ROSE if this change is a rising edge
     */
    public int record(int line, long source, int op) {
        long old;
        long next;
        do {
            old = (long) LONGS.getVolatile(state, line);
            long holders = op == SET_HIGH ? old | source : old & ~source;
            next = word(old, holders);
        } while (!LONGS.compareAndSet(state, line, old, next));
        boolean rose = op == PULSE || (op == SET_HIGH && (old & LEVEL) == 0 && (next & LEVEL) != 0);
        return payload(next, rose);
    }

    /**
     * Producer or dispatcher: sets {@code source}'s HOLDERS bit to what {@code condition} says,
     * reading the condition inside the CAS loop. Two threads that each change the condition and
     * then call this leave the bit equal to the condition as read by the last successful CAS,
     * which is read after every earlier CAS on the word: the bit cannot end up stale.
     *
     * @return the event payload, as {@link #record(int, long, int)}
     */
    public int recordCondition(int line, long source, Condition condition) {
        long old;
        long next;
        do {
            old = (long) LONGS.getVolatile(state, line);
            long holders = condition.high() ? old | source : old & ~source;
            next = word(old, holders);
        } while (!LONGS.compareAndSet(state, line, old, next));
        boolean rose = (old & LEVEL) == 0 && (next & LEVEL) != 0;
        return payload(next, rose);
    }

    private static long word(long old, long holders) {
        long gen = (((old & LOW_WORD) >>> GEN_SHIFT) + 1) & GEN_MASK;
        long h = holders & ~LOW_WORD;
        return h | gen << GEN_SHIFT | (old & ROSE) | (h != 0 ? LEVEL : 0);
    }

    private static int payload(long next, boolean rose) {
        return ((int) next & ~ROSE) | (rose ? ROSE : 0);
    }

    /** Producer, ring full: keeps the rise sticky (if any) and flags the line for the next drain. */
    public void overflow(int line, boolean rose) {
        if (rose) {
            LONGS.getAndBitwiseOr(state, line, (long) ROSE);
        }
        CHANGED.getAndBitwiseOr(this, 1L << line);
    }

    /**
     * Dispatcher: reads the line and consumes its ROSE bit.
     *
     * @return the low 32 bits of the word before consumption (GEN, ROSE, LEVEL)
     */
    public int consume(int line) {
        return (int) (long) LONGS.getAndBitwiseAnd(state, line, ~(long) ROSE);
    }

    /**
     * Dispatcher: de-asserts every source of {@code line} except those in {@code keep}
     * (resample: the devices must assert again), without a new generation.
     *
     * @param keep HOLDERS bits to leave alone (sources whose level follows their own state)
     * @return the new level: true if a kept source still holds the line
     */
    public boolean clearLevel(int line, long keep) {
        long old;
        long next;
        do {
            old = (long) LONGS.getVolatile(state, line);
            long h = old & keep & ~LOW_WORD;
            next = h | (old & LOW_WORD & ~LEVEL) | (h != 0 ? LEVEL : 0);
        } while (!LONGS.compareAndSet(state, line, old, next));
        return (next & LEVEL) != 0;
    }

    /**
     * @param line a line
     * @return its HOLDERS bits (any thread; a snapshot)
     */
    public long holders(int line) {
        return (long) LONGS.getVolatile(state, line) & ~LOW_WORD;
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
        return ((long) LONGS.getVolatile(state, line) & ROSE) != 0;
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
