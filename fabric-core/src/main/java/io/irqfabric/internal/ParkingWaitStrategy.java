package io.irqfabric.internal;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * Spin, then yield, then park; producers unpark the dispatcher only when it is parked.
 *
 * <p>Unlike Disruptor's {@code BlockingWaitStrategy}, a publish takes no lock: it reads one
 * volatile field and calls {@link LockSupport#unpark} only if the dispatcher has parked.
 * An interrupt flag found after a park makes {@link #waitFor} return early (with less than was
 * asked for, which Disruptor's contract allows) so the caller can clear it; otherwise every
 * further park would return at once and the wait would become a busy spin.
 * Lost wake-ups are impossible: the waiter stores {@code parked} (sequentially consistent) and
 * then re-reads the cursor; a producer advances the cursor with a CAS (sequentially consistent)
 * before it reads {@code parked}. In the single total order one of them sees the other.
 */
public final class ParkingWaitStrategy implements WaitStrategy {
    private static final VarHandle PARKED;

    static {
        try {
            PARKED = MethodHandles.lookup().findVarHandle(ParkingWaitStrategy.class, "parked", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long spinNanos;
    private final long yieldNanos;
    private final WaitDeadline deadline;
    @SuppressWarnings("unused") // accessed through PARKED
    private volatile Thread parked;

    /**
     * @param spinNanos  how long to spin before yielding
     * @param yieldNanos how long (from the start) to yield before parking
     */
    public ParkingWaitStrategy(long spinNanos, long yieldNanos) {
        this(spinNanos, yieldNanos, new WaitDeadline(System::nanoTime));
    }

    /**
     * @param spinNanos  how long to spin before yielding
     * @param yieldNanos how long (from the start) to yield before parking
     * @param deadline   the dispatcher's deadline: the wait returns (TimeoutException) when it passes
     */
    public ParkingWaitStrategy(long spinNanos, long yieldNanos, WaitDeadline deadline) {
        this.spinNanos = spinNanos;
        this.yieldNanos = yieldNanos;
        this.deadline = deadline;
    }

    @Override
    public long waitFor(long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
            throws AlertException, TimeoutException {
        long available = dependentSequence.get();
        if (available >= sequence) {
            return available;
        }
        long start = System.nanoTime();
        while ((available = dependentSequence.get()) < sequence) {
            barrier.checkAlert();
            long left = deadline.remaining();
            if (left <= 0) {
                throw TimeoutException.INSTANCE;
            }
            long waited = System.nanoTime() - start;
            if (waited < spinNanos) {
                Thread.onSpinWait();
            } else if (waited < yieldNanos) {
                Thread.yield();
            } else {
                PARKED.setVolatile(this, Thread.currentThread());
                if (dependentSequence.get() < sequence && !barrier.isAlerted()) {
                    if (left == WaitDeadline.NONE) {
                        LockSupport.park(this);
                    } else {
                        LockSupport.parkNanos(this, left);
                    }
                }
                PARKED.setVolatile(this, null);
                if (Thread.currentThread().isInterrupted()) {
                    // park() returns at once while the flag is set: hand it to the caller (the
                    // dispatcher clears and reports it) instead of spinning through park here.
                    return dependentSequence.get();
                }
            }
        }
        return available;
    }

    @Override
    public void signalAllWhenBlocking() {
        Thread t = (Thread) PARKED.getVolatile(this);
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
