package io.irqfabric.eventfd;

/**
 * The three eventfd system calls {@link EventFd} makes per descriptor: create, the 8-byte
 * write of the value 1, and the 8-byte read. Two implementations: {@link JnaEventFdIo} (JNA
 * direct mapping; every JDK) and {@code FfmEventFdIo} ({@code java.lang.foreign} downcalls;
 * compiled for JDK 22 into {@code META-INF/versions/22} of the multi-release jar).
 * {@link EventFdIos} picks one at class initialization.
 *
 * <p>Results are allocation-free: a call returns its non-negative result, or {@code -errno}
 * when the system call returned -1. Nothing retries on {@code EINTR}; the caller does.
 */
interface EventFdIo {
    /** @return "jna" or "ffm" */
    String name();

    /** @return a new descriptor from {@code eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)}, or -errno */
    int create();

    /**
     * One {@code write(fd, &one, 8)}, where {@code one} is a shared 8-byte block holding 1.
     * Safe to call from any number of threads at once.
     *
     * @param fd the descriptor
     * @return the bytes written (8), or -errno
     */
    long writeOne(int fd);

    /** @return a new 8-byte read buffer, owned by one {@link EventFd} */
    ReadBuffer newReadBuffer();

    /** An 8-byte native block that one eventfd is read into; one reader thread at a time. */
    interface ReadBuffer {
        /**
         * One {@code read(fd, buffer, 8)}.
         *
         * @param fd the descriptor
         * @return the bytes read (8), or -errno
         */
        long read(int fd);

        /** @return the value the last successful {@link #read} stored */
        long value();
    }
}
