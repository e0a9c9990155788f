package io.irqfabric.internal;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import io.irqfabric.DispatchMode;
import io.irqfabric.FabricErrorHandler;
import io.irqfabric.InterruptSink;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
    private static final VarHandle DELIVERING;
    private static final VarHandle INLINE_ALLOWED_AT;

    static {
        try {
            DELIVERING = MethodHandles.lookup().findVarHandle(Dispatcher.class, "delivering", int.class);
            INLINE_ALLOWED_AT = MethodHandles.lookup().findVarHandle(Dispatcher.class, "inlineAllowedAt", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The GSI being delivered, or -1; written opaquely around each sink call, read by close(Duration). */
    @SuppressWarnings("unused") // accessed through DELIVERING
    private int delivering = -1;
    /** The nap between looks at the ring while idle with unapplied routes (see the class doc). */
    static final long ROUTE_RETRY_IDLE_NANOS = 50_000L;
    private final RingBuffer<RingEvent> ring;
    private final Sequence sequence = new Sequence(RingBuffer.INITIAL_CURSOR_VALUE);
    private final SequenceBarrier barrier;
    private final PendingSet pending;
    /** Blocked GSIs whose overflow records wait for their fence (see endOfBatch). */
    private final PendingSet deferred;
    /** GSIs whose events in this batch carried riders (coalesced at the source): the stormers, written after the quiet ones. */
    private final PendingSet busy;
    /** GSIs written (or gated) so far in the current flush. */
    private final PendingSet flushed;
    /** GSIs re-asserted mid-flush after their write: delivered by the next flush. */
    private final PendingSet carry;
    /** Per-GSI in-flight words of source coalescing. */
    private final InFlight inFlight;
    /** Writes of stormers between two looks at the ring during a flush. */
    static final int PEEK_EVERY = 8;
    private final OverflowLog overflow;
    private final InterruptSink sink;
    private final Counters counters;
    private final FabricErrorHandler errorHandler;
    private final ReplySlot[] syncReplies;
    private final ControllerHub hub;
    /** The hub's per-GSI gate: 0 = open (the TRIGGER fast path), else masked or blocked. */
    private final byte[] gate;
    /** Per-GSI moderation policies, held deliveries and their deadlines (see {@link Moderation}). */
    private final Moderation moderation;
    /** The clock at the start of the current flush, read only while moderation is active. */
    private long flushNow;
    private int syncCount;

    /** Errors that escaped the loop's guards since the last completed batch; see {@link #run()}. */
    static final int MAX_FAILURES_WITHOUT_PROGRESS = 100;
    /** How long a failing dispatcher waits for slots claimed before the failure to be published. */
    static final long EMERGENCY_PUBLISH_WAIT_NANOS = 1_000_000_000L;
    /** The fabric's state word, shared with the producers ({@link #STATE_RUNNING} ...). */
    public static final int STATE_RUNNING = 0;
    public static final int STATE_CLOSED = 1;
    public static final int STATE_FAILED = 2;

    private final PaddedInt state;

    /** {@link #role} values: nobody holds the dispatcher role, or somebody does. */
    static final int ROLE_FREE = 0;
    static final int ROLE_HELD = 1;
    /**
     * The dispatcher role (ARCHITECTURE.md, "Inline delivery"): whoever holds it may read and
     * write the state this class owns. The dispatcher thread holds it except while it waits for
     * events in {@link DispatchMode#INLINE_WHEN_IDLE} mode; a producer holds it for one inline
     * delivery. It starts HELD (by the dispatcher thread, whose start happens-after the
     * constructor) and stays HELD once the loop has ended.
     */
    private final PaddedInt role = new PaddedInt();
    /**
     * The producer thread holding {@link #role} for an inline delivery, else null. Written by
     * that thread only (itself, then null before it releases the role), so a thread comparing it
     * with itself always reads its own latest write: see {@link #holdsRoleNow()}.
     */
    private Thread inlineHolder;
    /** True while the dispatcher thread holds {@link #role} (dispatcher thread only). */
    private boolean holdsRole = true;
    private final boolean inlineMode;
    /**
     * No inline delivery before this {@link System#nanoTime()}: after one that took {@code d} ns,
     * the next waits {@value #INLINE_SPACING} d (at most {@value #MAX_INLINE_COST_NANOS} ns of
     * {@code d} count), so a producer asserting flat out spends at most about 1/{@value #INLINE_SPACING}
     * of its time in eventfd writes before the dispatcher takes its storm over. Written by the
     * role holder, read opaquely by producers.
     */
    @SuppressWarnings("unused") // accessed through INLINE_ALLOWED_AT
    private long inlineAllowedAt;
    static final long INLINE_SPACING = 8;
    /** Inline mode: how long the dispatcher must find the ring empty before it gives the role back. */
    static final long INLINE_IDLE_NANOS = 20_000L;
    static final long MAX_INLINE_COST_NANOS = 100_000L;
    /** The last sequence handled, and the last one whose batch was flushed (dispatcher only). */
    private long handledUpTo = RingBuffer.INITIAL_CURSOR_VALUE;
    private long flushedUpTo = RingBuffer.INITIAL_CURSOR_VALUE;
    private int failuresWithoutProgress;
    /** The sequence of the SHUTDOWN event once handled, else -1. */
    private long shutdownAt = -1;
    private volatile Throwable failure;
    /** Test seam: thrown at the top of a loop turn while set ({@link #faultsLeft} times); null in production. */
    private volatile Throwable faultInjection;
    private int faultsLeft;

    private final CountDownLatch terminatedLatch = new CountDownLatch(1);
    private volatile boolean terminated;
    private volatile long finalSequence = Long.MIN_VALUE;
    private volatile Thread thread;
    private long batches;

    public Dispatcher(RingBuffer<RingEvent> ring, OverflowLog overflow, InterruptSink sink,
                      Counters counters, FabricErrorHandler errorHandler, ControllerHub hub, PaddedInt state,
                      InFlight inFlight, DispatchMode mode) {
        this.ring = ring;
        this.inlineMode = mode == DispatchMode.INLINE_WHEN_IDLE;
        this.role.sv(ROLE_HELD);
        this.state = state;
        this.overflow = overflow;
        this.sink = sink;
        this.counters = counters;
        this.errorHandler = errorHandler;
        this.pending = new PendingSet(counters.gsiCount());
        this.deferred = new PendingSet(counters.gsiCount());
        this.busy = new PendingSet(counters.gsiCount());
        this.flushed = new PendingSet(counters.gsiCount());
        this.carry = new PendingSet(counters.gsiCount());
        this.inFlight = inFlight;
        this.hub = hub;
        this.gate = hub.gate();
        this.moderation = hub.moderation();
        hub.bind(pending);
        hub.bindDeferred(deferred);
        this.syncReplies = new ReplySlot[ring.getBufferSize()];
        this.barrier = ring.newBarrier();
        ring.addGatingSequences(sequence);
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        Throwable fatal = null;
        boolean shutdown = false;
        try {
            while (!shutdown) {
                try {
                    shutdown = loop();
                } catch (Throwable t) {
                    // Only what the loop's own guards missed gets here: an error outside event
                    // handling and embedder calls (an asynchronous fault of the counters file's
                    // mapping, an OutOfMemoryError, a bug). Report it and resume where the loop
                    // was; give up only when it keeps failing without finishing a batch.
                    if (++failuresWithoutProgress > MAX_FAILURES_WITHOUT_PROGRESS) {
                        fatal = t;
                        break;
                    }
                    recover(t);
                }
            }
        } catch (Throwable t) {
            fatal = t; // recover() itself failed
        } finally {
            if (!shutdown) {
                fail(fatal != null ? fatal : new IllegalStateException("dispatcher loop ended without SHUTDOWN"));
            }
            terminated = true;
            terminatedLatch.countDown();
        }
    }

    /**
     * The dispatcher loop proper. Restartable: {@link #handledUpTo} and {@link #flushedUpTo} say
     * where it was, so after {@link #recover} it first finishes a batch an error interrupted.
     *
     * @return true after SHUTDOWN was handled and flushed
     */
    private boolean loop() throws Throwable {
        while (true) {
            acquireRole();
            Throwable injected = faultInjection;
            if (injected != null) {
                if (--faultsLeft <= 0) {
                    faultInjection = null;
                }
                throw injected;
            }
            while (handledUpTo > flushedUpTo) {
                // Events were handled but not flushed: an error interrupted a batch, or a flush
                // took TRIGGERs while it looked at the ring (peek). Release and flush them; that
                // flush may take more, hence the loop.
                boolean wasShutdown = handledUpTo == shutdownAt;
                finishBatch(wasShutdown, handledUpTo);
                if (wasShutdown) {
                    finalSequence = handledUpTo;
                    return true;
                }
            }
            if (Thread.interrupted()) {
                strayInterrupt();
            }
            long next = handledUpTo + 1;
            if (hub.routesUnapplied() && barrier.getCursor() < next) {
                // Idle while the route listener has changes it could not apply (KVM refused
                // a routing table or an irqfd): keep retrying rather than wait for traffic
                // that may never come, since what a refused GSI delivered waits on its route.
                // Only this failure mode polls; a claimed-but-unpublished slot ends it.
                hub.retryRoutesIfDue();
                LockSupport.parkNanos(ROUTE_RETRY_IDLE_NANOS);
                continue;
            }
            if (barrier.getCursor() < next) {
                if (moderation.deadlinePassed()) {
                    timerBatch();
                    continue;
                }
                counters.beforeIdle(); // the counters file catches up before the dispatcher waits
                if (inlineMode && holdsRole && !idleFor(next)) {
                    continue; // work (or a moderation deadline) arrived while holding the role
                }
                releaseRole(); // inline mode: producers may deliver while the dispatcher waits
            }
            moderation.armWait(); // the wait returns at the earliest moderation deadline
            long available;
            try {
                available = barrier.waitFor(next);
            } catch (AlertException | TimeoutException e) {
                continue;
            } catch (InterruptedException e) {
                // The dispatcher stops only through SHUTDOWN; an interrupt does not lose events.
                strayInterrupt();
                continue;
            }
            if (available < next) {
                continue; // a wait strategy returns early on an interrupt: the loop top clears it
            }
            acquireRole();
            for (long s = next; s <= available; s++) {
                boolean isShutdown = handle(ring.get(s), s);
                if (isShutdown) {
                    shutdownAt = s;
                }
                handledUpTo = s;
                if (isShutdown) {
                    finishBatch(true, s);
                    finalSequence = s;
                    return true;
                }
            }
            finishBatch(false, available);
        }
    }

    private void finishBatch(boolean finalDrain, long last) {
        // Volatile (full-fence) release of the slots BEFORE draining the overflow log: a
        // producer that finds the ring full after recording an overflow is then sure a
        // drain follows its record (ARCHITECTURE.md, "Ring full").
        sequence.setVolatile(last);
        endOfBatch(finalDrain, last);
        flushedUpTo = last;
        failuresWithoutProgress = 0;
    }

    /**
     * A batch without events, run when a moderation deadline passed while the ring was idle (the
     * wait timed out): the flush writes the held GSIs that fell due and re-injects delayed lines.
     */
    private void timerBatch() {
        endOfBatch(false, flushedUpTo);
        failuresWithoutProgress = 0;
    }

    private void strayInterrupt() {
        counters.addGlobal(Counters.STRAY_INTERRUPTS_OFFSET, 1);
        errorHandlerSafe(FabricErrorHandler.Kind.STRAY_INTERRUPT, -1, 0, null);
    }

    /** After an error escaped the loop's guards: classify, count and report it. */
    private void recover(Throwable t) {
        counters.addGlobal(Counters.DISPATCHER_ERRORS_OFFSET, 1);
        errorHandlerSafe(FabricErrorHandler.Kind.DISPATCHER_ERROR, -1, failuresWithoutProgress, t);
    }

    /**
     * The loop is over for good without SHUTDOWN. Refuse everything from now on, deliver what
     * producers had published before they could see the refusal (best effort: only open GSIs,
     * bounded wait for claimed slots), and report.
     */
    private void fail(Throwable cause) {
        failure = cause;
        state.sv(STATE_FAILED); // before reading the cursor: see ARCHITECTURE.md, "The failed state"
        try {
            counters.state(Counters.STATE_FAILED);
        } catch (Throwable ignored) {
            // the state word is informational
        }
        long flushed = flushedUpTo;
        try {
            if (acquireRoleWithin(EMERGENCY_PUBLISH_WAIT_NANOS)) {
                emergencyFlush(flushed);
            } // else an inline delivery is stuck in the sink: the flush would be stuck there too
        } catch (Throwable t) {
            // best effort; what it could not deliver, it could not deliver
        }
        finalSequence = flushed;
        errorHandlerSafe(FabricErrorHandler.Kind.FABRIC_FAILED, -1, 0, cause);
    }

    private void emergencyFlush(long flushed) {
        long cursor = ring.getCursor();
        long deadline = System.nanoTime() + EMERGENCY_PUBLISH_WAIT_NANOS;
        pending.clear();
        for (long s = flushed + 1; s <= cursor; s++) {
            while (!ring.isAvailable(s)) {
                if (System.nanoTime() - deadline > 0) {
                    return;
                }
                Thread.onSpinWait();
            }
            RingEvent e = ring.get(s);
            if (e.type == RingEvent.TRIGGER && gate[e.target] == ControllerHub.OPEN) {
                pending.add(e.target);
            }
        }
        overflow.drainInto(pending, true, counters);
        PendingSet held = moderation.held();
        for (int i = 0; i < held.size(); i++) {
            pending.add(held.get(i)); // what moderation held is owed too
        }
        int n = pending.size();
        for (int i = 0; i < n; i++) {
            int gsi = pending.get(i);
            if (gate[gsi] == ControllerHub.OPEN) {
                deliver(gsi);
            }
        }
        pending.clear();
    }

    /** @return true if the event was SHUTDOWN */
    private boolean handle(RingEvent e, long seq) {
        int type = e.type;
        try {
            switch (type) {
                case RingEvent.TRIGGER:
                    takeTrigger(e.target, seq);
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

    /**
     * Takes the TRIGGER at {@code seq}: clears its in-flight word (before this batch's delivery
     * starts, so every assertion coalesced into it at the source is covered by that delivery),
     * counts it, and marks the GSI pending or hands it to its gate.
     *
     * @return true if the GSI's gate is open (it is pending now)
     */
    private boolean takeTrigger(int gsi, long seq) {
        inFlight.clear(gsi, seq);
        if (inFlight.takeRiders(gsi)) {
            busy.add(gsi);
        }
        counters.add(gsi, Counters.ASSERTED, 1);
        moderation.taken(gsi);
        if (gate[gsi] == ControllerHub.OPEN) {
            pending.add(gsi);
            return true;
        }
        hub.gated(gsi);
        return false;
    }

    private void endOfBatch(boolean finalDrain, long processedUpTo) {
        overflow.drainInto(pending, finalDrain, counters);
        int d = deferred.size();
        for (int i = 0; i < d; i++) {
            pending.add(deferred.get(i));
        }
        deferred.clear();
        int c = carry.size();
        for (int i = 0; i < c; i++) {
            int gsi = carry.get(i);
            pending.add(gsi);
            busy.add(gsi); // re-asserted during a flush of stormers: a stormer, written after quiet GSIs
        }
        carry.clear();
        flushNow = 0;
        if (moderation.active() || moderation.nextDeadline() != Long.MAX_VALUE) {
            // Held GSIs whose deadline passed join this flush; close() writes everything held.
            // (A deadline left from a policy since changed back is cleared here: collectDue
            // recomputes it from what is still held, else the loop would keep waking for it.)
            flushNow = moderation.now();
            if (finalDrain) {
                moderation.releaseAll(pending);
            }
            moderation.collectDue(flushNow, pending);
        }
        hub.beforeFlush(processedUpTo);
        // The write order (ARCHITECTURE.md, "The flush"): first the GSIs whose events carried no
        // assertions coalesced at the source (quiet ones), then the rest (stormers); while writing the rest,
        // a look at the ring every PEEK_EVERY writes takes new TRIGGERs, and a newly asserted
        // quiet GSI is written at once. Every GSI pending now is written in this flush.
        int n = pending.size();
        for (int i = 0; i < n; i++) {
            int gsi = pending.get(i);
            if (!busy.contains(gsi)) {
                flushOne(gsi, finalDrain, processedUpTo);
            }
        }
        int writes = 0;
        for (int i = 0; i < n; i++) {
            int gsi = pending.get(i);
            if (busy.contains(gsi)) {
                flushOne(gsi, finalDrain, processedUpTo);
                if (++writes % PEEK_EVERY == 0 && !finalDrain) {
                    peek();
                }
            }
        }
        busy.clear();
        flushed.clear();
        pending.clear();
        try {
            sink.endOfBatch();
        } catch (Throwable t) {
            errorHandlerSafe(FabricErrorHandler.Kind.SINK_EXCEPTION, -1, 0, t);
        }
        hub.foldRejectedOffRing();
        counters.endOfBatch(syncCount > 0 || finalDrain);
        for (int i = 0; i < syncCount; i++) {
            syncReplies[i].complete(0);
            syncReplies[i] = null;
        }
        syncCount = 0;
        batches++;
    }

    private void flushOne(int gsi, boolean finalDrain, long processedUpTo) {
        flushed.add(gsi);
        byte g = gate[gsi];
        if (g == ControllerHub.OPEN) {
            // The GSI's moderation policy decides: 0 writes (held, with a deadline), 1, or one
            // per ring event taken (none).
            for (int w = moderation.writes(gsi, flushNow, finalDrain); w > 0; w--) {
                deliver(gsi);
            }
            return;
        }
        moderation.gated(gsi); // masked or blocked: the pending bit or the rejection owns it now
        if ((g & ControllerHub.MASKED) == 0 && !finalDrain && !overflow.fencePassed(gsi, processedUpTo)) {
            // Blocked (invalid MSI address) now, but an overflow record of this GSI may
            // follow a fix its producer published in an event not handled yet: keep it for
            // a later batch rather than reject it against stale state (RingFence).
            deferred.add(gsi);
        } else {
            hub.gated(gsi); // overflow records and GSIs masked later in this batch
        }
    }

    /**
     * Mid-flush: takes the TRIGGERs published since the batch (stopping at the first other
     * event, which waits for the next batch in order). A GSI not pending in this flush is
     * written at once; one pending and not yet written is covered by its coming write; one
     * already written is carried to the next flush, which follows at once (the loop sees
     * {@code handledUpTo > flushedUpTo}).
     */
    private void peek() {
        long next = handledUpTo + 1;
        long cursor = ring.getCursor();
        if (cursor < next) {
            return;
        }
        for (long s = next; s <= cursor && ring.isAvailable(s); s++) {
            RingEvent e = ring.get(s);
            if (e.type != RingEvent.TRIGGER) {
                return;
            }
            int gsi = e.target;
            boolean wasPending = pending.contains(gsi);
            boolean open;
            try {
                open = takeTrigger(gsi, s);
            } catch (Throwable t) {
                counters.add(gsi, Counters.ERRORS, 1);
                errorHandlerSafe(FabricErrorHandler.Kind.HANDLER_EXCEPTION, gsi, RingEvent.TRIGGER, t);
                open = false;
            }
            handledUpTo = s;
            if (open) {
                if (!wasPending) {
                    flushOne(gsi, false, s); // a quiet GSI: written (or held by its policy) before the rest
                } else if (flushed.contains(gsi)) {
                    carry.add(gsi);
                }
            }
        }
    }

    private void deliver(int gsi) {
        int r;
        DELIVERING.setOpaque(this, gsi);
        try {
            r = sink.deliver(gsi);
        } catch (Throwable t) {
            DELIVERING.setOpaque(this, -1);
            counters.add(gsi, Counters.ERRORS, 1);
            errorHandlerSafe(FabricErrorHandler.Kind.SINK_EXCEPTION, gsi, 0, t);
            return;
        }
        DELIVERING.setOpaque(this, -1);
        if (r == InterruptSink.FAILED) {
            counters.add(gsi, Counters.ERRORS, 1);
            int errno;
            try {
                errno = sink.lastErrno(gsi);
            } catch (Throwable t) {
                errorHandlerSafe(FabricErrorHandler.Kind.SINK_EXCEPTION, gsi, 0, t);
                errno = 0;
            }
            errorHandlerSafe(FabricErrorHandler.Kind.DELIVERY_FAILED, gsi, errno, null);
        } else {
            counters.add(gsi, Counters.DELIVERED, 1);
        }
    }

    /**
     * Inline mode, before giving the role back: keeps it while watching the ring for
     * {@link #INLINE_IDLE_NANOS}, so a storm's short pauses do not hand the role back and forth
     * (each hand-over moves the role's cache line and makes producers try the inline path).
     *
     * @return true if nothing arrived and no moderation deadline passed in that time
     */
    private boolean idleFor(long next) {
        long until = System.nanoTime() + INLINE_IDLE_NANOS;
        while (barrier.getCursor() < next) {
            if (System.nanoTime() - until >= 0) {
                return true;
            }
            if (moderation.deadlinePassed()) {
                return false;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    /** Dispatcher thread: takes the role unless it holds it (inline mode: waits out an inline delivery). */
    private void acquireRole() {
        if (holdsRole) {
            return;
        }
        int spins = 0;
        while (!role.cas(ROLE_FREE, ROLE_HELD)) {
            // An inline holder does one delivery; spin, then yield while its write runs long.
            if (++spins < 1000) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        holdsRole = true;
    }

    private boolean acquireRoleWithin(long nanos) {
        if (holdsRole) {
            return true;
        }
        long deadline = System.nanoTime() + nanos;
        while (!role.cas(ROLE_FREE, ROLE_HELD)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.yield();
        }
        holdsRole = true;
        return true;
    }

    /** Dispatcher thread, about to wait for events: in inline mode, gives the role back (release store). */
    private void releaseRole() {
        if (inlineMode && holdsRole) {
            holdsRole = false;
            role.so(ROLE_FREE);
        }
    }

    /**
     * A producer's inline delivery (ARCHITECTURE.md, "Inline delivery"): if the fabric is idle
     * (nobody holds the role, nothing in the ring unhandled, no inline delivery too recently),
     * takes the role, and if the ring is still fully handled and flushed and {@code gsi}'s gate
     * is open, counts the assertion and writes its eventfd on the calling thread.
     *
     * <p>Never waits: a producer that cannot take the role, or finds work for the dispatcher
     * thread under it, returns false and publishes as in {@link DispatchMode#DEDICATED} mode.
     * Runs the sink, and on a failed write the error handler, on the calling thread; at most
     * once every 10 ms with a counters file, one positional write of it as well.
     *
     * @param gsi the asserted GSI (in range, not an IOAPIC pin)
     * @return true if the assertion was delivered (or found undeliverable and reported) here
     */
    public boolean tryInline(int gsi) {
        if (!inlineMode || role.lv() != ROLE_FREE || ring.getCursor() != sequence.get()) {
            return false;
        }
        long start = System.nanoTime();
        if (start - (long) INLINE_ALLOWED_AT.getOpaque(this) < 0 || !role.cas(ROLE_FREE, ROLE_HELD)) {
            return false;
        }
        inlineHolder = Thread.currentThread();
        try {
            // Under the role (acquired by the CAS, which the previous holder's release store
            // happened-before): handledUpTo and flushedUpTo are the last holder's, exact.
            if (state.lv() != STATE_RUNNING || ring.getCursor() != handledUpTo || handledUpTo != flushedUpTo
                    || gate[gsi] != ControllerHub.OPEN || deferred.size() != 0 || carry.size() != 0
                    || hub.routesUnapplied() || !moderation.immediate(gsi)) {
                return false; // the dispatcher thread's work, or a policy that holds (window, cap, adaptive)
            }
            try {
                counters.add(gsi, Counters.ASSERTED, 1);
                counters.addGlobal(Counters.INLINE_DELIVERIES_OFFSET, 1);
                deliver(gsi);
                try {
                    sink.endOfBatch();
                } catch (Throwable t) {
                    errorHandlerSafe(FabricErrorHandler.Kind.SINK_EXCEPTION, -1, 0, t);
                }
                counters.endOfBatch(false);
            } catch (Throwable t) {
                // Not from the sink (deliver guards it): a bug. Report it; the assertion was
                // counted and perhaps written, so it is not lost: it has been handled here.
                counters.addGlobal(Counters.DISPATCHER_ERRORS_OFFSET, 1);
                errorHandlerSafe(FabricErrorHandler.Kind.DISPATCHER_ERROR, gsi, 0, t);
            }
            long end = System.nanoTime();
            INLINE_ALLOWED_AT.setOpaque(this, end + INLINE_SPACING * Math.min(end - start, MAX_INLINE_COST_NANOS));
            return true;
        } finally {
            inlineHolder = null;
            role.so(ROLE_FREE); // release: the next holder sees everything this one wrote
        }
    }

    /**
     * Whether the calling thread runs as the dispatcher right now: it is the dispatcher thread,
     * or a producer inside an inline delivery (in the sink or the error handler). Such a thread
     * must not wait for the dispatcher (close, a request, a slot): it would wait for itself.
     *
     * @return true on the dispatcher thread or an inline role holder
     */
    public boolean holdsRoleNow() {
        Thread t = Thread.currentThread();
        return t == thread || t == inlineHolder;
    }

    /** @return true if this dispatcher lets producers deliver inline when idle */
    public boolean inlineMode() {
        return inlineMode;
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

    /** @return the last sequence whose batch released its slots (any thread) */
    public long handledSequence() {
        return sequence.get();
    }

    /** @return why the dispatcher failed, or null while it has not */
    public Throwable failure() {
        return failure;
    }

    /**
     * Test seam: the next {@code times} loop turns throw {@code t} (an error outside the loop's
     * guards). Call it while the dispatcher is idle or before it runs.
     *
     * @param t     the error to throw
     * @param times how many turns throw it
     */
    public void injectFault(Throwable t, int times) {
        this.faultsLeft = times;
        this.faultInjection = t; // volatile store after faultsLeft: the dispatcher reads it first
    }

    /** @return the GSI whose delivery the dispatcher is in right now, or -1 */
    public int deliveringGsi() {
        return (int) DELIVERING.getOpaque(this);
    }

    /** @return true once the loop has exited (after SHUTDOWN and the final flush, or after failing) */
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
