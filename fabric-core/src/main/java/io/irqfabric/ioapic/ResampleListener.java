package io.irqfabric.ioapic;

/**
 * Told when the guest has EOIed a level-triggered IOAPIC pin, so the device behind it can
 * re-check its line (KVM's resamplefd protocol). Called on the dispatcher thread: it must not
 * block, should be cheap (signal an eventfd, set a flag) and must not throw (a throw is caught,
 * counted and reported).
 *
 * <p>When a listener is installed, EOI of a level pin <em>de-asserts</em> the pin and then calls
 * {@link #resample(int)}: a device whose condition still holds asserts the line again with
 * {@link IoapicPort#setLevel(int, boolean) setLevel(pin, true)}, which raises a new interrupt.
 * Without a listener, the pin keeps its level and an EOI re-injects while it is still asserted.
 */
@FunctionalInterface
public interface ResampleListener {
    /**
     * The guest EOI'd a level-triggered interrupt of {@code pin}.
     *
     * @param pin the IOAPIC pin (= GSI) whose level interrupt was EOIed
     */
    void resample(int pin);
}
