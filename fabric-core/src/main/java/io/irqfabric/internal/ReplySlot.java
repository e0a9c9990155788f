package io.irqfabric.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Where the dispatcher answers a caller that waits for it (a register read, a sync): the
 * caller publishes a request carrying its slot and waits on {@link #lvState()} until the
 * dispatcher has {@link #complete(long) completed} it. One slot per calling thread, reused,
 * so a request allocates nothing. The ring orders the request after the caller's earlier
 * events, so a vCPU always reads its own earlier writes.
 */
public final class ReplySlot {
    public static final int IDLE = 0;
    public static final int WAITING = 1;
    public static final int DONE = 2;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ReplySlot.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;
    private long value;

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
        STATE.setRelease(this, DONE);
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
