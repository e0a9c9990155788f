package io.irqfabric.controllers;

import io.irqfabric.DispatcherWait;
import io.irqfabric.InterruptFabric;
import io.irqfabric.RouteListener;
import io.irqfabric.eventfd.EventFdSink;
import io.irqfabric.msi.MsiMessage;
import io.irqfabric.msi.MsixTable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A route commit that failed is retried although the guest changes nothing and no other
 * traffic comes (a refused route must not wait for an unrelated event), at most once a
 * millisecond, and no more once it succeeded.
 */
class RouteRetryTest {
    private static final int FAILURES = 3;

    @ParameterizedTest
    @EnumSource(DispatcherWait.class)
    void aFailedCommitIsRetriedWhileIdleUntilItSucceedsThenNoMore(DispatcherWait wait) throws InterruptedException {
        AtomicInteger retries = new AtomicInteger();
        AtomicLong shortestRetryGap = new AtomicLong(Long.MAX_VALUE);
        RouteListener flaky = new RouteListener() {
            private boolean pending;
            private boolean changed;
            private long lastCommitEnd;

            @Override
            public void setMsiRoute(int gsi, long address, int data) {
                pending = true;
                changed = true;
            }

            @Override
            public void removeRoute(int gsi) {
                changed = true;
            }

            @Override
            public void setMasked(int gsi, boolean masked) {
                changed = true;
            }

            @Override
            public void commitRoutes() {
                long now = System.nanoTime();
                if (!changed) { // nothing new from the guest: the fabric is retrying
                    shortestRetryGap.accumulateAndGet(now - lastCommitEnd, Math::min);
                    if (retries.incrementAndGet() >= FAILURES) {
                        pending = false; // the FAILURES-th retry succeeds
                    }
                }
                changed = false;
                lastCommitEnd = System.nanoTime();
            }

            @Override
            public boolean hasPendingRoutes() {
                return pending;
            }
        };
        try (EventFdSink sink = EventFdSink.create(64);
             InterruptFabric f = InterruptFabric.builder().gsiCount(64).sink(sink).waitStrategy(wait)
                     .routeListener(flaky).build()) {
            MsixTable t = f.createMsixTable(32, 1);
            t.writeMessageControl(MsixTable.CONTROL_ENABLE);
            t.tableWrite(0, 4, MsiMessage.encodeAddress(0, false, false));
            t.tableWrite(8, 4, 0x40);
            t.tableWrite(12, 4, 0);           // unmask: route staged, the first commit "fails"
            f.sync();
            // No traffic from here on: the dispatcher must retry on its own.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (retries.get() < FAILURES && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(FAILURES, retries.get(), "retried while idle until retry number " + FAILURES + " succeeded");
            assertTrue(shortestRetryGap.get() >= 1_000_000L,
                    "at most one retry per millisecond; shortest gap " + shortestRetryGap.get() + " ns");
            // Absence check, not synchronisation: 5 ms idle would hold several retries if the
            // dispatcher kept retrying after success.
            long quiet = System.nanoTime() + 5_000_000L;
            while (System.nanoTime() < quiet) {
                Thread.onSpinWait();
            }
            for (int i = 0; i < 5; i++) {     // later traffic: batch ends, nothing staged
                f.trigger(50);
                f.sync();
            }
            assertEquals(FAILURES, retries.get(), "no more retries once it succeeded");
        }
    }
}
