package io.irqfabric.kvm.sys;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The one libc binding of the KVM backend: the calls it needs, bound with JNA direct mapping
 * ({@link Native#register(Class, String)}): no reflection, no boxing, no allocation per call.
 * errno is read with {@link Native#getLastError()} right after a failed call (JNA saves it
 * per thread).
 *
 * <p>{@code ioctl(2)} is variadic in C; on x86-64 a fixed three-argument prototype passes the
 * third argument in the same register a variadic call would, so binding it twice (pointer
 * argument and integer argument) is sound.
 */
public final class LibC {
    /** {@code open(2)} flag: read and write. */
    public static final int O_RDWR = 2;
    /** {@code open(2)} flag: close on exec. */
    public static final int O_CLOEXEC = 0x80000;

    /** {@code mmap(2)} protection: readable. */
    public static final int PROT_READ = 1;
    /** {@code mmap(2)} protection: writable. */
    public static final int PROT_WRITE = 2;
    /** {@code mmap(2)} flag: shared mapping (the vCPU's kvm_run page). */
    public static final int MAP_SHARED = 0x01;
    /** {@code mmap(2)} flag: private mapping. */
    public static final int MAP_PRIVATE = 0x02;
    /** {@code mmap(2)} flag: no file behind the mapping. */
    public static final int MAP_ANONYMOUS = 0x20;
    /** {@code mmap(2)} flag: reserve no swap. */
    public static final int MAP_NORESERVE = 0x4000;
    /** mmap's {@code MAP_FAILED}, {@code (void *) -1}. */
    public static final long MAP_FAILED = -1L;

    /** errno: interrupted system call. */
    public static final int EINTR = 4;
    /** errno: bad file descriptor. */
    public static final int EBADF = 9;
    /** errno: try again. */
    public static final int EAGAIN = 11;

    /** {@code poll(2)} event: there is data to read. */
    public static final short POLLIN = 0x1;

    static {
        Native.register(LibC.class, "c");
    }

    private LibC() {
    }

    /**
     * {@code open(2)}.
     *
     * @param path  the file
     * @param flags {@code O_*} flags
     * @return the descriptor, or -1 with errno set
     */
    public static native int open(String path, int flags);

    /**
     * {@code close(2)}.
     *
     * @param fd the descriptor
     * @return 0, or -1 with errno set
     */
    public static native int close(int fd);

    /**
     * {@code ioctl(2)} with a pointer argument (a struct).
     *
     * @param fd      the descriptor
     * @param request the request number ({@link KvmAbi})
     * @param arg     the struct
     * @return the request's result, or -1 with errno set
     */
    public static native int ioctl(int fd, long request, Pointer arg);

    /**
     * {@code ioctl(2)} with an integer argument.
     *
     * @param fd      the descriptor
     * @param request the request number ({@link KvmAbi})
     * @param arg     the integer argument
     * @return the request's result, or -1 with errno set
     */
    public static native int ioctl(int fd, long request, long arg);

    /**
     * {@code mmap(2)}.
     *
     * @param addr   the address hint, or 0
     * @param length bytes to map
     * @param prot   {@code PROT_*} flags
     * @param flags  {@code MAP_*} flags
     * @param fd     the descriptor, or -1 for an anonymous mapping
     * @param offset offset in the file
     * @return the mapping's address, or {@link #MAP_FAILED} with errno set
     */
    public static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    /**
     * {@code munmap(2)}.
     *
     * @param addr   the mapping's address
     * @param length its length
     * @return 0, or -1 with errno set
     */
    public static native int munmap(long addr, long length);

    /**
     * {@code poll(2)}.
     *
     * @param fds           an array of {@code struct pollfd} (8 bytes each)
     * @param nfds          its length
     * @param timeoutMillis the timeout, -1 for none
     * @return the number of ready descriptors, 0 on timeout, or -1 with errno set
     */
    public static native int poll(Pointer fds, long nfds, int timeoutMillis);

    /**
     * {@code strerror(3)}.
     *
     * @param errnum an errno value
     * @return the message, a string the caller does not free
     */
    public static native Pointer strerror(int errnum);

    /**
     * Describes an errno value for an exception message.
     *
     * @param errno an errno value
     * @return "text (errno n)"
     */
    public static String describe(int errno) {
        // SAFETY: strerror takes an int and returns a pointer to a static or thread-local
        // NUL-terminated string (never freed by the caller); it is copied at once.
        Pointer p = strerror(errno);
        return p == null ? ("errno " + errno) : p.getString(0) + " (errno " + errno + ")";
    }
}
