package io.irqfabric.examples;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * When a producer means to send each of its assertions: the open-loop schedule of one producer,
 * computed from the pattern alone, never from how fast the fabric takes the assertions. A
 * producer that falls behind sends at once but its latency is measured from the intended time
 * (no coordinated omission).
 *
 * <p>{@link #next()} returns the next intended send time as nanoseconds from the start of the
 * run, non-decreasing. Allocation-free; one instance per producer thread.
 */
final class LoadSchedule {
    /** The offered-load patterns of the storm. */
    enum Pattern {
        /** As fast as the producer can (today's storm): no schedule, intended = sent. */
        FLAT_OUT,
        /** One assertion every 1/rate seconds. */
        STEADY,
        /** Exponential gaps of mean 1/rate (a Poisson process). */
        POISSON,
        /** On/off: bursts of {@code burst} assertions back to back, one burst every burst/rate seconds. */
        BURSTY;

        /** @return the command-line spelling */
        String text() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /**
         * @param text flat-out, steady, poisson or bursty
         * @return the pattern
         * @throws IllegalArgumentException with a one-line reason if it is none of them
         */
        static Pattern parse(String text) {
            for (Pattern p : values()) {
                if (p.text().equals(text.trim().toLowerCase(Locale.ROOT))) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown pattern '" + text + "' (flat-out, steady, poisson, bursty)");
        }
    }

    private final Pattern pattern;
    private final double intervalNanos;
    private final int burst;
    private final SplittableRandom random;
    private long k;
    private double poissonTime;

    /**
     * @param pattern    the pattern; {@link Pattern#FLAT_OUT} has no schedule ({@link #next()} is 0)
     * @param ratePerSec this producer's average assertions per second (ignored for flat-out)
     * @param burst      assertions per burst ({@link Pattern#BURSTY}), at least 1
     * @param seed       the Poisson gaps' seed
     */
    LoadSchedule(Pattern pattern, double ratePerSec, int burst, long seed) {
        if (pattern != Pattern.FLAT_OUT && !(ratePerSec > 0 && ratePerSec <= 1e10)) {
            throw new IllegalArgumentException("rate must be in (0, 1e10] per second: " + ratePerSec);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be at least 1: " + burst);
        }
        this.pattern = pattern;
        this.intervalNanos = pattern == Pattern.FLAT_OUT ? 0 : 1e9 / ratePerSec;
        this.burst = burst;
        this.random = new SplittableRandom(seed);
    }

    /** @return whether the schedule paces the producer (every pattern but flat-out) */
    boolean paced() {
        return pattern != Pattern.FLAT_OUT;
    }

    /** @return the next intended send time, ns from the start of the run (0 for flat-out) */
    long next() {
        long i = k++;
        switch (pattern) {
            case STEADY:
                return (long) (i * intervalNanos); // from the index, not a running sum: no drift
            case POISSON: {
                long t = (long) poissonTime;
                // gaps are Exp(rate): -ln(U) / rate, U in (0, 1]
                poissonTime += -Math.log(1.0 - random.nextDouble()) * intervalNanos;
                return t;
            }
            case BURSTY:
                return (long) ((i / burst) * (burst * intervalNanos)); // every member of a burst at its start
            default:
                return 0;
        }
    }
}
