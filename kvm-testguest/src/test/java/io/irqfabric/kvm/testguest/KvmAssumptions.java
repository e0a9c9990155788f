package io.irqfabric.kvm.testguest;

import io.irqfabric.kvm.Kvm;
import org.junit.jupiter.api.Assumptions;

/** Skips a test, with a message saying why, when /dev/kvm cannot be used here. */
final class KvmAssumptions {
    private static final String REASON = Kvm.unavailableReason();
    private static volatile boolean announced;

    private KvmAssumptions() {
    }

    static void assumeKvm(String test) {
        if (!announced) {
            announced = true;
            System.out.println(REASON == null
                    ? "[kvm-testguest] " + Kvm.devicePath() + " is usable: KVM end-to-end tests RUN on the real kernel"
                    : "[kvm-testguest] /dev/kvm not usable (" + REASON + "): KVM end-to-end tests are SKIPPED");
        }
        Assumptions.assumeTrue(REASON == null, "KVM test " + test + " SKIPPED: /dev/kvm not usable: " + REASON);
        System.out.println("[kvm-testguest] running KVM test: " + test);
    }
}
