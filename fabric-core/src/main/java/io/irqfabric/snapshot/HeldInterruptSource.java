package io.irqfabric.snapshot;

import java.util.function.IntConsumer;

/**
 * Something outside the fabric that can hold an interrupt the fabric already delivered but that
 * has not reached the guest: the KVM backend's eventfds whose irqfd is deassigned (a masked
 * vector) or not yet assigned keep the count the fabric wrote. A fabric whose
 * {@link io.irqfabric.InterruptSink sink} or {@link io.irqfabric.RouteListener route listener}
 * implements this interface asks it at every snapshot cut, and the GSIs it names are captured
 * as owing a delivery, to be raised again after a restore.
 *
 * <p>Called on the dispatcher thread, at the cut, so nothing the fabric delivers can change the
 * answer meanwhile. It must not consume what it holds: the snapshotted fabric keeps running.
 */
public interface HeldInterruptSource {
    /**
     * Names every GSI that holds an undelivered interrupt now.
     *
     * @param gsi told each such GSI once
     */
    void collectHeld(IntConsumer gsi);
}
