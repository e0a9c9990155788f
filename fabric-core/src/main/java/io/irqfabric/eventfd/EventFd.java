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
 *
 * <p>System calls: on JDK 22 and newer, {@code eventfd}, {@code write} and {@code read} go
 * through {@code java.lang.foreign} downcalls (classes in {@code META-INF/versions/22} of the
 * multi-release jar); on JDK 17 to 21 through JNA direct mapping. {@link #ioPath()} says which;
 * the system property {@code irqfabric.eventfd.io} ({@code jna}, {@code ffm} or {@code auto},
 * the default) forces one. Either needs native access granted on JDK 24+
 * ({@code --enable-native-access=ALL-UNNAMED} on the class path). {@link #await}, {@link #close}
 * and {@link EventFdSet} use JNA on every JDK.
 */
public final class EventFd implements AutoCloseable {
    /** {@link #signal()} result: the counter was incremented. */
    public static final int SIGNAL_OK = 0;
    /** {@link #signal()} result: the counter is saturated, so the interrupt is already pending. */
    public static final int SIGNAL_ALREADY_PENDING = 1;
    /** {@link #signal()} result: the write failed; {@link #lastErrno()} says why. */
    public static final int SIGNAL_FAILED = 2;

    private static final int CLOSED = -1;

    /** The descriptor, or {@link #CLOSED}; atomically swapped so close() runs exactly once. */
    private final AtomicInteger fd;
    private final EventFdIo io;
    private final EventFdIo.ReadBuffer readBuffer;
    private final Memory pollBuffer = new Memory(8);
    private volatile int lastErrno;

    private EventFd(int fd, EventFdIo io) {
        this.fd = new AtomicInteger(fd);
        this.io = io;
        this.readBuffer = io.newReadBuffer();
    }

    /**
     * Which native call path eventfds use in this JVM, decided once when the class is loaded.
     *
     * @return {@code "ffm"} ({@code java.lang.foreign}, JDK 22+) or {@code "jna"}
     */
    public static String ioPath() {
        return EventFdIos.SELECTED.name();
    }

    /**
     * Creates a non-blocking, close-on-exec eventfd with counter 0.
     *
     * @return the new eventfd
     * @throws NativeCallException if eventfd(2) fails (for example EMFILE)
     */
    public static EventFd create() {
        return create(EventFdIos.SELECTED);
    }

    /** {@link #create()} through a given path (the tests run both). */
    static EventFd create(EventFdIo io) {
        int fd = io.create();
        if (fd < 0) {
            int errno = -fd;
            throw new NativeCallException("eventfd", errno, LibC.describe(errno));
        }
        return new EventFd(fd, io);
    }

    /** @return the path this eventfd's calls take */
    EventFdIo io() {
        return io;
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
        do {
            // f was open when read above; a concurrent close() can make the call fail with
            // EBADF, which is handled.
            n = io.writeOne(f);
        } while (n == -LibC.EINTR);
        if (n == 8) {
            return SIGNAL_OK;
        }
        int errno = n < 0 ? (int) -n : 0;
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
            long n = readBuffer.read(f);
            if (n == 8) {
                return readBuffer.value();
            }
            int errno = n < 0 ? (int) -n : LibC.EINVAL;
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
