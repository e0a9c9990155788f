package io.irqfabric.internal;

import java.util.function.LongSupplier;

/**
 * When the dispatcher's wait must return even with no new events: the earliest moderation
 * deadline (a held delivery, a delayed IOAPIC line), in the time of {@link #clock}. Written by
 * the dispatcher before it waits and read by its wait strategy on the same thread, so plain
 * fields. The wait strategies ({@link ParkingWaitStrategy}, {@link SpinningWaitStrategy})
 * throw Disruptor's {@code TimeoutException} once the clock reaches it; the dispatcher loop
 * catches that and runs the due deliveries.
 */
public final class WaitDeadline {
    /** No deadline. */
    public static final long NONE = Long.MAX_VALUE;

    /** The clock deadlines are measured in, ns; {@code System::nanoTime} unless a test sets another. */
    final LongSupplier clock;
    /** The deadline, or {@link #NONE}. */
    long at = NONE;

    /** @param clock the clock, ns (a test seam: production passes {@code System::nanoTime}) */
    public WaitDeadline(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * @return ns until the deadline (at most {@code Long.MAX_VALUE}; 0 or less once it has
     *         passed), reading the clock only if a deadline is set
     */
    long remaining() {
        long a = at;
        return a == NONE ? NONE : a - clock.getAsLong();
    }
}
