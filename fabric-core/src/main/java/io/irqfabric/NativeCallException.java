package io.irqfabric;

/** A native call (syscall or ioctl) failed during set-up; carries the call's name and errno. */
public class NativeCallException extends FabricException {
    private static final long serialVersionUID = 1L;
    /** The syscall or ioctl that failed. */
    private final String call;
    /** The errno it failed with. */
    private final int errno;

    /**
     * @param call        the syscall or ioctl name, e.g. {@code "eventfd"} or {@code "KVM_IRQFD"}
     * @param errno       the errno the call failed with
     * @param description the errno's text
     */
    public NativeCallException(String call, int errno, String description) {
        super(call + " failed: " + description);
        this.call = call;
        this.errno = errno;
    }

    /** @return the name of the failed call */
    public String call() {
        return call;
    }

    /** @return the errno the call failed with */
    public int errno() {
        return errno;
    }
}
