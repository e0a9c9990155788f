package io.irqfabric.internal;

import io.irqfabric.FabricConfigException;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * authoritative copy is private direct memory, stored with opaque mode by the single writer (a
 * plain store on x86, no fence) and loaded opaquely by in-process readers
 * ({@link io.irqfabric.FabricCounters}). With a counters file, the dispatcher also copies what
 * changed into the file, where another process reads it (as AeronStat reads Aeron's counters;
 * see {@link io.irqfabric.CountersFile}): with positional writes ({@code pwrite}), not a shared
 * mapping, because a mapping faults (SIGBUS) when another process shrinks the file, and the JVM
 * raises that fault asynchronously, at a point no handler can pin down. A write cannot fault: a
 * shrunk file is written whole again by the next full copy.
 *
 * <p>When the dispatcher copies: at the end of a batch, if {@value #MIRROR_INTERVAL_NANOS} ns
 * have passed since the last copy; at the end of a batch that answers a {@code sync()} or ends the
 * fabric; and when it is about to wait for work with changes not yet copied. So the file lags the
 * fabric by at most that interval while it is busy, and not at all once it is idle or synced. A
 * copy writes the header and the span of changed GSI lines (one or two {@code pwrite}s), and the
 * whole region once a second.
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
 *              | GSI 0: [ASSERTED][DELIVERED][ERRORS][MASKED]     |  two 64-byte lines per GSI:
 *              |        [OVERFLOW_DRAINED][SOURCE_COALESCED]      |  no line holds two GSIs'
 *              |        [HELD][CAP_MERGED]                        |  counters
 *              |        [ADAPTIVE_WINDOW_NS][STORM_GUARD_TRIPS]   |  (HELD and ADAPTIVE_WINDOW_NS
 *              |        [6 spare]                                 |   are gauges, the rest counts)
 *              | GSI 1: ...                                       |
 * </pre>
 * All values in the machine's native byte order (the file is read on the host that wrote it).
 * Each counter is a 64-bit, 8-byte-aligned long.
 *
 * <h2>The file</h2>
 * Written like a careful daemon writes its state file: a new file is created owner-only (0600,
 * whatever the umask) beside the target under a random name, filled with the header and zeros,
 * and renamed over the target in one atomic step, so a reader of an older file never sees it
 * truncated. A target that is a symbolic link, not a regular file, or owned by another user is
 * refused. A file another process shrinks is whole again after the next full copy; a file
 * another process replaces is left to it (the fabric writes its own, now unlinked, file). If a
 * write fails (a full disk), the fabric stops writing the file, reports it once and goes on
 * counting in memory. {@link #close()} writes the final values and closes the file.
 *
 * <p>Plain Java (a VarHandle view of the buffer), not Agrona's {@code UnsafeBuffer}: Agrona 2.x
 * needs {@code --add-exports java.base/jdk.internal.misc} on every JVM that embeds the library,
 * a flag a VMM should not be forced to add for statistics.
 */
public final class Counters {
    /** Longs per GSI: two cache lines (version 3; version 2 had one). */
    public static final int STRIDE = 16;
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
    /**
     * Assertions coalesced at the source (counted per producer thread; in the file, the sum the
     * dispatcher last copied; in private memory, unused).
     */
    public static final int SOURCE_COALESCED = 5;
    /** Gauge: assertions (ring events and drained records) the GSI's moderation policy holds right now. */
    public static final int HELD = 6;
    /** Assertions the rate cap merged into a later delivery (never dropped). */
    public static final int CAP_MERGED = 7;
    /** Gauge: the adaptive policy's current window in ns (0 while it does not hold). */
    public static final int ADAPTIVE_WINDOW_NS = 8;
    /** Level-storm guard trips: times the IOAPIC delayed re-injecting a level line that kept re-asserting after EOI. */
    public static final int STORM_GUARD_TRIPS = 9;

    /** "IRQFSTAT" read as a little-endian long. */
    public static final long MAGIC = 0x5441_5453_4651_5249L;
    /** Layout version. */
    public static final int VERSION = 3;
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

    /** The longest the file lags a busy fabric (see the class comment). */
    public static final long MIRROR_INTERVAL_NANOS = 10_000_000L;
    /** How often the whole region is written (heals a file someone shrank). */
    static final long FULL_COPY_INTERVAL_NANOS = 1_000_000_000L;

    private final ByteBuffer buffer;
    /** A view of {@link #buffer} whose position and limit each file write sets (no allocation). */
    private final ByteBuffer writeView;
    private final int gsiCount;
    private final Path file;
    /** The counters file, or null (no file, or writing stopped after a failure). Dispatcher only. */
    private FileChannel channel;
    /** Lowest and highest GSI changed since the last copy to the file (dispatcher only); low > high: none. */
    private int changedLow = Integer.MAX_VALUE;
    private int changedHigh = -1;
    private long lastCopyNanos;
    private long lastFullCopyNanos;
    private Consumer<Throwable> onFileFailure = t -> { };
    private ProducerStates producers;

    private Counters(int gsiCount, FileChannel channel, Path file) {
        this.buffer = ByteBuffer.allocateDirect(bytesFor(gsiCount)).order(ByteOrder.nativeOrder());
        this.writeView = buffer.duplicate();
        this.gsiCount = gsiCount;
        this.file = file;
        this.channel = channel;
        writeHeader(buffer, gsiCount);
        lastCopyNanos = lastFullCopyNanos = System.nanoTime();
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
     * older file, refusing links, non-regular files and other users' files) and writes its
     * header.
     *
     * @param gsiCount number of GSIs
     * @param file     the counters file
     * @return counters another process can read through {@link io.irqfabric.CountersFile}
     * @throws FabricConfigException if the file cannot be created or is refused
     */
    public static Counters mapped(int gsiCount, Path file) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new FabricConfigException("counters file " + file + ": directory " + dir + " does not exist");
        }
        Path tmp = null;
        FileChannel ch = null;
        try {
            tmp = createOwnerOnly(dir, target.getFileName().toString());
            UserPrincipal me = Files.getOwner(tmp, LinkOption.NOFOLLOW_LINKS);
            checkReplaceable(target, me);
            ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            Counters c = new Counters(gsiCount, ch, target);
            c.copyToFile(true); // the whole region, before a reader can see the file
            // Atomic replace: a reader of the old file keeps its (old, complete) file.
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            ch = null;
            return c;
        } catch (IOException | RuntimeException e) {
            if (e instanceof FabricConfigException) {
                throw (FabricConfigException) e;
            }
            throw new FabricConfigException("cannot create the counters file " + file + ": " + e, e);
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing written that matters
                }
            }
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temporary file is owner-only and holds only zeros
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
     * @param states where producers count assertions coalesced at the source; each copy to the
     *               file writes their sums
     */
    public void sourceCoalesced(ProducerStates states) {
        this.producers = states;
    }

    /**
     * @param handler told once, on the dispatcher thread, when a write to the file failed and
     *                writing it stopped
     */
    public void onFileFailure(Consumer<Throwable> handler) {
        this.onFileFailure = handler;
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
        if (gsi < changedLow) {
            changedLow = gsi;
        }
        if (gsi > changedHigh) {
            changedHigh = gsi;
        }
    }

    /**
     * Dispatcher only: sets a gauge ({@link #HELD}, {@link #ADAPTIVE_WINDOW_NS}).
     *
     * @param gsi   the GSI
     * @param field one of the field constants
     * @param value the new value
     */
    public void set(int gsi, int field, long value) {
        int off = offset(gsi, field);
        if ((long) LONGS.get(buffer, off) == value) {
            return;
        }
        LONGS.setOpaque(buffer, off, value);
        if (gsi < changedLow) {
            changedLow = gsi;
        }
        if (gsi > changedHigh) {
            changedHigh = gsi;
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
     * Records the fabric's state in the header. Any thread; the file has it after the next copy
     * (the dispatcher's, or {@link #close()}).
     *
     * @param state one of the STATE_ constants
     */
    public void state(int state) {
        INTS.setOpaque(buffer, STATE_OFFSET, state);
    }

    /**
     * Dispatcher only, at the end of a batch: copies what changed to the file if the interval
     * has passed or {@code now} is asked for (a sync or the end of the fabric).
     *
     * @param now copy whatever the interval
     */
    public void endOfBatch(boolean now) {
        if (channel == null) {
            return;
        }
        long t = System.nanoTime();
        if (now || t - lastCopyNanos >= MIRROR_INTERVAL_NANOS) {
            // A sync or the end copies everything: source-coalesced counts change without events.
            copyToFile(now || t - lastFullCopyNanos >= FULL_COPY_INTERVAL_NANOS);
        }
    }

    /** Dispatcher only, before it waits for work: copies changes not yet in the file. */
    public void beforeIdle() {
        if (channel != null && changedLow <= changedHigh) {
            copyToFile(System.nanoTime() - lastFullCopyNanos >= FULL_COPY_INTERVAL_NANOS);
        }
    }

    private void copyToFile(boolean full) {
        FileChannel ch = channel;
        long t = System.nanoTime();
        lastCopyNanos = t;
        LONGS.setOpaque(buffer, HEARTBEAT_OFFSET, System.currentTimeMillis());
        int headerEnd = HEADER_BYTES;
        int lo;
        int hi;
        if (full) {
            lastFullCopyNanos = t;
            lo = headerEnd;
            hi = buffer.capacity();
        } else if (changedLow <= changedHigh) {
            lo = offset(changedLow, 0);
            hi = offset(changedHigh, 0) + STRIDE * Long.BYTES;
        } else {
            lo = hi = headerEnd;
        }
        changedLow = Integer.MAX_VALUE;
        changedHigh = -1;
        if (producers != null && hi > lo) {
            for (int g = (lo - HEADER_BYTES) / (STRIDE * Long.BYTES), end = (hi - HEADER_BYTES) / (STRIDE * Long.BYTES); g < end; g++) {
                LONGS.setOpaque(buffer, offset(g, SOURCE_COALESCED), producers.coalesced(g));
            }
        }
        try {
            if (lo - headerEnd <= 4096) {
                write(ch, 0, hi); // header and lines in one write
            } else {
                write(ch, lo, hi);
                write(ch, 0, headerEnd);
            }
        } catch (IOException | RuntimeException e) {
            channel = null;
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failing
            }
            onFileFailure.accept(e);
        }
    }

    private void write(FileChannel ch, int from, int to) throws IOException {
        ByteBuffer v = writeView;
        v.limit(to).position(from);
        long pos = from;
        while (v.hasRemaining()) {
            pos += ch.write(v, pos);
        }
    }

    /** @return true while the counters file is being written */
    public boolean writingFile() {
        return channel != null;
    }

    /**
     * Writes the final values to the file and closes it. Only once no thread writes the
     * counters any more: the dispatcher has terminated.
     */
    public void close() {
        FileChannel ch = channel;
        if (ch != null) {
            copyToFile(true);
            channel = null;
            try {
                ch.close();
            } catch (IOException ignored) {
                // the values are written; nothing else to lose
            }
        }
    }

    /** @return the set of permissions a counters file is created with */
    public static Set<PosixFilePermission> filePermissions() {
        return EnumSet.copyOf(OWNER_ONLY);
    }
}
