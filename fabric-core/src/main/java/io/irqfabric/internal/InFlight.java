package io.irqfabric.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per GSI, the sequence of a TRIGGER event of that GSI that is in the ring and that the
 * dispatcher has not taken yet, or -1: what a producer coalesces into at the source
 * ({@link ControllerPort#trigger(int)}).
 *
 * <pre>
 *   words[gsi * 8]     long   -1, or the sequence of an untaken TRIGGER of gsi
 *   words[gsi * 8 + 1] long   1 if an assertion rode on one of gsi's events since the
 *                             dispatcher last looked (the flush writes such a GSI after quiet ones)
 *   words[gsi * 8 + 2] long   1 if producers must not coalesce gsi at the source (its
 *                             moderation policy is none: one event, one write per assertion)
 *                             one line per GSI: the dispatcher's writes for one GSI never
 *                             invalidate a line another GSI's producers read
 * </pre>
 *
 * <ul>
 *   <li>A publishing producer stores its event's sequence ({@link #so}, release) after writing
 *       the event and before publishing it, so the dispatcher that takes the event sees it.</li>
 *   <li>The dispatcher, when it takes a TRIGGER at sequence {@code s}, clears the word if it
 *       still holds {@code s} ({@link #clear}, a sequentially consistent CAS), before the
 *       delivery of that batch starts.</li>
 *   <li>A coalescing producer reads the word ({@link #lv}, volatile). Seeing {@code s} means its
 *       read came before the dispatcher's clear, so the delivery that follows the clear starts
 *       after the assertion.</li>
 * </ul>
 * Two producers that publish events of one GSI at once may leave the word holding the earlier
 * sequence, which the dispatcher clears while the later event is still in the ring: the word is
 * then -1 too early, which costs a coalescing opportunity and nothing else. The word never holds
 * a sequence the dispatcher has already taken: a producer stores before it publishes, and the
 * dispatcher takes only published events, in order.
 */
public final class InFlight {
    /** Longs per GSI: one cache line. */
    static final int STRIDE = 8;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;

    /** @param gsiCount number of GSIs */
    public InFlight(int gsiCount) {
        words = new long[gsiCount * STRIDE];
        for (int g = 0; g < gsiCount; g++) {
            words[g * STRIDE] = -1L; // no untaken event; the rider mark starts clear (0)
        }
    }

    /**
     * Producer: the untaken event of {@code gsi}, volatile load.
     *
     * @param gsi the GSI
     * @return its sequence, or -1
     */
    public long lv(int gsi) {
        return (long) LONGS.getVolatile(words, gsi * STRIDE);
    }

    /**
     * Producer: records its event at {@code seq}, release store, before publishing it.
     *
     * @param gsi the GSI
     * @param seq the event's sequence
     */
    public void so(int gsi, long seq) {
        LONGS.setRelease(words, gsi * STRIDE, seq);
    }

    /**
     * Dispatcher: takes the event at {@code seq}; clears the word if it names that event.
     *
     * @param gsi the GSI
     * @param seq the sequence being taken
     */
    public void clear(int gsi, long seq) {
        int i = gsi * STRIDE;
        if ((long) LONGS.getVolatile(words, i) == seq) {
            LONGS.compareAndSet(words, i, seq, -1L);
        }
    }

    /**
     * Producer, having found an untaken event of {@code gsi}: may it ride on it? Not under the
     * none policy (see {@link Moderation}). The word is on the line the producer just read.
     *
     * @param gsi the GSI
     * @return true if assertions of {@code gsi} may coalesce at the source
     */
    public boolean coalesces(int gsi) {
        return (long) LONGS.getOpaque(words, gsi * STRIDE + 2) == 0;
    }

    /**
     * Any thread ({@code moderate}): whether producers may coalesce {@code gsi} at the source.
     *
     * @param gsi the GSI
     * @param yes false for the none policy
     */
    public void sourceCoalescing(int gsi, boolean yes) {
        LONGS.setOpaque(words, gsi * STRIDE + 2, yes ? 0L : 1L);
    }

    /**
     * Producer, having coalesced an assertion of {@code gsi} at the source: marks that the GSI's
     * event carries riders (a storm). Stored only if clear, so once per event, not per assertion.
     *
     * @param gsi the GSI
     */
    public void markRider(int gsi) {
        int i = gsi * STRIDE + 1;
        if ((long) LONGS.getOpaque(words, i) == 0) {
            LONGS.setOpaque(words, i, 1L);
        }
    }

    /**
     * Dispatcher: whether assertions rode on the GSI's events since the last call, and clears
     * the mark. A hint for the flush order only (quiet GSIs first): a rider that marks just after
     * the dispatcher cleared makes the next event look busy, which costs nothing but its place.
     *
     * @param gsi the GSI
     * @return true if marked
     */
    public boolean takeRiders(int gsi) {
        int i = gsi * STRIDE + 1;
        if ((long) LONGS.getOpaque(words, i) != 0) {
            LONGS.setOpaque(words, i, 0L);
            return true;
        }
        return false;
    }
}
