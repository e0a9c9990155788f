package io.irqfabric.testing;

import org.junit.jupiter.api.Assumptions;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures what a piece of work allocates on given threads once the JVM has settled, so that an
 * allocation test does not depend on the machine being quiet.
 *
 * <p>A JIT that compiles late (a busy machine delays C2) or deoptimises and recompiles a method
 * makes the JVM itself allocate on the application thread now and then (a String or two while
 * re-resolving a call site). Those are one-offs; code that allocates per operation allocates in
 * every window. So the work runs window after window until {@value #QUIET_WINDOWS} windows in a
 * row allocate exactly 0 bytes on every watched thread: that is the steady state, and it must be
 * zero. If it never is within {@value #MAX_WINDOWS} windows, the test fails and shows every
 * window's figures.
 */
public final class SteadyStateAllocation {
    /** Consecutive zero-allocation windows that make a steady state. */
    public static final int QUIET_WINDOWS = 3;
    /** Windows tried before giving up. */
    public static final int MAX_WINDOWS = 40;

    private SteadyStateAllocation() {
    }

    /** @return the per-thread allocation counter, or aborts the test (with a message) where the JVM has none */
    public static com.sun.management.ThreadMXBean meter() {
        java.lang.management.ThreadMXBean plain = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(plain instanceof com.sun.management.ThreadMXBean,
                "skipped: this JVM has no com.sun.management.ThreadMXBean, so per-thread allocation cannot be measured");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) plain;
        Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(),
                "skipped: per-thread allocation accounting is disabled in this JVM");
        return mx;
    }

    /**
     * Runs {@code window} until the watched threads allocate nothing in {@link #QUIET_WINDOWS}
     * windows in a row, and fails if that never happens.
     *
     * @param what      what the window does, for the failure message
     * @param window    one window of work; it must end with the watched threads idle (a sync)
     * @param threadIds the threads to watch
     */
    public static void assertAllocatesNothing(String what, Runnable window, long... threadIds) {
        com.sun.management.ThreadMXBean mx = meter();
        List<String> seen = new ArrayList<>();
        int quiet = 0;
        long self = Thread.currentThread().getId();
        for (int w = 0; w < MAX_WINDOWS; w++) {
            // Read the other threads' counters first and the caller's last (and the reverse
            // after the window), so the reads themselves fall outside the caller's measurement.
            long[] before = new long[threadIds.length];
            long[] after = new long[threadIds.length];
            int selfIndex = -1;
            for (int i = 0; i < threadIds.length; i++) {
                if (threadIds[i] == self) {
                    selfIndex = i;
                } else {
                    before[i] = mx.getThreadAllocatedBytes(threadIds[i]);
                }
            }
            if (selfIndex >= 0) {
                mx.getThreadAllocatedBytes(self); // the first call on a thread may allocate
                before[selfIndex] = mx.getThreadAllocatedBytes(self);
            }
            window.run();
            if (selfIndex >= 0) {
                after[selfIndex] = mx.getThreadAllocatedBytes(self);
            }
            for (int i = 0; i < threadIds.length; i++) {
                if (i != selfIndex) {
                    after[i] = mx.getThreadAllocatedBytes(threadIds[i]);
                }
            }
            long total = 0;
            StringBuilder row = new StringBuilder();
            for (int i = 0; i < threadIds.length; i++) {
                long d = after[i] - before[i];
                total += d;
                row.append(i == 0 ? "" : "/").append(d);
            }
            seen.add(row.toString());
            quiet = total == 0 ? quiet + 1 : 0;
            if (quiet == QUIET_WINDOWS) {
                return;
            }
        }
        throw new AssertionError(what + ": never " + QUIET_WINDOWS + " windows in a row without allocation; bytes per window "
                + "(per watched thread) were " + seen);
    }
}
