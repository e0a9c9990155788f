package io.irqfabric.eventfd;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The handful of libc calls the eventfd sink needs (on JDK 22+ the eventfd create, write and read
 * go through {@code java.lang.foreign} instead: {@link EventFdIos}), bound with JNA <em>direct mapping</em>
 * ({@link Native#register(Class, String)}): the call goes straight through a JNI stub with no
 * reflection, no argument boxing and no allocation, which keeps it fit for the dispatcher's
 * hot path (~270-300 ns per eventfd write measured on these machines, against 700-1400 ns for
 * JNA interface mapping).
 *
 * <p>errno is read with {@link Native#getLastError()}, which JNA preserves per thread after
 * every native call; that avoids {@code LastErrorException} allocation on the error path.
 */
final class LibC {
    static final int EFD_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_SEMAPHORE = 0x1;

    static final int EPERM = 1;
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EINVAL = 22;
    static final int EMFILE = 24;

    static final short POLLIN = 0x1;

    static {
        Native.register(LibC.class, "c");
    }

    private LibC() {
    }

    static native int eventfd(int initval, int flags);

    static native long write(int fd, Pointer buf, long count);

    static native long read(int fd, Pointer buf, long count);

    static native int close(int fd);

    static native int poll(Pointer fds, long nfds, int timeoutMillis);

    static native Pointer strerror(int errnum);

    static String describe(int errno) {
        Pointer p = strerror(errno);
        return p == null ? ("errno " + errno) : p.getString(0) + " (errno " + errno + ")";
    }
}
