package io.irqfabric.eventfd;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import io.irqfabric.NativeCallException;

/**
 * A fixed set of {@link EventFd}s waited on together with one poll(2): the thread that calls
 * {@link #await(int)} sleeps in the kernel (no CPU) until one of them has a non-zero counter.
 * The set is a snapshot of the eventfds given; build a new one when the membership changes.
 *
 * <p>Thread safety: one thread at a time calls {@link #await} and {@link #readable}. The caller
 * keeps every member open while a thread may be inside {@link #await} (a member closed
 * meanwhile is skipped by later waits: poll(2) ignores negative descriptors).
 */
public final class EventFdSet {
    /** struct pollfd { int fd; short events; short revents; }: 8 bytes. */
    private static final int POLLFD_SIZE = 8;

    private final EventFd[] members;
    private final Memory pollfds;

    /**
     * @param members the eventfds to wait on (at least one)
     * @throws IllegalArgumentException if {@code members} is empty
     */
    public EventFdSet(EventFd... members) {
        if (members.length == 0) {
            throw new IllegalArgumentException("an EventFdSet needs at least one eventfd");
        }
        this.members = members.clone();
        this.pollfds = new Memory((long) POLLFD_SIZE * members.length);
    }

    /** @return the number of members */
    public int size() {
        return members.length;
    }

    /**
     * Waits until at least one member is readable or the timeout passes. Allocates nothing.
     *
     * @param timeoutMillis how long to wait; 0 does not wait, negative waits forever
     * @return the number of readable members; 0 on timeout or when a signal interrupted the wait
     * @throws NativeCallException if poll(2) fails otherwise
     */
    public int await(int timeoutMillis) {
        for (int i = 0; i < members.length; i++) {
            long at = (long) POLLFD_SIZE * i;
            pollfds.setInt(at, members[i].fd()); // -1 once closed: poll(2) skips it
            pollfds.setShort(at + 4, LibC.POLLIN);
            pollfds.setShort(at + 6, (short) 0);
        }
        // SAFETY: pollfds holds members.length struct pollfd (8 bytes each), owned by this object
        // and alive for the call; poll(2) writes only their revents fields.
        int r = LibC.poll(pollfds, members.length, timeoutMillis);
        if (r < 0) {
            int errno = Native.getLastError();
            if (errno == LibC.EINTR) {
                return 0;
            }
            throw new NativeCallException("poll(eventfds)", errno, LibC.describe(errno));
        }
        return r;
    }

    /**
     * @param i a member index
     * @return true if member {@code i} was readable (or in error) at the last {@link #await}
     */
    public boolean readable(int i) {
        return pollfds.getShort((long) POLLFD_SIZE * i + 6) != 0;
    }

    /**
     * @param i a member index
     * @return the member
     */
    public EventFd member(int i) {
        return members[i];
    }
}
