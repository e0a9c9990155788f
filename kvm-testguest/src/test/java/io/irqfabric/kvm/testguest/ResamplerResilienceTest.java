package io.irqfabric.kvm.testguest;

import io.irqfabric.InterruptFabric;
import io.irqfabric.kvm.LevelIrqFd;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One level line whose assert action throws must not stop resampling of the others: the
 * resampler thread serves every resample line of the VM. Found by review: the thread died.
 */
class ResamplerResilienceTest {

    @Test
    void aThrowingAssertActionOnOnePinLeavesTheOtherPinsResampling() {
        KvmAssumptions.assumeKvm("aThrowingAssertActionOnOnePinLeavesTheOtherPinsResampling");
        int broken = 20;
        int healthy = 21;
        int brokenVector = 0x60;
        int healthyVector = 0x61;
        GuestImage image = GuestImage.withIoapicEntries(List.of(
                new GuestImage.IoapicEntry(broken, brokenVector, true),
                new GuestImage.IoapicEntry(healthy, healthyVector, true)));
        // The broken pin's failure is expected: the resampler's warning goes to this handler, not the build log.
        List<LogRecord> warnings = new CopyOnWriteArrayList<>();
        Logger log = Logger.getLogger("io.irqfabric.kvm.Resampler");
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                warnings.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        boolean parents = log.getUseParentHandlers();
        log.addHandler(capture);
        log.setUseParentHandlers(false);
        try (KvmGuestVm guest = KvmGuestVm.builder().gsiCount(32).image(image).boot();
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(32).sink(guest.sink()).build()) {
            AtomicInteger brokenCalls = new AtomicInteger();
            LevelIrqFd bad = guest.routing().levelPin(broken).assertAction(() -> {
                if (brokenCalls.incrementAndGet() >= 2) {
                    throw new IllegalStateException("device model failure");
                }
                fabric.trigger(broken);
            });
            LevelIrqFd good = guest.routing().levelPin(healthy).assertAction(() -> fabric.trigger(healthy));
            bad.setLevel(true);
            assertTrue(guest.awaitHandled(brokenVector, 1, 5_000), "the broken pin fires once before its action fails");
            good.setLevel(true);
            // Held high, the healthy line is re-asserted after every EOI: many interrupts, not one.
            assertTrue(guest.awaitHandled(healthyVector, 8, 5_000),
                    "healthy pin still resampled after the other pin's action threw: handled "
                            + guest.handled(healthyVector) + ", broken calls " + brokenCalls.get());
            good.setLevel(false);
            bad.setLevel(false);
        } finally {
            log.removeHandler(capture);
            log.setUseParentHandlers(parents);
        }
        assertTrue(warnings.stream().anyMatch(r -> r.getMessage().contains("resample of pin " + broken + " failed")
                && r.getThrown() instanceof IllegalStateException), "the failure was reported: " + warnings);
    }
}
