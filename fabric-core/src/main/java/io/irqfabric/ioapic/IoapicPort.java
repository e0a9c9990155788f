package io.irqfabric.ioapic;

import io.irqfabric.FabricClosedException;
import io.irqfabric.FabricConfigException;
import io.irqfabric.UnknownGsiException;

/**
 * The userspace IOAPIC (Intel ICH10 style, 24 pins) that the dispatcher thread owns, as seen by
 * the threads of the VMM. Obtained from {@link io.irqfabric.InterruptFabric#ioapic()} when the
 * fabric was built with {@link io.irqfabric.InterruptFabric.Builder#ioapic(boolean) ioapic(true)}.
 * Pin {@code p} is GSI {@code p}: an injection is a delivery of GSI {@code p} to the sink, and
 * the pin's programmed redirection entry is handed to the {@link io.irqfabric.RouteListener}
 * as the MSI route of GSI {@code p}.
 *
 * <h2>Threads</h2>
 * <ul>
 *   <li>vCPU threads: {@link #mmioRead}, {@link #mmioWrite}, {@link #eoi}. Each travels through
 *       the ring in order; a read waits for its answer, so a vCPU always reads its own earlier
 *       writes. Writes return at once; what they cause is delivered at the end of the batch.</li>
 *   <li>device threads: {@link #setLevel}, {@link #pulse}, {@link IoapicLine}: lock-free and allocation-free, never
 *       blocked by a full ring (the level lives in an atomic per-pin word with a sticky "rose
 *       since last read" bit; the ring event only says "look at the pin", and the dispatcher
 *       also scans changed pins at every batch end, so no pulse is lost).</li>
 *   <li>the RTC (CMOS) thread: {@link #pulseRtc()}, which waits for its answer.</li>
 * </ul>
 *
 * <h2>Registers (offsets from {@link #BASE_ADDRESS})</h2>
 * <pre>
 *   0x00 IOREGSEL  r/w  selector, low 8 bits (sizes 1, 2, 4, 8)
 *   0x04           r/w  reads 0, writes ignored (upper half of a 64-bit IOREGSEL access)
 *   0x10 IOWIN     r/w  the selected register; writes must be 32-bit, reads 1, 2, 4 or 8 bytes
 *   0x40 EOI       w    EOI for the vector in the low byte; sizes 1, 2, 4 (reads 0)
 *
 *   selector 0x00  ID            bits 27..24 writable
 *   selector 0x01  version       0x00170020: max redirection entry 23 in bits 23..16, version 0x20
 *   selector 0x02  arbitration   reads the ID; read-only
 *   selector 0x10 + 2p (+1)      redirection entry p, bits 31..0 (63..32); see RedirectionEntry
 * </pre>
 * Bad sizes, offsets outside these registers and invalid selectors are ignored, counted
 * ({@link io.irqfabric.FabricCounters#guestAccessErrors()}) and reported as
 * {@link io.irqfabric.FabricErrorHandler.Kind#GUEST_ACCESS_INVALID} (rate-limited by the default
 * handler). A read through IOWIN with an invalid selector returns all ones, as KVM's IOAPIC does;
 * other invalid reads return all ones of the access size too. Writes to read-only registers and
 * bits are ignored.
 *
 * <h2>Behaviour</h2>
 * <ul>
 *   <li><b>Lines</b>: a pin is a wired-OR of its sources: its own ({@link #setLevel},
 *       {@link #pulse}), any {@link #openSharedLine shared sources}, and the virtio-MMIO
 *       interrupt a fabric creates on the pin. It is high while any source holds it.</li>
 *   <li><b>Edge</b> pins inject on a rising edge of the line ({@link #pulse}, or
 *       {@code setLevel(p, true)} from low) while unmasked; an edge that arrives while masked is
 *       lost, as on hardware. A pulse is raise-then-lower, so the line is low afterwards.</li>
 *   <li><b>Level</b> pins inject while asserted and unmasked unless remote IRR is set, and set
 *       remote IRR; assertions while remote IRR is set are coalesced. EOI of the vector clears
 *       remote IRR and re-injects if the line is still asserted (or, with a
 *       {@link ResampleListener} on the pin, de-asserts the pin and asks the device to
 *       re-check).
 *       Unmasking a level pin whose line is asserted injects. Switching a pin from level to
 *       edge clears its remote IRR.</li>
 *   <li><b>Polarity</b> is stored and read back; {@link #setLevel} takes the logical
 *       (asserted / de-asserted) level, as KVM's IOAPIC does.</li>
 *   <li><b>RTC (pin 8)</b>: {@link #pulseRtc()} keeps a remote-IRR-like bit for the edge RTC
 *       interrupt so a tick-stuffing guest's CMOS can learn whether its tick was coalesced.</li>
 *   <li><b>Routes</b>: after a write to an entry, its MSI message (address
 *       {@code 0xFEE00000 | dest << 12 | DM << 2}, data {@code vector | DLM << 8 | TM << 15}) is
 *       sent to the route listener for GSI {@code p} if it changed, unless the data is 0 (the
 *       not-yet-programmed entries Linux writes while booting get no route).</li>
 *   <li><b>Never-programmed pins</b>: a pin whose entry never had non-zero MSI data has no
 *       route, so an assertion on it injects nothing even when it is unmasked (the line level is
 *       still tracked, and a level pin fires once it gets a route), and sets neither remote IRR
 *       nor the RTC bit. A write that gives an asserted, unmasked level pin its first route
 *       injects it on that route.</li>
 * </ul>
 * All methods throw {@link FabricClosedException} once the fabric is closed.
 */
public interface IoapicPort {
    /** Guest-physical base address of the IOAPIC window. */
    long BASE_ADDRESS = 0xFEC0_0000L;
    /** Size of the register window in bytes. */
    int WINDOW_SIZE = 0x100;
    /** Number of pins (redirection entries). */
    int PINS = 24;
    /** The RTC's pin. */
    int RTC_PIN = 8;
    /** Register offset: IOREGSEL. */
    int IOREGSEL = 0x00;
    /** Register offset: IOWIN. */
    int IOWIN = 0x10;
    /** Register offset: EOI. */
    int EOI = 0x40;
    /** Selector: ID register. */
    int SELECT_ID = 0x00;
    /** Selector: version register. */
    int SELECT_VERSION = 0x01;
    /** Selector: arbitration register. */
    int SELECT_ARBITRATION = 0x02;
    /** Selector of redirection entry 0, low half. */
    int SELECT_REDIRECTION_TABLE = 0x10;
    /** Value of the version register: max redirection entry 23, version 0x20. */
    int VERSION = (PINS - 1) << 16 | 0x20;
    /** Shared sources a pin can have open at once, besides its own. */
    int MAX_SHARED_SOURCES = 31;

    /**
     * {@return the IOREGSEL value that selects that half of the pin's redirection entry}
     *
     * @param pin the pin
     * @param high true for the high half (bits 63..32)
     */
    static int redirectionSelector(int pin, boolean high) {
        return SELECT_REDIRECTION_TABLE + 2 * pin + (high ? 1 : 0);
    }

    /**
     * Guest read (vCPU thread); waits for the dispatcher's answer.
     *
     * @param offset offset from {@link #BASE_ADDRESS}
     * @param size   access size in bytes
     * @return the value, zero-extended; all ones for an invalid access
     */
    long mmioRead(long offset, int size);

    /**
     * Guest write (vCPU thread); returns once the write is in the ring.
     *
     * @param offset offset from {@link #BASE_ADDRESS}
     * @param size   access size in bytes
     * @param value  the value (low {@code size} bytes used)
     */
    void mmioWrite(long offset, int size, long value);

    /**
     * An EOI broadcast for {@code vector} (KVM_EXIT_IOAPIC_EOI with a split irqchip).
     *
     * @param vector 0..255
     * @throws IllegalArgumentException if {@code vector} is out of range
     */
    void eoi(int vector);

    /**
     * Sets the line level of {@code pin}. Any thread; lock-free; never blocks.
     *
     * @param pin      0..23
     * @param asserted the logical level
     * @throws UnknownGsiException   if {@code pin} is out of range
     * @throws FabricClosedException if the fabric closed before it accepted an assertion
     */
    void setLevel(int pin, boolean asserted);

    /**
     * An edge on {@code pin}'s own source: raise then lower, as one event that cannot be lost.
     * Afterwards the own source does not hold the pin, so {@code setLevel(p, true); pulse(p)}
     * leaves the pin low (unless a {@link #openSharedLine shared source} holds it). Raising a
     * pin that is already high is no new edge: an edge-triggered pin does not fire, a
     * level-triggered one fires only if it is unmasked and remote IRR is clear. Any thread;
     * lock-free; never blocks.
     *
     * @param pin 0..23
     * @throws UnknownGsiException   if {@code pin} is out of range
     * @throws FabricClosedException if the fabric closed before it accepted the pulse
     */
    void pulse(int pin);

    /**
     * Opens one more source on {@code pin}: a wired-OR line that is high while any of its
     * sources (this one, other shared sources, the pin's own {@link #setLevel}) holds it. For
     * PCI INTx sharing: each device asserts and de-asserts its own source.
     *
     * @param pin 0..23
     * @return the new source, de-asserted
     * @throws UnknownGsiException   if {@code pin} is out of range
     * @throws FabricConfigException if the pin already has {@value #MAX_SHARED_SOURCES} open
     *                               shared sources
     * @throws FabricClosedException if the fabric is closed
     */
    IoapicLine openSharedLine(int pin);

    /**
     * Sets or removes the {@link ResampleListener} of one pin (resamplefd semantics per GSI).
     * While a pin has a listener, EOI of its
     * level interrupt de-asserts the pin's sources (except sources whose level follows device
     * state, such as a virtio-MMIO interrupt status) and then calls the listener; a pin without
     * one keeps its level and is re-injected at EOI while asserted. Ordered through the ring:
     * EOIs published after this call returns see the new listener.
     * {@link io.irqfabric.InterruptFabric.Builder#resampleListener} installs one listener on every
     * pin at build time.
     *
     * @param pin      0..23
     * @param listener the listener, or null to remove it
     * @throws UnknownGsiException   if {@code pin} is out of range
     * @throws FabricClosedException if the fabric is closed
     */
    void setResampleListener(int pin, ResampleListener listener);

    /**
     * An RTC tick on pin 8 that answers whether it was coalesced: true if it was not injected
     * (the previous RTC interrupt has not been EOIed yet, the pin is masked, or the line is
     * held high), so the CMOS can stuff the missed tick later. Waits for the dispatcher.
     *
     * @return true if coalesced, false if injected
     */
    boolean pulseRtc();

    /**
     * Reads a redirection entry without touching IOREGSEL (for the VMM: snapshots, debugging,
     * tests). Waits for the dispatcher.
     *
     * @param pin 0..23
     * @return the 64-bit entry
     * @throws UnknownGsiException if {@code pin} is out of range
     */
    long redirectionEntry(int pin);


    /**
     * Captures the whole state of this IOAPIC in ring order (after every event this thread
     * published before), for a VMM that keeps its own snapshot format. Waits for the dispatcher.
     *
     * @return the state
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    IoapicState state();

    /**
     * Applies a state captured with {@link #state()} (from this IOAPIC or one of the same shape on
     * another fabric), in ring order, and waits until it is applied. Routes are staged for every
     * routed pin and committed before the deliveries of that batch; a pending rise in the state is applied as a pulse.
     *
     * @param state the state
     * @throws IllegalArgumentException              if {@code state} is null or of another shape
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    void setState(IoapicState state);

    /**
     * Guest reboot: IOREGSEL and ID cleared, every redirection entry back to its reset value
     * (masked, remote IRR and delivery status clear), the RTC bit cleared, routes removed, in ring
     * order; waits until applied. Line levels stay (they are the devices' wires). Interrupts
     * injected before the reset are still delivered; from the reset on every pin is masked.
     *
     * @throws io.irqfabric.FabricClosedException if the fabric is closed
     */
    void reset();
}
