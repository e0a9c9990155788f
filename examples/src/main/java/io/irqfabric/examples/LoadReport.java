package io.irqfabric.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The load tester's output: the side-by-side table of the policies, and with {@code --out} the
 * same as JSON and CSV plus PNG charts (XChart).
 */
final class LoadReport {
    private static final Color[] PALETTE = {
        new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759), new Color(0x59A14F), new Color(0xB07AA1),
        new Color(0x76B7B2), new Color(0xEDC948), new Color(0xFF9DA7), new Color(0x9C755F), new Color(0xBAB0AC)};
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 560;

    private LoadReport() {
    }

    private static boolean hasGuest(List<LoadRun.Result> results) {
        return results.stream().anyMatch(r -> r.guestHandled >= 0);
    }

    private static boolean hasQuiet(List<LoadRun.Result> results) {
        return results.stream().anyMatch(r -> r.quiet.getTotalCount() > 0);
    }

    private static double pUs(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1e3;
    }

    /**
     * @param load    what load was offered (one line)
     * @param results one per policy, in the order run
     * @return the side-by-side table, with a heading and a legend
     */
    static String table(String load, List<LoadRun.Result> results) {
        boolean guest = hasGuest(results);
        boolean quiet = hasQuiet(results);
        List<String> head = new ArrayList<>(List.of("policy", "assertions/s", "deliveries/s"));
        if (guest) {
            head.add("guest irq/s");
        }
        head.addAll(List.of("coalescing", "p50", "p99", "p99.9"));
        if (quiet) {
            head.addAll(List.of("quiet p50", "quiet p99", "quiet p99.9"));
        }
        head.addAll(List.of("dispatcher CPU", "lost"));
        List<List<String>> rows = new ArrayList<>();
        rows.add(head);
        for (LoadRun.Result r : results) {
            List<String> row = new ArrayList<>();
            row.add(r.policy);
            row.add(LoadRun.rate(r.assertionsPerSec()));
            row.add(LoadRun.rate(r.deliveriesPerSec()));
            if (guest) {
                row.add(LoadRun.rate(r.guestPerSec()));
            }
            row.add(String.format(Locale.ROOT, "%.1f:1", r.coalescing()));
            row.add(LoadRun.us(pUs(r.storm, 50)));
            row.add(LoadRun.us(pUs(r.storm, 99)));
            row.add(LoadRun.us(pUs(r.storm, 99.9)));
            if (quiet) {
                row.add(LoadRun.us(pUs(r.quiet, 50)));
                row.add(LoadRun.us(pUs(r.quiet, 99)));
                row.add(LoadRun.us(pUs(r.quiet, 99.9)));
            }
            row.add(Double.isNaN(r.dispatcherCpuMsPerSec) ? "-" : String.format(Locale.ROOT, "%.0f ms/s", r.dispatcherCpuMsPerSec));
            row.add(Long.toString(r.lost));
            rows.add(row);
        }
        int[] w = new int[head.size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                w[i] = Math.max(w[i], row.get(i).length());
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("compare: ").append(load).append('\n');
        for (List<String> row : rows) {
            b.append("  ");
            for (int i = 0; i < row.size(); i++) {
                String cell = row.get(i);
                b.append(i == 0 ? pad(cell, w[i], false) : "  " + pad(cell, w[i], true));
            }
            b.append('\n');
        }
        b.append("  latency: intended send time -> delivery (" + (guest ? "irqfd" : "eventfd")
                + " write completed), per delivery, of the oldest assertion it covers; "
                + (quiet ? "quiet = the latency-sensitive GSI; " : "") + "dispatcher CPU: its thread's CPU time per second\n");
        return b.toString();
    }

    private static String pad(String s, int w, boolean right) {
        String spaces = " ".repeat(w - s.length());
        return right ? spaces + s : s + spaces;
    }

    /**
     * Writes results.json, results.csv, series.csv and the charts.
     *
     * @param dir     an existing writable directory
     * @param load    what load was offered (one line)
     * @param results one per policy
     * @return the files written
     * @throws IOException if a file cannot be written
     */
    static List<Path> write(Path dir, String load, List<LoadRun.Result> results) throws IOException {
        List<Path> written = new ArrayList<>();
        written.add(writeJson(dir.resolve("results.json"), load, results));
        written.add(writeCsv(dir.resolve("results.csv"), results));
        written.add(writeSeriesCsv(dir.resolve("series.csv"), results));
        written.addAll(charts(dir, results));
        return written;
    }

    private static Map<String, Object> latency(Histogram h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("deliveries_sampled", h.getTotalCount());
        m.put("p50", num(pUs(h, 50)));
        m.put("p90", num(pUs(h, 90)));
        m.put("p99", num(pUs(h, 99)));
        m.put("p99_9", num(pUs(h, 99.9)));
        m.put("max", h.getTotalCount() == 0 ? null : h.getMaxValue() / 1e3);
        return m;
    }

    private static Double num(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
    }

    static Path writeJson(Path file, String load, List<LoadRun.Result> results) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("load", load);
        List<Object> runs = new ArrayList<>();
        for (LoadRun.Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("policy", r.policy);
            m.put("target", r.target);
            m.put("seconds", r.seconds);
            m.put("offered_per_s", num(r.offeredPerSec));
            m.put("assertions", r.assertions);
            m.put("assertions_per_s", r.assertionsPerSec());
            m.put("deliveries", r.deliveries);
            m.put("deliveries_per_s", r.deliveriesPerSec());
            m.put("guest_handled", r.guestHandled < 0 ? null : r.guestHandled);
            m.put("guest_per_s", num(r.guestPerSec()));
            m.put("coalescing_ratio", r.coalescing());
            m.put("latency_us", latency(r.storm));
            m.put("quiet_latency_us", latency(r.quiet));
            m.put("dispatcher_cpu_ms_per_s", num(r.dispatcherCpuMsPerSec));
            m.put("lost", r.lost);
            m.put("errors", r.errors);
            List<Object> series = new ArrayList<>();
            for (LoadRun.Second s : r.series) {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("t", s.t());
                p.put("offered_per_s", num(s.offered()));
                p.put("assertions_per_s", s.achieved());
                p.put("deliveries_per_s", s.deliveries());
                p.put("guest_per_s", num(s.guest()));
                p.put("p99_us", num(s.p99Us()));
                p.put("quiet_p99_us", num(s.quietP99Us()));
                series.add(p);
            }
            m.put("series", series);
            runs.add(m);
        }
        root.put("runs", runs);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
        return file;
    }

    private static String csvNum(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    static Path writeCsv(Path file, List<LoadRun.Result> results) throws IOException {
        StringBuilder b = new StringBuilder("policy,target,seconds,offered_per_s,assertions_per_s,deliveries_per_s,guest_per_s,"
                + "coalescing_ratio,p50_us,p99_us,p99_9_us,quiet_p50_us,quiet_p99_us,quiet_p99_9_us,dispatcher_cpu_ms_per_s,lost\n");
        for (LoadRun.Result r : results) {
            b.append(r.policy).append(',').append(r.target).append(',').append(csvNum(r.seconds)).append(',')
                    .append(csvNum(r.offeredPerSec)).append(',').append(csvNum(r.assertionsPerSec())).append(',')
                    .append(csvNum(r.deliveriesPerSec())).append(',').append(csvNum(r.guestPerSec())).append(',')
                    .append(csvNum(r.coalescing())).append(',')
                    .append(csvNum(pUs(r.storm, 50))).append(',').append(csvNum(pUs(r.storm, 99))).append(',')
                    .append(csvNum(pUs(r.storm, 99.9))).append(',')
                    .append(csvNum(pUs(r.quiet, 50))).append(',').append(csvNum(pUs(r.quiet, 99))).append(',')
                    .append(csvNum(pUs(r.quiet, 99.9))).append(',')
                    .append(csvNum(r.dispatcherCpuMsPerSec)).append(',').append(r.lost).append('\n');
        }
        Files.writeString(file, b, StandardCharsets.UTF_8);
        return file;
    }

    static Path writeSeriesCsv(Path file, List<LoadRun.Result> results) throws IOException {
        StringBuilder b = new StringBuilder("policy,t,offered_per_s,assertions_per_s,deliveries_per_s,guest_per_s,p99_us,quiet_p99_us\n");
        for (LoadRun.Result r : results) {
            for (LoadRun.Second s : r.series) {
                b.append(r.policy).append(',').append(csvNum(s.t())).append(',').append(csvNum(s.offered())).append(',')
                        .append(csvNum(s.achieved())).append(',').append(csvNum(s.deliveries())).append(',')
                        .append(csvNum(s.guest())).append(',').append(csvNum(s.p99Us())).append(',')
                        .append(csvNum(s.quietP99Us())).append('\n');
            }
        }
        Files.writeString(file, b, StandardCharsets.UTF_8);
        return file;
    }

    private static void style(AxesChartStyler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setSeriesColors(PALETTE);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setChartTitleFont(s.getChartTitleFont().deriveFont(15f));
        s.setAxisTitleFont(s.getAxisTitleFont().deriveFont(13f));
        s.setAxisTickLabelsFont(s.getAxisTickLabelsFont().deriveFont(12f));
        s.setLegendFont(s.getLegendFont().deriveFont(12f));
        s.setYAxisDecimalPattern("#,##0.##");
    }

    private static XYChart xy(String title, String y) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("seconds").yAxisTitle(y).build();
        style(c.getStyler());
        c.getStyler().setMarkerSize(5);
        return c;
    }

    private interface Value {
        double of(LoadRun.Second s);
    }

    private static boolean addSeries(XYChart c, String name, List<LoadRun.Second> series, Value v, int colour) {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (LoadRun.Second s : series) {
            double value = v.of(s);
            if (!Double.isNaN(value) && value > 0) {
                x.add(s.t());
                y.add(value);
            }
        }
        if (x.isEmpty()) {
            return false;
        }
        XYSeries xs = c.addSeries(name, x, y);
        xs.setMarker(SeriesMarkers.CIRCLE);
        xs.setLineColor(PALETTE[colour % PALETTE.length]);
        xs.setMarkerColor(PALETTE[colour % PALETTE.length]);
        xs.setLineStyle(new BasicStroke(2f));
        return true;
    }

    private static List<Path> charts(Path dir, List<LoadRun.Result> results) throws IOException {
        List<Path> written = new ArrayList<>();
        XYChart deliveries = xy("Deliveries (" + (hasGuest(results) ? "irqfd" : "eventfd") + " writes) per second, by policy",
                "deliveries/s");
        deliveries.getStyler().setYAxisMin(0.0);
        XYChart latency = xy("p99 latency per second, stormed GSIs (intended send -> delivery)", "p99 latency, us (log)");
        latency.getStyler().setYAxisLogarithmic(true);
        XYChart quietLatency = xy("p99 latency per second, quiet GSI (intended send -> delivery)", "p99 latency, us (log)");
        quietLatency.getStyler().setYAxisLogarithmic(true);
        boolean anyD = false;
        boolean anyL = false;
        boolean anyQ = false;
        List<String> policies = labels(results);
        for (int i = 0; i < results.size(); i++) {
            LoadRun.Result r = results.get(i);
            anyD |= addSeries(deliveries, policies.get(i), r.series, LoadRun.Second::deliveries, i);
            anyL |= addSeries(latency, policies.get(i), r.series, LoadRun.Second::p99Us, i);
            anyQ |= addSeries(quietLatency, policies.get(i), r.series, LoadRun.Second::quietP99Us, i);
        }
        decades(latency);
        decades(quietLatency);
        if (anyD) {
            written.add(save(deliveries, dir.resolve("deliveries-over-time.png")));
        }
        if (anyL) {
            written.add(save(latency, dir.resolve("latency-over-time.png")));
        }
        if (anyQ) {
            written.add(save(quietLatency, dir.resolve("quiet-latency-over-time.png")));
        }
        CategoryChart rates = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Assertions, deliveries" + (hasGuest(results) ? ", guest interrupts" : "") + " per second, by policy")
                .xAxisTitle("policy").yAxisTitle("per second (log)").build();
        style(rates.getStyler());
        rates.getStyler().setYAxisLogarithmic(true);
        rates.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        rates.addSeries("assertions/s", policies, positive(results.stream().map(LoadRun.Result::assertionsPerSec).toList()));
        rates.addSeries("deliveries/s", policies, positive(results.stream().map(LoadRun.Result::deliveriesPerSec).toList()));
        if (hasGuest(results)) {
            rates.addSeries("guest irq/s", policies, positive(results.stream().map(LoadRun.Result::guestPerSec).toList()));
        }
        logFloor(rates);
        written.add(save(rates, dir.resolve("compare-rates.png")));
        CategoryChart lat = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Latency by policy: intended send -> delivery").xAxisTitle("policy").yAxisTitle("us (log)").build();
        style(lat.getStyler());
        lat.getStyler().setYAxisLogarithmic(true);
        lat.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        lat.addSeries("p50", policies, positive(results.stream().map(r -> pUs(r.storm, 50)).toList()));
        lat.addSeries("p99", policies, positive(results.stream().map(r -> pUs(r.storm, 99)).toList()));
        lat.addSeries("p99.9", policies, positive(results.stream().map(r -> pUs(r.storm, 99.9)).toList()));
        if (hasQuiet(results)) {
            lat.addSeries("quiet GSI p99", policies, positive(results.stream().map(r -> pUs(r.quiet, 99)).toList()));
        }
        logFloor(lat);
        written.add(save(lat, dir.resolve("compare-latency.png")));
        return written;
    }

    /** @return the policies' names, a policy run twice numbered (a chart needs distinct names) */
    private static List<String> labels(List<LoadRun.Result> results) {
        List<String> out = new ArrayList<>();
        for (LoadRun.Result r : results) {
            String name = r.policy;
            for (int k = 2; out.contains(name); k++) {
                name = r.policy + " (" + k + ")";
            }
            out.add(name);
        }
        return out;
    }

    /** A log axis from the decade below the lowest point to the decade above the highest: labels at each decade. */
    private static void decades(XYChart c) {
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (XYSeries series : c.getSeriesMap().values()) {
            for (double v : series.getYData()) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (hi > 0) {
            c.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(lo))));
            c.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(hi * 1.0001))));
        }
    }

    /** Bars on a log axis need a floor above 0: the decade below the smallest bar. */
    private static void logFloor(CategoryChart c) {
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (var series : c.getSeriesMap().values()) {
            for (Number n : series.getYData()) {
                lo = Math.min(lo, n.doubleValue());
                hi = Math.max(hi, n.doubleValue());
            }
        }
        c.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(lo))));
        c.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(hi * 1.0001))));
    }

    /** A log axis takes no zero or NaN: those bars are drawn at the axis floor (0.01). */
    private static List<Double> positive(List<Double> values) {
        List<Double> out = new ArrayList<>();
        for (Double v : values) {
            out.add(v == null || Double.isNaN(v) || v <= 0 ? 0.01 : v);
        }
        return out;
    }

    private static Path save(org.knowm.xchart.internal.chartpart.Chart<?, ?> c, Path file) throws IOException {
        BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }
}
