package io.irqfabric.bench.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Draws the PNG charts of {@code perf-results/} with XChart. */
final class Charts {
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 560;

    private Charts() {
    }

    /**
     * Writes {@code latency.png}, {@code e2e.png}, {@code storm.png} and {@code producer-cost.png} into {@code dir}.
     *
     * @param r   the report
     * @param dir the output directory
     * @throws IOException if a file cannot be written
     */
    static void write(Report r, Path dir) throws IOException {
        latency(r, dir.resolve("latency"));
        endToEnd(r, dir.resolve("e2e"));
        storm(r, dir.resolve("storm"));
        producerCost(r, dir.resolve("producer-cost"));
    }

    private static CategoryChart chart(String title, String x, String y) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        c.getStyler().setPlotGridVerticalLinesVisible(false);
        c.getStyler().setAvailableSpaceFill(0.85);
        c.getStyler().setYAxisMin(0.0); // error bars may reach below 0; the quantities cannot
        return c;
    }

    private static void latency(Report r, Path file) throws IOException {
        List<String[]> series = new ArrayList<>();
        for (String p : Report.PATHS) {
            String how = p.equals(Report.FABRIC_PARK) || p.equals(Report.ABQ) ? " (dispatcher parks)"
                    : p.equals(Report.DIRECT) ? " (no dispatcher)" : " (dispatcher spins)";
            series.add(new String[]{"idle_latency_", p, p + how});
        }
        series.add(new String[]{"idle_latency_", Report.FLOOR, "C floor: hand-off + write"});
        series.add(new String[]{"idle_latency_", "direct_hot", "direct, back to back (no gap)"});
        series.add(new String[]{"idle_latency_", "floor_write", "C floor: write alone"});
        percentiles(r, "Idle latency: assertion -> eventfd write completed", series, file);
    }

    private static void endToEnd(Report r, Path file) throws IOException {
        List<String[]> series = new ArrayList<>();
        series.add(new String[]{"e2e_latency_", Report.FABRIC_SPIN, "fabric_spin -> guest handler"});
        series.add(new String[]{"e2e_latency_", Report.FABRIC_PARK, "fabric_park -> guest handler"});
        series.add(new String[]{"e2e_latency_", Report.FLOOR, "C floor: irqfd write -> guest handler"});
        series.add(new String[]{"e2e_latency_", "floor_handoff", "C floor via a spinning C dispatcher"});
        percentiles(r, "End to end: assertion -> guest interrupt handler has run (KVM)", series, file);
    }

    private static void percentiles(Report r, String title, List<String[]> series, Path file) throws IOException {
        CategoryChart c = chart(title, "percentile", "ns (log scale)");
        c.getStyler().setYAxisLogarithmic(true);
        List<String> xs = new ArrayList<>();
        for (double pc : Report.PERCENTILES) {
            xs.add(Report.pctName(pc));
        }
        double min = Double.MAX_VALUE;
        for (String[] s : series) {
            List<Double> ys = new ArrayList<>();
            boolean complete = true;
            for (double pc : Report.PERCENTILES) {
                double v = r.value(s[0] + Report.pctName(pc), s[1]);
                complete &= !Double.isNaN(v) && v > 0;
                ys.add(v);
            }
            if (complete) { // a logarithmic axis takes no gaps: a configuration not measured is left out
                c.addSeries(s[2], xs, ys);
                for (double v : ys) {
                    min = Math.min(min, v);
                }
            }
        }
        if (min < Double.MAX_VALUE) {
            // Bars start at the axis minimum; a log axis needs it above 0: the decade below the data.
            c.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
        }
        save(c, file);
    }

    private static void storm(Report r, Path file) throws IOException {
        CategoryChart c = chart("Storm: assertions/s absorbed (16 GSIs; error bars: JMH 99.9% error)", "configuration", "M assertions/s");
        List<String> xs = new ArrayList<>(Report.PATHS);
        xs.add("C floor (write loop)");
        for (String metric : List.of("storm_1p", "storm_2p")) {
            List<Double> ys = new ArrayList<>();
            List<Double> errors = new ArrayList<>();
            for (String p : Report.PATHS) {
                ys.add(zeroIfNaN(r.value(metric, p) / 1e6));
                errors.add(zeroIfNaN(r.error(metric, p) / 1e6));
            }
            // With error bars XChart takes no gaps: the floor has no 2-producer figure, drawn as 0.
            ys.add(zeroIfNaN(r.value(metric, Report.FLOOR) / 1e6));
            errors.add(0.0);
            c.addSeries(metric.equals("storm_1p") ? "1 producer" : "2 producers", xs, ys, errors);
        }
        save(c, file);
    }

    private static void producerCost(Report r, Path file) throws IOException {
        CategoryChart c = chart("Producer cost per assertion under a storm (1 producer)", "configuration", "ns/op");
        List<String> xs = new ArrayList<>(Report.PATHS);
        xs.add("C floor (write)");
        List<Double> ys = new ArrayList<>();
        List<Double> errors = new ArrayList<>();
        for (String p : Report.PATHS) {
            ys.add(zeroIfNaN(r.value("producer_cost", p)));
            errors.add(zeroIfNaN(r.error("producer_cost", p)));
        }
        ys.add(zeroIfNaN(r.value("producer_cost", Report.FLOOR)));
        errors.add(0.0);
        c.addSeries("ns per assertion (error bars: JMH 99.9% error)", xs, ys, errors);
        c.getStyler().setLegendVisible(false);
        save(c, file);
    }

    private static void save(CategoryChart c, Path file) throws IOException {
        if (c.getSeriesMap().isEmpty()) {
            System.err.println("chart " + file + ": nothing measured, not drawn");
            return;
        }
        BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static double zeroIfNaN(double v) {
        return Double.isNaN(v) ? 0 : v;
    }
}
