package io.irqfabric.kvm;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The libc calls the KVM backend needs, bound with JNA direct mapping
 * ({@link Native#register(Class, String)}): no reflection, no boxing, no allocation per call.
 * errno is read with {@link Native#getLastError()} right after a failed call (JNA saves it
 * per thread).
 *
 * <p>{@code ioctl(2)} is variadic in C; on x86-64 a fixed three-argument prototype passes the
 * third argument in the same register a variadic call would, so binding it twice (pointer
 * argument and integer argument) is sound.
 */
final class KvmNative {
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    /** mmap's {@code MAP_FAILED}, {@code (void *) -1}. */
    static final long MAP_FAILED = -1L;

    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int ENOENT = 2;

    static final short POLLIN = 0x1;

    static {
        Native.register(KvmNative.class, "c");
    }

    private KvmNative() {
    }

    static native int open(String path, int flags);

    static native int close(int fd);

    static native int ioctl(int fd, long request, Pointer arg);

    static native int ioctl(int fd, long request, long arg);

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    static native int munmap(long addr, long length);

    static native int poll(Pointer fds, long nfds, int timeoutMillis);

    static native Pointer strerror(int errnum);

    /** @return "text (errno n)" for an errno value */
    static String describe(int errno) {
        // SAFETY: strerror takes an int and returns a pointer to a static or thread-local
        // NUL-terminated string (never freed by the caller); it is copied at once.
        Pointer p = strerror(errno);
        return p == null ? ("errno " + errno) : p.getString(0) + " (errno " + errno + ")";
    }
}
