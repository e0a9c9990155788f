package io.irqfabric.internal;

import io.irqfabric.FabricConfigException;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Per-GSI counters written by the dispatcher alone and read by anyone, in a direct
 * {@link ByteBuffer} that is either private memory or a memory-mapped file another process can
 * read while the fabric runs (like Aeron's counters file read by AeronStat; see
 * {@link io.irqfabric.CountersFile}). The single writer stores with opaque mode (a plain store
 * on x86, no fence); readers load opaquely and may see values a few batches old.
 *
 * <pre>
 *   offset 0   +--------------------------------------------+
 *              | magic "IRQFSTAT" (u64, written last)        |
 *          8   | version (u32) | gsiCount (u32)              |
 *         16   | stride in longs (u32) | reserved (u32)      |
 *         24   | pid of the writer (u64)                     |
 *         32   | start time, ms since the epoch (u64)        |
 *         40   | reserved to 64                              |
 *   offset 64  +--------------------------------------------+
 *              | GSI 0: [ASSERTED][DELIVERED][ERRORS][MASKED]|  one 64-byte line per GSI:
 *              |        [OVERFLOW_DRAINED][3 spare]          |  readers never share a line
 *              | GSI 1: ...                                  |  with two GSIs' writes
 * </pre>
 * All values in the machine's native byte order (the file is read on the host that wrote it).
 * Each counter is a 64-bit, 8-byte-aligned long.
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
    public static final int VERSION = 1;
    /** Bytes before GSI 0's block. */
    public static final int HEADER_BYTES = 64;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int GSI_COUNT_OFFSET = 12;
    public static final int STRIDE_OFFSET = 16;
    public static final int PID_OFFSET = 24;
    public static final int START_TIME_OFFSET = 32;

    static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final ByteBuffer buffer;
    private final int gsiCount;

    private Counters(ByteBuffer buffer, int gsiCount) {
        this.buffer = buffer;
        this.gsiCount = gsiCount;
        buffer.order(ByteOrder.nativeOrder());
        buffer.putInt(VERSION_OFFSET, VERSION);
        buffer.putInt(GSI_COUNT_OFFSET, gsiCount);
        buffer.putInt(STRIDE_OFFSET, STRIDE);
        buffer.putLong(PID_OFFSET, ProcessHandle.current().pid());
        buffer.putLong(START_TIME_OFFSET, System.currentTimeMillis());
        LONGS.setRelease(buffer, MAGIC_OFFSET, MAGIC); // last: a reader that sees it sees the header
    }

    /**
     * @param gsiCount number of GSIs
     * @return counters in private (direct) memory
     */
    public static Counters inMemory(int gsiCount) {
        return new Counters(ByteBuffer.allocateDirect(bytesFor(gsiCount)), gsiCount);
    }

    /**
     * Creates (or truncates) {@code file} and maps the counters into it.
     *
     * @param gsiCount number of GSIs
     * @param file     the counters file
     * @return counters another process can read through {@link io.irqfabric.CountersFile}
     * @throws FabricConfigException if the file cannot be created or mapped
     */
    public static Counters mapped(int gsiCount, Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            // The mapping stays valid after the channel is closed.
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytesFor(gsiCount));
            return new Counters(map, gsiCount);
        } catch (IOException | RuntimeException e) {
            throw new FabricConfigException("cannot create the counters file " + file + ": " + e, e);
        }
    }

    /**
     * @param gsiCount number of GSIs
     * @return the size of the counters region
     */
    public static int bytesFor(int gsiCount) {
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
}
