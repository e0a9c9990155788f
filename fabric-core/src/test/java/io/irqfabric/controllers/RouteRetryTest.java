package io.irqfabric.controllers;

import io.irqfabric.InterruptFabric;
import io.irqfabric.RouteListener;
import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A route commit that failed is retried at a later batch end although the guest changed nothing. */
class RouteRetryTest {

    @Test
    void aListenerWithPendingRoutesIsCommittedAgainUntilItSucceeds() {
        AtomicInteger commits = new AtomicInteger();
        RouteListener flaky = new RouteListener() {
            private boolean pending;

            @Override
            public void setMsiRoute(int gsi, long address, int data) {
                pending = true;
            }

            @Override
            public void removeRoute(int gsi) {
            }

            @Override
            public void commitRoutes() {
                if (commits.incrementAndGet() >= 3) {
                    pending = false; // the third attempt succeeds
                }
            }

            @Override
            public boolean hasPendingRoutes() {
                return pending;
            }
        };
        try (EventFdSink sink = EventFdSink.create(64);
             InterruptFabric f = InterruptFabric.builder().gsiCount(64).sink(sink).routeListener(flaky).build()) {
            MsixTable t = f.createMsixTable(32, 1);
            t.writeMessageControl(MsixTable.CONTROL_ENABLE);
            t.tableWrite(0, 4, MsiMessage.encodeAddress(0, false, false));
            t.tableWrite(8, 4, 0x40);
            t.tableWrite(12, 4, 0);           // unmask: route staged, the first commit "fails"
            f.sync();
            for (int i = 0; i < 5; i++) {     // unrelated traffic: batch ends, no guest change
                f.trigger(50);
                f.sync();
            }
            assertEquals(3, commits.get(), "retried until the third attempt succeeded, then no more");
        }
    }
}
