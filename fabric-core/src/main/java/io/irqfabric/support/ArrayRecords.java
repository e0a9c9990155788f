package io.irqfabric.support;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;

/**
 * Value semantics for records with array components (the controllers' snapshot states such as
 * {@code MsixState}): a record's own {@code equals}, {@code hashCode} and {@code toString} compare,
 * hash and print its arrays by identity, so such a record delegates the three to this class,
 * which treats every component, arrays by content, in declaration order:
 *
 * <pre>{@code
 * public record MsixState(int control, long[] address, ...) {
 *     public boolean equals(Object o) { return ArrayRecords.equals(this, o); }
 *     public int hashCode()           { return ArrayRecords.hashCode(this); }
 *     public String toString()        { return ArrayRecords.toString(this); }
 * }
 * }</pre>
 *
 * Components are read through their public accessors, so the record must be public (an accessor
 * that returns a copy is fine). Not for hot paths: each call reads every component reflectively.
 * This package is not exported.
 */
public final class ArrayRecords {
    private static final ClassValue<RecordComponent[]> COMPONENTS = new ClassValue<>() {
        @Override
        protected RecordComponent[] computeValue(Class<?> type) {
            return type.getRecordComponents();
        }
    };

    private ArrayRecords() {
    }

    /**
     * Record equality with arrays compared by content.
     *
     * @param self  the record
     * @param other any object
     * @return true if {@code other} is a record of the same class whose components all equal
     *         {@code self}'s, arrays element by element
     */
    public static boolean equals(Record self, Object other) {
        if (self == other) {
            return true;
        }
        if (other == null || other.getClass() != self.getClass()) {
            return false;
        }
        return Arrays.deepEquals(values(self), values((Record) other));
    }

    /**
     * A hash code consistent with {@link #equals(Record, Object)}.
     *
     * @param self the record
     * @return the hash of all components, arrays by content
     */
    public static int hashCode(Record self) {
        return Arrays.deepHashCode(values(self));
    }

    /**
     * The record's usual text form with arrays printed element by element.
     *
     * @param self the record
     * @return {@code Name[component=value, ...]}
     */
    public static String toString(Record self) {
        RecordComponent[] components = COMPONENTS.get(self.getClass());
        Object[] values = values(self);
        StringBuilder b = new StringBuilder(self.getClass().getSimpleName()).append('[');
        for (int i = 0; i < components.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            // deepToString of a one-element array prints any array type by content: "[[1, 2]]".
            String one = Arrays.deepToString(new Object[] {values[i]});
            b.append(components[i].getName()).append('=').append(one, 1, one.length() - 1);
        }
        return b.append(']').toString();
    }

    private static Object[] values(Record r) {
        RecordComponent[] components = COMPONENTS.get(r.getClass());
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            try {
                values[i] = components[i].getAccessor().invoke(r);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read component " + components[i].getName() + " of "
                        + r.getClass().getName() + " (ArrayRecords needs a public record)", e);
            }
        }
        return values;
    }
}
