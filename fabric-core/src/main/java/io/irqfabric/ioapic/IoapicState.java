package io.irqfabric.ioapic;

import io.irqfabric.support.ArrayRecords;

/**
 * Everything the userspace IOAPIC holds, as {@link IoapicPort#state()} captures it and
 * {@link IoapicPort#setState(IoapicState)} applies it (crosvm's {@code IoapicState} shape), so a
 * VMM can keep the IOAPIC in a snapshot format of its own. Immutable: arrays are copied in and
 * out, and compared, hashed and printed by content.
 *
 * @param ioregsel     the selector register (low 8 bits)
 * @param id           the ID register (bits 27..24)
 * @param entries      the 24 redirection entries, including remote IRR and delivery status
 * @param lineLevels   bit {@code p}: the dispatcher's view of pin {@code p}'s line (asserted)
 * @param rtcRemoteIrr the RTC pin's "tick not yet EOIed" bit (RTC coalescing)
 * @param pendingRises bit {@code p}: a rising edge a device recorded while the ring was full that
 *                     the dispatcher had not applied yet; applied (as a pulse) by setState
 * @param routed       bit {@code p}: pin {@code p} has a route (its last programmed non-zero MSI
 *                     message) at the route listener
 * @param routeAddress per pin: the routed MSI address
 * @param routeData    per pin: the routed MSI data
 */
public record IoapicState(int ioregsel, int id, long[] entries, int lineLevels, boolean rtcRemoteIrr,
                          int pendingRises, int routed, long[] routeAddress, int[] routeData) {
    /**
     * Checks the array sizes and the register values, and copies the arrays.
     *
     * @param ioregsel     the selector register, 0..255
     * @param id           the ID register; only bits 27..24 may be set
     * @param entries      the redirection entries, {@link IoapicPort#PINS} of them
     * @param lineLevels   bit {@code p}: pin {@code p}'s line is asserted in the dispatcher's view
     * @param rtcRemoteIrr the RTC pin's "tick not yet EOIed" bit
     * @param pendingRises bit {@code p}: a rising edge on pin {@code p} the dispatcher has not applied yet
     * @param routed       bit {@code p}: pin {@code p} has a route at the route listener
     * @param routeAddress the routed MSI address of each pin, {@link IoapicPort#PINS} of them
     * @param routeData    the routed MSI data of each pin, {@link IoapicPort#PINS} of them
     * @throws IllegalArgumentException if an array is null or does not have {@link IoapicPort#PINS}
     *                                  elements, {@code ioregsel} is outside 0..255 or {@code id}
     *                                  sets a bit outside 27..24
     */
    public IoapicState {
        entries = copy(entries, "entries");
        routeAddress = copy(routeAddress, "routeAddress");
        if (routeData == null || routeData.length != IoapicPort.PINS) {
            throw new IllegalArgumentException("routeData must have " + IoapicPort.PINS + " elements");
        }
        routeData = routeData.clone();
        if ((ioregsel & ~0xFF) != 0) {
            throw new IllegalArgumentException("ioregsel must be 0..255, was " + ioregsel);
        }
        if ((id & ~0x0F00_0000) != 0) {
            throw new IllegalArgumentException("id may only use bits 27..24, was 0x" + Integer.toHexString(id));
        }
    }

    private static long[] copy(long[] a, String name) {
        if (a == null || a.length != IoapicPort.PINS) {
            throw new IllegalArgumentException(name + " must have " + IoapicPort.PINS + " elements");
        }
        return a.clone();
    }

    /** {@return a copy of the redirection entries, one per pin} */
    @Override
    public long[] entries() {
        return entries.clone();
    }

    /** {@return a copy of the routed MSI addresses, one per pin} */
    @Override
    public long[] routeAddress() {
        return routeAddress.clone();
    }

    /** {@return a copy of the routed MSI data, one per pin} */
    @Override
    public int[] routeData() {
        return routeData.clone();
    }

    @Override
    public boolean equals(Object o) {
        return ArrayRecords.equals(this, o);
    }

    @Override
    public int hashCode() {
        return ArrayRecords.hashCode(this);
    }

    @Override
    public String toString() {
        return ArrayRecords.toString(this);
    }
}
