package io.irqfabric.internal;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;

/**
 * Disruptor's {@code BusySpinWaitStrategy} ({@code spinTries} negative: spin only) and
 * {@code YieldingWaitStrategy} ({@code spinTries} 100: spin, then yield), plus the dispatcher's
 * {@link WaitDeadline}: once a deadline is set, each round reads its clock and the wait throws
 * {@code TimeoutException} when it has passed. Without a deadline the loops are Disruptor's and
 * read no clock; with one, an idle spinning dispatcher pays one clock read (vDSO, no syscall)
 * per round.
 */
public final class SpinningWaitStrategy implements WaitStrategy {
    /** Disruptor's YieldingWaitStrategy spins this often before it yields. */
    public static final int YIELD_AFTER = 100;

    private final int spinTries;
    private final WaitDeadline deadline;

    /**
     * @param spinTries spins before yielding; negative: never yield (busy spin)
     * @param deadline  the dispatcher's deadline
     */
    public SpinningWaitStrategy(int spinTries, WaitDeadline deadline) {
        this.spinTries = spinTries;
        this.deadline = deadline;
    }

    @Override
    public long waitFor(long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
            throws AlertException, TimeoutException {
        long available;
        int counter = spinTries;
        while ((available = dependentSequence.get()) < sequence) {
            barrier.checkAlert();
            if (deadline.at != WaitDeadline.NONE && deadline.remaining() <= 0) {
                throw TimeoutException.INSTANCE;
            }
            if (counter > 0) {
                counter--;
                Thread.onSpinWait();
            } else if (counter == 0) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
        return available;
    }

    @Override
    public void signalAllWhenBlocking() {
        // nothing blocks
    }
}
