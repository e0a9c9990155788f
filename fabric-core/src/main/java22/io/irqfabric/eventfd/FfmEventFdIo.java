package io.irqfabric.eventfd;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * {@link EventFdIo} through {@code java.lang.foreign} (JDK 22+): downcall handles to
 * {@code eventfd}, {@code write} and {@code read}, errno captured with
 * {@link Linker.Option#captureCallState(String...)}. Loaded by {@link EventFdIos} by name; it
 * lives only in {@code META-INF/versions/22} of the multi-release jar.
 *
 * <p>No call is linked {@link Linker.Option#critical(boolean) critical}. It would be allowed
 * (the JDK accepts it beside {@code captureCallState}, and a write or read on a non-blocking
 * eventfd is short and never calls back into Java), but it saves only the thread-state
 * transition, and on a 2-core x86-64 host under JDK 25 a critical write measured the same as a
 * normal one (about 245 ns each, within noise), while it would make every safepoint wait for
 * the kernel's irqfd wake-up inside the write. No gain, so not taken.
 *
 * <p>Nothing is allocated per call. The value 1 lives in one global segment. The errno capture
 * segment, which the JDK writes right after the call and the caller reads just after, must not
 * be shared by two calls in flight, so captures come from a fixed pool of {@value #SLOTS}
 * slots, each on its own 64-byte line: a caller claims a slot with one CAS (starting at a slot
 * picked by its thread id, so a thread that signals over and over meets its own line again),
 * and releases it with a release store once it has read errno. A thread-local segment would
 * allocate on every new thread, and a confined arena per call on every call.
 */
@SuppressWarnings("restricted")
final class FfmEventFdIo implements EventFdIo {
    private static final int SLOTS = 64;
    private static final int LINE = 64;
    /** Ints per cache line in {@link #claimed}. */
    private static final int FLAG_STRIDE = LINE / Integer.BYTES;

    private static final int EFD_FLAGS = LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC;

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle EVENTFD;
    private static final MethodHandle WRITE;
    private static final MethodHandle READ;

    /** The 8-byte value 1 that every signal writes; written once, never changed, never freed. */
    private static final MemorySegment ONE;
    /** The capture slots: views made once, so a call creates no segment object. */
    private static final MemorySegment[] CAPTURES = new MemorySegment[SLOTS];
    /** 1 while a call owns the slot; one flag per cache line. */
    private static final AtomicIntegerArray CLAIMED = new AtomicIntegerArray(SLOTS * FLAG_STRIDE);

    static {
        Linker linker = Linker.nativeLinker();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        EVENTFD = linker.downcallHandle(linker.defaultLookup().find("eventfd").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), errno);
        FunctionDescriptor io = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG);
        WRITE = linker.downcallHandle(linker.defaultLookup().find("write").orElseThrow(), io, errno);
        READ = linker.downcallHandle(linker.defaultLookup().find("read").orElseThrow(), io, errno);

        Arena global = Arena.global();
        ONE = global.allocate(ValueLayout.JAVA_LONG);
        ONE.set(ValueLayout.JAVA_LONG, 0, 1L);
        long slotSize = Math.max(LINE, CAPTURE_LAYOUT.byteSize());
        MemorySegment pool = global.allocate(slotSize * SLOTS, LINE);
        for (int i = 0; i < SLOTS; i++) {
            CAPTURES[i] = pool.asSlice(i * slotSize, CAPTURE_LAYOUT);
        }
    }

    FfmEventFdIo() {
        // The class initializer linked everything; a failure there reaches EventFdIos as an
        // ExceptionInInitializerError, and JNA is used instead.
    }

    @Override
    public String name() {
        return "ffm";
    }

    @Override
    public int create() {
        int slot = claim();
        try {
            int fd = (int) EVENTFD.invokeExact(CAPTURES[slot], 0, EFD_FLAGS);
            return fd >= 0 ? fd : -errno(slot);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            release(slot);
        }
    }

    @Override
    public long writeOne(int fd) {
        // SAFETY: ONE is an 8-byte global segment, never freed or written after class init;
        // write(2) reads exactly 8 bytes from it. A descriptor closed meanwhile makes the call
        // fail with EBADF, which the caller handles.
        return transfer(WRITE, fd, ONE);
    }

    @Override
    public ReadBuffer newReadBuffer() {
        return new Buffer();
    }

    private static final class Buffer implements ReadBuffer {
        /** Freed by the GC with this buffer (and so with its EventFd). */
        private final MemorySegment block = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);

        @Override
        public long read(int fd) {
            // SAFETY: block is an 8-byte segment reachable from this object for the call;
            // read(2) on an eventfd writes exactly 8 bytes.
            return transfer(READ, fd, block);
        }

        @Override
        public long value() {
            return block.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /**
     * One 8-byte {@code write} or {@code read} ({@code call} is {@link #WRITE} or {@link #READ};
     * this small method is inlined into its two callers, where the handle is a constant).
     *
     * @return the bytes transferred, or -errno
     */
    private static long transfer(MethodHandle call, int fd, MemorySegment buffer) {
        int slot = claim();
        try {
            long n = (long) call.invokeExact(CAPTURES[slot], fd, buffer, 8L);
            return n >= 0 ? n : -errno(slot);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            release(slot);
        }
    }

    /** Claims a free capture slot: one CAS when uncontended; spins only with more than SLOTS callers at once. */
    private static int claim() {
        int start = (int) Thread.currentThread().threadId();
        for (int k = 0; ; k++) {
            int slot = (start + k) & (SLOTS - 1);
            int flag = slot * FLAG_STRIDE;
            if (CLAIMED.getPlain(flag) == 0 && CLAIMED.compareAndSet(flag, 0, 1)) {
                return slot;
            }
            if (k >= SLOTS) {
                Thread.onSpinWait();
            }
        }
    }

    /** Gives the slot back after its errno was read: the next claimer's CAS sees the read done. */
    private static void release(int slot) {
        CLAIMED.setRelease(slot * FLAG_STRIDE, 0);
    }

    private static int errno(int slot) {
        return (int) ERRNO.get(CAPTURES[slot], 0L);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("downcall threw a checked exception", t);
    }
}
