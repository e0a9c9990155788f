package io.irqfabric.eventfd;

import io.irqfabric.testing.SteadyStateAllocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same eventfd cases through every call path this JVM has: JNA always, java.lang.foreign
 * on JDK 22+ (where the build put {@code META-INF/versions/22} on the test class path). Real
 * eventfds, real errno.
 */
class EventFdIoParityTest {
    /** Largest value an eventfd counter holds; one more signal would block (EAGAIN). */
    private static final long MAX = 0xFFFF_FFFF_FFFF_FFFEL;

    static Stream<EventFdIo> paths() {
        List<EventFdIo> all = new ArrayList<>();
        all.add(EventFdIos.jna());
        if (EventFdIos.ffm() != null) {
            all.add(EventFdIos.ffm());
        }
        return all.stream();
    }

    @Test
    void autoPicksFfmFromJdk22AndJnaBefore() {
        int feature = Runtime.version().feature();
        if (feature >= 22) {
            assertNotNull(EventFdIos.ffm(), "JDK " + feature + ": the FFM classes must be on the test class path (jdk22-ffm profile)");
            assertEquals("ffm", EventFd.ioPath());
            assertEquals("ffm", EventFd.create().io().name(), "create() uses the selected path");
        } else {
            assertNull(EventFdIos.ffm(), "JDK " + feature + " has no java.lang.foreign Linker");
            assertEquals("jna", EventFd.ioPath());
        }
        assertSame(EventFdIos.SELECTED, EventFdIos.select("auto"));
    }

    @Test
    void thePropertyForcesAPathAndBadValuesFallBack() {
        assertEquals("jna", EventFdIos.select("jna").name());
        assertEquals(EventFdIos.ffm() != null ? "ffm" : "jna", EventFdIos.select("ffm").name(),
                "ffm where available, JNA (with a warning) otherwise");
        assertSame(EventFdIos.select("auto"), EventFdIos.select("no-such-path"));
    }

    @ParameterizedTest
    @MethodSource("paths")
    void createSignalRead(EventFdIo io) {
        try (EventFd fd = EventFd.create(io)) {
            assertSame(io, fd.io());
            assertTrue(fd.fd() >= 0);
            assertEquals(0, fd.read(), "fresh eventfd reads 0 (EAGAIN)");
            for (int i = 0; i < 7; i++) {
                assertEquals(EventFd.SIGNAL_OK, fd.signal());
            }
            assertEquals(7, fd.read());
            assertEquals(0, fd.read());
            assertEquals(0, fd.lastErrno());
        }
    }

    @ParameterizedTest
    @MethodSource("paths")
    void saturationIsAlreadyPendingAndTheFullCounterReadsBack(EventFdIo io) {
        try (EventFd fd = EventFd.create(io)) {
            saturate(fd);
            assertEquals(EventFd.SIGNAL_ALREADY_PENDING, fd.signal());
            assertEquals(0, fd.lastErrno(), "EAGAIN is not a failure");
            assertEquals(-LibC.EAGAIN, io.writeOne(fd.fd()), "the raw call reports EAGAIN");
            assertEquals(MAX, fd.read(), "an unsigned 64-bit value comes back whole");
            assertEquals(EventFd.SIGNAL_OK, fd.signal());
            assertEquals(1, fd.read());
        }
    }

    @ParameterizedTest
    @MethodSource("paths")
    void ebadfAfterClose(EventFdIo io) {
        EventFd fd = EventFd.create(io);
        int number = fd.fd();
        fd.close();
        assertEquals(EventFd.SIGNAL_FAILED, fd.signal());
        assertEquals(LibC.EBADF, fd.lastErrno());
        assertEquals(LibC.EBADF, assertThrows(io.irqfabric.NativeCallException.class, fd::read).errno());
        // The raw calls on a closed (or never opened) descriptor: errno as the kernel said it.
        assertEquals(-LibC.EBADF, io.writeOne(-1));
        assertEquals(-LibC.EBADF, io.newReadBuffer().read(-1));
        assertTrue(number >= 0);
    }

    @ParameterizedTest
    @MethodSource("paths")
    void concurrentSignalsAreAllCounted(EventFdIo io) throws Exception {
        int threads = 4;
        int each = 20_000;
        try (EventFd fd = EventFd.create(io)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < each; i++) {
                            int r = fd.signal();
                            if (r != EventFd.SIGNAL_OK) {
                                throw new AssertionError("signal " + i + " returned " + r + " errno " + fd.lastErrno());
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "signaller-" + t);
                th.start();
                all.add(th);
            }
            go.countDown();
            long read = 0;
            for (Thread th : all) {
                th.join();
            }
            read += fd.read();
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals((long) threads * each, read);
        }
    }

    /**
     * Two threads fail at once with different errnos, over and over: one writes a saturated
     * eventfd (EAGAIN), the other a descriptor that is not open (EBADF). Each must always get
     * its own errno; a capture buffer shared by calls in flight hands one the other's.
     */
    @ParameterizedTest
    @MethodSource("paths")
    void concurrentFailuresKeepTheirOwnErrno(EventFdIo io) throws Exception {
        int rounds = 200_000;
        try (EventFd full = EventFd.create(io)) {
            saturate(full);
            int fullFd = full.fd();
            AtomicReference<String> wrong = new AtomicReference<>();
            CountDownLatch go = new CountDownLatch(1);
            Thread eagain = new Thread(() -> hammer(go, rounds, () -> io.writeOne(fullFd), -LibC.EAGAIN, wrong), "eagain");
            Thread ebadf = new Thread(() -> hammer(go, rounds, () -> io.writeOne(-1), -LibC.EBADF, wrong), "ebadf");
            eagain.start();
            ebadf.start();
            go.countDown();
            eagain.join();
            ebadf.join();
            assertNull(wrong.get());
        }
    }

    @ParameterizedTest
    @MethodSource("paths")
    void signalAndReadAllocateNothing(EventFdIo io) {
        try (EventFd fd = EventFd.create(io)) {
            long self = Thread.currentThread().getId();
            SteadyStateAllocation.assertAllocatesNothing(io.name() + " signal and read", () -> {
                for (int i = 0; i < 20_000; i++) {
                    fd.signal();
                    if (fd.read() != 1) {
                        throw new AssertionError("read after one signal");
                    }
                }
            }, self);
        }
    }

    private interface Call {
        long run();
    }

    private static void hammer(CountDownLatch go, int rounds, Call call, long expected, AtomicReference<String> wrong) {
        try {
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        for (int i = 0; i < rounds; i++) {
            long r = call.run();
            if (r != expected) {
                wrong.compareAndSet(null, Thread.currentThread().getName() + " round " + i + ": got " + r + ", expected " + expected);
                return;
            }
        }
    }

    /** Writes 0xfffffffffffffffe, the largest value the counter holds. */
    private static void saturate(EventFd fd) {
        com.sun.jna.Memory max = new com.sun.jna.Memory(8);
        max.setLong(0, MAX);
        assertEquals(8, LibC.write(fd.fd(), max, 8));
    }
}
