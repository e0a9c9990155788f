/**
 * irqfabric KVM test guest: a hand-assembled x86 guest and the vCPU loop that runs it on the
 * KVM backend, for the end-to-end tests, the storm and the benchmarks. Not part of the library.
 */
module io.irqfabric.kvm.testguest {
    requires transitive io.irqfabric.kvm;

    exports io.irqfabric.kvm.testguest;
}
