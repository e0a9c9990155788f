package io.irqfabric.virtio;

/**
 * A virtio-MMIO device's interrupt status, as {@link VirtioMmioInterrupt#state()} captures it and
 * {@link VirtioMmioInterrupt#setState(VirtioMmioState)} applies it.
 *
 * @param interruptStatus the InterruptStatus bits ({@link VirtioMmioInterrupt#VRING},
 *                        {@link VirtioMmioInterrupt#CONFIG})
 */
public record VirtioMmioState(int interruptStatus) {
    /**
     * Checks that only the defined bits are set.
     *
     * @param interruptStatus the InterruptStatus bits: {@link VirtioMmioInterrupt#VRING},
     *                        {@link VirtioMmioInterrupt#CONFIG} or both
     * @throws IllegalArgumentException if any other bit is set
     */
    public VirtioMmioState {
        if ((interruptStatus & ~(VirtioMmioInterrupt.VRING | VirtioMmioInterrupt.CONFIG)) != 0) {
            throw new IllegalArgumentException("interruptStatus may only hold VRING (1) and CONFIG (2), was " + interruptStatus);
        }
    }
}
