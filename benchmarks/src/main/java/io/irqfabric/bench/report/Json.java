package io.irqfabric.bench.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The report's JSON, through Jackson: JMH's result file and the floor program's line are read
 * as trees or plain maps; {@code summary.json} is written indented, every number exactly as
 * the double it is ({@link Double#toString}), a non-finite number as {@code null}. JMH writes
 * {@code "NaN"} as a string; {@link #number(Object)} and {@link #number(JsonNode)} read it as NaN.
 */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .registerModule(new SimpleModule("irqfabric-report")
                    .addSerializer(Double.class, new FiniteOrNull<>(Double.class))
                    .addSerializer(Float.class, new FiniteOrNull<>(Float.class)));

    private Json() {
    }

    /**
     * @param text JSON text
     * @return its tree
     * @throws IllegalArgumentException on malformed input
     */
    static JsonNode tree(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * @param text JSON text
     * @return the value as {@code Map} / {@code List} / {@code Number} / {@code String} /
     *         {@code Boolean} / {@code null}
     * @throws IllegalArgumentException on malformed input
     */
    static Object parse(String text) {
        try {
            return MAPPER.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * @param text the text of a JSON object
     * @return its members, in file order
     * @throws IllegalArgumentException on malformed input or if it is not an object
     */
    static Map<String, Object> parseObject(String text) {
        try {
            return MAPPER.readValue(text, new TypeReference<Map<String, Object>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * @param v a parsed value: a number, a numeric string ("NaN" included), or null
     * @return it as a double; NaN for null or anything else
     */
    static double number(Object v) {
        if (v instanceof Number) {
            return ((Number) v).doubleValue();
        }
        if (v instanceof String) {
            try {
                return Double.parseDouble((String) v);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    /**
     * @param n a node, possibly null or missing
     * @return its number (a numeric string such as JMH's {@code "NaN"} included), NaN otherwise
     */
    static double number(JsonNode n) {
        if (n == null) {
            return Double.NaN;
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        return n.isTextual() ? number(n.textValue()) : Double.NaN;
    }

    /**
     * Writes a value (Map, List, Number, String, Boolean, null) as indented JSON with a final
     * newline. Non-finite numbers become null.
     *
     * @param v the value
     * @return the text
     */
    static String write(Object v) {
        try {
            return MAPPER.writeValueAsString(v) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A floating-point number as Jackson writes it, or {@code null} where JSON has no number for it. */
    private static final class FiniteOrNull<T extends Number> extends StdSerializer<T> {
        private static final long serialVersionUID = 1L;

        FiniteOrNull(Class<T> type) {
            super(type);
        }

        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            double d = value.doubleValue();
            if (!Double.isFinite(d)) {
                gen.writeNull();
            } else if (value instanceof Float) {
                gen.writeNumber(value.floatValue());
            } else {
                gen.writeNumber(d);
            }
        }
    }
}
