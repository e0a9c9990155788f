package io.irqfabric.examples;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The open-loop schedules, computed from the pattern alone: exact for steady and bursty, within
 * bounds derived from the statistics of the seeded Poisson process (no timing involved).
 */
class LoadScheduleTest {
    private static long[] times(LoadSchedule s, int n) {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = s.next();
        }
        return t;
    }

    @Test
    void steadyIsEvenlySpacedWithoutDrift() {
        LoadSchedule s = new LoadSchedule(LoadSchedule.Pattern.STEADY, 300_000, 1, 1); // 3333.33 ns: not a whole number
        long[] t = times(s, 300_001);
        assertTrue(s.paced());
        assertEquals(0, t[0]);
        for (int i = 1; i < t.length; i++) {
            long gap = t[i] - t[i - 1];
            assertTrue(gap == 3333 || gap == 3334, "gap " + gap + " at " + i);
        }
        assertEquals(1_000_000_000L, t[300_000], 1, "300k assertions at 300k/s span exactly one second");
    }

    @Test
    void poissonGapsHaveTheExponentialMeanAndSpread() {
        int n = 200_000;
        double rate = 100_000; // mean gap 10 us
        long[] t = times(new LoadSchedule(LoadSchedule.Pattern.POISSON, rate, 1, 42), n + 1);
        double mean = 1e9 / rate;
        double sum = 0;
        double sumSq = 0;
        long shortGaps = 0;
        for (int i = 1; i <= n; i++) {
            double gap = t[i] - t[i - 1];
            assertTrue(gap >= 0, "non-decreasing");
            sum += gap;
            sumSq += gap * gap;
            if (gap < mean * Math.log(2)) {
                shortGaps++; // P(gap < median) = 1/2 for an exponential
            }
        }
        double m = sum / n;
        double sd = Math.sqrt(sumSq / n - m * m);
        // mean of n Exp gaps: sd mean/sqrt(n) = 22 ns; 6 sigma
        assertEquals(mean, m, 6 * mean / Math.sqrt(n), "mean gap");
        // sample sd of an exponential: sd ~ mean, its own sd ~ mean/sqrt(n) (kurtosis 9: sqrt(8/4n) ~ 1.42/sqrt(n)); 6 sigma
        assertEquals(mean, sd, 6 * 1.42 * mean / Math.sqrt(n), "an exponential's sd equals its mean (steady would have 0)");
        // a binomial(n, 1/2): sd sqrt(n)/2 = 224; 6 sigma
        assertEquals(n / 2.0, shortGaps, 6 * Math.sqrt(n) / 2, "half the gaps are under the median");
    }

    @Test
    void poissonIsReproducibleFromItsSeed() {
        long[] a = times(new LoadSchedule(LoadSchedule.Pattern.POISSON, 50_000, 1, 7), 1000);
        long[] b = times(new LoadSchedule(LoadSchedule.Pattern.POISSON, 50_000, 1, 7), 1000);
        long[] c = times(new LoadSchedule(LoadSchedule.Pattern.POISSON, 50_000, 1, 8), 1000);
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
    }

    @Test
    void burstyIsOnOffAtTheAverageRate() {
        int burst = 64;
        double rate = 128_000; // a burst of 64 every 500 us
        long[] t = times(new LoadSchedule(LoadSchedule.Pattern.BURSTY, rate, burst, 1), burst * 100);
        for (int b = 0; b < 100; b++) {
            long start = t[b * burst];
            assertEquals(b * 500_000L, start, 1, "burst " + b + " starts on the average rate's schedule");
            for (int i = 1; i < burst; i++) {
                assertEquals(start, t[b * burst + i], "burst " + b + ": back to back (all intended at once)");
            }
        }
        // the average over whole bursts is the rate: 6400 assertions in 100 bursts of 500 us
        assertEquals(100 * 500_000L, t[t.length - 1] + 500_000L, 1);
    }

    @Test
    void flatOutHasNoSchedule() {
        LoadSchedule s = new LoadSchedule(LoadSchedule.Pattern.FLAT_OUT, 0, 1, 1);
        assertFalse(s.paced());
        assertEquals(0, s.next());
    }

    @Test
    void patternsParseAndRefuse() {
        assertEquals(LoadSchedule.Pattern.FLAT_OUT, LoadSchedule.Pattern.parse("flat-out"));
        assertEquals(LoadSchedule.Pattern.BURSTY, LoadSchedule.Pattern.parse("Bursty"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoadSchedule.Pattern.parse("sawtooth"));
        assertTrue(e.getMessage().contains("flat-out, steady, poisson, bursty"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LoadSchedule(LoadSchedule.Pattern.STEADY, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new LoadSchedule(LoadSchedule.Pattern.BURSTY, 1000, 0, 1));
    }
}
