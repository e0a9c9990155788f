package io.irqfabric.internal;

import io.irqfabric.ModerationPolicy;

import java.util.function.LongSupplier;

/**
 * Per-GSI interrupt moderation: which policy each GSI has, what each one holds, and when held
 * deliveries and delayed IOAPIC lines fall due. Owned by the dispatcher thread (single writer):
 * a policy changes through a {@link RingEvent#MODERATE} event, in ring order with the caller's
 * earlier assertions. Arrays indexed by GSI; nothing here allocates after construction.
 *
 * <h2>What the dispatcher asks</h2>
 * <ul>
 *   <li>{@link #taken(int)} for every TRIGGER it takes (one array increment);</li>
 *   <li>{@link #writes(int, long, boolean)} in the flush for every pending GSI whose gate is open:
 *       how many eventfd writes to make now (0 = the policy holds it; the GSI then sits in the
 *       held set with a deadline);</li>
 *   <li>{@link #collectDue(long, PendingSet)} at each batch end and when its wait times out: held
 *       GSIs whose deadline passed go back into the pending set (and are written by that flush),
 *       delayed IOAPIC lines are re-injected;</li>
 *   <li>{@link #nextDeadline()} before it waits: the wait strategy returns at that time
 *       ({@link WaitDeadline}).</li>
 * </ul>
 *
 * <h2>The policies</h2>
 * <dl>
 *   <dt>none</dt><dd>One eventfd write per ring event of the GSI the dispatcher takes. Producers
 *       do not coalesce a none GSI at the source (a flag on the GSI's {@link InFlight} line, which
 *       the producer reads anyway), so every assertion that finds a slot is its own event and its
 *       own write. Two exceptions stay merged, by design: assertions that find the ring full (the
 *       overflow log is a per-GSI count drained as one pending GSI: one write per drain), and
 *       assertions made in the short time between {@code moderate()} and the producer seeing the
 *       flag. A masked GSI's pending bit is one write on unmask, as always.</dd>
 *   <dt>batch</dt><dd>One write per GSI per batch (the default; nothing held).</dd>
 *   <dt>window(w, max)</dt><dd>The first undelivered event starts a window; the GSI is written
 *       when {@code w} has passed since (the deadline) or when {@code max} events have
 *       accumulated, whichever comes first. "Events" are what the dispatcher sees: ring events
 *       and drained overflow records; assertions coalesced at the source ride on an event and are
 *       not counted separately, so a storm reaches {@code max} later than its assertion count
 *       would say, never later than {@code w}.</dd>
 *   <dt>rate cap R/s</dt><dd>At most one write per {@code 1/R} s: a GSI flushed sooner than that
 *       after its last write is held until the interval has passed; what arrives meanwhile is
 *       merged into that write ({@link Counters#CAP_MERGED}), never dropped.</dd>
 *   <dt>adaptive(target, maxDelay)</dt><dd>A window chosen from the observed event rate; see
 *       {@link #adapt}.</dd>
 * </dl>
 *
 * <h2>Bounds</h2>
 * A held GSI's deadline is at most the policy's {@link ModerationPolicy#boundNanos()} after the
 * flush that first held it, and it is written by the first batch end or timed-out wait after the
 * deadline; the dispatcher's wait is bounded by {@link #nextDeadline()}. A GSI whose gate closes
 * while held (masked) leaves the held set for its pending bit and starts afresh under its policy
 * on unmask. A policy change releases what the old policy held (written at that batch end), and
 * the final flush of {@code close()} writes everything held.
 *
 * <h2>The level-line storm guard</h2>
 * The IOAPIC counts, per level-triggered pin, consecutive EOIs that find the line still high,
 * and on the {@link #STORM_EOIS}th delays the re-injection by {@link #STORM_DELAY_NANOS}
 * ({@link #delayLine}) instead of re-injecting at once, as KVM's and QEMU's IOAPICs do: a guest
 * that cannot quiet its device then makes slow progress instead of none. The delay uses the
 * same deadline as held GSIs; at expiry the line is re-injected if it is still high (or rose
 * meanwhile): it is never lost.
 */
public final class Moderation {
    /** Policy codes, in the order of {@link ModerationPolicy.Kind}. */
    static final byte NONE = 0;
    static final byte BATCH = 1;
    static final byte WINDOW = 2;
    static final byte RATE_CAP = 3;
    static final byte ADAPTIVE = 4;

    /** Consecutive EOIs with the line still high that trip the storm guard (KVM's and QEMU's value). */
    public static final int STORM_EOIS = 10_000;
    /** How long the storm guard delays the re-injection (KVM's HZ/100, QEMU's 10 ms). */
    public static final long STORM_DELAY_NANOS = 10_000_000L;

    /** Adaptive: the measurement sample, ns. */
    static final long SAMPLE_NANOS = 1_000_000L;
    /** Adaptive: rungs of the window ladder above 0 (rung k holds maxDelay * k / STEPS). */
    static final int STEPS = 8;
    /** Adaptive: a gap longer than this many samples without events resets the rate (idle). */
    static final int IDLE_SAMPLES = 16;
    /** Adaptive: consecutive samples asking for a lower rung before it steps down (hysteresis). */
    static final int DOWN_VOTES = 2;

    /** Re-injects an IOAPIC line whose storm delay has passed (the IOAPIC, on the dispatcher). */
    public interface LineReinjector {
        /** @param pin the pin whose delay passed */
        void reinject(int pin);
    }

    private final int gsiCount;
    private final Counters counters;
    private final InFlight inFlight;
    private final WaitDeadline deadline;
    private final byte[] kind;
    /** Window ns (WINDOW), interval ns (RATE_CAP), max delay ns (ADAPTIVE). */
    private final long[] param;
    /** WINDOW: events that end the window early. ADAPTIVE: target deliveries/s. */
    private final long[] param2;
    /** Events taken since the GSI's last flush decision. */
    private final int[] events;
    /** Events held (the HELD gauge). */
    private final long[] heldEvents;
    /** When a held GSI is due (clock ns). */
    private final long[] dueAt;
    /** Last write (clock ns), for the rate cap; valid while hasWritten. */
    private final long[] lastWrite;
    private final boolean[] hasWritten;
    private final PendingSet held;
    /** Set by collectDue for held GSIs whose deadline passed; consumed by writes(). */
    private final boolean[] due;
    // adaptive
    private final long[] sampleStart;
    private final boolean[] sampling;
    private final long[] sampleEvents;
    private final long[] rate;
    private final int[] rung;
    private final int[] downVotes;
    private final long[] window;
    /** GSIs whose policy is not batch: while 0 and nothing is held, the dispatcher never reads the clock. */
    private int moderated;
    // storm guard: IOAPIC pins (< 32)
    private int delayedLines;
    private final long[] lineDueAt = new long[32];
    private LineReinjector reinjector;
    private long nextDeadline = Long.MAX_VALUE;

    /**
     * @param gsiCount number of GSIs
     * @param counters where HELD, CAP_MERGED and ADAPTIVE_WINDOW_NS go
     * @param inFlight the producers' in-flight lines (the none policy's no-coalescing flag)
     * @param deadline the dispatcher wait's deadline and clock
     */
    public Moderation(int gsiCount, Counters counters, InFlight inFlight, WaitDeadline deadline) {
        this.gsiCount = gsiCount;
        this.counters = counters;
        this.inFlight = inFlight;
        this.deadline = deadline;
        kind = new byte[gsiCount];
        java.util.Arrays.fill(kind, BATCH);
        param = new long[gsiCount];
        param2 = new long[gsiCount];
        events = new int[gsiCount];
        heldEvents = new long[gsiCount];
        dueAt = new long[gsiCount];
        lastWrite = new long[gsiCount];
        hasWritten = new boolean[gsiCount];
        held = new PendingSet(gsiCount);
        due = new boolean[gsiCount];
        sampleStart = new long[gsiCount];
        sampling = new boolean[gsiCount];
        sampleEvents = new long[gsiCount];
        rate = new long[gsiCount];
        rung = new int[gsiCount];
        downVotes = new int[gsiCount];
        window = new long[gsiCount];
    }

    // ------------------------------------------------------------------ encoding (any thread)

    /**
     * @param p a policy
     * @return the {@link RingEvent#a} of its MODERATE event: kind in bits 63..56, the delay in ns below
     */
    public static long encodeA(ModerationPolicy p) {
        return ((long) p.kind().ordinal() << 56) | p.delayNanos();
    }

    /**
     * @param p a policy
     * @return the {@link RingEvent#b} of its MODERATE event: max in bits 63..32, the rate below
     */
    public static long encodeB(ModerationPolicy p) {
        return ((long) p.max() << 32) | p.perSecond();
    }

    /**
     * Caller of {@code moderate}, before it publishes the event: tells producers whether to
     * coalesce the GSI at the source (not under none). A producer that has not seen it yet
     * coalesces one more time, which merges assertions the old policy merged anyway.
     *
     * @param gsi    the GSI
     * @param policy its new policy
     */
    public void announce(int gsi, ModerationPolicy policy) {
        inFlight.sourceCoalescing(gsi, policy.kind() != ModerationPolicy.Kind.NONE);
    }

    // ------------------------------------------------------------------ dispatcher

    /**
     * Dispatcher: applies a MODERATE event. What the old policy held is released (written at
     * this batch's end).
     *
     * @param gsi     the GSI
     * @param a       {@link #encodeA}
     * @param b       {@link #encodeB}
     * @param pending the batch's pending set
     */
    void apply(int gsi, long a, long b, PendingSet pending) {
        byte k = (byte) (a >>> 56);
        long delay = a & ((1L << 56) - 1);
        int max = (int) (b >>> 32);
        long perSecond = b & 0xFFFF_FFFFL;
        if (held.contains(gsi)) {
            due[gsi] = true;
            pending.add(gsi);
        }
        boolean wasModerated = kind[gsi] != BATCH;
        kind[gsi] = k;
        switch (k) {
            case WINDOW:
                param[gsi] = delay;
                param2[gsi] = max;
                break;
            case RATE_CAP:
                param[gsi] = (1_000_000_000L + perSecond - 1) / perSecond;
                break;
            case ADAPTIVE:
                param[gsi] = delay;
                param2[gsi] = perSecond;
                break;
            default:
                break;
        }
        rate[gsi] = 0;
        rung[gsi] = 0;
        downVotes[gsi] = 0;
        window[gsi] = 0;
        sampleEvents[gsi] = 0;
        sampling[gsi] = false;
        counters.set(gsi, Counters.ADAPTIVE_WINDOW_NS, 0);
        if (wasModerated != (k != BATCH)) {
            moderated += k != BATCH ? 1 : -1;
        }
    }

    /**
     * Dispatcher: a TRIGGER of {@code gsi} was taken.
     *
     * @param gsi the GSI
     */
    void taken(int gsi) {
        events[gsi]++;
    }

    /** @return true if the dispatcher needs the clock at batch end: a GSI is moderated, held or delayed */
    boolean active() {
        return moderated != 0 || held.size() != 0 || delayedLines != 0;
    }

    /** @return the clock's now, in ns */
    public long now() {
        return deadline.clock.getAsLong();
    }

    /**
     * Dispatcher, in the flush: how many eventfd writes {@code gsi} (pending, gate open) gets now.
     *
     * @param gsi   the GSI
     * @param now   the clock, read once for the flush (meaningful only while {@link #active()})
     * @param finalFlush true in the final flush of close(): everything is written
     * @return the number of writes, 0 if held
     */
    int writes(int gsi, long now, boolean finalFlush) {
        int e = events[gsi];
        events[gsi] = 0;
        int n = Math.max(e, 1); // an overflow record, an unmask, an injection: one event
        boolean isHeld = held.contains(gsi);
        if (isHeld) {
            heldEvents[gsi] += e;
            if (finalFlush || due[gsi] || now - dueAt[gsi] >= 0
                    || (kind[gsi] == WINDOW && heldEvents[gsi] >= param2[gsi])) {
                release(gsi, now);
                return 1;
            }
            if (kind[gsi] == RATE_CAP && e > 0) {
                counters.add(gsi, Counters.CAP_MERGED, e);
            }
            counters.set(gsi, Counters.HELD, heldEvents[gsi]);
            return 0;
        }
        switch (kind[gsi]) {
            case NONE:
                return n;
            case WINDOW:
                if (finalFlush || n >= param2[gsi]) {
                    return 1;
                }
                hold(gsi, n, now + param[gsi]);
                return 0;
            case RATE_CAP:
                if (finalFlush || !hasWritten[gsi] || now - lastWrite[gsi] >= param[gsi]) {
                    wrote(gsi, now);
                    return 1;
                }
                counters.add(gsi, Counters.CAP_MERGED, n);
                hold(gsi, n, lastWrite[gsi] + param[gsi]);
                return 0;
            case ADAPTIVE:
                adapt(gsi, n, now);
                if (finalFlush || window[gsi] == 0) {
                    return 1;
                }
                hold(gsi, n, now + window[gsi]);
                return 0;
            default:
                return 1;
        }
    }

    private void hold(int gsi, long n, long at) {
        held.add(gsi);
        heldEvents[gsi] = n;
        dueAt[gsi] = at;
        due[gsi] = false;
        counters.set(gsi, Counters.HELD, n);
        if (nextDeadline == Long.MAX_VALUE || at - nextDeadline < 0) {
            nextDeadline = at;
        }
    }

    private void release(int gsi, long now) {
        held.remove(gsi);
        due[gsi] = false;
        heldEvents[gsi] = 0;
        counters.set(gsi, Counters.HELD, 0);
        wrote(gsi, now);
    }

    private void wrote(int gsi, long now) {
        lastWrite[gsi] = now;
        hasWritten[gsi] = true;
    }

    /**
     * Dispatcher: {@code gsi} found its gate closed in the flush. If held, it leaves the held set:
     * its pending bit (masked) or its rejection (blocked) owns it from now on, and on unmask it
     * starts afresh under its policy.
     *
     * @param gsi the GSI
     */
    void gated(int gsi) {
        events[gsi] = 0;
        if (held.contains(gsi)) {
            held.remove(gsi);
            due[gsi] = false;
            heldEvents[gsi] = 0;
            counters.set(gsi, Counters.HELD, 0);
        }
    }

    /**
     * The adaptive policy: picks the window of {@code gsi} from its observed event rate.
     *
     * <ol>
     *   <li><b>Measure</b> (as Linux net DIM samples traffic per NAPI poll): events the
     *       dispatcher took are counted per sample of {@link #SAMPLE_NANOS}; at the end of a
     *       sample the rate goes into an EWMA ({@code rate += (sample - rate) / 4}). A gap of
     *       {@link #IDLE_SAMPLES} samples without events resets the rate and the window: a device
     *       that went quiet is not held for the storm it had.</li>
     *   <li><b>Aim</b>: at an event rate {@code r} above the target {@code T}, a window {@code w}
     *       leaves about {@code 1/(w + 1/r)} writes/s, so {@code w = 1/T - 1/r} meets the target;
     *       at or below the target the window is 0 (nothing is held: a device under its target
     *       pays no delay, vIC's rule that coalescing only happens while the rate amortises it).
     *       The aim is clamped to maxDelay (vIC's bound on the added delay).</li>
     *   <li><b>Step</b> (DIM's profile ladder): the window is one of {@link #STEPS}+1 rungs,
     *       {@code maxDelay * k / STEPS}; each sample moves at most one rung toward the aim,
     *       up at once, down only after {@link #DOWN_VOTES} consecutive samples ask for it.</li>
     * </ol>
     * Why it does not oscillate: the measurement is the offered event rate, which the window
     * does not change (a held GSI's later events are still taken and counted), so the window does
     * not feed back into its own input, the failure mode of controllers that steer on the
     * delivered rate; the EWMA smooths bursts, and the one-rung steps with a two-sample vote on
     * the way down keep a rate near a rung boundary from flipping the window every sample.
     */
    void adapt(int gsi, long n, long now) {
        long start = sampleStart[gsi];
        if (!sampling[gsi]) {
            sampling[gsi] = true;
            sampleStart[gsi] = now;
            sampleEvents[gsi] = n;
            return;
        }
        sampleEvents[gsi] += n;
        long elapsed = now - start;
        if (elapsed < SAMPLE_NANOS) {
            return;
        }
        long maxDelay = param[gsi];
        if (elapsed > IDLE_SAMPLES * SAMPLE_NANOS) {
            rate[gsi] = 0;
            rung[gsi] = 0;
            downVotes[gsi] = 0;
            setWindow(gsi, 0);
            sampleStart[gsi] = now;
            sampleEvents[gsi] = n;
            return;
        }
        long sample = sampleEvents[gsi] * 1_000_000_000L / elapsed;
        long r = rate[gsi] == 0 ? sample : rate[gsi] + (sample - rate[gsi]) / 4;
        rate[gsi] = r;
        sampleStart[gsi] = now;
        sampleEvents[gsi] = 0;
        long target = param2[gsi];
        long aim = r <= target ? 0 : Math.min(maxDelay, 1_000_000_000L / target - 1_000_000_000L / Math.max(r, 1));
        int want = aim <= 0 ? 0 : (int) Math.min(STEPS, (aim * STEPS + maxDelay - 1) / maxDelay);
        int k = rung[gsi];
        if (want > k) {
            k++;
            downVotes[gsi] = 0;
        } else if (want < k) {
            if (++downVotes[gsi] >= DOWN_VOTES) {
                k--;
                downVotes[gsi] = 0;
            }
        } else {
            downVotes[gsi] = 0;
        }
        rung[gsi] = k;
        setWindow(gsi, maxDelay * k / STEPS);
    }

    private void setWindow(int gsi, long w) {
        window[gsi] = w;
        counters.set(gsi, Counters.ADAPTIVE_WINDOW_NS, w);
    }

    /**
     * Dispatcher, at batch end before the flush and after a timed-out wait: held GSIs whose
     * deadline passed go into {@code pending} marked due (the flush writes them), and delayed
     * lines whose delay passed are re-injected (into {@code pending} through the hub).
     *
     * @param now     the clock
     * @param pending the pending set of the flush that follows
     */
    void collectDue(long now, PendingSet pending) {
        if (held.size() == 0 && delayedLines == 0) {
            nextDeadline = Long.MAX_VALUE; // nothing left to wait for (a policy change released it)
            return;
        }
        if (nextDeadline == Long.MAX_VALUE || now - nextDeadline < 0) {
            return;
        }
        long next = Long.MAX_VALUE;
        for (int i = 0, n = held.size(); i < n; i++) {
            int g = held.get(i);
            if (now - dueAt[g] >= 0) {
                due[g] = true;
                pending.add(g);
            } else if (next == Long.MAX_VALUE || dueAt[g] - next < 0) {
                next = dueAt[g];
            }
        }
        int lines = delayedLines;
        while (lines != 0) {
            int pin = Integer.numberOfTrailingZeros(lines);
            lines &= lines - 1;
            if (now - lineDueAt[pin] >= 0) {
                delayedLines &= ~(1 << pin);
                if (reinjector != null) {
                    reinjector.reinject(pin);
                }
            } else if (next == Long.MAX_VALUE || lineDueAt[pin] - next < 0) {
                next = lineDueAt[pin];
            }
        }
        nextDeadline = next;
    }

    /**
     * Dispatcher, at the final flush of close(): every held GSI goes into {@code pending}, and
     * every delayed line is re-injected.
     *
     * @param pending the final flush's pending set
     */
    void releaseAll(PendingSet pending) {
        for (int i = 0, n = held.size(); i < n; i++) {
            int g = held.get(i);
            due[g] = true;
            pending.add(g);
        }
        int lines = delayedLines;
        delayedLines = 0;
        while (lines != 0) {
            int pin = Integer.numberOfTrailingZeros(lines);
            lines &= lines - 1;
            if (reinjector != null) {
                reinjector.reinject(pin); // the line's delay ends with the fabric
            }
        }
    }

    /** @return the earliest deadline (held GSI or delayed line), or {@link Long#MAX_VALUE} */
    long nextDeadline() {
        return nextDeadline;
    }

    /** @return true if a deadline is set and has passed */
    boolean deadlinePassed() {
        return nextDeadline != Long.MAX_VALUE && now() - nextDeadline >= 0;
    }

    /** Dispatcher, before it waits: the wait returns at the earliest deadline. */
    void armWait() {
        deadline.at = nextDeadline;
    }

    /**
     * For the lead's inline delivery: whether writing {@code gsi} right now, outside a batch, is
     * what its policy would do. True for none and batch (they hold nothing). False for window,
     * rate cap and adaptive, even with nothing held: a window starts at the first event, and the
     * cap's interval and the adaptive rate are measured on the dispatcher, so a write that
     * bypassed it would break the cap or hide load from the measurement. Reads a byte the
     * dispatcher writes; the caller holds the dispatcher role (or accepts a value one policy
     * change old).
     *
     * @param gsi the GSI
     * @return true if an immediate delivery is what the policy would do
     */
    public boolean immediate(int gsi) {
        byte k = kind[gsi];
        return (k == NONE || k == BATCH) && !held.contains(gsi);
    }

    /**
     * @param gsi the GSI
     * @return true if its delivery is held now (dispatcher)
     */
    boolean isHeld(int gsi) {
        return held.contains(gsi);
    }

    /** @return the held GSIs (dispatcher: the snapshot's owed set) */
    PendingSet held() {
        return held;
    }

    // ------------------------------------------------------------------ storm guard

    /** @param r the IOAPIC's re-injection (set before the dispatcher starts) */
    public void lineReinjector(LineReinjector r) {
        this.reinjector = r;
    }

    /**
     * Dispatcher: the storm guard tripped on {@code pin}; re-inject after {@link #STORM_DELAY_NANOS}.
     *
     * @param pin an IOAPIC pin (below 32)
     */
    void delayLine(int pin) {
        long at = now() + STORM_DELAY_NANOS;
        delayedLines |= 1 << pin;
        lineDueAt[pin] = at;
        if (nextDeadline == Long.MAX_VALUE || at - nextDeadline < 0) {
            nextDeadline = at;
        }
    }

    /**
     * @param pin an IOAPIC pin
     * @return true while its re-injection is delayed by the storm guard
     */
    boolean lineDelayed(int pin) {
        return (delayedLines & (1 << pin)) != 0;
    }

    /** @return the delayed lines as a bit mask (the snapshot's owed set) */
    int delayedLines() {
        return delayedLines;
    }

    /** Dispatcher: IOAPIC reset: nothing delayed any more. */
    void clearDelayedLines() {
        delayedLines = 0;
    }

    /** @return the number of GSIs */
    int gsiCount() {
        return gsiCount;
    }
}
