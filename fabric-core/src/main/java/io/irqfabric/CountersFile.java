package io.irqfabric;

import io.irqfabric.internal.Counters;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a fabric's counters file ({@link InterruptFabric.Builder#countersFile(Path)}) from any
 * process while the fabric runs: the way AeronStat reads Aeron's counters. The layout is drawn in
 * the internal {@code Counters} class; the fields mean what {@link FabricCounters}' methods of
 * the same names say.
 *
 * <p>The reader takes a copy: {@link #open} reads the file once, and each {@link #refresh()}
 * reads it again with one positional read, so the values of one refresh are read together and a
 * writer that truncates or replaces the file can never fault the reader (a mapped reader would
 * die of SIGBUS). Values lag the dispatcher by at most a batch; {@link #heartbeatMillis()} says
 * when its last batch ended and {@link #writerAlive()} whether the writing process still runs.
 *
 * <pre>{@code
 * try (CountersFile stats = CountersFile.open(Path.of("/dev/shm/vm1.irqstat"))) {
 *     stats.refresh();
 *     long delivered = stats.delivered(32);
 * }
 * }</pre>
 * Not thread-safe: one reader per thread.
 */
public final class CountersFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final int gsiCount;
    private final ByteBuffer copy;

    private CountersFile(Path path, FileChannel channel, int gsiCount, ByteBuffer copy) {
        this.path = path;
        this.channel = channel;
        this.gsiCount = gsiCount;
        this.copy = copy;
    }

    /**
     * Opens a counters file and reads it once.
     *
     * @param file the file a fabric was built with
     * @return the reader
     * @throws FabricConfigException if the file cannot be read, or is not an irqfabric counters
     *                               file of this version (one message naming what is wrong)
     */
    public static CountersFile open(Path file) {
        if (file == null) {
            throw new FabricConfigException("CountersFile.open: file must not be null");
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
            ByteBuffer header = ByteBuffer.allocate(Counters.HEADER_BYTES).order(ByteOrder.nativeOrder());
            readFully(ch, header);
            if (header.position() < Counters.HEADER_BYTES) {
                throw new FabricConfigException(file + " is not an irqfabric counters file: it has only "
                        + header.position() + " bytes (a header is " + Counters.HEADER_BYTES + ")");
            }
            long magic = header.getLong(Counters.MAGIC_OFFSET);
            if (magic != Counters.MAGIC) {
                throw new FabricConfigException(file + " is not an irqfabric counters file (magic 0x"
                        + Long.toHexString(magic) + ", expected 0x" + Long.toHexString(Counters.MAGIC) + ")");
            }
            int version = header.getInt(Counters.VERSION_OFFSET);
            int gsis = header.getInt(Counters.GSI_COUNT_OFFSET);
            int stride = header.getInt(Counters.STRIDE_OFFSET);
            if (version != Counters.VERSION || stride != Counters.STRIDE) {
                throw new FabricConfigException(file + ": counters file version " + version + " / stride " + stride
                        + ", this reader knows version " + Counters.VERSION + " / stride " + Counters.STRIDE);
            }
            if (gsis < 1 || gsis > Counters.MAX_GSIS) {
                throw new FabricConfigException(file + ": the header claims " + Integer.toUnsignedString(gsis)
                        + " GSIs; a counters file holds 1.." + Counters.MAX_GSIS);
            }
            long need = Counters.bytesForChecked(gsis);
            long size = ch.size();
            if (size < need) {
                throw new FabricConfigException(file + ": the header claims " + gsis + " GSIs (" + need
                        + " bytes) but the file has " + size + " bytes");
            }
            CountersFile f = new CountersFile(file, ch, gsis,
                    ByteBuffer.allocate((int) need).order(ByteOrder.nativeOrder()));
            f.refresh();
            ch = null; // owned by f now
            return f;
        } catch (IOException e) {
            throw new FabricConfigException("cannot read the counters file " + file + ": " + e.getMessage(), e);
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing was read from it that matters
                }
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer into) throws IOException {
        long pos = 0;
        while (into.hasRemaining()) {
            int n = ch.read(into, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
    }

    /**
     * Reads the file again. If it was shrunk or replaced by something else meanwhile, the
     * previous values stay and an exception says so.
     *
     * @return this
     * @throws FabricStateException if the file is no longer a whole counters file of the same
     *                              shape
     */
    public CountersFile refresh() {
        ByteBuffer fresh = ByteBuffer.allocate(copy.capacity()).order(ByteOrder.nativeOrder());
        try {
            readFully(channel, fresh);
        } catch (IOException e) {
            throw new FabricStateException("cannot read the counters file " + path + ": " + e.getMessage(), e);
        }
        if (fresh.position() < copy.capacity()
                || fresh.getLong(Counters.MAGIC_OFFSET) != Counters.MAGIC
                || fresh.getInt(Counters.GSI_COUNT_OFFSET) != gsiCount) {
            throw new FabricStateException("the counters file " + path + " was truncated or overwritten while open");
        }
        copy.clear();
        copy.put(fresh.flip());
        return this;
    }

    /** @return the file */
    public Path path() {
        return path;
    }

    /** @return the number of GSIs the fabric serves */
    public int gsiCount() {
        return gsiCount;
    }

    /** @return the process id of the fabric that wrote the file */
    public long pid() {
        return copy.getLong(Counters.PID_OFFSET);
    }

    /** @return when that fabric started, ms since the epoch */
    public long startTimeMillis() {
        return copy.getLong(Counters.START_TIME_OFFSET);
    }

    /** @return when the fabric's dispatcher last ended a batch (or started), ms since the epoch */
    public long heartbeatMillis() {
        return copy.getLong(Counters.HEARTBEAT_OFFSET);
    }

    /** @return "running", "closed" or "failed", as the fabric last wrote it */
    public String state() {
        switch (copy.getInt(Counters.STATE_OFFSET)) {
            case Counters.STATE_RUNNING:
                return "running";
            case Counters.STATE_CLOSED:
                return "closed";
            case Counters.STATE_FAILED:
                return "failed";
            default:
                return "unknown";
        }
    }

    /**
     * @return true if the process that wrote the file is still alive (the same pid, started no
     *         later than the file says the fabric started)
     */
    public boolean writerAlive() {
        return ProcessHandle.of(pid())
                .filter(ProcessHandle::isAlive)
                .map(p -> p.info().startInstant().map(i -> i.toEpochMilli() <= startTimeMillis() + 1000).orElse(true))
                .orElse(false);
    }

    /** @return malformed guest register accesses the controllers ignored */
    public long guestAccessErrors() {
        return copy.getLong(Counters.GUEST_ACCESS_ERRORS_OFFSET);
    }

    /** @return requests the controllers rejected */
    public long rejectedRequests() {
        return copy.getLong(Counters.REJECTED_REQUESTS_OFFSET);
    }

    /** @return errors the dispatcher loop caught outside event handling and recovered from */
    public long dispatcherErrors() {
        return copy.getLong(Counters.DISPATCHER_ERRORS_OFFSET);
    }

    /** @return stray interrupt flags the dispatcher cleared */
    public long strayInterrupts() {
        return copy.getLong(Counters.STRAY_INTERRUPTS_OFFSET);
    }

    /**
     * @param gsi the GSI
     * @return accepted assertions taken in by the dispatcher (ring plus drained overflow records)
     */
    public long asserted(int gsi) {
        return get(gsi, Counters.ASSERTED) + get(gsi, Counters.OVERFLOW_DRAINED) + get(gsi, Counters.SOURCE_COALESCED);
    }

    /**
     * @param gsi the GSI
     * @return accepted assertions coalesced at the source into an event already in the ring
     */
    public long coalescedAtSource(int gsi) {
        return get(gsi, Counters.SOURCE_COALESCED);
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
     * @return accepted assertions that took the ring-full path, as the dispatcher drained them
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

    /**
     * @param gsi the GSI
     * @return assertions its moderation policy holds right now
     */
    public long held(int gsi) {
        return get(gsi, Counters.HELD);
    }

    /**
     * @param gsi the GSI
     * @return assertions its rate cap merged into a later delivery
     */
    public long capMerged(int gsi) {
        return get(gsi, Counters.CAP_MERGED);
    }

    /**
     * @param gsi the GSI
     * @return the adaptive policy's current window in ns
     */
    public long adaptiveWindowNanos(int gsi) {
        return get(gsi, Counters.ADAPTIVE_WINDOW_NS);
    }

    /**
     * @param gsi the GSI (an IOAPIC pin)
     * @return times the level-line storm guard delayed its re-injection
     */
    public long stormGuardTrips(int gsi) {
        return get(gsi, Counters.STORM_GUARD_TRIPS);
    }

    private long get(int gsi, int field) {
        if (gsi < 0 || gsi >= gsiCount) {
            throw new UnknownGsiException(gsi, "GSI " + gsi + " is outside the counters file's range 0.." + (gsiCount - 1));
        }
        return copy.getLong(Counters.offset(gsi, field));
    }

    /** Closes the file. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
    }
}
