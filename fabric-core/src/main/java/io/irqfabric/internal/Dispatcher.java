package io.irqfabric.internal;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import io.irqfabric.FabricErrorHandler;
import io.irqfabric.InterruptSink;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * The single writer. One thread runs {@link #run()}; it alone reads ring events, owns the
 * pending set, the counters it writes, and (later) every interrupt controller's state.
 *
 * <p>One turn of the loop:
 * <ol>
 *   <li>wait for published events (the wait strategy decides spin, yield or park);</li>
 *   <li>handle every available event: a TRIGGER marks its GSI pending (a second one in the
 *       same batch is coalesced into the first);</li>
 *   <li>release the consumed slots with a <em>volatile</em> store of the sequence (the full
 *       fence matters: see {@link io.irqfabric.InterruptFabric} on the ring-full protocol);</li>
 *   <li>drain the overflow log into the pending set;</li>
 *   <li>flush: one {@link InterruptSink#deliver(int)} per pending GSI, then answer any SYNC
 *       requests of the batch.</li>
 * </ol>
 * One exception to "wait for events": while the route listener holds changes it could not
 * apply (a refused {@code KVM_SET_GSI_ROUTING} or {@code KVM_IRQFD}) and the ring is idle, the
 * loop retries them at most once a millisecond and naps {@link #ROUTE_RETRY_IDLE_NANOS} between
 * looks at the ring, so new events wait at most that long in this failure mode.
 * Nothing in the loop allocates. Nothing escapes it: every throwable is caught, counted and
 * handed to the {@link FabricErrorHandler}.
 */
public final class Dispatcher implements Runnable, ReplySlot.Answerer {
    /** The nap between looks at the ring while idle with unapplied routes (see the class doc). */
    static final long ROUTE_RETRY_IDLE_NANOS = 50_000L;
    private final RingBuffer<RingEvent> ring;
    private final Sequence sequence = new Sequence(RingBuffer.INITIAL_CURSOR_VALUE);
    private final SequenceBarrier barrier;
    private final PendingSet pending;
    /** Blocked GSIs whose overflow records wait for their fence (see endOfBatch). */
    private final PendingSet deferred;
    private final OverflowLog overflow;
    private final InterruptSink sink;
    private final Counters counters;
    private final FabricErrorHandler errorHandler;
    private final ReplySlot[] syncReplies;
    private final ControllerHub hub;
    /** The hub's per-GSI gate: 0 = open (the TRIGGER fast path), else masked or blocked. */
    private final byte[] gate;
    private int syncCount;

    private final CountDownLatch terminatedLatch = new CountDownLatch(1);
    private volatile boolean terminated;
    private volatile long finalSequence = Long.MIN_VALUE;
    private volatile Thread thread;
    private long batches;

    public Dispatcher(RingBuffer<RingEvent> ring, OverflowLog overflow, InterruptSink sink,
                      Counters counters, FabricErrorHandler errorHandler, ControllerHub hub) {
        this.ring = ring;
        this.overflow = overflow;
        this.sink = sink;
        this.counters = counters;
        this.errorHandler = errorHandler;
        this.pending = new PendingSet(counters.gsiCount());
        this.deferred = new PendingSet(counters.gsiCount());
        this.hub = hub;
        this.gate = hub.gate();
        hub.bind(pending);
        this.syncReplies = new ReplySlot[ring.getBufferSize()];
        this.barrier = ring.newBarrier();
        ring.addGatingSequences(sequence);
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        long next = sequence.get() + 1;
        try {
            while (true) {
                if (hub.routesUnapplied() && barrier.getCursor() < next) {
                    // Idle while the route listener has changes it could not apply (KVM refused
                    // a routing table or an irqfd): keep retrying rather than wait for traffic
                    // that may never come, since what a refused GSI delivered waits on its route.
                    // Only this failure mode polls; a claimed-but-unpublished slot ends it.
                    hub.retryRoutesIfDue();
                    LockSupport.parkNanos(ROUTE_RETRY_IDLE_NANOS);
                    continue;
                }
                long available;
                try {
                    available = barrier.waitFor(next);
                } catch (AlertException | TimeoutException e) {
                    continue;
                } catch (InterruptedException e) {
                    // The dispatcher stops only through SHUTDOWN; an interrupt does not lose events.
                    continue;
                }
                if (available < next) {
                    continue;
                }
                boolean shutdown = false;
                long s = next;
                for (; s <= available; s++) {
                    if (handle(ring.get(s))) {
                        shutdown = true;
                        break;
                    }
                }
                long last = shutdown ? s : available;
                // Volatile (full-fence) release of the slots BEFORE draining the overflow log: a
                // producer that finds the ring full after recording an overflow is then sure a
                // drain follows its record (InterruptFabric, "Ring full").
                sequence.setVolatile(last);
                endOfBatch(shutdown, last);
                next = last + 1;
                if (shutdown) {
                    finalSequence = last;
                    return;
                }
            }
        } finally {
            terminated = true;
            terminatedLatch.countDown();
        }
    }

    /** @return true if the event was SHUTDOWN */
    private boolean handle(RingEvent e) {
        int type = e.type;
        try {
            switch (type) {
                case RingEvent.TRIGGER:
                    counters.add(e.target, Counters.ASSERTED, 1);
                    if (gate[e.target] == ControllerHub.OPEN) {
                        pending.add(e.target);
                    } else {
                        hub.gated(e.target);
                    }
                    break;
                case RingEvent.SYNC:
                    syncReplies[syncCount++] = e.reply;
                    break;
                case RingEvent.OVERFLOW:
                case RingEvent.NONE:
                    break;
                case RingEvent.SHUTDOWN:
                    return true;
                default:
                    if (type >= RingEvent.FIRST_CONTROLLER_TYPE) {
                        hub.handle(e); // never throws; answers e.reply itself
                    } else {
                        errorHandlerSafe(FabricErrorHandler.Kind.HANDLER_EXCEPTION, -1, type, null);
                    }
                    break;
            }
        } catch (Throwable t) {
            int gsi = type == RingEvent.TRIGGER ? e.target : -1;
            if (gsi >= 0 && gsi < counters.gsiCount()) {
                counters.add(gsi, Counters.ERRORS, 1);
            }
            errorHandlerSafe(FabricErrorHandler.Kind.HANDLER_EXCEPTION, gsi, type, t);
        } finally {
            e.reply = null;
        }
        return false;
    }

    private void endOfBatch(boolean finalDrain, long processedUpTo) {
        overflow.drainInto(pending, finalDrain, counters);
        int d = deferred.size();
        for (int i = 0; i < d; i++) {
            pending.add(deferred.get(i));
        }
        deferred.clear();
        hub.beforeFlush(processedUpTo);
        int n = pending.size();
        for (int i = 0; i < n; i++) {
            int gsi = pending.get(i);
            byte g = gate[gsi];
            if (g == ControllerHub.OPEN) {
                deliver(gsi);
            } else if ((g & ControllerHub.MASKED) == 0 && !finalDrain && !overflow.fencePassed(gsi, processedUpTo)) {
                // Blocked (invalid MSI address) now, but an overflow record of this GSI may
                // follow a fix its producer published in an event not handled yet: keep it for
                // a later batch rather than reject it against stale state (RingFence).
                deferred.add(gsi);
            } else {
                hub.gated(gsi); // overflow records and GSIs masked later in this batch
            }
        }
        pending.clear();
        try {
            sink.endOfBatch();
        } catch (Throwable t) {
            errorHandlerSafe(FabricErrorHandler.Kind.SINK_EXCEPTION, -1, 0, t);
        }
        for (int i = 0; i < syncCount; i++) {
            syncReplies[i].complete(0);
            syncReplies[i] = null;
        }
        syncCount = 0;
        batches++;
    }

    private void deliver(int gsi) {
        int r;
        try {
            r = sink.deliver(gsi);
        } catch (Throwable t) {
            counters.add(gsi, Counters.ERRORS, 1);
            errorHandlerSafe(FabricErrorHandler.Kind.SINK_EXCEPTION, gsi, 0, t);
            return;
        }
        if (r == InterruptSink.FAILED) {
            counters.add(gsi, Counters.ERRORS, 1);
            errorHandlerSafe(FabricErrorHandler.Kind.DELIVERY_FAILED, gsi, sink.lastErrno(gsi), null);
        } else {
            counters.add(gsi, Counters.DELIVERED, 1);
        }
    }

    private void errorHandlerSafe(FabricErrorHandler.Kind kind, int gsi, long detail, Throwable t) {
        try {
            errorHandler.onError(kind, gsi, detail, t);
        } catch (Throwable ignored) {
            // The error handler must not stop the dispatcher; its own failure is dropped here.
        }
    }

    /** A request at {@code seq} is never answered once the loop ended before reaching it. */
    @Override
    public boolean abandoned(long seq) {
        return terminated && seq > finalSequence;
    }

    /** @return true once the loop has exited (after SHUTDOWN and the final flush) */
    public boolean isTerminated() {
        return terminated;
    }

    /**
     * @return the last sequence processed before termination; meaningful once
     *         {@link #isTerminated()} is true
     */
    public long finalSequence() {
        return finalSequence;
    }

    /** @return the latch counted down at termination */
    public CountDownLatch terminatedLatch() {
        return terminatedLatch;
    }

    /** @return the thread running the loop, or null before it started */
    public Thread thread() {
        return thread;
    }

    /** @return batches completed (dispatcher-thread value; approximate from others) */
    public long batches() {
        return batches;
    }
}
