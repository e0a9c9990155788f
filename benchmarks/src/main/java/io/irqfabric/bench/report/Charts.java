package io.irqfabric.bench.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws the PNG charts of {@code perf-results/} with XChart.
 *
 * <p>Latencies and costs span several decades, so those charts have a logarithmic axis labelled
 * at each decade in ns, us or ms. XChart's own log axis takes no label formatter, so these charts
 * plot {@code log10(ns)} on a linear axis and label the whole numbers {@code 10^k} ns. A figure
 * that was not measured is never drawn as zero: its bar is left out and the legend or the axis
 * title says {@code n/a}.
 */
final class Charts {
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 560;
    /** Tableau 10: ten colours that stay apart from each other, also in print. */
    private static final Color[] PALETTE = {
        new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759), new Color(0x76B7B2), new Color(0x59A14F),
        new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7), new Color(0x9C755F), new Color(0xBAB0AC)};

    private Charts() {
    }

    /**
     * Writes {@code latency.png}, {@code e2e.png}, {@code storm.png}, {@code producer-cost.png} and
     * {@code neighbour.png} into {@code dir},
     * each that has at least one measured figure.
     *
     * @param r   the report
     * @param dir the output directory
     * @return the charts not drawn because nothing in them was measured
     * @throws IOException if a file cannot be written
     */
    static List<String> write(Report r, Path dir) throws IOException {
        List<String> notDrawn = new ArrayList<>();
        if (!latency(r, dir.resolve("latency"))) {
            notDrawn.add("latency");
        }
        if (!endToEnd(r, dir.resolve("e2e"))) {
            notDrawn.add("e2e");
        }
        if (!storm(r, dir.resolve("storm"))) {
            notDrawn.add("storm");
        }
        if (!producerCost(r, dir.resolve("producer-cost"))) {
            notDrawn.add("producer-cost");
        }
        if (!neighbour(r, dir.resolve("neighbour"))) {
            notDrawn.add("neighbour");
        }
        return notDrawn;
    }

    private static CategoryChart chart(String title, String x, String y) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridVerticalLinesVisible(false);
        c.getStyler().setAvailableSpaceFill(0.85);
        c.getStyler().setSeriesColors(PALETTE);
        return c;
    }

    /**
     * Makes {@code c} a decade axis over the given nanosecond values: the caller plots
     * {@code log10(ns)}; the axis spans whole decades around the data and labels each in units.
     */
    private static void logNanosAxis(CategoryChart c, List<Double> ns) {
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (double v : ns) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        if (lo > hi) {
            return;
        }
        c.getStyler().setYAxisMin(Math.floor(Math.log10(lo)));
        c.getStyler().setYAxisMax(Math.max(Math.floor(Math.log10(lo)) + 1, Math.ceil(Math.log10(hi))));
        c.getStyler().setyAxisTickLabelsFormattingFunction(Charts::decadeLabel);
    }

    /**
     * @param log10Nanos a tick of a {@code log10(ns)} axis
     * @return {@code "100 ns"}, {@code "1 us"}, {@code "10 ms"}, ... at whole decades; "" between them
     */
    static String decadeLabel(double log10Nanos) {
        double k = Math.rint(log10Nanos);
        if (Math.abs(log10Nanos - k) > 1e-6) {
            return "";
        }
        long ns = Math.round(Math.pow(10, k));
        if (ns >= 1_000_000_000L) {
            return ns / 1_000_000_000L + " s";
        }
        if (ns >= 1_000_000) {
            return ns / 1_000_000 + " ms";
        }
        if (ns >= 1_000) {
            return ns / 1_000 + " us";
        }
        return k < 0 ? String.format(Locale.ROOT, "%s ns", Math.pow(10, k)) : ns + " ns";
    }

    private static boolean latency(Report r, Path file) throws IOException {
        List<String[]> series = new ArrayList<>();
        for (String p : Report.PATHS) {
            String how = p.equals(Report.FABRIC_PARK) || p.equals(Report.ABQ) ? " (dispatcher parks)"
                    : p.equals(Report.FABRIC_INLINE) ? " (dispatcher parks, idle assertion written inline)"
                    : p.equals(Report.DIRECT) ? " (no dispatcher)" : " (dispatcher spins)";
            series.add(new String[]{"idle_latency_", p, p + how});
        }
        series.add(new String[]{"idle_latency_", Report.FLOOR, "C floor: hand-off + write"});
        series.add(new String[]{"idle_latency_", "direct_hot", "direct, back to back (no gap)"});
        series.add(new String[]{"idle_latency_", "floor_write", "C floor: write alone"});
        return percentiles(r, "Idle latency: assertion -> eventfd write completed", series, file);
    }

    private static boolean endToEnd(Report r, Path file) throws IOException {
        List<String[]> series = new ArrayList<>();
        for (String f : Report.FABRICS) {
            series.add(new String[]{"e2e_latency_", f, f + " -> guest handler"});
        }
        series.add(new String[]{"e2e_latency_", Report.FLOOR, "C floor: irqfd write -> guest handler"});
        series.add(new String[]{"e2e_latency_", "floor_handoff", "C floor via a spinning C dispatcher"});
        return percentiles(r, "End to end: assertion -> guest interrupt handler has run (KVM)", series, file);
    }

    private static boolean neighbour(Report r, Path file) throws IOException {
        List<String[]> series = new ArrayList<>();
        series.add(new String[]{"neighbour_latency_", "fabric_storm", "fabric_spin, 1 producer storming 63 GSIs"});
        series.add(new String[]{"neighbour_latency_", "agrona_storm", "agrona, 1 producer storming 63 GSIs"});
        series.add(new String[]{"neighbour_latency_", "fabric_idle", "fabric_spin, no storm"});
        series.add(new String[]{"neighbour_latency_", "agrona_idle", "agrona, no storm"});
        return percentiles(r, "Quiet neighbour: assertion -> eventfd write of one GSI next to a storm", series,
                List.of("p50", "p99"), file);
    }

    private static boolean percentiles(Report r, String title, List<String[]> series, Path file) throws IOException {
        List<String> xs = new ArrayList<>();
        for (double pc : Report.PERCENTILES) {
            xs.add(Report.pctName(pc));
        }
        return percentiles(r, title, series, xs, file);
    }

    private static boolean percentiles(Report r, String title, List<String[]> series, List<String> xs, Path file)
            throws IOException {
        List<Double> all = new ArrayList<>();
        CategoryChart c = chart(title, "percentile", "latency (log scale)");
        for (String[] s : series) {
            List<Double> ys = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            for (String pc : xs) {
                double v = r.value(s[0] + pc, s[1]);
                if (Double.isNaN(v) || v <= 0) {
                    ys.add(null); // a gap, not a zero
                    missing.add(pc);
                } else {
                    ys.add(Math.log10(v));
                    all.add(v);
                }
            }
            // Every configuration keeps its place and colour; the legend says what was not measured.
            c.addSeries(missing.isEmpty() ? s[2] : missing.size() == xs.size() ? s[2] + ": n/a (not measured)"
                    : s[2] + " (" + String.join(", ", missing) + ": n/a)", xs, ys);
        }
        if (all.isEmpty()) {
            return false;
        }
        logNanosAxis(c, all);
        return save(c, file);
    }

    private static boolean storm(Report r, Path file) throws IOException {
        CategoryChart c = chart("Storm: assertions/s absorbed (16 GSIs; error bars: JMH 99.9% error)",
                "configuration (C floor: one thread writing the eventfd in a loop)", "M assertions/s");
        List<String> configs = new ArrayList<>(Report.PATHS);
        configs.add(Report.FLOOR);
        List<String> metrics = List.of("storm_1p", "storm_2p");
        // A category is named once for every series; where one series has no figure, the name says n/a.
        List<String> labels = new ArrayList<>();
        List<String> notMeasured = new ArrayList<>();
        for (String p : configs) {
            String label = p.equals(Report.FLOOR) ? "C floor" : p;
            List<String> missing = new ArrayList<>();
            for (String m : metrics) {
                if (Double.isNaN(r.value(m, p))) {
                    missing.add(producersName(m));
                }
            }
            if (missing.size() == metrics.size()) {
                notMeasured.add(label);
                label = null;
            } else if (!missing.isEmpty()) {
                label += ", " + String.join(", ", missing).replace(" producers", "p").replace(" producer", "p") + " n/a";
            }
            labels.add(label);
        }
        for (String m : metrics) {
            List<String> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            List<Double> errors = new ArrayList<>();
            for (int k = 0; k < configs.size(); k++) {
                double v = r.value(m, configs.get(k));
                if (labels.get(k) != null && !Double.isNaN(v)) { // XChart's error bars take no gaps: leave the bar out
                    xs.add(labels.get(k));
                    ys.add(v / 1e6);
                    double e = r.error(m, configs.get(k));
                    errors.add(Double.isNaN(e) ? 0.0 : e / 1e6);
                }
            }
            if (!xs.isEmpty()) {
                c.addSeries(producersName(m), xs, ys, errors);
            }
        }
        if (!notMeasured.isEmpty()) {
            c.setXAxisTitle("configuration      (n/a, not measured in this run: " + String.join(", ", notMeasured) + ")");
        }
        c.getStyler().setYAxisMin(0.0); // a rate starts at 0; error bars may reach below it
        return save(c, file);
    }

    private static String producersName(String metric) {
        return metric.equals("storm_1p") ? "1 producer" : "2 producers";
    }

    private static boolean producerCost(Report r, Path file) throws IOException {
        CategoryChart c = chart("Producer cost per assertion under a storm (1 producer; JMH 99.9% errors in the README table)",
                "configuration", "ns per assertion (log scale)");
        List<String> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        List<Double> all = new ArrayList<>();
        List<String> configs = new ArrayList<>(Report.PATHS);
        configs.add(Report.FLOOR);
        for (String p : configs) {
            String label = p.equals(Report.FLOOR) ? "C floor (write)" : p;
            double v = r.value("producer_cost", p);
            if (Double.isNaN(v) || v <= 0) {
                xs.add(label + ": n/a"); // no bar, and the label says why
                ys.add(null);
            } else {
                xs.add(label);
                ys.add(Math.log10(v));
                all.add(v);
            }
        }
        if (all.isEmpty()) {
            return false;
        }
        c.addSeries("ns per assertion", xs, ys);
        c.getStyler().setLegendVisible(false);
        logNanosAxis(c, all);
        return save(c, file);
    }

    /** @return false if the chart has no series (nothing to draw, no file written) */
    private static boolean save(CategoryChart c, Path file) throws IOException {
        if (c.getSeriesMap().isEmpty()) {
            return false;
        }
        BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }
}
