package io.irqfabric.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * Where the dispatcher answers a caller that waits for it (a register read, a sync): the
 * caller publishes a request carrying its slot and waits on {@link #lvState()} until the
 * dispatcher has {@link #complete(long) completed} it. One slot per calling thread, reused,
 * so a request allocates nothing. The ring orders the request after the caller's earlier
 * events, so a vCPU always reads its own earlier writes.
 *
 * <p>The caller backs off as Agrona's {@code BackoffIdleStrategy} does: it spins
 * ({@value #SPINS} times), yields ({@value #YIELDS} times), then parks, so a vCPU thread waiting
 * on a busy or descheduled dispatcher stops taking CPU from it. Parking is a Dekker handshake
 * with no lost wake-up: the caller stores {@code waiter} and then re-reads {@code state}; the
 * dispatcher stores {@code state} and then reads {@code waiter} (all sequentially consistent),
 * so at least one of them sees the other, and the dispatcher unparks a caller that parked. A
 * park is bounded ({@code parkNanos}) only so that the caller re-checks whether the dispatcher
 * has terminated without answering.
 */
public final class ReplySlot {
    public static final int IDLE = 0;
    public static final int WAITING = 1;
    public static final int DONE = 2;

    /** Busy spins before the caller starts yielding. */
    static final int SPINS = 1_000;
    /** Yields before the caller parks. */
    static final int YIELDS = 100;
    /** The bound of one park in production: how soon a caller notices a dispatcher that terminated. */
    public static final long PARK_NANOS = 1_000_000L;

    private static final VarHandle STATE;
    private static final VarHandle WAITER;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(ReplySlot.class, "state", int.class);
            WAITER = l.findVarHandle(ReplySlot.class, "waiter", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;
    @SuppressWarnings("unused") // accessed through WAITER
    private volatile Thread waiter;
    private long value;
    /** Dispatcher-written statistic: completions that found the caller parked and unparked it. */
    private volatile long unparks;

    /** Caller: arm the slot before publishing the request. */
    public void arm() {
        value = 0;
        STATE.setRelease(this, WAITING);
    }

    /**
     * Dispatcher: store the answer, then release it to the waiter.
     *
     * @param v the answer
     */
    public void complete(long v) {
        value = v;
        STATE.setVolatile(this, DONE);
        Thread w = (Thread) WAITER.getVolatile(this);
        if (w != null) {
            LockSupport.unpark(w);
            unparks = unparks + 1; // dispatcher thread only
        }
    }

    /** Who answers a request: tells a waiting caller when no answer will ever come. */
    public interface Answerer {
        /**
         * @param seq the request's ring sequence
         * @return true if the request will never be answered (the dispatcher ended before it)
         */
        boolean abandoned(long seq);
    }

    /**
     * Caller: waits until the request is answered, or until the answerer says it never will be
     * (checked between waits). Allocates nothing.
     *
     * @param answerer  the dispatcher that answers
     * @param seq       the request's ring sequence
     * @param parkNanos the bound of one park ({@link #PARK_NANOS} in production)
     * @return true if answered; false if abandoned
     */
    public boolean await(Answerer answerer, long seq, long parkNanos) {
        int round = 0;
        while (lvState() != DONE) {
            if (answerer.abandoned(seq) && lvState() != DONE) {
                return false;
            }
            if (spinOrYield(round)) {
                round++;
            } else {
                WAITER.setVolatile(this, Thread.currentThread());
                if ((int) STATE.getVolatile(this) != DONE) {
                    LockSupport.parkNanos(this, parkNanos);
                }
                WAITER.setVolatile(this, null);
            }
        }
        return true;
    }

    /**
     * The first two phases of the back-off every waiter for the dispatcher uses: spin
     * ({@value #SPINS} rounds), then yield ({@value #YIELDS} rounds).
     *
     * @param round how many rounds the caller has waited so far (it stops counting at park time)
     * @return true if this round spun or yielded; false once it is time to park
     */
    static boolean spinOrYield(int round) {
        if (round < SPINS) {
            Thread.onSpinWait();
            return true;
        }
        if (round < SPINS + YIELDS) {
            Thread.yield();
            return true;
        }
        return false;
    }

    /** @return completions that found this slot's caller parked (a statistic, for tests) */
    public long unparks() {
        return unparks;
    }

    /** @return the state, acquire load */
    public int lvState() {
        return (int) STATE.getAcquire(this);
    }

    /** @return the answer; valid once {@link #lvState()} returned {@link #DONE} */
    public long value() {
        return value;
    }
}
