package io.irqfabric.bench.path;

import io.irqfabric.DispatcherWait;

import io.irqfabric.InterruptSink;

import java.util.List;
import java.util.function.UnaryOperator;

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
        return open(name, gsiCount, UnaryOperator.identity());
    }

    /**
     * Like {@link #open(String, int)}, with the dispatcher delivering through a decorator of
     * the path's own (auditing) sink. Paths with a dispatcher only.
     *
     * @param name     one of {@link #ALL} except {@link #DIRECT}
     * @param gsiCount GSIs (eventfds) to create
     * @param decorate wraps the sink the dispatcher delivers to
     * @return the running path
     * @throws IllegalArgumentException for an unknown name or {@link #DIRECT}
     */
    public static TriggerPath open(String name, int gsiCount, UnaryOperator<InterruptSink> decorate) {
        switch (name) {
            case FABRIC_SPIN:
                return new FabricPath(name, gsiCount, DispatcherWait.BUSY_SPIN, CAPACITY, decorate);
            case FABRIC_PARK:
                return new FabricPath(name, gsiCount, DispatcherWait.PARKING, CAPACITY, decorate);
            case DIRECT:
                if (decorate != UnaryOperator.<InterruptSink>identity()) {
                    throw new IllegalArgumentException("direct has no dispatcher sink to decorate");
                }
                return new DirectPath(gsiCount);
            case ABQ:
                return new AbqPath(gsiCount, CAPACITY, decorate);
            case AGRONA:
                return new AgronaPath(gsiCount, CAPACITY, decorate);
            default:
                throw new IllegalArgumentException("unknown trigger path '" + name + "'; known: " + ALL);
        }
    }
}
