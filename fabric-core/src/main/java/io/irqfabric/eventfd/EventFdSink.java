package io.irqfabric.eventfd;

import io.irqfabric.InterruptSink;
import io.irqfabric.UnknownGsiException;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The Linux sink: one {@link EventFd} per GSI, one write(2) per delivery. When KVM has bound
 * the eventfd as an irqfd, that write is the interrupt injection.
 *
 * <p>Bindings may change while the fabric runs ({@link #bind}, {@link #unbind}; for example
 * the KVM routing manager deassigning the irqfd of a masked vector); the dispatcher reads the
 * binding with a volatile load per delivery. A GSI with no eventfd bound, or whose eventfd was
 * closed, fails its delivery with {@code ENOENT} or {@code EBADF}: the fabric counts the error
 * for that GSI and every other GSI keeps working.
 */
public final class EventFdSink implements InterruptSink, AutoCloseable {
    /** Reported by {@link #lastErrno(int)} for a GSI with no eventfd bound. */
    public static final int ENOENT = 2;

    private final AtomicReferenceArray<EventFd> fds;
    private final int[] lastErrno;
    private final boolean owning;

    private EventFdSink(int gsiCount, boolean owning) {
        this.fds = new AtomicReferenceArray<>(gsiCount);
        this.lastErrno = new int[gsiCount];
        this.owning = owning;
    }

    /**
     * A sink with a fresh eventfd bound to every GSI {@code 0..gsiCount-1}; {@link #close()}
     * closes them.
     *
     * @param gsiCount number of GSIs
     * @return the sink
     */
    public static EventFdSink create(int gsiCount) {
        EventFdSink s = new EventFdSink(gsiCount, true);
        try {
            for (int g = 0; g < gsiCount; g++) {
                s.fds.set(g, EventFd.create());
            }
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /**
     * A sink with no eventfds bound; the caller {@link #bind binds} and owns them.
     *
     * @param gsiCount number of GSIs
     * @return the sink
     */
    public static EventFdSink unbound(int gsiCount) {
        return new EventFdSink(gsiCount, false);
    }

    /**
     * Binds {@code fd} to {@code gsi}, replacing any earlier binding (which is returned, not closed).
     *
     * @param gsi the GSI
     * @param fd  the eventfd
     * @return the previous eventfd or null
     */
    public EventFd bind(int gsi, EventFd fd) {
        check(gsi);
        return fds.getAndSet(gsi, fd);
    }

    /**
     * Removes the binding of {@code gsi}; deliveries to it fail until it is bound again.
     *
     * @param gsi the GSI
     * @return the eventfd that was bound, or null
     */
    public EventFd unbind(int gsi) {
        check(gsi);
        return fds.getAndSet(gsi, null);
    }

    /**
     * @param gsi the GSI
     * @return the eventfd bound to it, or null
     */
    public EventFd eventFd(int gsi) {
        check(gsi);
        return fds.get(gsi);
    }

    /** @return number of GSIs */
    public int gsiCount() {
        return fds.length();
    }

    @Override
    public int gsiCapacity() {
        return fds.length();
    }

    @Override
    public int deliver(int gsi) {
        EventFd fd = fds.get(gsi);
        if (fd == null) {
            lastErrno[gsi] = ENOENT;
            return FAILED;
        }
        int r = fd.signal();
        if (r == EventFd.SIGNAL_OK) {
            return DELIVERED;
        }
        if (r == EventFd.SIGNAL_ALREADY_PENDING) {
            return ALREADY_PENDING;
        }
        lastErrno[gsi] = fd.lastErrno();
        return FAILED;
    }

    @Override
    public int lastErrno(int gsi) {
        return lastErrno[gsi];
    }

    /** Closes the eventfds this sink created (a sink made by {@link #unbound} closes nothing). */
    @Override
    public void close() {
        if (!owning) {
            return;
        }
        for (int g = 0; g < fds.length(); g++) {
            EventFd fd = fds.get(g);
            if (fd != null) {
                fd.close();
            }
        }
    }

    private void check(int gsi) {
        if (gsi < 0 || gsi >= fds.length()) {
            throw new UnknownGsiException(gsi, "GSI " + gsi + " is outside this sink's range 0.." + (fds.length() - 1));
        }
    }
}
