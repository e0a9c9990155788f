package io.irqfabric.internal;

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import io.irqfabric.FabricClosedException;
import io.irqfabric.FabricException;
import io.irqfabric.FabricFailedException;
import io.irqfabric.FabricStateException;

import java.util.concurrent.locks.LockSupport;

/**
 * How threads other than the dispatcher talk to it: publish an event, or publish a request and
 * wait for the dispatcher's answer in the calling thread's {@link ReplySlot}. Shared by
 * {@link io.irqfabric.InterruptFabric#sync()} and every controller facade, so the close
 * protocol (an event published after close is either handled, or its publisher learns it was
 * not) lives in one place.
 *
 * <p>Packed register accesses ({@link #pack}): {@link RingEvent#a} carries the offset in bits
 * 39..0, the register space in bits 47..40 and the access size in bits 55..48. An offset or size
 * that does not fit is replaced by a value every device rejects ({@link #BAD_OFFSET}, size 0), so
 * a malformed guest access stays malformed instead of wrapping around to a valid one.
 */
public final class ControllerPort {
    /** An offset no device window contains. */
    public static final long BAD_OFFSET = (1L << 40) - 1;
    /** The nap of a request waiting for a ring slot after its spins and yields (see claimWaiting). */
    static final long SLOT_NAP_NANOS = 20_000L;

    private final RingBuffer<RingEvent> ring;
    private final Dispatcher dispatcher;
    private final PaddedInt closed;
    private final OverflowLog overflow;
    private final InFlight inFlight;
    private final ProducerStates producers;
    private final ThreadLocal<ReplySlot> replySlots = ThreadLocal.withInitial(ReplySlot::new);
    /**
     * Test seam: run between a failed claim and the overflow record, so a test can make the
     * dispatcher finish its batch (and its drain) inside that window deterministically. Read
     * only on the ring-full path; null in production.
     */
    private volatile Runnable beforeOverflowRecord;
    private volatile java.util.function.IntFunction<io.irqfabric.eventfd.EventFd> notifierFactory;

    public ControllerPort(RingBuffer<RingEvent> ring, Dispatcher dispatcher, PaddedInt closed, OverflowLog overflow,
                          InFlight inFlight, ProducerStates producers) {
        this.ring = ring;
        this.dispatcher = dispatcher;
        this.closed = closed;
        this.overflow = overflow;
        this.inFlight = inFlight;
        this.producers = producers;
    }

    /**
     * Asserts an edge on {@code gsi}: the producer protocol, for the facade and every controller.
     * Any thread; no allocation, no lock, no syscall (a PARKING dispatcher's unpark aside).
     *
     * <ol>
     *   <li>Refuse if the fabric is not running.</li>
     *   <li><b>Coalesce at the source:</b> if {@code gsi} has a TRIGGER event in the ring that the
     *       dispatcher has not taken ({@link InFlight}), and, for a controller-owned GSI, that
     *       event comes after every controller event this thread published (so it is judged
     *       against the state those events set), the assertion rides on it: no slot is claimed
     *       (unless the GSI's moderation policy is none: one event per assertion).
     *       The state is read again after the in-flight word, and if the fabric stopped meanwhile
     *       the assertion is accepted only if that event was handled.</li>
     *   <li>Else claim a slot ({@code tryNext}), write the event, store the in-flight word,
     *       publish; if the ring is full, record the assertion in the overflow log instead (with
     *       its fence for controller-owned GSIs, {@link RingFence}) and try once more to publish
     *       an OVERFLOW nudge.</li>
     *   <li>If the fabric stopped after the claim or record, wait for the dispatcher's end and
     *       refuse the assertion unless it was handled.</li>
     * </ol>
     * The ordering argument is in ARCHITECTURE.md, "Coalescing at the source".
     *
     * @param gsi the GSI, already checked to be in range
     * @throws FabricClosedException if the fabric closed before accepting the assertion
     * @throws FabricFailedException if the fabric failed before accepting the assertion
     */
    public void trigger(int gsi) {
        if (closed.lv() != 0) {
            throw closedException("trigger(" + gsi + ")");
        }
        long f = inFlight.lv(gsi);
        if (f >= 0 && inFlight.coalesces(gsi)) {
            ProducerStates.State me = producers.current();
            if (!overflow.fenced(gsi) || f > me.lastOrdered) {
                if (closed.lv() != 0) {
                    confirmAfterClose(f, "trigger(" + gsi + ")");
                }
                me.countCoalesced(gsi);
                inFlight.markRider(gsi);
                return;
            }
        }
        if (dispatcher.tryInline(gsi)) {
            return; // idle fabric, inline mode: delivered on this thread under the dispatcher role
        }
        final RingBuffer<RingEvent> rb = ring;
        long seq;
        try {
            seq = rb.tryNext();
        } catch (InsufficientCapacityException full) {
            triggerOverflow(gsi);
            return;
        }
        RingEvent e = rb.get(seq);
        e.type = RingEvent.TRIGGER;
        e.target = gsi;
        inFlight.so(gsi, seq); // before the publish: the dispatcher that takes the event sees it
        rb.publish(seq);
        if (closed.lv() != 0) {
            confirmAfterClose(seq, "trigger(" + gsi + ")");
        }
    }

    private void triggerOverflow(int gsi) {
        Runnable hook = beforeOverflowRecord;
        if (hook != null) {
            hook.run();
        }
        long ticket = overflow.record(gsi, overflow.fenced(gsi) ? ring.getCursor() : -1L);
        final RingBuffer<RingEvent> rb = ring;
        try {
            long seq = rb.tryNext();
            RingEvent e = rb.get(seq);
            e.type = RingEvent.OVERFLOW;
            rb.publish(seq);
        } catch (InsufficientCapacityException stillFull) {
            // The dispatcher holds unreleased events: a drain after this record is certain.
        }
        if (closed.lv() != 0) {
            awaitDispatcherTermination();
            if (!overflow.consumedAtLeast(gsi, ticket)) {
                throw closedException("trigger(" + gsi + ")");
            }
        }
    }

    /**
     * @param factory makes the notifier eventfd of a GSI (the facade's, which owns the reader
     *                thread); set once at construction
     */
    public void notifiers(java.util.function.IntFunction<io.irqfabric.eventfd.EventFd> factory) {
        this.notifierFactory = factory;
    }

    /**
     * @param gsi a GSI
     * @return its notifier eventfd (see {@code InterruptFabric.notifier})
     */
    public io.irqfabric.eventfd.EventFd notifier(int gsi) {
        return notifierFactory.apply(gsi);
    }

    /** Test seam, see {@link #beforeOverflowRecord}. */
    public void beforeOverflowRecord(Runnable hook) {
        this.beforeOverflowRecord = hook;
    }

    /**
     * @param space  register space of the device (0..255)
     * @param offset byte offset; out-of-range values become {@link #BAD_OFFSET}
     * @param size   access size; out-of-range values become 0
     * @return the packed access
     */
    public static long pack(int space, long offset, int size) {
        long off = offset < 0 || offset > BAD_OFFSET ? BAD_OFFSET : offset;
        long sz = size < 0 || size > 0xFF ? 0 : size;
        return off | ((long) (space & 0xFF) << 40) | (sz << 48);
    }

    /**
     * @param a packed access
     * @return its offset
     */
    public static long offset(long a) {
        return a & BAD_OFFSET;
    }

    /**
     * @param a packed access
     * @return its register space
     */
    public static int space(long a) {
        return (int) (a >>> 40) & 0xFF;
    }

    /**
     * @param a packed access
     * @return its size
     */
    public static int size(long a) {
        return (int) (a >>> 48) & 0xFF;
    }

    /** @return true once the fabric is closed or failed: it accepts nothing new */
    public boolean isClosed() {
        return closed.lv() != 0;
    }

    /**
     * Publishes SHUTDOWN (the closer, once): waits for a slot like a request does, and gives up
     * if the dispatcher has terminated meanwhile (failed), since then nobody frees one.
     *
     * @return true if SHUTDOWN was published
     */
    public boolean publishShutdown() {
        int round = 0;
        while (true) {
            try {
                long seq = ring.tryNext();
                RingEvent e = ring.get(seq);
                e.type = RingEvent.SHUTDOWN;
                ring.publish(seq);
                return true;
            } catch (InsufficientCapacityException full) {
                if (dispatcher.isTerminated()) {
                    return false;
                }
                if (ReplySlot.spinOrYield(round)) {
                    round++;
                } else {
                    LockSupport.parkNanos(SLOT_NAP_NANOS);
                }
            }
        }
    }

    /**
     * Waits at most {@code nanos} for the dispatcher loop to exit.
     *
     * @param nanos the bound
     * @return true if it has exited
     */
    public boolean awaitDispatcherTermination(long nanos) {
        long deadline = System.nanoTime() + nanos;
        boolean interrupted = false;
        try {
            while (!dispatcher.isTerminated()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    dispatcher.terminatedLatch().await(left, java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * @param what the operation, for the message
     * @throws FabricClosedException if the fabric is closed
     */
    public void checkOpen(String what) {
        if (closed.lv() != 0) {
            throw closedException(what);
        }
    }

    /**
     * Publishes an event, waiting for a free slot if the ring is full (register writes carry a
     * payload that cannot be merged into a bitmap, so they wait instead of overflowing).
     *
     * @throws FabricClosedException if the fabric closed before the event was handled
     * @throws FabricStateException  if the ring is full and the caller is the dispatcher
     */
    public void post(int type, int target, long a, long b, String what) {
        checkOpen(what);
        long seq = publish(type, target, a, b, null, what);
        if (closed.lv() != 0) {
            confirmAfterClose(seq, what);
        }
    }

    private long publish(int type, int target, long a, long b, ReplySlot reply, String what) {
        long seq = claimWaiting(what);
        RingEvent e = ring.get(seq);
        e.type = type;
        e.target = target;
        e.a = a;
        e.b = b;
        e.reply = reply;
        producers.current().ordered(seq); // a later trigger of this thread coalesces only after it
        ring.publish(seq);
        return seq;
    }

    /**
     * Claims a slot, waiting (spin, then yield) while the ring is full. Not Disruptor's blocking
     * {@code next()}: that parks forever if the fabric closes meanwhile (the dispatcher never
     * releases slots after SHUTDOWN), and on the dispatcher thread it would wait for itself.
     *
     * @throws FabricClosedException if the dispatcher terminated while waiting
     * @throws FabricStateException  if the ring is full and the caller is the dispatcher
     */
    private long claimWaiting(String what) {
        int round = 0;
        while (true) {
            try {
                return ring.tryNext();
            } catch (InsufficientCapacityException full) {
                if (dispatcher.holdsRoleNow()) {
                    throw new FabricStateException(what + " on the dispatcher thread (from a sink or listener?) "
                            + "with the ring full: it would wait for itself");
                }
                if (dispatcher.isTerminated()) {
                    throw closedException(what);
                }
                // The same back-off as a reply wait (ReplySlot.await), but the dispatcher does
                // not know who waits for a slot, so the park is a short timed nap.
                if (ReplySlot.spinOrYield(round)) {
                    round++;
                } else {
                    LockSupport.parkNanos(SLOT_NAP_NANOS);
                }
            }
        }
    }

    /**
     * Publishes an event if a slot is free right now (never waits).
     *
     * @return the event's sequence, or -1 if the ring was full
     */
    public long tryPost(int type, int target, long a) {
        final long seq;
        try {
            seq = ring.tryNext();
        } catch (InsufficientCapacityException full) {
            return -1;
        }
        RingEvent e = ring.get(seq);
        e.type = type;
        e.target = target;
        e.a = a;
        producers.current().ordered(seq);
        ring.publish(seq);
        return seq;
    }

    /** @return true on the dispatcher thread or inside an inline delivery (see Dispatcher.holdsRoleNow) */
    public boolean onDispatcherSide() {
        return dispatcher.holdsRoleNow();
    }

    /** @return the ring cursor: the highest sequence claimed so far */
    public long cursor() {
        return ring.getCursor();
    }

    /** @return the last sequence the dispatcher handled; meaningful once it has terminated */
    public long finalSequence() {
        return dispatcher.finalSequence();
    }

    /**
     * Publishes a request and waits for the dispatcher's answer.
     *
     * @return the answer
     * @throws FabricClosedException if the fabric closed before the request was handled
     * @throws FabricStateException  if called on the dispatcher thread (it would wait for itself)
     */
    public long request(int type, int target, long a, long b, String what) {
        checkOpen(what);
        if (dispatcher.holdsRoleNow()) {
            throw new FabricStateException(what + " called on the dispatcher thread (from a sink or listener?): it would wait for itself");
        }
        ReplySlot slot = replySlots.get();
        slot.arm();
        long seq = publish(type, target, a, b, slot, what);
        if (!slot.await(dispatcher, seq, ReplySlot.PARK_NANOS)) {
            throw closedException(what);
        }
        return slot.value();
    }

    /**
     * After publishing sequence {@code seq} and then seeing the fabric closed: waits for the
     * dispatcher's end and tells whether the event was handled.
     *
     * @throws FabricClosedException if it was not
     */
    public void confirmAfterClose(long seq, String what) {
        awaitDispatcherTermination();
        if (seq > dispatcher.finalSequence()) {
            throw closedException(what);
        }
    }

    /** Waits until the dispatcher loop has exited (returns at once on the dispatcher thread or an inline role holder). */
    public void awaitDispatcherTermination() {
        if (dispatcher.holdsRoleNow()) {
            return;
        }
        boolean interrupted = false;
        while (!dispatcher.isTerminated()) {
            try {
                dispatcher.terminatedLatch().await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The refusal of an operation the fabric did not accept: {@link FabricFailedException} (with
     * the dispatcher's failure as cause) once the fabric has failed, else
     * {@link FabricClosedException}.
     *
     * @param what the operation
     * @return the exception to throw
     */
    public FabricException closedException(String what) {
        if (closed.lv() == Dispatcher.STATE_FAILED) {
            Throwable cause = dispatcher.failure();
            return new FabricFailedException(what + " on a failed fabric (its dispatcher stopped: " + cause + ")", cause);
        }
        return new FabricClosedException(what + " on a closed fabric");
    }
}
