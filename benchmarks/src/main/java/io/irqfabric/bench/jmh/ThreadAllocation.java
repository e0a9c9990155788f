package io.irqfabric.bench.jmh;

import java.lang.management.ManagementFactory;

/**
 * Bytes allocated by one thread, from HotSpot's per-thread TLAB accounting
 * ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}). Used at iteration
 * boundaries to split allocation between the producer threads and the dispatcher thread,
 * which JMH's {@code -prof gc} (a whole-JVM figure) cannot do.
 */
final class ThreadAllocation {
    private static final com.sun.management.ThreadMXBean BEAN = bean();

    private ThreadAllocation() {
    }

    private static com.sun.management.ThreadMXBean bean() {
        java.lang.management.ThreadMXBean b = ManagementFactory.getThreadMXBean();
        if (b instanceof com.sun.management.ThreadMXBean) {
            com.sun.management.ThreadMXBean hb = (com.sun.management.ThreadMXBean) b;
            if (hb.isThreadAllocatedMemorySupported()) {
                hb.setThreadAllocatedMemoryEnabled(true);
                return hb;
            }
        }
        return null;
    }

    /**
     * @param t a live thread, or null
     * @return bytes it has allocated so far, or -1 if unknown (no thread, or not supported)
     */
    @SuppressWarnings("deprecation") // Thread.getId(): threadId() is Java 19+, we build for 17
    static long of(Thread t) {
        if (t == null || BEAN == null) {
            return -1;
        }
        return BEAN.getThreadAllocatedBytes(t.getId());
    }
}
