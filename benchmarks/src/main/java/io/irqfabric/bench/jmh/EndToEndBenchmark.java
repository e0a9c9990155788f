package io.irqfabric.bench.jmh;

import io.irqfabric.FabricCounters;
import io.irqfabric.InterruptFabric;
import io.irqfabric.bench.path.TriggerPaths;
import io.irqfabric.kvm.Kvm;
import io.irqfabric.kvm.testguest.KvmGuestVm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

import java.util.concurrent.TimeUnit;

/**
 * Figure 4: end to end, from {@code fabric.trigger(gsi)} to the guest's interrupt handler
 * having run, in a real KVM guest (kvm-testguest's {@link KvmGuestVm}: in-kernel irqchip, the
 * GSI routed as an MSI to vector {@value #VECTOR}, its eventfd bound as an irqfd, one vCPU
 * thread in {@code sti; hlt}). The benchmark thread triggers and spins until the guest's
 * per-vector counter, in guest memory the host has mapped, moves. Percentiles via
 * {@code Mode.SampleTime}; the C floor ({@code floor.c}) times the same guest image from the
 * irqfd write.
 *
 * <p>Before each invocation (untimed) a quiet gap of {@value #GAP_NANOS} ns, the same as the
 * floor's: inside KVM's 200 us halt-polling window. Each invocation waits for its own
 * interrupt, so nothing coalesces, and the teardown checks that the guest handled exactly as many interrupts as were triggered.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class EndToEndBenchmark {
    /** The fabric GSI used (the first above the in-kernel IOAPIC's 24 pins). */
    public static final int GSI = 24;
    /** The guest vector it is routed to. */
    public static final int VECTOR = 0x40;
    /** Quiet time before every invocation. */
    public static final long GAP_NANOS = 50_000;
    private static final long HANDLER_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * A fabric configuration ({@link TriggerPaths#FABRICS}): {@code fabric_spin},
     * {@code fabric_park} or {@code fabric_inline}. On two cores a spinning dispatcher, the
     * spinning benchmark thread and the vCPU thread compete for the CPUs, so the parking
     * dispatcher (still in its yield phase after the 50 us gap) is measured too, and the inline
     * mode, where the asserting thread writes the irqfd itself when the fabric is idle.
     */
    @Param({TriggerPaths.FABRIC_SPIN, TriggerPaths.FABRIC_PARK, TriggerPaths.FABRIC_INLINE})
    public String path;

    private KvmGuestVm guest;
    private InterruptFabric fabric;
    private long triggered;
    private long handledAtStart;

    /** Boots the guest and builds the fabric in front of it. */
    @Setup(Level.Trial)
    public void boot() {
        String why = Kvm.unavailableReason();
        if (why != null) {
            throw new IllegalStateException("end-to-end benchmark needs /dev/kvm: " + why);
        }
        guest = KvmGuestVm.builder().gsiCount(64).boot();
        fabric = InterruptFabric.builder().gsiCount(64).sink(guest.sink())
                .waitStrategy(TriggerPaths.waitOf(path)).dispatchMode(TriggerPaths.modeOf(path)).build();
        guest.routeMsi(GSI, VECTOR);
        handledAtStart = guest.handled(VECTOR);
    }

    /** Untimed quiet gap. */
    @Setup(Level.Invocation)
    public void gap() {
        long start = System.nanoTime();
        while (System.nanoTime() - start < GAP_NANOS) {
            Thread.onSpinWait();
        }
    }

    /**
     * @return the guest's handled count for the vector
     */
    @Benchmark
    public long assertToGuestHandler() {
        long before = guest.handled(VECTOR);
        fabric.trigger(GSI);
        triggered++;
        long start = System.nanoTime();
        long now;
        while ((now = guest.handled(VECTOR)) == before) {
            if (System.nanoTime() - start > HANDLER_TIMEOUT_NANOS) {
                throw new IllegalStateException("the guest did not handle interrupt " + triggered
                        + " within 1 s; vCPU: " + guest.failure());
            }
            Thread.onSpinWait();
        }
        return now;
    }

    /** Closes the fabric (drain), checks the counts, stops the guest. */
    @TearDown(Level.Trial)
    public void closeAndVerify() {
        fabric.close();
        FabricCounters c = fabric.counters();
        long handled = guest.handled(VECTOR) - handledAtStart;
        String failure = guest.failure();
        guest.close();
        String verdict = "LossReport[path=e2e_" + path + ", assertions=" + triggered + ", writes=" + c.delivered(GSI)
                + ", handledByGuest=" + handled + ", lost=" + (handled == triggered && c.asserted(GSI) == triggered
                && c.errors(GSI) == 0 && failure == null ? 0 : 1) + "]";
        System.out.println("loss check " + verdict);
        if (handled != triggered || c.asserted(GSI) != triggered || c.errors(GSI) != 0 || failure != null) {
            throw new IllegalStateException("LOST INTERRUPTS end to end: " + verdict + ", fabric errors "
                    + c.errors(GSI) + ", vCPU " + failure);
        }
    }
}
