package io.irqfabric.eventfd;

import com.sun.jna.Memory;
import com.sun.jna.Native;

/**
 * {@link EventFdIo} through JNA direct mapping ({@link LibC}); errno comes from
 * {@link Native#getLastError()}, which JNA keeps per thread, so concurrent callers never see
 * each other's errno. The path on JDK 17 to 21, and the fallback on later JDKs.
 */
final class JnaEventFdIo implements EventFdIo {
    static final JnaEventFdIo INSTANCE = new JnaEventFdIo();

    /** The 8-byte value 1 that every signal writes; shared, written once, never changed. */
    private static final Memory ONE = new Memory(8);

    static {
        ONE.setLong(0, 1L);
    }

    private JnaEventFdIo() {
    }

    @Override
    public String name() {
        return "jna";
    }

    @Override
    public int create() {
        // SAFETY: eventfd takes two ints and returns a new descriptor or -1; no memory is passed.
        int fd = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        return fd >= 0 ? fd : -Native.getLastError();
    }

    @Override
    public long writeOne(int fd) {
        // SAFETY: ONE is an 8-byte native block that lives as long as this class and is never
        // written after class init; write(2) reads exactly 8 bytes from it. A descriptor closed
        // meanwhile makes the call fail with EBADF, which the caller handles.
        return result(LibC.write(fd, ONE, 8));
    }

    @Override
    public ReadBuffer newReadBuffer() {
        return new Buffer();
    }

    /** @return {@code n}, or -errno (JNA's copy for this thread) when the call returned -1 */
    private static long result(long n) {
        return n >= 0 ? n : -Native.getLastError();
    }

    private static final class Buffer implements ReadBuffer {
        private final Memory block = new Memory(8);

        @Override
        public long read(int fd) {
            // SAFETY: block is an 8-byte native block owned by this object and alive for the
            // call; read(2) on an eventfd writes exactly 8 bytes.
            return result(LibC.read(fd, block, 8));
        }

        @Override
        public long value() {
            return block.getLong(0);
        }
    }
}
