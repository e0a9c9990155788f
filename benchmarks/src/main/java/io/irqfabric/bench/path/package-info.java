/**
 * The ways of getting an interrupt assertion from a producer thread to an eventfd write, all
 * behind {@link io.irqfabric.bench.path.TriggerPath} so every benchmark method is the same code
 * for every one of them:
 *
 * <pre>
 *   fabric_spin / fabric_park   producer -> InterruptFabric ring -> dispatcher (coalesces per batch)
 *                                        -> AuditSink -> EventFdSink -> write(2)
 *   abq                         producer -> ArrayBlockingQueue.put -> dispatcher (take + drainTo,
 *                                        same coalescing) -> AuditSink -> EventFdSink -> write(2)
 *   agrona                      producer -> ManyToOneConcurrentArrayQueue.offer -> dispatcher
 *                                        (drain, same coalescing) -> AuditSink -> EventFdSink -> write(2)
 *   direct                      producer -> EventFd.signal() -> write(2)     (Firecracker's model)
 * </pre>
 *
 * The baselines are written as a competent engineer would: boxed GSIs come from a table made up
 * front (no allocation), the dispatcher coalesces exactly as the fabric does (one write per
 * distinct GSI per batch, at the end of the batch), producers never drop (abq blocks on a full
 * queue, agrona spins then yields), and the auditing sink is shared so every dispatcher pays the
 * same bookkeeping. After a run, {@link io.irqfabric.bench.path.TriggerPath#verify(long[])}
 * checks coverage (the last write of each GSI came after its last assertion was taken in) and
 * reads every eventfd back. {@link io.irqfabric.bench.path.TriggerPaths#open(String, int,
 * java.util.function.UnaryOperator)} puts a decorator (such as
 * {@link io.irqfabric.bench.path.NeighbourLatencySink}) between a dispatcher and its auditing sink.
 */
package io.irqfabric.bench.path;
