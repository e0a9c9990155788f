package io.irqfabric.bench.path;

/**
 * The verdict of {@link TriggerPath#verify(long[])}: how many assertions and eventfd writes
 * were seen, and every inconsistency found ("lost" is the number of GSIs with one).
 *
 * @param path       the path's name
 * @param assertions assertions the producers made
 * @param writes     eventfd writes the path made (its own count)
 * @param readBack   eventfd counter values read back after close (what the kernel saw)
 * @param lost       GSIs whose assertions were not all covered by a later delivery, or whose
 *                   counts disagree
 * @param detail     a description of the first problems, or "ok"
 */
public record LossReport(String path, long assertions, long writes, long readBack, int lost, String detail) {
    /** @return true if nothing was lost and the counts agree */
    public boolean ok() {
        return lost == 0;
    }

    /**
     * @return assertions per eventfd write (1 for a path that does not coalesce)
     */
    public double coalescingRatio() {
        return writes == 0 ? 0 : (double) assertions / writes;
    }

    /**
     * Throws if anything was lost: a benchmark's {@code @TearDown} calls this so a run that
     * loses an interrupt fails instead of reporting a figure.
     *
     * @return this
     * @throws IllegalStateException if {@link #ok()} is false
     */
    public LossReport orThrow() {
        if (!ok()) {
            throw new IllegalStateException("LOST INTERRUPTS on " + path + ": " + detail);
        }
        return this;
    }
}
