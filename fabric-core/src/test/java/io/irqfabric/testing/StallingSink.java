package io.irqfabric.testing;

import io.irqfabric.InterruptSink;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A sink that holds the dispatcher inside the first delivery of one GSI until released, so a
 * test can fill the ring deterministically. Other deliveries pass through.
 */
public final class StallingSink implements InterruptSink {
    private final InterruptSink delegate;
    private final int stallGsi;
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    public StallingSink(InterruptSink delegate, int stallGsi) {
        this.delegate = delegate;
        this.stallGsi = stallGsi;
    }

    @Override
    public int deliver(int gsi) {
        if (gsi == stallGsi && entered.getCount() > 0) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return delegate.deliver(gsi);
    }

    /** @return true once the dispatcher is held in the sink (waits up to 10 s) */
    public boolean awaitStalled() throws InterruptedException {
        return entered.await(10, TimeUnit.SECONDS);
    }

    /** Lets the dispatcher go on. */
    public void release() {
        release.countDown();
    }
}
