package io.irqfabric;

/**
 * How the dispatcher thread waits for work when the ring is empty. On a 2-core host
 * the choice is a trade between a burnt core and wake-up latency: waking a thread parked on
 * the other CPU costs the waker ~10 us and arrives ~27 us later.
 */
public enum DispatcherWait {
    /**
     * Spin on the ring cursor forever. Lowest latency (a cache-line handoff, ~150 ns here);
     * costs one full core. Producers never make a syscall.
     */
    BUSY_SPIN,
    /**
     * Spin briefly, then {@link Thread#yield()} in a loop. Latency close to spinning while the
     * machine has a free CPU. When the CPUs are oversubscribed, Linux's scheduler can hand a
     * whole time slice (milliseconds) to another thread at each yield: measured here with two
     * CPU hogs, a {@link InterruptFabric#sync()} round trip took ~3.9 ms against ~2 us for
     * {@link #BUSY_SPIN} and {@link #PARKING}. Prefer those on a shared host.
     */
    YIELDING,
    /**
     * Spin ~20 us, yield until ~100 us, then park. Idle costs nothing; the first assertion after
     * an idle period pays one unpark (a futex wake syscall on the producer, tens of us of
     * wake-up). Producers check one volatile flag per publish and unpark only a parked
     * dispatcher. The default: an embedded library should not burn a core while the VM idles.
     */
    PARKING
}
