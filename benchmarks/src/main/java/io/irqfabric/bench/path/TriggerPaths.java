package io.irqfabric.bench.path;

import io.irqfabric.DispatcherWait;

import java.util.List;

/**
 * Opens a {@link TriggerPath} by its configuration name. Every path gets its own fresh
 * eventfds (one per GSI) and a queue or ring of the same size.
 */
public final class TriggerPaths {
    /** The fabric with a busy-spinning dispatcher ({@link DispatcherWait#BUSY_SPIN}). */
    public static final String FABRIC_SPIN = "fabric_spin";
    /** The fabric with its default parking dispatcher ({@link DispatcherWait#PARKING}). */
    public static final String FABRIC_PARK = "fabric_park";
    /** The producer writes the eventfd itself. */
    public static final String DIRECT = "direct";
    /** ArrayBlockingQueue to a blocking dispatcher. */
    public static final String ABQ = "abq";
    /** Agrona many-to-one queue to a spinning dispatcher. */
    public static final String AGRONA = "agrona";

    /** Every configuration name. */
    public static final List<String> ALL = List.of(FABRIC_SPIN, FABRIC_PARK, DIRECT, ABQ, AGRONA);

    /** Ring / queue capacity shared by the fabric and the queue baselines (the fabric's default). */
    public static final int CAPACITY = 4096;

    private TriggerPaths() {
    }

    /**
     * @param name     one of {@link #ALL}
     * @param gsiCount GSIs (eventfds) to create
     * @return the running path
     * @throws IllegalArgumentException for an unknown name
     */
    public static TriggerPath open(String name, int gsiCount) {
        switch (name) {
            case FABRIC_SPIN:
                return new FabricPath(name, gsiCount, DispatcherWait.BUSY_SPIN, CAPACITY);
            case FABRIC_PARK:
                return new FabricPath(name, gsiCount, DispatcherWait.PARKING, CAPACITY);
            case DIRECT:
                return new DirectPath(gsiCount);
            case ABQ:
                return new AbqPath(gsiCount, CAPACITY);
            case AGRONA:
                return new AgronaPath(gsiCount, CAPACITY);
            default:
                throw new IllegalArgumentException("unknown trigger path '" + name + "'; known: " + ALL);
        }
    }
}
