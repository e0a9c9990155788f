package io.irqfabric.kvm;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.irqfabric.kvm.sys.LibC;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Anonymous host memory for a guest's RAM (mmap'ed, page-aligned), which
 * {@link KvmVm#setUserMemoryRegion} maps into the guest. The host reads and writes it directly:
 * the test guest's interrupt counters are read from here while the guest runs.
 *
 * <p>Reads of 32-bit values are single aligned native loads, so a value the guest writes is
 * seen whole. Must not be closed while a VM that maps it still runs.
 */
public final class GuestMemory implements AutoCloseable {
    private final long address;
    private final long size;
    private final Pointer pointer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GuestMemory(long address, long size) {
        this.address = address;
        this.size = size;
        this.pointer = new Pointer(address);
    }

    /**
     * Maps {@code size} bytes of zeroed anonymous memory.
     *
     * @param size bytes, a multiple of 4096
     * @return the mapping
     * @throws KvmException if mmap fails
     */
    public static GuestMemory allocate(long size) {
        if (size <= 0 || (size & 0xFFF) != 0) {
            throw new IllegalArgumentException("guest memory size must be a positive multiple of 4096, was " + size);
        }
        // SAFETY: an anonymous private mapping at a kernel-chosen address; no fd, no existing
        // memory is touched. The result is checked against MAP_FAILED.
        long a = LibC.mmap(0L, size, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0L);
        if (a == LibC.MAP_FAILED) {
            throw new KvmException("mmap(guest memory)", Native.getLastError());
        }
        return new GuestMemory(a, size);
    }

    /** {@return the host virtual address of byte 0} */
    public long hostAddress() {
        return address;
    }

    /** {@return the size in bytes} */
    public long size() {
        return size;
    }

    /**
     * {@return the 32-bit little-endian value there}
     *
     * @param offset byte offset (4-byte aligned)
     */
    public int getInt(long offset) {
        check(offset, 4);
        // SAFETY: offset..offset+3 lies inside this live mapping (checked above, and the mapping
        // is unmapped only by close()).
        return pointer.getInt(offset);
    }

    /**
     * Stores a 32-bit value.
     *
     * @param offset byte offset (4-byte aligned)
     * @param value  the 32-bit value to store
     */
    public void putInt(long offset, int value) {
        check(offset, 4);
        // SAFETY: as getInt; the range is inside the live mapping.
        pointer.setInt(offset, value);
    }

    /**
     * Copies bytes in.
     *
     * @param offset byte offset
     * @param bytes  bytes to copy in
     */
    public void putBytes(long offset, byte[] bytes) {
        check(offset, bytes.length);
        // SAFETY: offset..offset+len lies inside the live mapping (checked above).
        pointer.write(offset, bytes, 0, bytes.length);
    }

    /**
     * {@return a copy of the range}
     *
     * @param offset byte offset
     * @param length bytes to copy out
     */
    public byte[] getBytes(long offset, int length) {
        check(offset, length);
        // SAFETY: offset..offset+length lies inside the live mapping (checked above).
        return pointer.getByteArray(offset, length);
    }

    private void check(long offset, int length) {
        if (closed.get()) {
            throw new IllegalStateException("guest memory is unmapped");
        }
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new IndexOutOfBoundsException("guest memory access " + offset + "+" + length + " outside 0.." + size);
        }
    }

    /** Unmaps the memory once. The VM that maps it must no longer run. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            // SAFETY: address/size are exactly the mapping made in allocate(), unmapped once.
            LibC.munmap(address, size);
        }
    }
}
