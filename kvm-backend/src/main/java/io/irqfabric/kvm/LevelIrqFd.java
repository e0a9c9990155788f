package io.irqfabric.kvm;

import io.irqfabric.eventfd.EventFd;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A level-triggered interrupt line into an in-kernel IOAPIC pin, bound with
 * {@code KVM_IRQFD_FLAG_RESAMPLE}: a write to {@link #irqFd()} asserts the pin; when the guest
 * EOIs the interrupt KVM de-asserts the pin and signals {@link #resampleFd()}; the routing
 * manager's resampler thread then calls back here, and if the device still holds the line
 * {@link #setLevel(boolean) high} the line is asserted again. Once the line is lowered the
 * next resample stays silent.
 *
 * <p>Asserting goes through {@link #assertAction(Runnable)}: by default a direct write to the
 * irqfd; a VMM that routes through the fabric sets {@code () -> fabric.trigger(pin)} (the
 * irqfd is the fabric sink's eventfd for that GSI, so the dispatcher's write asserts it).
 *
 * <p>Thread safety: {@link #setLevel} from any thread; the resample callback runs on the
 * routing manager's resampler thread.
 */
public final class LevelIrqFd {
    private final int pin;
    private final EventFd irqFd;
    private final EventFd resampleFd;
    private volatile boolean high;
    private volatile Runnable assertAction;
    private final AtomicLong asserts = new AtomicLong();
    private final AtomicLong resamples = new AtomicLong();

    LevelIrqFd(int pin, EventFd irqFd, EventFd resampleFd) {
        this.pin = pin;
        this.irqFd = irqFd;
        this.resampleFd = resampleFd;
        this.assertAction = irqFd::signal;
    }

    /**
     * Sets what asserting the line does (default: write the irqfd directly).
     *
     * @param action called for each assertion; must not block
     * @return this
     */
    public LevelIrqFd assertAction(Runnable action) {
        if (action == null) {
            throw new IllegalArgumentException("assertAction must not be null");
        }
        this.assertAction = action;
        return this;
    }

    /**
     * Drives the device's line. Raising it asserts the pin at once; while it stays high, every
     * resample (guest EOI) asserts it again. Lowering it stops the re-assertions (an assertion
     * already made still reaches the guest once).
     *
     * @param high the new level
     */
    public void setLevel(boolean high) {
        this.high = high;
        if (high) {
            assertLine();
        }
    }

    /** {@return the line's current level} */
    public boolean isHigh() {
        return high;
    }

    /**
     * The guest EOI'd the line's interrupt: re-asserts it if the line is still high.
     *
     * @param eois resample notifications read at once (the eventfd counter); one re-assertion covers them
     */
    void onResample(long eois) {
        // Re-assert first, count the resample after: an observer then never sees
        // asserts() == resamples() while a re-assertion is being made, so that equality means
        // every assertion has been EOI'd and none is outstanding.
        if (high) {
            assertLine();
        }
        resamples.addAndGet(eois);
    }

    private void assertLine() {
        asserts.incrementAndGet();
        assertAction.run();
    }

    /** {@return the IOAPIC pin (= KVM GSI = fabric GSI)} */
    public int pin() {
        return pin;
    }

    /** {@return the eventfd KVM injects from (bound in the fabric's sink at GSI {@link #pin()})} */
    public EventFd irqFd() {
        return irqFd;
    }

    /** {@return the eventfd KVM signals after the guest's EOI} */
    public EventFd resampleFd() {
        return resampleFd;
    }

    /** {@return how many times the line was asserted (initial raise plus re-assertions)} */
    public long asserts() {
        return asserts.get();
    }

    /**
     * {@return how many resample notifications (guest EOIs of this pin) were handled; equal to {@link #asserts()} exactly when no assertion is outstanding}
     */
    public long resamples() {
        return resamples.get();
    }
}
