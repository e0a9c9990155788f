package io.irqfabric.kvm;

import io.irqfabric.NativeCallException;
import io.irqfabric.kvm.sys.LibC;

/**
 * A KVM ioctl (or the open/mmap around it) failed. {@link #call()} names the ioctl, e.g.
 * {@code "KVM_SET_GSI_ROUTING"}, and {@link #errno()} carries the errno it failed with.
 */
public class KvmException extends NativeCallException {
    private static final long serialVersionUID = 1L;

    /**
     * A failed call, described by its errno.
     *
     * @param call  the ioctl or syscall name
     * @param errno the errno it failed with
     */
    public KvmException(String call, int errno) {
        super(call, errno, LibC.describe(errno));
    }

    /**
     * A failed call, described by its errno and what was being attempted.
     *
     * @param call   the ioctl or syscall name
     * @param errno  the errno it failed with
     * @param detail what was being attempted (appended to the message)
     */
    public KvmException(String call, int errno, String detail) {
        super(call, errno, LibC.describe(errno) + ": " + detail);
    }
}
