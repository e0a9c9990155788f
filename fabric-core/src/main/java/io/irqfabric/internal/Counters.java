package io.irqfabric.internal;

import io.irqfabric.FabricConfigException;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Per-GSI and fabric-wide counters, written by the dispatcher alone and read by anyone. The
 * authoritative copy is private direct memory; with a counters file, the dispatcher also copies
 * what changed into a memory-mapped file at the end of every batch, where another process reads
 * it (like Aeron's counters file read by AeronStat; see {@link io.irqfabric.CountersFile}). The
 * single writer stores with opaque mode (a plain store on x86, no fence); readers load opaquely
 * and may see values a batch old. In-process readers ({@link io.irqfabric.FabricCounters}) read
 * the private copy, so a file that another process truncates can never fault them.
 *
 * <pre>
 *   offset   0 +--------------------------------------------------+
 *              | magic "IRQFSTAT" (u64, written last)             |
 *            8 | version (u32)        | gsiCount (u32)            |
 *           16 | stride in longs (u32)| reserved (u32)            |
 *           24 | pid of the writer (u64)                          |
 *           32 | start time, ms since the epoch (u64)             |
 *           40 | heartbeat: last batch end, ms since the epoch    |
 *           48 | state (u32): 0 running, 1 closed, 2 failed       |
 *           56 | reserved                                         |
 *           64 | guest access errors (u64)     fabric-wide        |
 *           72 | rejected requests (u64)       counters           |
 *           80 | dispatcher errors recovered (u64)                |
 *           88 | stray interrupts cleared (u64)                   |
 *           96 | reserved to 128                                  |
 *   offset 128 +--------------------------------------------------+
 *              | GSI 0: [ASSERTED][DELIVERED][ERRORS][MASKED]     |  one 64-byte line per GSI:
 *              |        [OVERFLOW_DRAINED][3 spare]               |  no line holds two GSIs'
 *              | GSI 1: ...                                       |  counters
 * </pre>
 * All values in the machine's native byte order (the file is read on the host that wrote it).
 * Each counter is a 64-bit, 8-byte-aligned long.
 *
 * <h2>The file</h2>
 * Written like a careful daemon writes its state file: a new file is created owner-only (0600,
 * whatever the umask) beside the target under a random name, sized, filled with the header, and
 * renamed over the target in one atomic step, so a reader of an older file never sees it
 * truncated. A target that is a symbolic link, not a regular file, or owned by another user is
 * refused. If another process shrinks the file under the running fabric, the mapped write faults
 * ({@link InternalError}); the fabric then stops mirroring, reports it once and goes on counting
 * in memory. {@link #close()} unmaps the file.
 *
 * <p>Plain Java (a VarHandle view of the buffer), not Agrona's {@code UnsafeBuffer}: Agrona 2.x
 * needs {@code --add-exports java.base/jdk.internal.misc} on every JVM that embeds the library,
 * a flag a VMM should not be forced to add for statistics.
 */
public final class Counters {
    /** Longs per GSI: one cache line. */
    public static final int STRIDE = 8;
    /** Ring assertions consumed by the dispatcher. */
    public static final int ASSERTED = 0;
    /** Deliveries the sink accepted (DELIVERED or ALREADY_PENDING). */
    public static final int DELIVERED = 1;
    /** Failed deliveries and handler exceptions. */
    public static final int ERRORS = 2;
    /** Assertions that found their source masked and were kept pending. */
    public static final int MASKED = 3;
    /** Overflow-log records the dispatcher drained (accepted assertions that took the ring-full path). */
    public static final int OVERFLOW_DRAINED = 4;

    /** "IRQFSTAT" read as a little-endian long. */
    public static final long MAGIC = 0x5441_5453_4651_5249L;
    /** Layout version. */
    public static final int VERSION = 2;
    /** Bytes before GSI 0's block. */
    public static final int HEADER_BYTES = 128;
    /** The largest GSI count a valid header may name (the builder's limit). */
    public static final int MAX_GSIS = 1 << 16;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int GSI_COUNT_OFFSET = 12;
    public static final int STRIDE_OFFSET = 16;
    public static final int PID_OFFSET = 24;
    public static final int START_TIME_OFFSET = 32;
    public static final int HEARTBEAT_OFFSET = 40;
    public static final int STATE_OFFSET = 48;
    /** Fabric-wide: malformed guest register accesses. */
    public static final int GUEST_ACCESS_ERRORS_OFFSET = 64;
    /** Fabric-wide: requests the controllers rejected. */
    public static final int REJECTED_REQUESTS_OFFSET = 72;
    /** Fabric-wide: errors the dispatcher loop caught outside event handling and recovered from. */
    public static final int DISPATCHER_ERRORS_OFFSET = 80;
    /** Fabric-wide: stray interrupt flags the dispatcher cleared. */
    public static final int STRAY_INTERRUPTS_OFFSET = 88;

    /** {@link #STATE_OFFSET} values. */
    public static final int STATE_RUNNING = 0;
    public static final int STATE_CLOSED = 1;
    public static final int STATE_FAILED = 2;

    static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final ByteBuffer buffer;
    private final int gsiCount;
    private final Path file;
    /** The file mapping, or null (no file, or mirroring stopped after a fault). Dispatcher only. */
    private MappedByteBuffer mirror;
    /** GSIs changed since the last copy to the file. Dispatcher only. */
    private final byte[] touched;
    private final int[] touchedList;
    private int touchedCount;
    private Consumer<Throwable> onMirrorFault = t -> { };
    private long lastHeartbeat;

    private Counters(int gsiCount, MappedByteBuffer mirror, Path file) {
        this.buffer = ByteBuffer.allocateDirect(bytesFor(gsiCount)).order(ByteOrder.nativeOrder());
        this.gsiCount = gsiCount;
        this.file = file;
        this.touched = new byte[gsiCount];
        this.touchedList = new int[gsiCount];
        writeHeader(buffer, gsiCount);
        if (mirror != null) {
            mirror.order(ByteOrder.nativeOrder());
            writeHeader(mirror, gsiCount);
        }
        this.mirror = mirror;
    }

    private static void writeHeader(ByteBuffer b, int gsiCount) {
        b.putInt(VERSION_OFFSET, VERSION);
        b.putInt(GSI_COUNT_OFFSET, gsiCount);
        b.putInt(STRIDE_OFFSET, STRIDE);
        b.putLong(PID_OFFSET, ProcessHandle.current().pid());
        long now = System.currentTimeMillis();
        b.putLong(START_TIME_OFFSET, now);
        b.putLong(HEARTBEAT_OFFSET, now);
        LONGS.setRelease(b, MAGIC_OFFSET, MAGIC); // last: a reader that sees it sees the header
    }

    /**
     * @param gsiCount number of GSIs
     * @return counters in private (direct) memory
     */
    public static Counters inMemory(int gsiCount) {
        return new Counters(gsiCount, null, null);
    }

    /**
     * Creates the counters file (see the class comment: owner-only, atomically replacing an
     * older file, refusing links, non-regular files and other users' files) and maps it.
     *
     * @param gsiCount number of GSIs
     * @param file     the counters file
     * @return counters another process can read through {@link io.irqfabric.CountersFile}
     * @throws FabricConfigException if the file cannot be created, is refused or cannot be mapped
     */
    public static Counters mapped(int gsiCount, Path file) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new FabricConfigException("counters file " + file + ": directory " + dir + " does not exist");
        }
        Path tmp = null;
        try {
            tmp = createOwnerOnly(dir, target.getFileName().toString());
            UserPrincipal me = Files.getOwner(tmp, LinkOption.NOFOLLOW_LINKS);
            checkReplaceable(target, me);
            MappedByteBuffer map;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS)) {
                // The mapping stays valid after the channel is closed.
                map = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytesFor(gsiCount));
            }
            Counters c = new Counters(gsiCount, map, target);
            // Atomic replace: a reader of the old file keeps its (old, complete) file.
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            return c;
        } catch (IOException | RuntimeException e) {
            if (e instanceof FabricConfigException) {
                throw (FabricConfigException) e;
            }
            throw new FabricConfigException("cannot create the counters file " + file + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temporary file is owner-only and empty of secrets
                }
            }
        }
    }

    private static Path createOwnerOnly(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } catch (FileAlreadyExistsException e) {
                if (attempt < 8) {
                    continue;
                }
                throw e;
            }
            // createFile applies the umask; set the mode explicitly so 0600 holds whatever it is.
            Files.setPosixFilePermissions(tmp, OWNER_ONLY);
            return tmp;
        }
    }

    private static void checkReplaceable(Path target, UserPrincipal me) throws IOException {
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(target, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException absent) {
            return;
        }
        if (a.isSymbolicLink()) {
            throw new FabricConfigException("counters file " + target + " is a symbolic link: refused (remove it or name the real file)");
        }
        if (!a.isRegularFile()) {
            throw new FabricConfigException("counters file " + target + " exists and is not a regular file: refused");
        }
        if (!a.owner().equals(me)) {
            throw new FabricConfigException("counters file " + target + " is owned by " + a.owner().getName()
                    + ", not by " + me.getName() + ": refused");
        }
    }

    /**
     * @param gsiCount number of GSIs
     * @return the size of the counters region
     */
    public static int bytesFor(int gsiCount) {
        return (int) bytesForChecked(gsiCount);
    }

    /**
     * Overflow-safe size for any {@code gsiCount} a header may claim.
     *
     * @param gsiCount claimed number of GSIs
     * @return the size in bytes, as a long
     */
    public static long bytesForChecked(long gsiCount) {
        return HEADER_BYTES + gsiCount * STRIDE * Long.BYTES;
    }

    /**
     * @param gsi   the GSI
     * @param field one of the field constants
     * @return the counter's byte offset
     */
    public static int offset(int gsi, int field) {
        return HEADER_BYTES + (gsi * STRIDE + field) * Long.BYTES;
    }

    /** @return the number of GSIs */
    public int gsiCount() {
        return gsiCount;
    }

    /** @return the counters file, or null */
    public Path file() {
        return file;
    }

    /**
     * @param handler told once, on the dispatcher thread, when writing the file faulted and
     *                mirroring stopped
     */
    public void onMirrorFault(Consumer<Throwable> handler) {
        this.onMirrorFault = handler;
    }

    /**
     * Dispatcher only: adds {@code delta} to a counter.
     *
     * @param gsi   the GSI
     * @param field one of the field constants
     * @param delta amount to add
     */
    public void add(int gsi, int field, long delta) {
        int off = offset(gsi, field);
        LONGS.setOpaque(buffer, off, (long) LONGS.get(buffer, off) + delta);
        if (touched[gsi] == 0) {
            touched[gsi] = 1;
            touchedList[touchedCount++] = gsi;
        }
    }

    /**
     * Dispatcher only: adds {@code delta} to a fabric-wide counter.
     *
     * @param offset one of the fabric-wide offsets
     * @param delta  amount to add
     */
    public void addGlobal(int offset, long delta) {
        LONGS.setOpaque(buffer, offset, (long) LONGS.get(buffer, offset) + delta);
    }

    /**
     * Any thread.
     *
     * @param gsi   the GSI
     * @param field one of the field constants
     * @return the counter's current value
     */
    public long get(int gsi, int field) {
        return (long) LONGS.getOpaque(buffer, offset(gsi, field));
    }

    /**
     * Any thread.
     *
     * @param offset one of the fabric-wide offsets
     * @return the counter's current value
     */
    public long getGlobal(int offset) {
        return (long) LONGS.getOpaque(buffer, offset);
    }

    /**
     * Records the fabric's state in the header (private copy and file). Any thread; the file
     * copy is written only by the dispatcher's next {@link #publish()}.
     *
     * @param state one of the STATE_ constants
     */
    public void state(int state) {
        INTS.setOpaque(buffer, STATE_OFFSET, state);
    }

    /**
     * Dispatcher only: copies what changed since the last call (and the header's heartbeat and
     * fabric-wide counters) to the counters file. A fault (the file was shrunk under the
     * mapping) stops mirroring for good and is reported once through {@link #onMirrorFault}.
     */
    public void publish() {
        MappedByteBuffer m = mirror;
        int n = touchedCount;
        if (m == null) {
            for (int i = 0; i < n; i++) {
                touched[touchedList[i]] = 0;
            }
            touchedCount = 0;
            return;
        }
        try {
            for (int i = 0; i < n; i++) {
                int gsi = touchedList[i];
                touched[gsi] = 0;
                int base = offset(gsi, 0);
                for (int f = 0; f < OVERFLOW_DRAINED + 1; f++) {
                    int off = base + f * Long.BYTES;
                    LONGS.setOpaque(m, off, (long) LONGS.getOpaque(buffer, off));
                }
            }
            touchedCount = 0;
            for (int off = GUEST_ACCESS_ERRORS_OFFSET; off <= STRAY_INTERRUPTS_OFFSET; off += Long.BYTES) {
                LONGS.setOpaque(m, off, (long) LONGS.getOpaque(buffer, off));
            }
            INTS.setOpaque(m, STATE_OFFSET, (int) INTS.getOpaque(buffer, STATE_OFFSET));
            long now = System.currentTimeMillis();
            if (now != lastHeartbeat) {
                lastHeartbeat = now;
                LONGS.setOpaque(m, HEARTBEAT_OFFSET, now);
            }
        } catch (InternalError fault) {
            mirrorFaulted(fault);
        }
    }

    /**
     * Dispatcher only: called with an error that escaped the dispatcher loop. The fault of a
     * mapped write may surface after the write that caused it (HotSpot raises it asynchronously),
     * so the loop's last-resort handler asks here whether it was the file's.
     *
     * @param t the error
     * @return true if it was taken as a fault of the counters file (mirroring is now off)
     */
    public boolean absorbFault(Throwable t) {
        if (mirror != null && t instanceof InternalError) {
            mirrorFaulted(t);
            return true;
        }
        return false;
    }

    private void mirrorFaulted(Throwable fault) {
        mirror = null; // the mapping is left to the GC: unmapping a region that just faulted gains nothing
        for (int i = 0; i < touchedCount; i++) {
            touched[touchedList[i]] = 0;
        }
        touchedCount = 0;
        onMirrorFault.accept(fault);
    }

    /** @return true while the counters file is being written */
    public boolean mirroring() {
        return mirror != null;
    }

    /**
     * Unmaps the counters file (its last values stay in it). Only once no thread writes it: the
     * dispatcher has terminated.
     */
    public void close() {
        MappedByteBuffer m = mirror;
        mirror = null;
        if (m != null) {
            Unmapper.unmap(m);
        }
    }

    /** Releases a mapping now rather than at garbage collection (sun.misc.Unsafe.invokeCleaner). */
    private static final class Unmapper {
        private static final MethodHandle INVOKE_CLEANER = find();

        private static MethodHandle find() {
            try {
                Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
                java.lang.reflect.Field f = unsafeClass.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                Object unsafe = f.get(null);
                return MethodHandles.lookup()
                        .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                        .bindTo(unsafe);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null; // left to the GC
            }
        }

        static void unmap(MappedByteBuffer m) {
            if (INVOKE_CLEANER == null) {
                return;
            }
            try {
                INVOKE_CLEANER.invokeExact((ByteBuffer) m);
            } catch (Throwable ignored) {
                // left to the GC
            }
        }
    }

    /** @return the set of permissions a counters file is created with */
    public static Set<PosixFilePermission> filePermissions() {
        return EnumSet.copyOf(OWNER_ONLY);
    }
}
