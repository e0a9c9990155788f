package io.irqfabric;

/** A GSI (or a source index within a group) outside the range the fabric was built for. */
public final class UnknownGsiException extends FabricException {
    private static final long serialVersionUID = 1L;
    /** The offending GSI or index. */
    private final int gsi;

    /**
     * @param gsi     the offending GSI or index
     * @param message the valid range
     */
    public UnknownGsiException(int gsi, String message) {
        super(message);
        this.gsi = gsi;
    }

    /** @return the GSI (or index) that was refused */
    public int gsi() {
        return gsi;
    }
}
