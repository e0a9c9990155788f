package io.irqfabric;

import io.irqfabric.internal.Counters;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a fabric's counters file ({@link InterruptFabric.Builder#countersFile(Path)}) from any
 * process, live, while the fabric runs: the way AeronStat reads Aeron's counters. The file is
 * mapped read-only; each read is an opaque 64-bit load, so values may lag the dispatcher by a few
 * batches and are final once the fabric has closed. The layout is drawn in the internal
 * {@code Counters} class.
 *
 * <pre>{@code
 * CountersFile stats = CountersFile.open(Path.of("/dev/shm/vm1.irqstat"));
 * long delivered = stats.delivered(32);
 * }</pre>
 */
public final class CountersFile {
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final MappedByteBuffer buffer;
    private final int gsiCount;
    private final long pid;
    private final long startTimeMillis;

    private CountersFile(MappedByteBuffer buffer, int gsiCount) {
        this.buffer = buffer;
        this.gsiCount = gsiCount;
        this.pid = buffer.getLong(Counters.PID_OFFSET);
        this.startTimeMillis = buffer.getLong(Counters.START_TIME_OFFSET);
    }

    /**
     * Maps a counters file for reading.
     *
     * @param file the file a fabric was built with
     * @return the reader
     * @throws FabricConfigException if the file cannot be read or is not an irqfabric counters
     *                               file of this version
     */
    public static CountersFile open(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < Counters.HEADER_BYTES) {
                throw new FabricConfigException(file + " is not an irqfabric counters file: " + size + " bytes");
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            map.order(ByteOrder.nativeOrder());
            long magic = (long) LONGS.getAcquire(map, Counters.MAGIC_OFFSET);
            if (magic != Counters.MAGIC) {
                throw new FabricConfigException(file + " is not an irqfabric counters file (magic 0x"
                        + Long.toHexString(magic) + ")");
            }
            int version = map.getInt(Counters.VERSION_OFFSET);
            int gsis = map.getInt(Counters.GSI_COUNT_OFFSET);
            int stride = map.getInt(Counters.STRIDE_OFFSET);
            if (version != Counters.VERSION || stride != Counters.STRIDE) {
                throw new FabricConfigException(file + ": counters file version " + version + " / stride " + stride
                        + ", this reader knows version " + Counters.VERSION + " / stride " + Counters.STRIDE);
            }
            if (gsis < 1 || size < Counters.bytesFor(gsis)) {
                throw new FabricConfigException(file + ": header says " + gsis + " GSIs but the file has " + size + " bytes");
            }
            return new CountersFile(map, gsis);
        } catch (IOException e) {
            throw new FabricConfigException("cannot read the counters file " + file + ": " + e, e);
        }
    }

    /** @return the number of GSIs the fabric serves */
    public int gsiCount() {
        return gsiCount;
    }

    /** @return the process id of the fabric that wrote the file */
    public long pid() {
        return pid;
    }

    /** @return when that fabric started, ms since the epoch */
    public long startTimeMillis() {
        return startTimeMillis;
    }

    /**
     * @param gsi the GSI
     * @return accepted assertions taken in by the dispatcher (ring plus drained overflow records)
     */
    public long asserted(int gsi) {
        return get(gsi, Counters.ASSERTED) + get(gsi, Counters.OVERFLOW_DRAINED);
    }

    /**
     * @param gsi the GSI
     * @return successful deliveries
     */
    public long delivered(int gsi) {
        return get(gsi, Counters.DELIVERED);
    }

    /**
     * @param gsi the GSI
     * @return failed deliveries, handler errors and rejected requests
     */
    public long errors(int gsi) {
        return get(gsi, Counters.ERRORS);
    }

    /**
     * @param gsi the GSI
     * @return assertions that found their source masked (kept pending)
     */
    public long masked(int gsi) {
        return get(gsi, Counters.MASKED);
    }

    /**
     * @param gsi the GSI
     * @return accepted assertions that took the ring-full path (overflow records drained)
     */
    public long overflowed(int gsi) {
        return get(gsi, Counters.OVERFLOW_DRAINED);
    }

    /**
     * @param gsi the GSI
     * @return assertions that rode on another's delivery ({@code asserted - delivered - errors},
     *         never negative)
     */
    public long coalesced(int gsi) {
        return Math.max(0, asserted(gsi) - delivered(gsi) - errors(gsi));
    }

    private long get(int gsi, int field) {
        if (gsi < 0 || gsi >= gsiCount) {
            throw new UnknownGsiException(gsi, "GSI " + gsi + " is outside the counters file's range 0.." + (gsiCount - 1));
        }
        return (long) LONGS.getOpaque(buffer, Counters.offset(gsi, field));
    }
}
