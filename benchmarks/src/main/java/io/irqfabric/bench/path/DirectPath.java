package io.irqfabric.bench.path;

import io.irqfabric.eventfd.EventFd;
import io.irqfabric.eventfd.EventFdSink;

/**
 * Baseline "direct", Firecracker's model: the producer thread writes the GSI's eventfd itself
 * on every assertion ({@link EventFd#signal()}, one write(2) through JNA direct mapping). No
 * dispatcher, no queue, no coalescing; the cost is one syscall per assertion on the producer.
 */
final class DirectPath implements TriggerPath {
    private final EventFdSink eventFds;
    private final EventFd[] fds;
    /** Writes a producer saw fail; only touched when a write fails, which should never happen. */
    private volatile long failures;

    DirectPath(int gsiCount) {
        this.eventFds = EventFdSink.create(gsiCount);
        this.fds = new EventFd[gsiCount];
        for (int g = 0; g < gsiCount; g++) {
            fds[g] = eventFds.eventFd(g);
        }
    }

    @Override
    public String name() {
        return "direct";
    }

    @Override
    public void trigger(int gsi) {
        if (fds[gsi].signal() != EventFd.SIGNAL_OK) {
            recordFailure();
        }
    }

    private synchronized void recordFailure() {
        failures = failures + 1;
    }

    /** Direct has no shared write counter (it would cost a contended atomic per assertion). */
    @Override
    public long eventFdWrites() {
        throw new UnsupportedOperationException("direct: the producer's own trigger count is its write count");
    }

    /** The write is the trigger: when it returns, the write has completed. */
    @Override
    public long triggerAndAwaitWrite(int gsi) {
        return fds[gsi].signal();
    }

    @Override
    public boolean writesOnProducer() {
        return true;
    }

    @Override
    public Thread dispatcherThread() {
        return null;
    }

    @Override
    public boolean dispatcherSleepsWhenIdle() {
        return false;
    }

    @Override
    public void close() {
        // nothing runs in the background
    }

    @Override
    public LossReport verify(long[] triggered) {
        long assertions = 0;
        long readBack = 0;
        int lost = 0;
        StringBuilder problems = new StringBuilder();
        for (int g = 0; g < fds.length; g++) {
            long t = g < triggered.length ? triggered[g] : 0;
            long rb = fds[g].read();
            assertions += t;
            readBack += rb;
            if (rb != t && lost++ < 4) {
                problems.append("GSI ").append(g).append(": ").append(t).append(" assertions, eventfd read back ")
                        .append(rb).append("; ");
            }
        }
        if (failures != 0) {
            lost++;
            problems.append(failures).append(" failed writes");
        }
        eventFds.close();
        return new LossReport("direct", assertions, readBack, readBack, lost, lost == 0 ? "ok" : problems.toString());
    }
}
