package io.irqfabric;

import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.internal.Counters;
import io.irqfabric.testing.CapturingErrorHandler;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The counters file is written like a careful daemon writes one, a file changed under a running
 * fabric never kills its dispatcher, and a reader refuses a lying or foreign file with one clear
 * message.
 */
class CountersFileSafetyTest {

    private static InterruptFabric fabric(EventFdSink sink, Path file, FabricErrorHandler errors) {
        return InterruptFabric.builder().gsiCount(sink.gsiCount()).ringSize(8).countersFile(file).sink(sink)
                .errorHandler(errors).build();
    }

    @Test
    void aNewFileIsOwnerOnlyAndAnOldOneIsReplacedAtomicallyNotTruncated(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("vm.irqstat");
        Files.write(file, "an older file a reader holds open".getBytes());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        try (FileChannel olderReader = FileChannel.open(file, StandardOpenOption.READ);
             EventFdSink sink = EventFdSink.create(4);
             InterruptFabric f = fabric(sink, file, new CapturingErrorHandler())) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS)));
            ByteBuffer old = ByteBuffer.allocate(64);
            olderReader.read(old, 0);
            assertEquals("an older file a reader holds open", new String(old.array(), 0, old.position()),
                    "the reader of the old file still reads it whole: it was replaced, not truncated");
            f.trigger(1);
            f.sync();
            try (CountersFile r = CountersFile.open(file)) {
                assertEquals(1, r.asserted(1));
                assertEquals("running", r.state());
                assertTrue(r.writerAlive());
            }
            try (java.util.stream.Stream<Path> left = Files.list(dir)) {
                assertEquals(1, left.count(), "no temporary file left beside it");
            }
        }
    }

    @Test
    void aSymbolicLinkIsRefusedAndItsTargetUntouched(@TempDir Path dir) throws Exception {
        Path precious = dir.resolve("precious");
        Files.write(precious, "do not truncate".getBytes());
        Path link = Files.createSymbolicLink(dir.resolve("vm.irqstat"), precious);
        try (EventFdSink sink = EventFdSink.create(4)) {
            FabricConfigException e = assertThrows(FabricConfigException.class,
                    () -> fabric(sink, link, new CapturingErrorHandler()));
            assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        }
        assertEquals("do not truncate", Files.readString(precious));
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void aNonRegularFileIsRefused(@TempDir Path dir) throws Exception {
        Path sub = Files.createDirectory(dir.resolve("vm.irqstat"));
        try (EventFdSink sink = EventFdSink.create(4)) {
            FabricConfigException e = assertThrows(FabricConfigException.class,
                    () -> fabric(sink, sub, new CapturingErrorHandler()));
            assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        }
    }

    @Test
    void aFileOwnedBySomeoneElseIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("vm.irqstat");
        Files.write(file, new byte[16]);
        UserPrincipal nobody;
        try {
            nobody = file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(file, nobody);
        } catch (IOException notRoot) {
            Assumptions.abort("skipped: giving a file to user 'nobody' needs root (" + notRoot + ")");
            return;
        }
        try (EventFdSink sink = EventFdSink.create(4)) {
            FabricConfigException e = assertThrows(FabricConfigException.class,
                    () -> fabric(sink, file, new CapturingErrorHandler()));
            assertTrue(e.getMessage().contains("owned by nobody"), e.getMessage());
        }
        assertEquals(16, Files.size(file));
    }

    /**
     * Another process (here: this one, through the same syscall {@code truncate -s} makes)
     * shrinks the file while producers storm: the dispatcher never faults on it, loses nothing
     * (eventfd read-back after a last assertion of every GSI), and the file is whole and exact
     * again after the next copy. Several pages: a mapped writer would take SIGBUS on a page
     * wholly past the new end of the file.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aFileTruncatedMidStormNeverHurtsTheDispatcher(long seed, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("vm.irqstat");
        CapturingErrorHandler errors = new CapturingErrorHandler();
        final int gsis = 256;
        try (EventFdSink sink = EventFdSink.create(gsis); InterruptFabric f = fabric(sink, file, errors)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Random rnd = new Random(seed);
            int shrinkAt = 2_000 + rnd.nextInt(20_000);
            Thread producer = new Thread(() -> {
                try {
                    for (int i = 0; i < 60_000; i++) {
                        f.trigger(i % gsis);
                        if (i == shrinkAt) {
                            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                                ch.truncate(rnd.nextInt(256));
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            producer.start();
            producer.join();
            assertNull(failure.get());
            f.sync();
            long[] delivered = new long[gsis];
            for (int g = 0; g < gsis; g++) {
                delivered[g] = sink.eventFd(g).read();
                f.trigger(g);
            }
            f.sync();
            try (CountersFile r = CountersFile.open(file)) {
                for (int g = 0; g < gsis; g++) {
                    assertEquals(1, sink.eventFd(g).read(), "GSI " + g + " delivered after the file shrank");
                    assertEquals(delivered[g] + 1, f.counters().delivered(g), "in-memory counters stay exact, GSI " + g);
                    assertEquals(f.counters().delivered(g), r.delivered(g), "the file is exact again, GSI " + g);
                    assertEquals(f.counters().asserted(g), r.asserted(g), "the file is exact again, GSI " + g);
                }
            }
            assertFalse(f.isFailed());
            assertEquals(0, errors.reports().size(), errors.reports().toString());
            assertEquals(60_000 + gsis, f.counters().totalAsserted());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aFileReplacedBySecondFabricLeavesTheFirstCountingAndCloseClosesIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("vm.irqstat");
        CapturingErrorHandler errors = new CapturingErrorHandler();
        try (EventFdSink a = EventFdSink.create(8); EventFdSink b = EventFdSink.create(8)) {
            InterruptFabric first = fabric(a, file, errors);
            assertTrue(open(file), "the first fabric holds its file open");
            for (int i = 0; i < 10_000; i++) {
                first.trigger(i % 4);
            }
            try (InterruptFabric second = fabric(b, file, errors)) {
                for (int i = 0; i < 10_000; i++) {
                    first.trigger(i % 4);
                }
                second.trigger(6);
                first.sync();
                second.sync();
                assertEquals(20_000, first.counters().totalAsserted());
                try (CountersFile r = CountersFile.open(file)) {
                    assertEquals(1, r.asserted(6), "the path now shows the second fabric");
                    assertEquals(0, r.asserted(0));
                }
            }
            first.close();
            assertEquals(0, errors.count(FabricErrorHandler.Kind.COUNTERS_FILE), "a replaced file is no fault");
            assertFalse(open(file), "close() closed the files");
            try (CountersFile r = CountersFile.open(file)) {
                assertEquals("closed", r.state(), "final values stay in the file");
            }
        }
    }

    /** @return true if this process has a descriptor open on a file of that name (its own or a replaced one) */
    private static boolean open(Path file) throws IOException {
        String name = file.getFileName().toString();
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    String n = Files.readSymbolicLink(fd).getFileName().toString();
                    return n.equals(name) || n.startsWith(name + " (deleted)") || n.startsWith("." + name + ".");
                } catch (IOException | RuntimeException gone) {
                    return false;
                }
            });
        }
    }

    /** A header that lies about the GSI count, or a foreign file: one clear message, never an out-of-bounds read. */
    @ParameterizedTest(name = "gsiCount {0}")
    @ValueSource(ints = {0, -1, 1 << 17, 1 << 25, Integer.MAX_VALUE, 64})
    void aLyingHeaderIsRefused(int claimedGsis, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("liar");
        ByteBuffer b = ByteBuffer.allocate(Counters.bytesFor(2)).order(ByteOrder.nativeOrder());
        b.putLong(Counters.MAGIC_OFFSET, Counters.MAGIC);
        b.putInt(Counters.VERSION_OFFSET, Counters.VERSION);
        b.putInt(Counters.GSI_COUNT_OFFSET, claimedGsis);
        b.putInt(Counters.STRIDE_OFFSET, Counters.STRIDE);
        Files.write(file, b.array());
        FabricConfigException e = assertThrows(FabricConfigException.class, () -> CountersFile.open(file));
        assertTrue(e.getMessage().contains("claims"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void foreignEmptyAndNewerFilesAreRefused(@TempDir Path dir) throws Exception {
        Path empty = Files.createFile(dir.resolve("empty"));
        assertTrue(assertThrows(FabricConfigException.class, () -> CountersFile.open(empty)).getMessage().contains("0 bytes"));
        Path random = dir.resolve("random");
        byte[] noise = new byte[4096];
        new Random(7).nextBytes(noise);
        Files.write(random, noise);
        assertTrue(assertThrows(FabricConfigException.class, () -> CountersFile.open(random)).getMessage().contains("magic"));
        Path newer = dir.resolve("newer");
        ByteBuffer b = ByteBuffer.allocate(Counters.bytesFor(2)).order(ByteOrder.nativeOrder());
        b.putLong(Counters.MAGIC_OFFSET, Counters.MAGIC);
        b.putInt(Counters.VERSION_OFFSET, Counters.VERSION + 1);
        b.putInt(Counters.GSI_COUNT_OFFSET, 2);
        b.putInt(Counters.STRIDE_OFFSET, Counters.STRIDE);
        Files.write(newer, b.array());
        assertTrue(assertThrows(FabricConfigException.class, () -> CountersFile.open(newer)).getMessage().contains("version"));
        assertArrayEquals(noise, Files.readAllBytes(random), "a reader writes nothing");
        assertTrue(Arrays.equals(noise, Files.readAllBytes(random)));
    }
}
