/**
 * Internals of the fabric: the ring event, the dispatcher, the overflow log, the pending set,
 * the counters. Not exported (see {@code module-info.java}); nothing here is API.
 *
 * <h2>Memory-ordering names</h2>
 * Accessors that touch shared state say the ordering they use, after JCTools:
 * <ul>
 *   <li>{@code lv} - load volatile (acquire or stronger);</li>
 *   <li>{@code lp} - load plain or opaque (single-writer state read by its writer, or
 *       statistics read by another thread where staleness is fine);</li>
 *   <li>{@code sv} - store volatile (sequentially consistent; used where a Dekker-style
 *       "store mine, then load yours" handshake needs the store-load fence);</li>
 *   <li>{@code so} - store ordered (release / opaque; a single writer publishing a value);</li>
 *   <li>{@code cas}, {@code gas} (get-and-set), {@code gaa} (get-and-add) - atomic
 *       read-modify-write, sequentially consistent.</li>
 * </ul>
 * VarHandles, never {@code sun.misc.Unsafe}.
 *
 * <h2>The ring event</h2>
 * <pre>
 *   RingEvent (preallocated, one per ring slot, reused forever)
 *   +--------+--------+-------------------+-------------------+-----------------+
 *   | type   | target | a (long)          | b (long)          | reply (ref)     |
 *   | int    | int    | value / address   | size / extra      | ReplySlot|null  |
 *   +--------+--------+-------------------+-------------------+-----------------+
 *   TRIGGER      target = GSI
 *   SYNC         reply = the caller's ReplySlot; answered after the batch is flushed
 *   OVERFLOW     no payload; makes the dispatcher run a batch end (and so drain the overflow log)
 *   SHUTDOWN     the last event the dispatcher processes
 *   --- controller events (type >= FIRST_CONTROLLER_TYPE = 16), handled by the ControllerHub ---
 *   DEVICE_READ    target = device id, a = packed access, reply answered as soon as handled
 *   DEVICE_WRITE   target = device id, a = packed access, b = value (reply only if the caller waits)
 *   DEVICE_ATTACH  target = device id: set the new controller's reset state (masks)
 *   LINE_CHANGED   target = IOAPIC pin, a = LineStates payload (generation, level, rose)
 *   EOI            target = vector
 *   RTC_PULSE      reply = 1 if the RTC tick was coalesced
 *   REJECTED       target = GSI, a = requester ID dropped by a producer-side bus-range check
 *   MODERATE       target = GSI, a = policy kind (bits 63..56) and delay ns, b = max (63..32)
 *                  and rate per second: a moderation policy change (internal.Moderation)
 *   --- requests that carry an object (type >= FIRST_SNAPSHOT_TYPE = 40), handled by the SnapshotEngine;
 *       a = the mailbox ticket of the object, reply = the caller's ReplySlot ---
 *   SNAPSHOT       the cut: capture every piece of interrupt state
 *   RESTORE        apply a decoded snapshot (shape checked again at the cut)
 *   STATE_GET      target = device id: capture its state record
 *   STATE_SET      target = device id: apply a state record
 *   DEVICE_RESET   target = device id: reset (IOAPIC reboot, MSI/MSI-X function-level reset)
 *   DEVICE_DESTROY target = device id: detach (routes removed, pending bits dropped, gates open)
 *
 *   packed access (a):   63    56 55    48 47    40 39                              0
 *                       +--------+--------+--------+--------------------------------+
 *                       |   0    |  size  | space  |  byte offset (BAD_OFFSET if    |
 *                       |        |        |        |  the guest's did not fit)      |
 *                       +--------+--------+--------+--------------------------------+
 * </pre>
 *
 * <h2>Controllers</h2>
 * Every controller is a {@code GuestDevice} registered with the {@code ControllerHub}: the
 * public facade methods (producer side) publish events through the {@code ControllerPort}, and
 * the dispatcher calls {@code read}/{@code write}/{@code attach} on its own thread, which alone
 * touches controller state. The hub also owns the per-GSI gate (masking) that the dispatcher
 * checks on every TRIGGER and again at flush; see {@code ControllerHub}.
 * <pre>
 *   batch end:  release slots (full fence) -> drain overflow log -> drain ring-full line records
 *               -> commit staged routes (RouteListener.commitRoutes) -> flush: deliver each
 *               pending GSI whose gate is open (others become pending bits or rejections)
 *               -> answer SYNC replies
 * </pre>
 * Producers write the fields between {@code tryNext()} and {@code publish()}; the Disruptor
 * sequence publication orders those plain writes before the dispatcher's reads.
 */
package io.irqfabric.internal;
