package io.irqfabric.examples;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * One storm producer: sends its assertions on its {@link LoadSchedule} (or flat out), stamping
 * each with its intended time in the {@link LatencyProbe} before it asserts it. Behind schedule
 * it sends at once, and the stamp stays the intended time. Producer 0 also carries the quiet
 * GSI's steady schedule, interleaved with its storm by intended time. Allocation-free.
 */
final class OpenLoopProducer implements Runnable {
    /** Waits until a time on the clock (the real one parks, yields, then spins). */
    interface Waiter {
        /**
         * @param deadline the time to wait for, on the producer's clock
         * @param stop     ends the wait early when true
         */
        void awaitTime(long deadline, BooleanSupplier stop);
    }

    /** The real waiter on {@link System#nanoTime()}. */
    static final Waiter REAL = (deadline, stop) -> {
        long left;
        while ((left = deadline - System.nanoTime()) > 0 && !stop.getAsBoolean()) {
            if (left > 200_000) {
                LockSupport.parkNanos(left - 100_000); // pacing, not synchronisation
            } else if (left > 20_000) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    };

    private final IntConsumer trigger;
    private final LatencyProbe probe;
    private final LongSupplier clock;
    private final Waiter waiter;
    private final LoadSchedule storm;
    private final LoadSchedule quiet;
    private final int baseGsi;
    private final int stormed;
    private final long[] accepted;
    private final AtomicLongArray progress;
    private final int progressSlot;
    private final BooleanSupplier stop;
    private long x;
    /** The run's start and end on the clock; set by {@link #window} before {@link #run}. */
    private long start;
    private long end;

    /**
     * @param trigger      asserts a GSI (fabric::trigger)
     * @param probe        the latency probe the assertions are stamped in
     * @param clock        the clock of the schedule (System::nanoTime)
     * @param waiter       how to wait for an intended time
     * @param storm        this producer's schedule over the stormed GSIs
     * @param quiet        the quiet GSI's schedule (producer 0), or null
     * @param baseGsi      the first stormed GSI
     * @param stormed      stormed GSIs, from baseGsi; the quiet GSI is {@code probe.quietGsi()}
     * @param accepted     per GSI from baseGsi: assertions this producer made (index stormed: the quiet GSI)
     * @param progress     where the assertion count is published for the progress line
     * @param progressSlot this producer's index in {@code progress}
     * @param stop         ends the run early when true (Ctrl-C)
     * @param seed         the GSI choice's seed
     */
    OpenLoopProducer(IntConsumer trigger, LatencyProbe probe, LongSupplier clock, Waiter waiter,
                     LoadSchedule storm, LoadSchedule quiet, int baseGsi, int stormed, long[] accepted,
                     AtomicLongArray progress, int progressSlot, BooleanSupplier stop, long seed) {
        this.trigger = trigger;
        this.probe = probe;
        this.clock = clock;
        this.waiter = waiter;
        this.storm = storm;
        this.quiet = quiet;
        this.baseGsi = baseGsi;
        this.stormed = stormed;
        this.accepted = accepted;
        this.progress = progress;
        this.progressSlot = progressSlot;
        this.stop = stop;
        this.x = seed | 1;
    }

    /**
     * @param startNanos the run's time 0 on the clock
     * @param endNanos   no assertion is intended at or after this
     * @return this
     */
    OpenLoopProducer window(long startNanos, long endNanos) {
        this.start = startNanos;
        this.end = endNanos;
        return this;
    }

    private int pick() {
        x ^= x << 13; // xorshift: a cheap, allocation-free GSI choice
        x ^= x >>> 7;
        x ^= x << 17;
        return (int) ((x >>> 33) % stormed);
    }

    @Override
    public void run() {
        if (storm.paced()) {
            paced();
        } else {
            flatOut();
        }
    }

    private void paced() {
        int quietGsi = probe.quietGsi();
        long nextStorm = start + storm.next();
        long nextQuiet = quiet == null ? Long.MAX_VALUE : start + quiet.next();
        long n = 0;
        while (true) {
            boolean quietFirst = quiet != null && nextQuiet - nextStorm <= 0;
            long due = quietFirst ? nextQuiet : nextStorm;
            if (due - end >= 0 || stop.getAsBoolean()) {
                break;
            }
            if (clock.getAsLong() - due < 0) {
                waiter.awaitTime(due, stop);
            }
            if (quietFirst) {
                probe.stamp(quietGsi, due);
                trigger.accept(quietGsi);
                accepted[stormed]++;
                nextQuiet = start + quiet.next();
            } else {
                int g = pick();
                probe.stamp(baseGsi + g, due);
                trigger.accept(baseGsi + g);
                accepted[g]++;
                nextStorm = start + storm.next();
            }
            if ((++n & 63) == 0) {
                progress.lazySet(progressSlot, n);
            }
        }
        progress.lazySet(progressSlot, n);
    }

    private void flatOut() {
        int quietGsi = probe.quietGsi();
        long nextQuiet = quiet == null ? Long.MAX_VALUE : start + quiet.next();
        long n = 0;
        while (true) {
            for (int i = 0; i < 256; i++) {
                int g = pick();
                probe.stampNowIfClear(baseGsi + g);
                trigger.accept(baseGsi + g);
                accepted[g]++;
                if ((i & 31) == 31 && quiet != null) {
                    long now = clock.getAsLong();
                    while (nextQuiet - now <= 0 && nextQuiet - end < 0) { // due or overdue: send, from its intended time
                        probe.stamp(quietGsi, nextQuiet);
                        trigger.accept(quietGsi);
                        accepted[stormed]++;
                        n++;
                        nextQuiet = start + quiet.next();
                    }
                }
            }
            n += 256;
            progress.lazySet(progressSlot, n);
            if (clock.getAsLong() - end >= 0 || stop.getAsBoolean()) {
                break;
            }
        }
    }
}
