/**
 * Message signalled interrupts the dispatcher owns: MSI-X tables ({@link io.irqfabric.msi.MsixTable}),
 * MSI capabilities ({@link io.irqfabric.msi.MsiCapability}), the x86 message codec
 * ({@link io.irqfabric.msi.MsiMessage}) and requester-ID validation ({@link io.irqfabric.msi.BusRange}).
 *
 * <h2>Masking and pending bits</h2>
 * A vector's GSI has a <em>gate</em> on the dispatcher thread. The device's
 * {@link io.irqfabric.msi.MsiVectorGroup#trigger(int) trigger} is an ordinary fabric trigger of the
 * vector's GSI; the dispatcher looks at the gate when it handles the trigger and again when it
 * flushes the batch:
 * <pre>
 *   gate        trigger does                          becoming OPEN does
 *   OPEN        deliver at batch end                   -
 *   MASKED      set the pending bit (PBA / MSI pending) deliver once if the bit is set, clear it
 *   BLOCKED     drop, count an error of the GSI,       drop a set pending bit the same way
 *               report REQUEST_REJECTED
 * </pre>
 * MASKED = per-vector mask, function mask or MSI-X disabled (MSI: disabled, mask bit, or beyond
 * the enabled vector count). BLOCKED = unmasked but the message address is outside 0xFEExxxxx.
 * A trigger that is masked (or blocked) later in its own batch is caught at flush: it becomes a
 * pending bit (or a rejection), so a masked vector never delivers.
 *
 * <h2>Routes</h2>
 * When a vector becomes unmasked, or its address or data change while unmasked, the new message
 * goes to the {@link io.irqfabric.RouteListener} ({@code setMsiRoute}) before the gate opens; a
 * blocked vector's route is removed. Every mask change is passed on ({@code setMasked}). The
 * listener commits once at the end of the batch, before that batch's deliveries.
 *
 * <h2>Requester IDs</h2>
 * A device is created with a devfn on a {@link io.irqfabric.msi.BusRange}; its default requester
 * ID is {@code secondary << 8 | devfn}. {@link io.irqfabric.msi.MsiVectorGroup#trigger(int, int)}
 * signals under an explicit ID: one whose bus is outside the range is dropped and counted
 * (OpenVMM's {@code signal_msi_with_rid}).
 */
package io.irqfabric.msi;
