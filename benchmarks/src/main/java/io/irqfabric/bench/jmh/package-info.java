/**
 * The JMH suites, one class per figure group:
 * <ul>
 *   <li>{@link io.irqfabric.bench.jmh.StormBenchmark}: figure 1 (producer cost, {@code producerCost},
 *       AverageTime), figure 2 (assertions/s with 1 and 2 producers, writes/s and the coalescing
 *       ratio as aux counters, the fabric's overflow count as an aux counter, lost = 0 checked in
 *       the trial teardown) and figure 5 (allocation split between producer and dispatcher threads);</li>
 *   <li>{@link io.irqfabric.bench.jmh.IdleLatencyBenchmark}: figure 3, assertion to eventfd write
 *       completed on an idle path, SampleTime percentiles;</li>
 *   <li>{@link io.irqfabric.bench.jmh.NeighbourLatencyBenchmark}: figure 6, assertion to eventfd
 *       write of one quiet GSI while one producer storms 63 others, and with no storm; the
 *       storming producer probes the quiet GSI itself and a sink decorator times the write;</li>
 *   <li>{@code EndToEndBenchmark} (when kvm-testguest's guest is available): figure 4, assertion to
 *       the guest's interrupt handler having run in a real KVM guest.</li>
 * </ul>
 * Run them through {@code benchmarks/run-perf.sh} (which also runs the C floor and writes
 * {@code perf-results/}) or directly: {@code java -jar benchmarks/target/benchmarks.jar -jvmArgsAppend
 * "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED"}.
 */
package io.irqfabric.bench.jmh;
