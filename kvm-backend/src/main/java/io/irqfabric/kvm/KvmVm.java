package io.irqfabric.kvm;

import com.sun.jna.Memory;
import io.irqfabric.eventfd.EventFd;
import io.irqfabric.kvm.sys.KvmAbi;

import java.util.List;

/**
 * A KVM virtual machine (a VM fd): memory slots, interrupt controllers, GSI routing, irqfds,
 * MSI signalling and vCPU creation. Every failed ioctl throws a {@link KvmException} naming
 * the ioctl and errno.
 *
 * <p>Thread safety: every method may be called from any thread; each call uses its own
 * argument buffer. Routing-table changes should come from one thread at a time (the
 * {@link KvmRoutingManager} serialises its own).
 */
public final class KvmVm implements AutoCloseable {
    private final Kvm kvm;
    private final OwnedFd fd;
    private final ThreadLocal<Memory> msiBuffer = ThreadLocal.withInitial(() -> new Memory(KvmAbi.SIZEOF_MSI));

    KvmVm(Kvm kvm, int fd) {
        this.kvm = kvm;
        this.fd = new OwnedFd(fd);
    }

    /** {@return the {@link Kvm} this VM was created from} */
    public Kvm kvm() {
        return kvm;
    }

    /**
     * {@code KVM_CHECK_EXTENSION} on the VM fd (some answers are per VM).
     *
     * @param cap a {@code KVM_CAP_*} number
     * @return 0 if unsupported, otherwise a positive value
     */
    public int checkExtension(int cap) {
        return fd.ioctl("KVM_CHECK_EXTENSION", KvmAbi.KVM_CHECK_EXTENSION, cap);
    }

    /**
     * {@code KVM_CREATE_IRQCHIP}: in-kernel PIC, IOAPIC and LAPIC, with KVM's default routing
     * (GSI 0-15 to PIC and IOAPIC pins, 16-23 to IOAPIC pins). Before any vCPU.
     */
    public void createIrqchip() {
        fd.ioctl("KVM_CREATE_IRQCHIP", KvmAbi.KVM_CREATE_IRQCHIP, 0L);
    }

    /**
     * {@code KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)}: the LAPIC stays in the kernel, the IOAPIC
     * and PIC move to user space. GSIs {@code 0..ioapicPins-1} are reserved for the user-space
     * IOAPIC's MSI routes, and a guest EOI of a vector that such a route delivers
     * level-triggered exits with {@code KVM_EXIT_IOAPIC_EOI}. Before any vCPU.
     *
     * @param ioapicPins the number of IOAPIC pins (24)
     */
    public void enableSplitIrqchip(int ioapicPins) {
        enableCap(Kvm.CAP_SPLIT_IRQCHIP, ioapicPins);
    }

    /** {@code KVM_ENABLE_CAP} on the VM with {@code args[0] = arg0}. */
    void enableCap(int capability, long arg0) {
        try (Memory cap = new Memory(KvmAbi.SIZEOF_ENABLE_CAP)) {
            cap.clear();
            cap.setInt(KvmAbi.ENABLE_CAP_CAP, capability);
            cap.setInt(KvmAbi.ENABLE_CAP_FLAGS, 0);
            cap.setLong(KvmAbi.ENABLE_CAP_ARGS, arg0);
            fd.ioctl("KVM_ENABLE_CAP", KvmAbi.KVM_ENABLE_CAP, cap);
        }
    }

    /**
     * {@code KVM_SET_USER_MEMORY_REGION}: maps {@code memory} at guest physical {@code gpa}.
     *
     * @param slot   the memory slot
     * @param gpa    the guest physical address (page-aligned)
     * @param memory host memory that must stay mapped while the VM exists
     */
    public void setUserMemoryRegion(int slot, long gpa, GuestMemory memory) {
        try (Memory r = new Memory(KvmAbi.SIZEOF_USERSPACE_MEMORY_REGION)) {
            r.clear();
            r.setInt(KvmAbi.UMR_SLOT, slot);
            r.setInt(KvmAbi.UMR_FLAGS, 0);
            r.setLong(KvmAbi.UMR_GUEST_PHYS_ADDR, gpa);
            r.setLong(KvmAbi.UMR_MEMORY_SIZE, memory.size());
            r.setLong(KvmAbi.UMR_USERSPACE_ADDR, memory.hostAddress());
            fd.ioctl("KVM_SET_USER_MEMORY_REGION", KvmAbi.KVM_SET_USER_MEMORY_REGION, r);
        }
    }

    /**
     * {@code KVM_SET_GSI_ROUTING}: replaces KVM's whole routing table with {@code routes}.
     *
     * @param routes the complete new table
     */
    public void setGsiRouting(List<GsiRoute> routes) {
        int n = routes.size();
        try (Memory t = new Memory(KvmAbi.SIZEOF_IRQ_ROUTING + (long) Math.max(1, n) * KvmAbi.SIZEOF_IRQ_ROUTING_ENTRY)) {
            t.clear();
            t.setInt(KvmAbi.ROUTING_NR, n);
            t.setInt(KvmAbi.ROUTING_FLAGS, 0);
            long base = KvmAbi.ROUTING_ENTRIES;
            for (int i = 0; i < n; i++) {
                GsiRoute r = routes.get(i);
                long e = base + (long) i * KvmAbi.SIZEOF_IRQ_ROUTING_ENTRY;
                t.setInt(e + KvmAbi.RE_GSI, r.gsi());
                t.setInt(e + KvmAbi.RE_TYPE, r.type());
                t.setInt(e + KvmAbi.RE_FLAGS, 0);
                if (r.type() == GsiRoute.TYPE_MSI) {
                    t.setInt(e + KvmAbi.RE_MSI_ADDRESS_LO, (int) r.address());
                    t.setInt(e + KvmAbi.RE_MSI_ADDRESS_HI, (int) (r.address() >>> 32));
                    t.setInt(e + KvmAbi.RE_MSI_DATA, r.data());
                } else {
                    t.setInt(e + KvmAbi.RE_IRQCHIP_IRQCHIP, r.irqchip());
                    t.setInt(e + KvmAbi.RE_IRQCHIP_PIN, r.pin());
                }
            }
            fd.ioctl("KVM_SET_GSI_ROUTING", KvmAbi.KVM_SET_GSI_ROUTING, t);
        }
    }

    /**
     * {@code KVM_IRQFD} assign: every write to {@code eventFd} now injects {@code gsi}. The GSI's
     * route must exist first (see {@link KvmRoutingManager}).
     *
     * @param eventFd the eventfd
     * @param gsi     the KVM GSI
     */
    public void assignIrqFd(EventFd eventFd, int gsi) {
        irqfd("KVM_IRQFD(assign)", eventFd, gsi, 0, null);
    }

    /**
     * {@code KVM_IRQFD} assign with {@code KVM_IRQFD_FLAG_RESAMPLE}: a write to {@code eventFd}
     * asserts the level-triggered irqchip GSI; when the guest EOIs it KVM de-asserts the line
     * and signals {@code resampleFd}, so the device model can assert again if its line is still
     * high. The GSI must route to an in-kernel irqchip pin.
     *
     * @param eventFd    the irqfd
     * @param gsi        the KVM GSI (an irqchip route)
     * @param resampleFd the resamplefd KVM signals after EOI
     */
    public void assignResampleIrqFd(EventFd eventFd, int gsi, EventFd resampleFd) {
        irqfd("KVM_IRQFD(assign, resample)", eventFd, gsi, KvmAbi.KVM_IRQFD_FLAG_RESAMPLE, resampleFd);
    }

    /**
     * {@code KVM_IRQFD} with {@code KVM_IRQFD_FLAG_DEASSIGN}. When it returns, no injection
     * from this irqfd is in flight; writes to the eventfd then accumulate in its counter,
     * which a later {@link #assignIrqFd} injects at once.
     *
     * @param eventFd the eventfd
     * @param gsi     the KVM GSI it was assigned to
     */
    public void deassignIrqFd(EventFd eventFd, int gsi) {
        irqfd("KVM_IRQFD(deassign)", eventFd, gsi, KvmAbi.KVM_IRQFD_FLAG_DEASSIGN, null);
    }

    private void irqfd(String name, EventFd eventFd, int gsi, int flags, EventFd resample) {
        try (Memory a = new Memory(KvmAbi.SIZEOF_IRQFD)) {
            a.clear();
            a.setInt(KvmAbi.IRQFD_FD, eventFd.fd());
            a.setInt(KvmAbi.IRQFD_GSI, gsi);
            a.setInt(KvmAbi.IRQFD_FLAGS, flags);
            a.setInt(KvmAbi.IRQFD_RESAMPLEFD, resample == null ? 0 : resample.fd());
            fd.ioctl(name, KvmAbi.KVM_IRQFD, a);
        }
    }

    /**
     * {@code KVM_SIGNAL_MSI}: injects one MSI directly, without a route or an irqfd.
     * Allocation-free after the first call on a thread.
     *
     * @param address the MSI address
     * @param data    the MSI data
     * @return &gt; 0 if delivered, 0 if the guest blocked it (e.g. LAPIC disabled)
     */
    public int signalMsi(long address, int data) {
        Memory m = msiBuffer.get();
        m.setInt(KvmAbi.MSI_ADDRESS_LO, (int) address);
        m.setInt(KvmAbi.MSI_ADDRESS_HI, (int) (address >>> 32));
        m.setInt(KvmAbi.MSI_DATA, data);
        m.setInt(KvmAbi.MSI_FLAGS, 0);
        m.setInt(KvmAbi.MSI_FLAGS + 4, 0); // devid
        return fd.ioctl("KVM_SIGNAL_MSI", KvmAbi.KVM_SIGNAL_MSI, m);
    }

    /**
     * {@code KVM_IRQ_LINE}: sets the level of an in-kernel irqchip GSI.
     *
     * @param gsi  the KVM GSI
     * @param high the new level
     */
    public void irqLine(int gsi, boolean high) {
        try (Memory l = new Memory(KvmAbi.SIZEOF_IRQ_LEVEL)) {
            l.setInt(KvmAbi.IRQ_LEVEL_IRQ, gsi);
            l.setInt(KvmAbi.IRQ_LEVEL_LEVEL, high ? 1 : 0);
            fd.ioctl("KVM_IRQ_LINE", KvmAbi.KVM_IRQ_LINE, l);
        }
    }

    /**
     * {@code KVM_IRQ_LINE_STATUS}: sets the level of an in-kernel irqchip GSI and returns what
     * the irqchip did with it. For the RTC's GSI 8 this is the call that makes KVM's IOAPIC track
     * whether the previous RTC interrupt was EOIed (tick-stuffing); plain {@link #irqLine} does not.
     *
     * @param gsi  the KVM GSI
     * @param high the new level
     * @return &gt; 0 delivered (to that many targets), 0 coalesced, &lt; 0 masked or ignored
     */
    public int irqLineStatus(int gsi, boolean high) {
        try (Memory l = new Memory(KvmAbi.SIZEOF_IRQ_LEVEL)) {
            l.setInt(KvmAbi.IRQ_LEVEL_IRQ, gsi);
            l.setInt(KvmAbi.IRQ_LEVEL_LEVEL, high ? 1 : 0);
            fd.ioctl("KVM_IRQ_LINE_STATUS", KvmAbi.KVM_IRQ_LINE_STATUS, l);
            return l.getInt(KvmAbi.IRQ_LEVEL_IRQ); // union { irq; status }: the kernel writes the status back
        }
    }

    /**
     * {@code KVM_CREATE_VCPU} and maps its {@code kvm_run} page.
     *
     * @param id the vCPU id (its LAPIC id)
     * @return the vCPU; the caller closes it before the VM
     */
    public KvmVcpu createVcpu(int id) {
        int mmapSize = kvm.vcpuMmapSize();
        int vcpuFd = fd.ioctl("KVM_CREATE_VCPU", KvmAbi.KVM_CREATE_VCPU, id);
        return KvmVcpu.map(vcpuFd, id, mmapSize);
    }

    /** Closes the VM fd (the kernel frees the VM once its vCPUs are closed too). Idempotent. */
    @Override
    public void close() {
        fd.close();
    }
}
