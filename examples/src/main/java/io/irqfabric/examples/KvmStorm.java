package io.irqfabric.examples;

import io.irqfabric.FabricCounters;
import io.irqfabric.InterruptFabric;
import io.irqfabric.ModerationPolicy;
import io.irqfabric.kvm.testguest.KvmGuestVm;

import java.util.Locale;

/**
 * The storm's KVM mode: the fabric's eventfds are KVM irqfds on MSI routes into a real running
 * guest (kvm-testguest's guest, in-kernel irqchip), and the guest counts every interrupt it
 * handles per vector in its own memory. Fabric GSI {@code 24 + i} (0-23 are the in-kernel
 * IOAPIC's pins) is routed to guest vector {@code 0x40 + i}.
 *
 * <p>Two coalescing stages show: the fabric merges assertions into eventfd writes per batch,
 * then KVM merges writes whose vector is still pending in the guest's LAPIC (IRR) into one
 * interrupt. "Seen from inside the guest" = assertions per interrupt the guest handled.
 */
final class KvmStorm {
    static final int BASE_GSI = 24;
    static final int BASE_VECTOR = 0x40;

    private KvmStorm() {
    }

    static LoadRun.Result run(StormCommand o, ModerationPolicy policy) throws Exception {
        int gsis = Math.min(o.gsis, 0xFD - BASE_VECTOR);
        if (gsis != o.gsis) {
            System.out.println("storm: KVM mode routes one vector per GSI; limiting to " + gsis + " GSIs");
        }
        System.out.printf(Locale.ROOT, "irqfabric storm: %d producer(s) x %d GSIs for %.1f s, %s, policy %s, ring %d, dispatcher %s, "
                        + "sink: KVM irqfds -> running guest (in-kernel irqchip, MSI routes, vectors 0x%x..0x%x)%n",
                o.producers, gsis, o.seconds, o.describePattern(), policy, o.ringSize, o.wait, BASE_VECTOR, BASE_VECTOR + gsis - 1);
        int gsiCount = BASE_GSI + gsis;
        try (KvmGuestVm guest = KvmGuestVm.builder().gsiCount(gsiCount).boot()) {
            for (int i = 0; i < gsis; i++) {
                guest.routeMsi(BASE_GSI + i, BASE_VECTOR + i);
            }
            long[] before = new long[256];
            guest.handledSnapshot(before);
            LoadRun.Result r;
            FabricCounters counters;
            LatencyProbe probe = new LatencyProbe(guest.sink(), gsiCount, gsis > 1 ? gsiCount - 1 : -1, System::nanoTime);
            try (InterruptFabric fabric = o.configure(InterruptFabric.builder().gsiCount(gsiCount)).sink(probe).build()) {
                for (int i = 0; i < gsis; i++) {
                    fabric.moderate(BASE_GSI + i, policy);
                }
                r = LoadRun.run(o.load, policy, fabric, probe, BASE_GSI, gsis > 1 ? gsis - 1 : 1,
                        () -> sum(guest, before, gsis), "irqfd writes", System.out, StormCommand::stopRequested);
                counters = fabric.counters();
            }
            r.target = "kvm";
            // The fabric is closed and drained: every accepted assertion's last eventfd write is
            // done. Wait (bounded) for the guest to handle the last injection of every vector.
            long asserted = 0;
            long writes = 0;
            long lost = 0;
            long errors = 0;
            for (int i = 0; i < gsis; i++) {
                int g = BASE_GSI + i;
                asserted += r.accepted[g];
                writes += counters.delivered(g);
                errors += counters.errors(g);
                lost += Math.abs(r.accepted[g] - counters.asserted(g));
                if (r.accepted[g] > 0 && !guest.awaitHandled(BASE_VECTOR + i, before[BASE_VECTOR + i] + 1, 2_000)) {
                    lost += 1;
                    System.out.printf("  GSI %d (vector 0x%x): asserted %d times, never handled by the guest%n",
                            g, BASE_VECTOR + i, r.accepted[g]);
                }
            }
            long handled = sum(guest, before, gsis);
            double s = r.seconds;
            r.deliveries = writes;
            r.guestHandled = handled;
            System.out.println("result: policy " + r.policy);
            System.out.printf(Locale.ROOT, "  assertions        %,15d   (%.2f M/s)%n", asserted, asserted / s / 1e6);
            System.out.printf(Locale.ROOT, "  irqfd writes      %,15d   (%.3f M/s)%n", writes, writes / s / 1e6);
            System.out.printf(Locale.ROOT, "  guest handled     %,15d   (%.1f k interrupts/s, counted by the guest in its memory)%n",
                    handled, handled / s / 1e3);
            System.out.printf(Locale.ROOT, "  coalescing ratio  %15.1f   assertions per irqfd write (the fabric's coalescing)%n",
                    StormCommand.ratio(asserted, writes));
            System.out.printf(Locale.ROOT, "  guest ratio       %15.1f   assertions per interrupt the guest handled (the fabric's and KVM's merging together)%n",
                    StormCommand.ratio(asserted, handled));
            System.out.printf(Locale.ROOT, "  overflowed        %,15d   (%.4f%% of assertions took the ring-full overflow log)%n",
                    counters.totalOverflowed(), 100.0 * counters.totalOverflowed() / Math.max(1, asserted));
            System.out.printf(Locale.ROOT, "  errors            %,15d%n", errors);
            System.out.printf(Locale.ROOT, "  dispatcher CPU    %15.1f   ms per second (its thread's CPU time)%n", r.dispatcherCpuMsPerSec);
            StormCommand.printLatency(r, "irqfd write completed");
            if (guest.failure() != null) {
                System.out.println("  guest failure: " + guest.failure());
                lost += 1;
            }
            if (handled > writes) {
                System.out.println("  guest handled more interrupts than were written: " + handled + " > " + writes);
                lost += 1;
            }
            System.out.printf(Locale.ROOT, "lost: %d   (per GSI: taken in = accepted, every asserted vector handled by the guest "
                    + "after the drain, guest-handled <= writes)%n", lost);
            r.lost = lost;
            r.errors = errors;
            return r;
        }
    }

    private static long sum(KvmGuestVm guest, long[] before, int gsis) {
        long t = 0;
        for (int i = 0; i < gsis; i++) {
            t += guest.handled(BASE_VECTOR + i) - before[BASE_VECTOR + i];
        }
        return t;
    }
}
