package io.irqfabric.virtio;

import io.irqfabric.support.ArrayRecords;

/**
 * A virtio-PCI device's queue-to-vector map, as {@link VirtioPciVectors#state()} captures it and
 * {@link VirtioPciVectors#setState(VirtioPciState)} applies it. Immutable: the array is copied
 * in and out, and compared, hashed and printed by content.
 *
 * @param queueVectors per queue: its MSI-X vector or {@link VirtioPciVectors#NO_VECTOR}
 * @param configVector the configuration-change vector or {@link VirtioPciVectors#NO_VECTOR}
 */
public record VirtioPciState(int[] queueVectors, int configVector) {
    /**
     * Checks the vectors and copies {@code queueVectors}.
     *
     * @param queueVectors per queue: its MSI-X vector or {@link VirtioPciVectors#NO_VECTOR}; 1 to
     *                     65535 elements, each a 16-bit value
     * @param configVector the configuration-change vector or {@link VirtioPciVectors#NO_VECTOR}, a
     *                     16-bit value
     * @throws IllegalArgumentException if {@code queueVectors} is null, empty or longer than 65535,
     *                                  or a vector is not a 16-bit value
     */
    public VirtioPciState {
        if (queueVectors == null || queueVectors.length < 1 || queueVectors.length > 0xFFFF) {
            throw new IllegalArgumentException("queueVectors must have 1..65535 elements");
        }
        queueVectors = queueVectors.clone();
        for (int v : queueVectors) {
            if ((v & ~0xFFFF) != 0) {
                throw new IllegalArgumentException("vector " + v + " is not a 16-bit value");
            }
        }
        if ((configVector & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("configVector " + configVector + " is not a 16-bit value");
        }
    }

    /** {@return a copy of the per-queue vectors} */
    @Override
    public int[] queueVectors() {
        return queueVectors.clone();
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
