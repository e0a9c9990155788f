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
 * </pre>
 * Producers write the fields between {@code tryNext()} and {@code publish()}; the Disruptor
 * sequence publication orders those plain writes before the dispatcher's reads.
 */
package io.irqfabric.internal;
