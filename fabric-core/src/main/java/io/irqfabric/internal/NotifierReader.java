package io.irqfabric.internal;

import io.irqfabric.FabricClosedException;
import io.irqfabric.FabricErrorHandler;
import io.irqfabric.eventfd.EventFd;
import io.irqfabric.eventfd.EventFdSet;

import java.util.function.IntConsumer;

/**
 * Notifier eventfds for external writers (a vhost-user back end, a VFIO device, another
 * process): the fabric hands out one eventfd per GSI, and this reader turns each signal on it
 * into an ordinary assertion of the GSI ({@code InterruptFabric.trigger}), so the signal goes
 * through masking, pending bits and coalescing like any other.
 *
 * <pre>
 *   external writer --write(8 bytes)--&gt; notifier eventfd (GSI g)
 *                                          |  poll(2) on every notifier + a wake eventfd
 *                                          v
 *                        irqfabric-notifier thread: read(2) the counter (n signals),
 *                        then one trigger(g)  --&gt; ring --&gt; dispatcher (masking, pending bit, ...)
 * </pre>
 *
 * <h2>Costs</h2>
 * The thread is started by the first {@link #notifier(int)} and is never started for a fabric
 * that has none. While no notifier is signalled it is blocked in poll(2): no CPU at idle. Each
 * signal costs the path one thread wake-up (the reader was asleep in the kernel), one read(2) of
 * the eventfd and one {@code trigger}: compared with a device thread that calls {@code trigger}
 * itself, a notifier adds the wake-up and the read. Signals that arrive while the reader is busy
 * are read together (the eventfd counter adds them up) and become one assertion: coalesced, as
 * assertions of one GSI in one batch are anyway.
 *
 * <h2>Threads and ownership</h2>
 * The reader thread owns the poll set and is the only reader of the notifier eventfds; the
 * fabric owns the eventfds and closes them in {@link #close()}, after the thread has stopped.
 * {@link #notifier(int)} may be called from any thread (synchronized; it rebuilds the set the
 * reader polls and wakes it through the wake eventfd).
 */
public final class NotifierReader implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NotifierReader.class.getName());

    /** What the reader polls: the notifiers and their GSIs, replaced as a whole on change. */
    private static final class Snapshot {
        final EventFd[] fds;
        final int[] gsis;

        Snapshot(EventFd[] fds, int[] gsis) {
            this.fds = fds;
            this.gsis = gsis;
        }
    }

    private final IntConsumer assertion;
    private final FabricErrorHandler errors;
    private final EventFd[] byGsi;
    private EventFd wake;
    private volatile Snapshot snapshot = new Snapshot(new EventFd[0], new int[0]);
    private Thread thread;
    private volatile boolean closing;
    private boolean closed;
    /**
     * Test seam: run in {@link #close()} after the reader thread stopped and before the last
     * read, so a test can signal a notifier inside that window deterministically. Null in
     * production.
     */
    private volatile Runnable afterReaderStopped;

    /**
     * @param gsiCount  the fabric's GSI count
     * @param assertion asserts a GSI (the fabric's trigger); may throw FabricClosedException
     * @param errors    receives read failures and assertion failures
     */
    public NotifierReader(int gsiCount, IntConsumer assertion, FabricErrorHandler errors) {
        this.byGsi = new EventFd[gsiCount];
        this.assertion = assertion;
        this.errors = errors;
    }

    /**
     * The notifier of {@code gsi}, created on first use (and the reader thread with the first).
     *
     * @param gsi a GSI the caller has range-checked
     * @return the eventfd whose signals assert {@code gsi}
     * @throws io.irqfabric.FabricStateException if the reader was closed
     */
    public synchronized EventFd notifier(int gsi) {
        if (closed) {
            throw new io.irqfabric.FabricStateException("notifier(" + gsi + ") on a closed fabric");
        }
        EventFd fd = byGsi[gsi];
        if (fd != null) {
            return fd;
        }
        if (wake == null) {
            wake = EventFd.create();
        }
        fd = EventFd.create();
        byGsi[gsi] = fd;
        Snapshot old = snapshot;
        int n = old.fds.length;
        EventFd[] fds = java.util.Arrays.copyOf(old.fds, n + 1);
        int[] gsis = java.util.Arrays.copyOf(old.gsis, n + 1);
        fds[n] = fd;
        gsis[n] = gsi;
        snapshot = new Snapshot(fds, gsis);
        if (thread == null) {
            thread = new Thread(this::run, "irqfabric-notifier");
            thread.setDaemon(true);
            thread.start();
        } else {
            wake.signal(); // poll the new set
        }
        return fd;
    }

    /** Test seam, see {@link #afterReaderStopped}. */
    public void afterReaderStopped(Runnable hook) {
        this.afterReaderStopped = hook;
    }

    /** @return the reader thread, or null if no notifier was ever created */
    public synchronized Thread thread() {
        return thread;
    }

    private void run() {
        Snapshot polled = null;
        EventFdSet set = null;
        try {
            while (!closing) {
                Snapshot s = snapshot;
                if (s != polled) {
                    polled = s;
                    EventFd[] members = java.util.Arrays.copyOf(s.fds, s.fds.length + 1);
                    members[s.fds.length] = wake;
                    set = new EventFdSet(members);
                }
                if (set.await(-1) == 0) {
                    continue;
                }
                if (set.readable(polled.fds.length)) {
                    wake.read();
                }
                if (closing) {
                    return;
                }
                for (int i = 0; i < polled.fds.length; i++) {
                    if (set.readable(i) && !readAndAssert(polled.fds[i], polled.gsis[i])) {
                        return;
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "irqfabric notifier reader stopped", e);
            report(-1, 0, e);
        }
    }

    /** @return false if the fabric is closed (the reader stops) */
    private boolean readAndAssert(EventFd fd, int gsi) {
        long n;
        try {
            n = fd.read();
        } catch (RuntimeException e) {
            report(gsi, 0, e);
            return true;
        }
        if (n == 0) {
            return true;
        }
        try {
            assertion.accept(gsi);
        } catch (FabricClosedException | io.irqfabric.FabricFailedException e) {
            return false; // the fabric no longer accepts assertions: the reader's work is over
        } catch (RuntimeException e) {
            report(gsi, n, e);
        }
        return true;
    }

    private void report(int gsi, long detail, Throwable t) {
        try {
            errors.onError(FabricErrorHandler.Kind.HANDLER_EXCEPTION, gsi, detail, t);
        } catch (Throwable ignored) {
            // the error handler must not stop the reader
        }
    }

    /**
     * Stops the reader thread, then reads every notifier once more and asserts what was
     * signalled (so a signal written before the fabric began to close is not lost), then closes
     * the notifiers. Call before the fabric stops accepting assertions. Idempotent.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            closing = true;
            t = thread;
            if (wake != null) {
                wake.signal();
            }
        }
        if (t != null) {
            boolean interrupted = false;
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        Runnable hook = afterReaderStopped;
        if (hook != null) {
            hook.run();
        }
        Snapshot s = snapshot;
        for (int i = 0; i < s.fds.length; i++) {
            readAndAssert(s.fds[i], s.gsis[i]);
            s.fds[i].close();
        }
        if (wake != null) {
            wake.close();
        }
    }
}
