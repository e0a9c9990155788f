package io.irqfabric.kvm;

import com.sun.jna.Native;
import io.irqfabric.kvm.sys.KvmAbi;
import io.irqfabric.kvm.sys.LibC;

/**
 * An open {@code /dev/kvm}: the system-level ioctls (API version, capabilities, VM creation).
 *
 * <pre>{@code
 * String why = Kvm.unavailableReason();          // null when /dev/kvm is usable
 * try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm()) {
 *     int routes = kvm.checkExtension(Kvm.CAP_IRQ_ROUTING);   // 4096 here
 *     vm.createIrqchip();
 * }
 * }</pre>
 *
 * Thread safety: all methods may be called from any thread.
 */
public final class Kvm implements AutoCloseable {
    /** The default device path. */
    public static final String DEVICE = "/dev/kvm";
    /** System property that overrides {@link #DEVICE} (e.g. to see the KVM tests skip). */
    public static final String DEVICE_PROPERTY = "irqfabric.kvm.device";
    /** {@code KVM_CAP_IRQCHIP}: in-kernel PIC, IOAPIC and LAPIC. */
    public static final int CAP_IRQCHIP = 0;
    /** {@code KVM_CAP_USER_MEMORY}. */
    public static final int CAP_USER_MEMORY = 3;
    /** {@code KVM_CAP_IRQ_ROUTING}: KVM_CHECK_EXTENSION returns the maximum number of GSI routes. */
    public static final int CAP_IRQ_ROUTING = 25;
    /** {@code KVM_CAP_IRQFD}. */
    public static final int CAP_IRQFD = 32;
    /** {@code KVM_CAP_SIGNAL_MSI}. */
    public static final int CAP_SIGNAL_MSI = 77;
    /** {@code KVM_CAP_IRQFD_RESAMPLE}: level irqfds with a resamplefd. */
    public static final int CAP_IRQFD_RESAMPLE = 82;
    /** {@code KVM_CAP_SPLIT_IRQCHIP}: in-kernel LAPIC, user-space IOAPIC and PIC. */
    public static final int CAP_SPLIT_IRQCHIP = 121;

    private final OwnedFd fd;
    private final int apiVersion;

    private Kvm(int fd) {
        this.fd = new OwnedFd(fd);
        int v;
        try {
            v = this.fd.ioctl("KVM_GET_API_VERSION", KvmAbi.KVM_GET_API_VERSION, 0L);
        } catch (KvmException e) {
            this.fd.close();
            throw e;
        }
        if (v != KvmAbi.KVM_API_VERSION) {
            this.fd.close();
            throw new KvmException("KVM_GET_API_VERSION", 0,
                    "KVM API version " + v + ", this backend needs " + KvmAbi.KVM_API_VERSION);
        }
        this.apiVersion = v;
    }

    /**
     * Opens {@link #devicePath()} and checks the API version.
     *
     * @return the open device
     * @throws KvmException if the open fails or the API version is not 12
     */
    public static Kvm open() {
        return open(devicePath());
    }

    /** {@return {@link #DEVICE}, or the {@link #DEVICE_PROPERTY} system property if set} */
    public static String devicePath() {
        return System.getProperty(DEVICE_PROPERTY, DEVICE);
    }

    /**
     * Opens a KVM device node and checks the API version.
     *
     * @param path the device path
     * @return the open device
     * @throws KvmException if the open fails or the API version is not 12
     */
    public static Kvm open(String path) {
        // SAFETY: open takes a Java String JNA copies into a NUL-terminated native buffer for the
        // call's duration; it returns a new descriptor or -1.
        int f = LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (f < 0) {
            int errno = Native.getLastError();
            throw new KvmException("open(" + path + ")", errno);
        }
        return new Kvm(f);
    }

    /**
     * Says whether KVM can be used here, without throwing: opens {@link #devicePath()}, checks the API
     * version and the capabilities this backend relies on (irqchip, IRQ routing, irqfd, MSI
     * signalling), and closes it again.
     *
     * @return null if KVM is usable, otherwise a sentence saying why not
     */
    public static String unavailableReason() {
        try (Kvm kvm = open()) {
            int[] needed = {CAP_IRQCHIP, CAP_IRQ_ROUTING, CAP_IRQFD, CAP_SIGNAL_MSI, CAP_USER_MEMORY};
            for (int cap : needed) {
                if (kvm.checkExtension(cap) <= 0) {
                    return devicePath() + " lacks KVM capability " + cap;
                }
            }
            return null;
        } catch (KvmException e) {
            return e.getMessage();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return "libc could not be bound through JNA: " + e;
        }
    }

    /** {@return the KVM API version (always 12 once open)} */
    public int apiVersion() {
        return apiVersion;
    }

    /**
     * {@code KVM_CHECK_EXTENSION} on the system fd.
     *
     * @param cap a {@code KVM_CAP_*} number, e.g. {@link #CAP_IRQ_ROUTING}
     * @return 0 if unsupported, otherwise a positive value (for some capabilities a limit)
     */
    public int checkExtension(int cap) {
        return fd.ioctl("KVM_CHECK_EXTENSION", KvmAbi.KVM_CHECK_EXTENSION, cap);
    }

    /** {@return the size of the {@code kvm_run} area to mmap from each vCPU fd} */
    public int vcpuMmapSize() {
        return fd.ioctl("KVM_GET_VCPU_MMAP_SIZE", KvmAbi.KVM_GET_VCPU_MMAP_SIZE, 0L);
    }

    /**
     * {@code KVM_CREATE_VM} with the default machine type.
     *
     * @return the new VM; the caller closes it
     */
    public KvmVm createVm() {
        int vmFd = fd.ioctl("KVM_CREATE_VM", KvmAbi.KVM_CREATE_VM, 0L);
        return new KvmVm(this, vmFd);
    }

    /** Closes /dev/kvm (VMs created from it stay valid). Idempotent. */
    @Override
    public void close() {
        fd.close();
    }
}
