package io.irqfabric.bench.path;

import io.irqfabric.DispatcherWait;
import io.irqfabric.FabricCounters;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSink;
import io.irqfabric.eventfd.EventFdSink;

import java.util.function.UnaryOperator;

/**
 * The system under test: {@link InterruptFabric} (Disruptor ring, single-writer dispatcher,
 * per-batch coalescing) delivering to an {@link EventFdSink} through the {@link AuditSink}. In
 * {@code INLINE_WHEN_IDLE} mode a producer that finds the fabric idle delivers through the same
 * sink itself, holding the dispatcher role for that delivery.
 */
final class FabricPath implements TriggerPath {
    private final String name;
    private final InterruptFabric fabric;
    private final AuditSink audit;
    private final FabricCounters counters;

    /**
     * @param name     a fabric configuration ({@link TriggerPaths#FABRICS}): sets the wait strategy and dispatch mode
     * @param gsiCount GSIs
     * @param ringSize ring slots
     * @param decorate wraps the auditing sink
     */
    FabricPath(String name, int gsiCount, int ringSize, UnaryOperator<InterruptSink> decorate) {
        this.name = name;
        this.audit = new AuditSink(EventFdSink.create(gsiCount));
        this.fabric = InterruptFabric.builder()
                .gsiCount(gsiCount)
                .ringSize(ringSize)
                .waitStrategy(TriggerPaths.waitOf(name))
                .dispatchMode(TriggerPaths.modeOf(name))
                .sink(decorate.apply(audit))
                .threadFactory(r -> {
                    Thread t = new Thread(r, "fabric-dispatcher-" + name);
                    t.setDaemon(true);
                    return t;
                })
                .build();
        this.counters = fabric.counters();
        // Set before the first trigger: the dispatcher reads it only when delivering.
        audit.assertedSoFar(counters::asserted);
        audit.sourceCoalescedSoFar(counters::coalescedAtSource);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void trigger(int gsi) {
        fabric.trigger(gsi);
    }

    @Override
    public long eventFdWrites() {
        return audit.writes();
    }

    @Override
    public long overflowed() {
        return counters.totalOverflowed();
    }

    @Override
    public Thread dispatcherThread() {
        return fabric.dispatcherThread();
    }

    @Override
    public boolean dispatcherSleepsWhenIdle() {
        return fabric.waitStrategy() == DispatcherWait.PARKING;
    }

    /** @return the fabric (for the end-to-end benchmark, which binds its eventfd to KVM) */
    InterruptFabric fabric() {
        return fabric;
    }

    @Override
    public void close() {
        fabric.close();
    }

    @Override
    public LossReport verify(long[] triggered) {
        close();
        LossReport r = audit.verify(name, triggered, counters::asserted);
        if (counters.totalErrors() != 0) {
            return new LossReport(name, r.assertions(), r.writes(), r.readBack(), r.lost() + 1,
                    r.detail() + "; fabric counted " + counters.totalErrors() + " errors");
        }
        return r;
    }
}
