package io.irqfabric.msi;

/**
 * A device's MSI-X table and Pending Bit Array, owned by the dispatcher thread. Created by
 * {@link io.irqfabric.InterruptFabric#createMsixTable(int, int)}; vector {@code v} signals GSI
 * {@code baseGsi() + v}.
 *
 * <p><b>Guest side</b> ({@link #tableRead}, {@link #tableWrite}, {@link #pbaRead},
 * {@link #pbaWrite}, {@link #readMessageControl}, {@link #writeMessageControl}) is called by the
 * VMM's vCPU threads when the guest touches the BAR or the capability. Each call travels through
 * the ring; a read waits for its answer, so a vCPU always reads its own earlier writes. Offsets
 * are relative to the table (or PBA) start. Accesses must be 32- or 64-bit and naturally aligned;
 * anything else is ignored, counted ({@link io.irqfabric.FabricCounters#guestAccessErrors()}),
 * reported as {@link io.irqfabric.FabricErrorHandler.Kind#GUEST_ACCESS_INVALID}, and a bad read
 * returns all ones. Nothing a guest writes throws.
 *
 * <pre>
 *   table entry v at offset 16*v                       PBA: bit v of qword v/64
 *   +0x0  message address low   (bits 1:0 read 0)      +0x0  pending bits of vectors 0..63
 *   +0x4  message address high                         +0x8  vectors 64..127 ...
 *   +0x8  message data                                 (read-only; writes ignored)
 *   +0xC  vector control: bit 0 = mask, others read 0
 *
 *   message control (capability offset +2, 16 bits)
 *    15      14            13..11    10..0
 *   +-------+-------------+--------+-----------------+
 *   |enable |function mask|  0     | table size - 1  |  (table size is read-only)
 *   +-------+-------------+--------+-----------------+
 * </pre>
 *
 * <p><b>Masking.</b> After reset every vector is masked and MSI-X is disabled. A vector is
 * <em>effectively masked</em> while its mask bit, the function mask, or a clear enable bit says
 * so. A trigger on an effectively masked vector sets its pending bit (visible in the PBA) and
 * delivers nothing; when the vector becomes unmasked a set pending bit is delivered once and
 * cleared. The route of a vector (its address and data, passed to the
 * {@link io.irqfabric.RouteListener}) is (re)computed when it is unmasked and when its address
 * or data change while unmasked; the listener also hears every mask change.
 */
public interface MsixTable extends MsiVectorGroup {
    /** Bytes per table entry. */
    int ENTRY_SIZE = 16;
    /** Vector control: the per-vector mask bit. */
    int VECTOR_CONTROL_MASK = 1;
    /** Message control: MSI-X enable. */
    int CONTROL_ENABLE = 1 << 15;
    /** Message control: function mask. */
    int CONTROL_FUNCTION_MASK = 1 << 14;
    /** Largest table: 2048 vectors. */
    int MAX_VECTORS = 2048;

    /** {@return the table's size in bytes ({@code 16 * vectorCount()})} */
    int tableSize();

    /** {@return the PBA's size in bytes (a qword per 64 vectors)} */
    int pbaSize();

    /**
     * Guest read of the table.
     *
     * @param offset byte offset in the table
     * @param size   4 or 8
     * @return the value (zero-extended), all ones if the access is invalid
     */
    long tableRead(long offset, int size);

    /**
     * Guest write to the table.
     *
     * @param offset byte offset in the table
     * @param size   4 or 8
     * @param value  the value (low {@code size} bytes used)
     */
    void tableWrite(long offset, int size, long value);

    /**
     * Guest read of the Pending Bit Array.
     *
     * @param offset byte offset in the PBA
     * @param size   4 or 8
     * @return the pending bits, all ones if the access is invalid
     */
    long pbaRead(long offset, int size);

    /**
     * Guest write to the PBA: the PBA is read-only, so a valid write is ignored (an invalid
     * one is also counted).
     *
     * @param offset byte offset in the PBA
     * @param size   4 or 8
     * @param value  ignored
     */
    void pbaWrite(long offset, int size, long value);

    /** {@return the 16-bit message control register} */
    int readMessageControl();

    /**
     * Guest write of the message control register: bits 15 (enable) and 14 (function mask)
     * are writable, the rest are read-only.
     *
     * @param value the 16-bit value
     */
    void writeMessageControl(int value);

    /**
     * Captures the whole state of this table in ring order (after every event this thread
     * published before), for a VMM that keeps its own snapshot format. Waits for the dispatcher.
     *
     * @return the state
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    MsixState state();

    /**
     * Applies a state captured with {@link #state()} (from this table or one of the same shape on
     * another fabric), in ring order, and waits until it is applied. Routes are staged for every
     * routed vector and committed before the deliveries of that batch; a pending bit of a vector the state leaves unmasked is delivered once; one of a masked vector stays pending.
     *
     * @param state the state
     * @throws IllegalArgumentException              if {@code state} is null or of another shape
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    void setState(MsixState state);

    /**
     * Function-level reset, in ring order; waits until applied: MSI-X disabled, function mask
     * clear, every entry zero and masked, routes removed. Pending bits are kept and delivered
     * when the guest unmasks the vector again (an assertion accepted before the reset is never
     * lost; a fresh driver tolerates a spurious interrupt).
     *
     * @throws io.irqfabric.SourceDestroyedException if it was destroyed
     * @throws io.irqfabric.FabricClosedException    if the fabric is closed
     */
    void reset();
}
