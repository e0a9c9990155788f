package io.irqfabric;

/**
 * Receives the interrupt routes the fabric's controllers compute from guest programming: an
 * IOAPIC redirection entry, an MSI capability or an MSI-X table entry becomes an MSI message
 * (address, data) for a GSI. The KVM backend implements it with KVM_SET_GSI_ROUTING and
 * KVM_IRQFD; {@code fabric-core} knows nothing of KVM.
 *
 * <p>Threading: called on the dispatcher thread only, so an implementation sees changes in
 * guest order. A burst of guest configuration produces several calls followed by one
 * {@link #commitRoutes()} at the end of the dispatcher batch: an implementation should stage
 * changes and apply them there (one KVM_SET_GSI_ROUTING per burst). Route changes are rare
 * (guest configuration, not interrupts), so a syscall here does not touch the hot path.
 *
 * <p>Implementations must not throw; a throw is caught, counted and reported to the
 * {@link FabricErrorHandler}.
 */
public interface RouteListener {
    /**
     * {@code gsi} now signals the MSI message ({@code address}, {@code data}).
     *
     * @param gsi     the GSI
     * @param address the 64-bit MSI address (0xFEExxxxx on x86)
     * @param data    the 32-bit MSI data (vector, delivery mode, trigger mode)
     */
    void setMsiRoute(int gsi, long address, int data);

    /**
     * {@code gsi} no longer has a route (for example an IOAPIC entry with {@code msi_data == 0}
     * while the guest boots).
     *
     * @param gsi the GSI
     */
    void removeRoute(int gsi);

    /**
     * The guest masked or unmasked the source behind {@code gsi}. The route stays; a backend
     * may deassign the irqfd while masked and reassign it on unmask. The fabric itself keeps
     * the pending bit and delivers it on unmask.
     *
     * @param gsi    the GSI
     * @param masked true if masked
     */
    default void setMasked(int gsi, boolean masked) {
    }

    /** End of a dispatcher batch that changed routes: apply the staged changes at once. */
    default void commitRoutes() {
    }

    /**
     * Whether staged changes are still unapplied after {@link #commitRoutes()} returned (a commit
     * failed, for example an ioctl error). The dispatcher asks once after every commit; while the
     * answer is true it calls {@link #commitRoutes()} again at most once a millisecond, at batch
     * ends and also while the ring is idle (a refused route must not wait for unrelated traffic),
     * until the answer is false. The listener needs no back-off of its own.
     *
     * @return true to be called again
     */
    default boolean hasPendingRoutes() {
        return false;
    }
}
