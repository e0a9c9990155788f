package io.irqfabric.testing;

import io.irqfabric.DispatcherWait;
import io.irqfabric.FabricErrorHandler;
import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSink;
import io.irqfabric.RouteListener;
import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.ioapic.IoapicPort;
import io.irqfabric.ioapic.ResampleListener;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A fabric on real eventfds with a recording route listener and error handler, for controller
 * tests. {@link #fired(int)} waits until the dispatcher has flushed everything published before
 * it ({@link InterruptFabric#sync()}) and then reads (and resets) the GSI's eventfd: the number
 * of deliveries since the last read.
 */
public final class ControllerFixture implements AutoCloseable {
    public static final int GSIS = 256;

    public final EventFdSink sink;
    public final InterruptFabric fabric;
    public final List<String> routes = Collections.synchronizedList(new ArrayList<>());
    public final List<Integer> resamples = Collections.synchronizedList(new ArrayList<>());
    /** Errors reported per {@link FabricErrorHandler.Kind}. */
    public final AtomicLongArray errors = new AtomicLongArray(FabricErrorHandler.Kind.values().length);

    private ControllerFixture(Consumer<InterruptFabric.Builder> configure, Function<EventFdSink, InterruptSink> wrap) {
        this.sink = EventFdSink.create(GSIS);
        InterruptFabric.Builder b = InterruptFabric.builder()
                .gsiCount(GSIS)
                .ringSize(1024)
                .waitStrategy(DispatcherWait.PARKING) // the default; YIELDING round trips take scheduler slices when the CPUs are oversubscribed
                .sink(wrap != null ? wrap.apply(sink) : sink)
                .errorHandler((kind, gsi, detail, cause) -> errors.incrementAndGet(kind.ordinal()))
                .routeListener(new RouteListener() {
                    @Override
                    public void setMsiRoute(int gsi, long address, int data) {
                        routes.add("route " + gsi + " 0x" + Long.toHexString(address) + " 0x" + Integer.toHexString(data));
                    }

                    @Override
                    public void removeRoute(int gsi) {
                        routes.add("remove " + gsi);
                    }

                    @Override
                    public void setMasked(int gsi, boolean masked) {
                        routes.add((masked ? "mask " : "unmask ") + gsi);
                    }

                    @Override
                    public void commitRoutes() {
                        routes.add("commit");
                    }
                });
        configure.accept(b);
        this.fabric = b.build();
    }

    /** @return a fabric with an IOAPIC */
    public static ControllerFixture withIoapic() {
        return new ControllerFixture(b -> b.ioapic(true), null);
    }

    /** @return a fabric with an IOAPIC whose EOIs of level pins are resampled */
    public static ControllerFixture withResamplingIoapic(List<Integer> sinkForResamples) {
        ResampleListener l = sinkForResamples::add;
        return new ControllerFixture(b -> b.ioapic(true).resampleListener(l), null);
    }

    /** @return a fabric without an IOAPIC */
    public static ControllerFixture plain() {
        return new ControllerFixture(b -> { }, null);
    }

    /**
     * @param configure more builder settings
     * @param wrap      makes the fabric's sink from the fixture's eventfd sink
     * @return a custom fabric
     */
    public static ControllerFixture custom(Consumer<InterruptFabric.Builder> configure, Function<EventFdSink, InterruptSink> wrap) {
        return new ControllerFixture(configure, wrap);
    }

    /**
     * @param gsi the GSI
     * @return deliveries to {@code gsi} since the last call, after a sync
     */
    public long fired(int gsi) {
        fabric.sync();
        return sink.eventFd(gsi).read();
    }

    /** Reads and discards every eventfd (after a sync). */
    public void drainAll() {
        fabric.sync();
        for (int g = 0; g < GSIS; g++) {
            sink.eventFd(g).read();
        }
    }

    /** @return errors of this kind reported so far (after a sync) */
    public long reported(FabricErrorHandler.Kind kind) {
        fabric.sync();
        return errors.get(kind.ordinal());
    }

    /** Clears the recorded routes (after a sync). */
    public List<String> takeRoutes() {
        fabric.sync();
        synchronized (routes) {
            List<String> copy = new ArrayList<>(routes);
            routes.clear();
            return copy;
        }
    }

    /**
     * Writes a redirection entry as a guest does: high half first, then the low half.
     *
     * @param io  the IOAPIC
     * @param pin the pin
     * @param e   the 64-bit entry
     */
    public static void writeEntry(IoapicPort io, int pin, long e) {
        io.mmioWrite(IoapicPort.IOREGSEL, 4, IoapicPort.redirectionSelector(pin, true));
        io.mmioWrite(IoapicPort.IOWIN, 4, e >>> 32);
        io.mmioWrite(IoapicPort.IOREGSEL, 4, IoapicPort.redirectionSelector(pin, false));
        io.mmioWrite(IoapicPort.IOWIN, 4, e & 0xFFFF_FFFFL);
    }

    @Override
    public void close() {
        fabric.close();
        sink.close();
    }
}
