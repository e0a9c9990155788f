package io.irqfabric.eventfd;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import io.irqfabric.NativeCallException;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Linux eventfd(2): a 64-bit kernel counter that {@link #signal()} adds 1 to and that a
 * reader (KVM, when the fd is bound as an irqfd, or a test) consumes.
 *
 * <p>The fd is created {@code EFD_NONBLOCK | EFD_CLOEXEC}: a write never blocks the dispatcher.
 * A write can only fail with {@code EAGAIN} when the counter would pass
 * {@code 0xfffffffffffffffe}; for an interrupt line that means it is already pending, so
 * {@link #signal()} reports {@link #SIGNAL_ALREADY_PENDING} rather than an error.
 *
 * <p>Thread safety: {@link #signal()} may be called from any thread (the fabric calls it from
 * its dispatcher only). {@link #read()} and {@link #await(int)} use a buffer owned by this
 * object and must be called from one thread at a time. {@link #close()} is idempotent; after
 * it, {@link #signal()} reports {@link #SIGNAL_FAILED} with {@code EBADF} and never touches a
 * recycled descriptor number.
 */
public final class EventFd implements AutoCloseable {
    /** {@link #signal()} result: the counter was incremented. */
    public static final int SIGNAL_OK = 0;
    /** {@link #signal()} result: the counter is saturated, so the interrupt is already pending. */
    public static final int SIGNAL_ALREADY_PENDING = 1;
    /** {@link #signal()} result: the write failed; {@link #lastErrno()} says why. */
    public static final int SIGNAL_FAILED = 2;

    /** The 8-byte value 1 that every signal writes; shared, written once, never changed. */
    private static final Memory ONE = new Memory(8);

    static {
        ONE.setLong(0, 1L);
    }

    private static final int CLOSED = -1;

    /** The descriptor, or {@link #CLOSED}; atomically swapped so close() runs exactly once. */
    private final AtomicInteger fd;
    private final Memory readBuffer = new Memory(8);
    private final Memory pollBuffer = new Memory(8);
    private volatile int lastErrno;

    private EventFd(int fd) {
        this.fd = new AtomicInteger(fd);
    }

    /**
     * Creates a non-blocking, close-on-exec eventfd with counter 0.
     *
     * @return the new eventfd
     * @throws NativeCallException if eventfd(2) fails (for example EMFILE)
     */
    public static EventFd create() {
        // SAFETY: eventfd takes two ints and returns a new descriptor or -1; no memory is passed.
        int fd = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (fd < 0) {
            int errno = Native.getLastError();
            throw new NativeCallException("eventfd", errno, LibC.describe(errno));
        }
        return new EventFd(fd);
    }

    /** @return the descriptor number, or -1 once closed */
    public int fd() {
        return fd.get();
    }

    /** @return true once {@link #close()} has run */
    public boolean isClosed() {
        return fd.get() == CLOSED;
    }

    /**
     * Adds 1 to the counter: one interrupt. Allocates nothing; one write(2).
     *
     * @return {@link #SIGNAL_OK}, {@link #SIGNAL_ALREADY_PENDING} or {@link #SIGNAL_FAILED}
     */
    public int signal() {
        int f = fd.get();
        if (f == CLOSED) {
            lastErrno = LibC.EBADF;
            return SIGNAL_FAILED;
        }
        long n;
        int errno;
        do {
            // SAFETY: ONE is an 8-byte native block that lives as long as this class and is never
            // written after class init; write(2) reads exactly 8 bytes from it. f was open when
            // read above; a concurrent close() can make the call fail with EBADF, which is handled.
            n = LibC.write(f, ONE, 8);
            errno = n < 0 ? Native.getLastError() : 0;
        } while (n < 0 && errno == LibC.EINTR);
        if (n == 8) {
            return SIGNAL_OK;
        }
        if (errno == LibC.EAGAIN) {
            return SIGNAL_ALREADY_PENDING;
        }
        lastErrno = errno == 0 ? LibC.EINVAL : errno;
        return SIGNAL_FAILED;
    }

    /** @return errno of the last failed {@link #signal()}, 0 if none failed */
    public int lastErrno() {
        return lastErrno;
    }

    /**
     * Reads and resets the counter without blocking.
     *
     * @return the counter value (number of signals since the last read), or 0 if none
     * @throws NativeCallException if the read fails other than with EAGAIN, or the fd is closed
     */
    public long read() {
        int f = fd.get();
        if (f == CLOSED) {
            throw new NativeCallException("read(eventfd)", LibC.EBADF, "eventfd is closed");
        }
        while (true) {
            // SAFETY: readBuffer is an 8-byte block owned by this object and alive for the call;
            // read(2) on an eventfd writes exactly 8 bytes.
            long n = LibC.read(f, readBuffer, 8);
            if (n == 8) {
                return readBuffer.getLong(0);
            }
            int errno = Native.getLastError();
            if (errno == LibC.EAGAIN) {
                return 0;
            }
            if (errno != LibC.EINTR) {
                throw new NativeCallException("read(eventfd)", errno, LibC.describe(errno));
            }
        }
    }

    /**
     * Waits with poll(2) until the counter is non-zero or the timeout passes, then reads it.
     *
     * @param timeoutMillis how long to wait; 0 does not wait, negative waits forever
     * @return the counter value, or 0 on timeout
     */
    public long await(int timeoutMillis) {
        int f = fd.get();
        if (f == CLOSED) {
            throw new NativeCallException("poll(eventfd)", LibC.EBADF, "eventfd is closed");
        }
        // struct pollfd { int fd; short events; short revents; }
        pollBuffer.setInt(0, f);
        pollBuffer.setShort(4, LibC.POLLIN);
        pollBuffer.setShort(6, (short) 0);
        // SAFETY: pollBuffer holds one struct pollfd (8 bytes) owned by this object.
        int r = LibC.poll(pollBuffer, 1, timeoutMillis);
        if (r < 0) {
            int errno = Native.getLastError();
            if (errno == LibC.EINTR) {
                return 0;
            }
            throw new NativeCallException("poll(eventfd)", errno, LibC.describe(errno));
        }
        return r == 0 ? 0 : read();
    }

    /** Closes the descriptor once; later calls do nothing. */
    @Override
    public void close() {
        int f = fd.getAndSet(CLOSED);
        if (f != CLOSED) {
            // SAFETY: f was owned by this object and is closed exactly once (getAndSet above).
            LibC.close(f);
        }
    }

    @Override
    public String toString() {
        return "EventFd[" + fd.get() + "]";
    }
}
