package io.irqfabric;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How the dispatcher turns a GSI's assertions into eventfd writes: an immutable value, set per
 * GSI with {@link InterruptFabric#moderate(int, ModerationPolicy)} at run time.
 *
 * <ul>
 *   <li>{@link #none()}: one write per assertion taken by the dispatcher (the baseline).</li>
 *   <li>{@link #batch()} (the default): one write per GSI per dispatcher batch, no added delay.</li>
 *   <li>{@link #window(Duration, int)}: hold the GSI's delivery until {@code window} has passed
 *       since its first undelivered assertion or {@code max} assertions have accumulated,
 *       whichever comes first (virtio-net notification coalescing, NVMe aggregation).</li>
 *   <li>{@link #rateCap(long)}: at most {@code perSecond} deliveries per second; the excess is
 *       merged into the next allowed delivery, never dropped.</li>
 *   <li>{@link #adaptive(long, Duration)}: a window chosen from the observed rate toward
 *       {@code targetPerSecond} deliveries per second, never adding more than
 *       {@code maxDelay}.</li>
 * </ul>
 *
 * <p>The text form ({@link #parse(String)}, {@link #toString()}) is the command line's:
 * {@code none}, {@code batch}, {@code window:50us}, {@code window:50us:32},
 * {@code ratecap:20000}, {@code adaptive}, {@code adaptive:20000:200us}. Durations take
 * {@code ns}, {@code us} or {@code ms}.
 */
public final class ModerationPolicy {
    /** The policy kinds. */
    public enum Kind {
        /** One write per assertion. */
        NONE,
        /** One write per GSI per dispatcher batch. */
        BATCH,
        /** Hold for a time or a count. */
        WINDOW,
        /** At most a number of deliveries per second. */
        RATE_CAP,
        /** A window chosen from the observed rate. */
        ADAPTIVE
    }

    /** The default window's assertion count: unbounded (only time ends the window). */
    public static final int NO_MAX = Integer.MAX_VALUE;
    /** {@link #adaptive()}'s default target, deliveries per second per GSI. */
    public static final long DEFAULT_ADAPTIVE_TARGET = 20_000L;
    /** {@link #adaptive()}'s default bound on the added delay. */
    public static final Duration DEFAULT_ADAPTIVE_MAX_DELAY = Duration.ofNanos(200_000L);
    /** The longest window or delay bound accepted: one second. */
    public static final long MAX_DELAY_NANOS = 1_000_000_000L;

    private static final ModerationPolicy NONE = new ModerationPolicy(Kind.NONE, 0, 1, 0);
    private static final ModerationPolicy BATCH = new ModerationPolicy(Kind.BATCH, 0, NO_MAX, 0);

    private final Kind kind;
    private final long delayNanos;
    private final int max;
    private final long perSecond;

    private ModerationPolicy(Kind kind, long delayNanos, int max, long perSecond) {
        this.kind = kind;
        this.delayNanos = delayNanos;
        this.max = max;
        this.perSecond = perSecond;
    }

    /** @return the policy that writes once per assertion */
    public static ModerationPolicy none() {
        return NONE;
    }

    /** @return the default policy: once per GSI per dispatcher batch */
    public static ModerationPolicy batch() {
        return BATCH;
    }

    /**
     * A hold-off window.
     *
     * @param window how long after the first undelivered assertion the delivery waits, 1 ns .. 1 s
     * @param max    how many assertions end the window early, at least 1 ({@link #NO_MAX}: none)
     * @return the policy
     * @throws IllegalArgumentException if a bound is out of range
     */
    public static ModerationPolicy window(Duration window, int max) {
        long ns = delay(window, "window");
        if (max < 1) {
            throw new IllegalArgumentException("window max must be at least 1: " + max);
        }
        return new ModerationPolicy(Kind.WINDOW, ns, max, 0);
    }

    /**
     * A rate cap.
     *
     * @param perSecond the most deliveries per second, 1 .. 1,000,000,000
     * @return the policy
     * @throws IllegalArgumentException if the rate is out of range
     */
    public static ModerationPolicy rateCap(long perSecond) {
        if (perSecond < 1 || perSecond > 1_000_000_000L) {
            throw new IllegalArgumentException("rate cap must be 1..1000000000 deliveries/s: " + perSecond);
        }
        return new ModerationPolicy(Kind.RATE_CAP, 0, NO_MAX, perSecond);
    }

    /**
     * An adaptive window.
     *
     * @param targetPerSecond the delivery rate it steers toward, 1 .. 1,000,000,000
     * @param maxDelay        the bound on the delay it adds, 1 ns .. 1 s
     * @return the policy
     * @throws IllegalArgumentException if a bound is out of range
     */
    public static ModerationPolicy adaptive(long targetPerSecond, Duration maxDelay) {
        if (targetPerSecond < 1 || targetPerSecond > 1_000_000_000L) {
            throw new IllegalArgumentException("adaptive target must be 1..1000000000 deliveries/s: " + targetPerSecond);
        }
        return new ModerationPolicy(Kind.ADAPTIVE, delay(maxDelay, "adaptive max delay"), NO_MAX, targetPerSecond);
    }

    /** @return {@link #adaptive(long, Duration)} with the default target and bound */
    public static ModerationPolicy adaptive() {
        return adaptive(DEFAULT_ADAPTIVE_TARGET, DEFAULT_ADAPTIVE_MAX_DELAY);
    }

    private static long delay(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero() || d.compareTo(Duration.ofNanos(MAX_DELAY_NANOS)) > 0) {
            throw new IllegalArgumentException(what + " must be 1 ns .. 1 s: " + d);
        }
        return d.toNanos();
    }

    /**
     * Parses the text form (see the class doc).
     *
     * @param text for example {@code window:50us}
     * @return the policy
     * @throws IllegalArgumentException with a one-line reason if the text is not a policy
     */
    public static ModerationPolicy parse(String text) {
        Objects.requireNonNull(text, "policy");
        String[] p = text.trim().toLowerCase(Locale.ROOT).split(":", -1);
        try {
            switch (p[0]) {
                case "none":
                    arity(p, 1, 1, text);
                    return none();
                case "batch":
                    arity(p, 1, 1, text);
                    return batch();
                case "window":
                    arity(p, 2, 3, text);
                    return window(parseDuration(p[1]), p.length == 3 ? Integer.parseInt(p[2]) : NO_MAX);
                case "ratecap":
                    arity(p, 2, 2, text);
                    return rateCap(Long.parseLong(p[1]));
                case "adaptive":
                    arity(p, 1, 3, text);
                    long target = p.length >= 2 ? Long.parseLong(p[1]) : DEFAULT_ADAPTIVE_TARGET;
                    Duration bound = p.length == 3 ? parseDuration(p[2]) : DEFAULT_ADAPTIVE_MAX_DELAY;
                    return adaptive(target, bound);
                default:
                    throw new IllegalArgumentException("unknown policy '" + text
                            + "' (none, batch, window:USECS[:MAX], ratecap:PER_SECOND, adaptive[:TARGET[:MAX_DELAY]])");
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number in policy '" + text + "'");
        }
    }

    private static void arity(String[] p, int min, int max, String text) {
        if (p.length < min || p.length > max) {
            throw new IllegalArgumentException("policy '" + text + "' takes " + (min - 1)
                    + (max > min ? ".." + (max - 1) : "") + " parameter(s)");
        }
    }

    /**
     * @param s for example {@code 50us}, {@code 2ms}, {@code 500ns}
     * @return the duration
     * @throws IllegalArgumentException if it is not one
     */
    public static Duration parseDuration(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long unit;
        String digits;
        if (t.endsWith("ns")) {
            unit = 1;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("us")) {
            unit = 1_000;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("ms")) {
            unit = 1_000_000;
            digits = t.substring(0, t.length() - 2);
        } else {
            throw new IllegalArgumentException("duration '" + s + "' needs a unit: ns, us or ms");
        }
        long v;
        try {
            v = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad duration '" + s + "'");
        }
        if (v < 1 || v > MAX_DELAY_NANOS / unit) {
            throw new IllegalArgumentException("duration '" + s + "' must be 1 ns .. 1 s");
        }
        return Duration.ofNanos(v * unit);
    }

    /** @return the kind */
    public Kind kind() {
        return kind;
    }

    /** @return the window ({@link Kind#WINDOW}) or the delay bound ({@link Kind#ADAPTIVE}) in ns, else 0 */
    public long delayNanos() {
        return delayNanos;
    }

    /** @return the window's assertion count ({@link Kind#WINDOW}), 1 for {@link Kind#NONE}, else {@link #NO_MAX} */
    public int max() {
        return max;
    }

    /** @return the cap ({@link Kind#RATE_CAP}) or the target ({@link Kind#ADAPTIVE}) in deliveries/s, else 0 */
    public long perSecond() {
        return perSecond;
    }

    /**
     * The most delay this policy adds to an assertion's delivery beyond the dispatcher's own
     * latency: 0 for none and batch, the window, one cap interval, the adaptive bound.
     *
     * @return the bound in ns
     */
    public long boundNanos() {
        switch (kind) {
            case WINDOW:
            case ADAPTIVE:
                return delayNanos;
            case RATE_CAP:
                return (1_000_000_000L + perSecond - 1) / perSecond;
            default:
                return 0;
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ModerationPolicy)) {
            return false;
        }
        ModerationPolicy p = (ModerationPolicy) o;
        return kind == p.kind && delayNanos == p.delayNanos && max == p.max && perSecond == p.perSecond;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, delayNanos, max, perSecond);
    }

    /** @return the text form, which {@link #parse(String)} reads back */
    @Override
    public String toString() {
        switch (kind) {
            case NONE:
                return "none";
            case BATCH:
                return "batch";
            case WINDOW:
                return "window:" + durationText(delayNanos) + (max == NO_MAX ? "" : ":" + max);
            case RATE_CAP:
                return "ratecap:" + perSecond;
            default:
                return "adaptive:" + perSecond + ":" + durationText(delayNanos);
        }
    }

    private static String durationText(long ns) {
        if (ns % 1_000_000 == 0) {
            return ns / 1_000_000 + "ms";
        }
        if (ns % 1_000 == 0) {
            return ns / 1_000 + "us";
        }
        return ns + "ns";
    }
}
