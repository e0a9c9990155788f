package io.irqfabric.kvm;

import io.irqfabric.eventfd.EventFd;

/**
 * What {@link KvmRoutingManager} knows about one fabric GSI: what the fabric asked for
 * (staged), what KVM has (committed), and the commit in progress (planned). Guarded by the
 * manager's lock.
 *
 * <pre>
 *   staged     wanted, address, data, masked    set by setMsiRoute / removeRoute / setMasked
 *   committed  committed (KVM table entry)      replaced only after KVM_SET_GSI_ROUTING succeeded
 *              irqfdAssigned                    true while KVM_IRQFD binds eventFd to committed.gsi()
 *   planned    planned, deassignedForCommit     live only inside one commitRoutes()
 * </pre>
 */
final class GsiState {
    /** The fabric GSI. */
    final int fabricGsi;

    /** Staged: the fabric wants an MSI route for this GSI. */
    boolean wanted;
    /** Staged: the MSI address asked for. */
    long address;
    /** Staged: the MSI data asked for. */
    int data;
    /** Staged: the source is masked (its irqfd must be deassigned, its route kept). */
    boolean masked;
    /** Staged since the last successful commit (on the manager's dirty list). */
    boolean dirty;

    /** Committed: this GSI's entry in KVM's routing table, or null if it has none. */
    GsiRoute committed;
    /** Committed: its irqfd is assigned in KVM. */
    boolean irqfdAssigned;
    /** The eventfd bound in the sink, created on the first route; null before. */
    EventFd eventFd;

    /** Planned by the commit in progress: the entry this GSI should have, or null for none. */
    GsiRoute planned;
    /** The commit in progress deassigned this GSI's irqfd. */
    boolean deassignedForCommit;

    GsiState(int fabricGsi) {
        this.fabricGsi = fabricGsi;
    }

    /** The KVM GSI of the committed route, or -1 if there is none. */
    int kvmGsi() {
        return committed == null ? -1 : committed.gsi();
    }

    /** The plan holds a KVM GSI this GSI did not have before the commit. */
    boolean plannedNewKvmGsi() {
        return planned != null && committed == null;
    }

    /** The plan changes KVM's routing table. */
    boolean planChangesTable() {
        return planned == null ? committed != null : !planned.equals(committed);
    }

    /** Committed, unmasked and not yet bound: ready for KVM_IRQFD assign. */
    boolean readyToAssign() {
        return committed != null && !masked && !irqfdAssigned;
    }
}
