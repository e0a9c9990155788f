package io.irqfabric.bench.path;

import io.irqfabric.DispatchMode;
import io.irqfabric.DispatcherWait;
import io.irqfabric.InterruptFabric;
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
    /**
     * The fabric with a parking dispatcher in {@link DispatchMode#INLINE_WHEN_IDLE}: an assertion
     * that finds the fabric idle is written by its own thread; otherwise it goes through the
     * ring. Parking is its natural partner: the dispatcher may sleep while producers deliver.
     */
    public static final String FABRIC_INLINE = "fabric_inline";
    /** The producer writes the eventfd itself. */
    public static final String DIRECT = "direct";
    /** ArrayBlockingQueue to a blocking dispatcher. */
    public static final String ABQ = "abq";
    /** Agrona many-to-one queue to a spinning dispatcher. */
    public static final String AGRONA = "agrona";

    /** Every configuration name. */
    public static final List<String> ALL = List.of(FABRIC_SPIN, FABRIC_PARK, FABRIC_INLINE, DIRECT, ABQ, AGRONA);
    /** The fabric's configurations. */
    public static final List<String> FABRICS = List.of(FABRIC_SPIN, FABRIC_PARK, FABRIC_INLINE);

    /** Ring / queue capacity shared by the fabric and the queue baselines (the fabric's default). */
    public static final int CAPACITY = 4096;

    private TriggerPaths() {
    }

    /**
     * @param name a fabric configuration ({@link #FABRICS})
     * @return its dispatcher's wait strategy
     * @throws IllegalArgumentException for another name
     */
    public static DispatcherWait waitOf(String name) {
        switch (name) {
            case FABRIC_SPIN:
                return DispatcherWait.BUSY_SPIN;
            case FABRIC_PARK:
            case FABRIC_INLINE:
                return DispatcherWait.PARKING;
            default:
                throw new IllegalArgumentException("not a fabric configuration: '" + name + "'; known: " + FABRICS);
        }
    }

    /**
     * @param name a fabric configuration ({@link #FABRICS})
     * @return who writes its eventfds
     * @throws IllegalArgumentException for another name
     */
    public static DispatchMode modeOf(String name) {
        waitOf(name);
        return name.equals(FABRIC_INLINE) ? DispatchMode.INLINE_WHEN_IDLE : DispatchMode.DEDICATED;
    }

    /**
     * @param wait a wait strategy
     * @param mode a dispatch mode
     * @return the fabric configuration with both, or null if this suite has none
     */
    public static String configOf(DispatcherWait wait, DispatchMode mode) {
        for (String f : FABRICS) {
            if (waitOf(f) == wait && modeOf(f) == mode) {
                return f;
            }
        }
        return null;
    }

    /**
     * The configuration {@code InterruptFabric.builder()} gives when nothing is set, read from a
     * fabric built that way (over a sink that writes nothing), so the report follows the library
     * when its defaults change.
     *
     * @return one of {@link #FABRICS}, or null if the default is none of them
     */
    public static String defaultConfig() {
        InterruptSink none = gsi -> InterruptSink.DELIVERED;
        try (InterruptFabric probe = InterruptFabric.builder().gsiCount(1).sink(none).build()) {
            return configOf(probe.waitStrategy(), probe.dispatchMode());
        }
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
            case FABRIC_PARK:
            case FABRIC_INLINE:
                return new FabricPath(name, gsiCount, CAPACITY, decorate);
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
