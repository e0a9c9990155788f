package io.irqfabric.msi;

/**
 * The PCI bus numbers assigned to a device's port (secondary..subordinate), as OpenVMM's
 * {@code AssignedBusRange}; an MSI whose requester ID names a bus outside it is dropped and
 * counted. Immutable.
 *
 * <pre>
 *   requester ID (16 bits) = bus &lt;&lt; 8 | devfn,   devfn = device &lt;&lt; 3 | function
 * </pre>
 *
 * @param secondary   first bus of the range, 0..255
 * @param subordinate last bus of the range, secondary..255
 */
public record BusRange(int secondary, int subordinate) {
    /** Every bus, 0..255: what a device on the root complex may use. */
    public static final BusRange ALL = new BusRange(0, 255);

    /**
     * Checks the range.
     *
     * @param secondary   first bus, 0..255
     * @param subordinate last bus, secondary..255
     * @throws IllegalArgumentException if the range is empty or outside 0..255
     */
    public BusRange {
        if (secondary < 0 || subordinate > 255 || secondary > subordinate) {
            throw new IllegalArgumentException("bus range must satisfy 0 <= secondary <= subordinate <= 255, was "
                    + secondary + ".." + subordinate);
        }
    }

    /**
     * {@return true if {@code bus} is within the range}
     *
     * @param bus a bus number
     */
    public boolean containsBus(int bus) {
        return bus >= secondary && bus <= subordinate;
    }

    /**
     * {@return true if its bus is within the range}
     *
     * @param requesterId a 16-bit requester ID
     */
    public boolean accepts(int requesterId) {
        return (requesterId & ~0xFFFF) == 0 && containsBus(requesterId >>> 8);
    }

    /**
     * The default requester ID of a device at {@code devfn} on this range's secondary bus.
     *
     * @param devfn device and function, 0..255
     * @return {@code secondary << 8 | devfn}
     */
    public int requesterId(int devfn) {
        if ((devfn & ~0xFF) != 0) {
            throw new IllegalArgumentException("devfn must be 0..255, was " + devfn);
        }
        return secondary << 8 | devfn;
    }
}
