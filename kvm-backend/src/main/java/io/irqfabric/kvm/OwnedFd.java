package io.irqfabric.kvm;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.irqfabric.kvm.sys.LibC;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A file descriptor this backend owns (/dev/kvm, a VM, a vCPU): closed exactly once, and never
 * used after close (a closed fd fails with {@code EBADF} instead of reaching a recycled number).
 * Wraps the ioctl calls so every failure becomes a {@link KvmException} naming the ioctl.
 */
final class OwnedFd implements AutoCloseable {
    private static final int CLOSED = -1;
    private final AtomicInteger fd;

    OwnedFd(int fd) {
        this.fd = new AtomicInteger(fd);
    }

    int get(String call) {
        int f = fd.get();
        if (f == CLOSED) {
            throw new KvmException(call, LibC.EBADF, "the descriptor was already closed");
        }
        return f;
    }

    boolean isClosed() {
        return fd.get() == CLOSED;
    }

    /**
     * ioctl with a pointer argument; retries on EINTR.
     *
     * @return the ioctl's non-negative result
     * @throws KvmException naming {@code name} and the errno on failure
     */
    int ioctl(String name, long request, Pointer arg) {
        int f = get(name);
        int r;
        do {
            // SAFETY: f is a descriptor this object owns and has not closed; arg is null or a
            // JNA Memory block the caller keeps alive across the call and sized for the struct
            // the request encodes (KvmAbi sizes, checked against linux/kvm.h by KvmAbiTest).
            r = LibC.ioctl(f, request, arg);
        } while (r < 0 && interruptedElseThrow(name));
        return r;
    }

    /** ioctl with an integer argument; retries on EINTR. */
    int ioctl(String name, long request, long arg) {
        int f = get(name);
        int r;
        do {
            // SAFETY: f is owned and open; the argument is passed by value, no memory is shared.
            r = LibC.ioctl(f, request, arg);
        } while (r < 0 && interruptedElseThrow(name));
        return r;
    }

    /** After a failed call: true (retry) for EINTR, otherwise throws the call's KvmException. */
    private static boolean interruptedElseThrow(String name) {
        int errno = Native.getLastError();
        if (errno != LibC.EINTR) {
            throw new KvmException(name, errno);
        }
        return true;
    }

    @Override
    public void close() {
        int f = fd.getAndSet(CLOSED);
        if (f != CLOSED) {
            // SAFETY: f was owned by this object and is closed exactly once (getAndSet above).
            LibC.close(f);
        }
    }

    @Override
    public String toString() {
        return "fd " + fd.get();
    }
}
