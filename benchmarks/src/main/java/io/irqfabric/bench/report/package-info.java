/**
 * The perf-results runner ({@link io.irqfabric.bench.report.PerfRunner}): runs the JMH suite with
 * {@code -prof gc} and JSON output and the C floor program, then turns both into
 * {@code perf-results/README.md} (every figure with its ratio to each baseline, every target met
 * or missed), {@code summary.json} (the headline figures and targets) and XChart PNG charts.
 */
package io.irqfabric.bench.report;
