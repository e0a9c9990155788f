package io.irqfabric.kvm;

import io.irqfabric.FabricException;

/**
 * No KVM GSI route is left: every route KVM allows ({@code KVM_CAP_IRQ_ROUTING}, 4096 on
 * current kernels) or the routing manager's configured cap is in use.
 */
public class KvmRouteLimitException extends FabricException {
    private static final long serialVersionUID = 1L;
    /** The route limit that was reached. */
    private final int limit;

    /**
     * A route refused at the limit.
     *
     * @param limit   the route limit that was reached
     * @param message what could not be routed
     */
    public KvmRouteLimitException(int limit, String message) {
        super(message);
        this.limit = limit;
    }

    /** {@return the route limit that was reached} */
    public int limit() {
        return limit;
    }
}
