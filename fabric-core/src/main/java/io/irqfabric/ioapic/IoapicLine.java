package io.irqfabric.ioapic;

import io.irqfabric.FabricClosedException;
import io.irqfabric.FabricStateException;

/**
 * One interrupt source on a shared (wired-OR) IOAPIC pin, as PCI INTx lines are shared: the pin
 * is high while <em>any</em> of its sources holds it, and each source asserts and de-asserts
 * independently of the others. Obtained from {@link IoapicPort#openSharedLine(int)}.
 *
 * <pre>
 *   source A  ----+
 *   source B  ----+-- OR --&gt; pin p (level seen by the IOAPIC)
 *   setLevel(p)  -+          (IoapicPort.setLevel / pulse are the pin's own source)
 * </pre>
 *
 * <p>Edges are edges of the OR: a source that asserts while another already holds the pin
 * makes no rising edge (an edge-triggered pin does not fire), and a source that de-asserts
 * leaves the pin high while another holds it (a level-triggered pin keeps asking for service
 * and is re-injected at EOI). Any thread; lock-free; never blocks, like
 * {@link IoapicPort#setLevel}. {@link #close()} de-asserts the source and frees it for a later
 * {@link IoapicPort#openSharedLine(int)}.
 */
public interface IoapicLine extends AutoCloseable {
    /** {@return the pin this source drives} */
    int pin();

    /**
     * Asserts or de-asserts this source.
     *
     * @param asserted the source's logical level
     * @throws FabricStateException  if this source was closed
     * @throws FabricClosedException if the fabric closed before it accepted a rising edge
     */
    void setLevel(boolean asserted);

    /**
     * This source raises then lowers its output: a rising edge of the pin only if no other
     * source holds it. Afterwards this source does not hold the pin.
     *
     * @throws FabricStateException  if this source was closed
     * @throws FabricClosedException if the fabric closed before it accepted the pulse
     */
    void pulse();

    /** {@return true while this source holds the pin high (its own output, not the OR)} */
    boolean isAsserted();

    /** De-asserts this source and releases it. Idempotent; never throws for a closed fabric. */
    @Override
    void close();
}
