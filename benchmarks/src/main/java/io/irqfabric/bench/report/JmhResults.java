package io.irqfabric.bench.report;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The records of a JMH JSON result file ({@code -rf json}), reduced to what the report uses.
 */
final class JmhResults {
    /**
     * One benchmark configuration's result.
     *
     * @param method      the benchmark method's simple name ({@code storm1p}, {@code assertToWrite}, ...)
     * @param benchmark   the full name
     * @param mode        JMH mode ({@code thrpt}, {@code avgt}, {@code sample})
     * @param threads     benchmark threads
     * @param params      the {@code @Param} values
     * @param score       the primary score
     * @param error       its 99.9% error half-width (NaN if JMH gave none)
     * @param unit        the primary unit
     * @param percentiles primary percentiles by key ("50.0", "99.0", ...)
     * @param secondary   secondary scores by name (aux counters, {@code gc.alloc.rate.norm}, ...)
     * @param secondaryRaw secondary per-iteration values by name (all forks, in order)
     * @param forks       forks
     * @param warmup      warmup iterations and time, as JMH reports them
     * @param measurement measurement iterations and time
     */
    record Record(String method, String benchmark, String mode, int threads, Map<String, String> params,
                  double score, double error, String unit, Map<String, Double> percentiles,
                  Map<String, Double> secondary, Map<String, List<Double>> secondaryRaw, int forks, String warmup,
                  String measurement) {
        /**
         * @param name a param name
         * @return its value, or "" if absent
         */
        String param(String name) {
            return params.getOrDefault(name, "");
        }

        /**
         * @param p percentile, 0..100 (50, 90, 99, 99.9)
         * @return the primary percentile, NaN if absent
         */
        double percentile(double p) {
            Double v = percentiles.get(String.valueOf(p));
            return v == null ? Double.NaN : v;
        }

        /**
         * @param name secondary metric name
         * @return its per-iteration values (empty if absent)
         */
        List<Double> secondaryRaw(String name) {
            return secondaryRaw.getOrDefault(name, List.of());
        }

        /**
         * @param name secondary metric name
         * @return its score, NaN if absent
         */
        double secondary(String name) {
            Double v = secondary.get(name);
            return v == null ? Double.NaN : v;
        }
    }

    private final List<Record> records;

    private JmhResults(List<Record> records) {
        this.records = Collections.unmodifiableList(records);
    }

    /**
     * @param json the text of a JMH JSON result file
     * @return the records
     * @throws IllegalArgumentException if it is not JSON or not an array of results
     */
    static JmhResults parse(String json) {
        JsonNode root = Json.tree(json);
        if (!root.isArray()) {
            throw new IllegalArgumentException("a JMH JSON result file is an array");
        }
        List<Record> out = new ArrayList<>();
        for (JsonNode m : root) {
            String benchmark = m.path("benchmark").asText();
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            Map<String, String> params = new LinkedHashMap<>();
            m.path("params").properties().forEach(e -> params.put(e.getKey(), e.getValue().asText()));
            JsonNode primary = m.path("primaryMetric");
            Map<String, Double> pct = new LinkedHashMap<>();
            primary.path("scorePercentiles").properties().forEach(e -> pct.put(e.getKey(), Json.number(e.getValue())));
            Map<String, Double> secondary = new LinkedHashMap<>();
            Map<String, List<Double>> secondaryRaw = new LinkedHashMap<>();
            m.path("secondaryMetrics").properties().forEach(e -> {
                secondary.put(e.getKey(), Json.number(e.getValue().get("score")));
                List<Double> raw = new ArrayList<>();
                for (JsonNode fork : e.getValue().path("rawData")) {
                    for (JsonNode x : fork) {
                        raw.add(Json.number(x));
                    }
                }
                secondaryRaw.put(e.getKey(), raw);
            });
            out.add(new Record(method, benchmark, m.path("mode").asText(), m.path("threads").asInt(),
                    params, Json.number(primary.get("score")), Json.number(primary.get("scoreError")),
                    primary.path("scoreUnit").asText(), pct, secondary, secondaryRaw, m.path("forks").asInt(),
                    m.path("warmupIterations").asText() + " x " + m.path("warmupTime").asText(),
                    m.path("measurementIterations").asText() + " x " + m.path("measurementTime").asText()));
        }
        return new JmhResults(out);
    }

    /** @return every record, in file order */
    List<Record> all() {
        return records;
    }

    /**
     * Like {@link #find(String, String)}, among the records whose {@code param} is {@code value}
     * (a record without that param, from a run before it existed, counts as {@code absentMeans}).
     *
     * @param method      the benchmark method
     * @param path        the {@code path} param
     * @param param       another param's name
     * @param value       its value
     * @param absentMeans what a record without the param counts as
     * @return the first match
     */
    Optional<Record> find(String method, String path, String param, String value, String absentMeans) {
        for (Record r : records) {
            String v = r.param(param);
            if (r.method().equals(method) && r.param("path").equals(path) && (v.isEmpty() ? absentMeans : v).equals(value)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /**
     * @param method benchmark method simple name
     * @param path   the {@code path} param
     * @return the first record, if present
     */
    Optional<Record> find(String method, String path) {
        return find(method, path, "path", path, "");
    }
}
