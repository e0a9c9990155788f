package io.irqfabric;

/** An operation that is not allowed in the object's current state (a builder used twice, ...). */
public final class FabricStateException extends FabricException {
    private static final long serialVersionUID = 1L;

    /** @param message what was attempted and why it is not allowed now */
    public FabricStateException(String message) {
        super(message);
    }

    /**
     * @param message what happened
     * @param cause   the underlying failure
     */
    public FabricStateException(String message, Throwable cause) {
        super(message, cause);
    }
}
