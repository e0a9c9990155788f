package io.irqfabric.snapshot;

import io.irqfabric.InterruptFabric;
import io.irqfabric.DispatchMode;
import io.irqfabric.InterruptSink;
import io.irqfabric.eventfd.EventFdSink;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The cut, made deterministic: the dispatcher is held inside a delivery (a sink that blocks on a
 * latch) while the test lines up events behind it, so the batch that holds the SNAPSHOT barrier
 * is known exactly. Each test checks one place an owed interrupt can sit at the cut.
 */
class SnapshotCutTest {
    private static final int GSIS = 64;
    private static final int BLOCKER = 1;

    /** Blocks the dispatcher in its first delivery of {@link #BLOCKER} until released. */
    static final class BlockingSink implements InterruptSink {
        final EventFdSink inner = EventFdSink.create(GSIS);
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public int deliver(int gsi) {
            if (gsi == BLOCKER && entered.getCount() > 0) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return inner.deliver(gsi);
        }
    }

    /** Starts {@code snapshot()} on another thread and returns once its barrier is published. */
    private static Thread snapshotInBackground(InterruptFabric f, AtomicReference<byte[]> out) throws InterruptedException {
        Thread s = new Thread(() -> out.set(f.snapshot()), "snapshot");
        s.start();
        // The caller parks in its reply wait only after publishing the request; until then it
        // spins or yields (the ring has room, so it never naps for a slot).
        while (s.getState() != Thread.State.TIMED_WAITING && s.getState() != Thread.State.WAITING && s.isAlive()) {
            Thread.onSpinWait();
        }
        return s;
    }

    private static long[] restoreAndRead(byte[] snapshot) {
        try (EventFdSink sink = EventFdSink.create(GSIS);
             InterruptFabric b = InterruptFabric.builder().gsiCount(GSIS).sink(sink).build()) {
            b.restore(snapshot);
            b.sync();
            long[] fired = new long[GSIS];
            for (int g = 0; g < GSIS; g++) {
                fired[g] = sink.eventFd(g).read();
            }
            return fired;
        }
    }

    @Test
    void anAssertionInTheBarriersBatchIsCapturedAsOwed() throws Exception {
        BlockingSink sink = new BlockingSink();
        AtomicReference<byte[]> snap = new AtomicReference<>();
        try (InterruptFabric a = InterruptFabric.builder().dispatchMode(DispatchMode.DEDICATED).gsiCount(GSIS).ringSize(64).sink(sink).build()) {
            a.trigger(BLOCKER);
            sink.entered.await();
            a.trigger(10);                               // before the cut, in the barrier's batch
            Thread s = snapshotInBackground(a, snap);
            a.trigger(11);                               // after the cut
            sink.release.countDown();
            s.join();
            a.sync();
            assertEquals(1, sink.inner.eventFd(10).read(), "the source still delivers what it owed");
        } finally {
            sink.inner.close();
        }
        long[] fired = restoreAndRead(snap.get());
        assertEquals(1, fired[10], "owed at the cut (in the pending set): raised after restore");
        assertEquals(0, fired[11], "published after the barrier: not in the snapshot");
        assertEquals(0, fired[BLOCKER], "delivered before the cut: not raised again");
    }

    @Test
    void anOverflowRecordNotYetDrainedAtTheCutIsCapturedAsOwed() throws Exception {
        BlockingSink sink = new BlockingSink();
        AtomicReference<byte[]> snap = new AtomicReference<>();
        try (InterruptFabric a = InterruptFabric.builder().dispatchMode(DispatchMode.DEDICATED).gsiCount(GSIS).ringSize(2).sink(sink).build()) {
            a.trigger(BLOCKER);
            sink.entered.await();                        // the batch released its slot, drained, and is flushing
            Thread s = snapshotInBackground(a, snap);    // slot 1: the barrier
            a.trigger(11);                               // slot 2: the ring is full
            a.trigger(12);                               // an overflow record, not drained before the barrier is handled
            sink.release.countDown();
            s.join();
            a.sync();
            assertEquals(1, sink.inner.eventFd(12).read());
        } finally {
            sink.inner.close();
        }
        long[] fired = restoreAndRead(snap.get());
        assertEquals(1, fired[12], "an undrained overflow record at the cut is captured and raised after restore");
        assertEquals(0, fired[11], "a ring event after the barrier is not in the snapshot");
    }
}
