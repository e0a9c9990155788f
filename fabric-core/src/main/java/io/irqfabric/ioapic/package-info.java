/**
 * The userspace IOAPIC the dispatcher owns: {@link io.irqfabric.ioapic.IoapicPort} (obtained
 * from {@link io.irqfabric.InterruptFabric#ioapic()}), shared (wired-OR) pin sources
 * {@link io.irqfabric.ioapic.IoapicLine}, the redirection-entry codec
 * {@link io.irqfabric.ioapic.RedirectionEntry} and the per-pin EOI
 * {@link io.irqfabric.ioapic.ResampleListener}.
 *
 * <h2>How an IOAPIC interrupt flows</h2>
 * <pre>
 *   device thread                vCPU thread                      dispatcher thread (single writer)
 *   setLevel(p, true) ---\       mmioWrite(IOREGSEL/IOWIN) --\
 *   IoapicLine.setLevel -+
 *   pulse(p) ------------+--&gt; ring: LINE_CHANGED, DEVICE_WRITE, EOI --&gt; IOAPIC state:
 *                        |       eoi(vector) ----------------/          entries[24], line levels,
 *   (ring full: atomic   |       mmioRead ----&gt; DEVICE_READ + reply &lt;-- remote IRR, RTC bit
 *    line word + drain) -/                                              | inject pin p
 *                                                                       v
 *                     RouteListener.setMsiRoute(p, addr, data) ... commitRoutes()   (batch end)
 *                     InterruptSink.deliver(p)  -- eventfd write -- KVM irqfd (GSI p's MSI route)
 * </pre>
 * A pin's line is the wired-OR of its sources: its own ({@code setLevel}, {@code pulse}), shared
 * {@link io.irqfabric.ioapic.IoapicLine}s and virtio-MMIO devices created on the pin.
 *
 * <h2>Register window (offsets from 0xFEC00000)</h2>
 * <pre>
 *   0x00 IOREGSEL   +----------------------------+---------------+
 *                   |          reserved          | selector 7..0 |
 *                   +----------------------------+---------------+
 *   0x10 IOWIN      the 32-bit register IOREGSEL selects:
 *                     0x00 ID            bits 27..24 = IOAPIC ID, rest 0
 *                     0x01 version       bits 23..16 = 0x17 (max redirection entry), 7..0 = 0x20
 *                     0x02 arbitration   = ID (read-only)
 *                     0x10+2p / 0x11+2p  redirection entry p, low / high half
 *                     anything else      invalid: reads all ones, writes ignored (counted)
 *   0x40 EOI        write: vector in bits 7..0
 * </pre>
 * The redirection entry layout is drawn on {@link io.irqfabric.ioapic.RedirectionEntry}; the
 * behaviour (edge, level, remote IRR, EOI re-injection, masking, RTC coalescing, routes) is
 * specified on {@link io.irqfabric.ioapic.IoapicPort}.
 */
package io.irqfabric.ioapic;
