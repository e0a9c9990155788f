package io.irqfabric;

/** A builder or configuration value is invalid (ring size not a power of two, no sink, ...). */
public final class FabricConfigException extends FabricException {
    private static final long serialVersionUID = 1L;

    /** @param message which setting is wrong, its value and what is allowed */
    public FabricConfigException(String message) {
        super(message);
    }

    /**
     * @param message which setting is wrong and why
     * @param cause   the underlying failure (for example an I/O error)
     */
    public FabricConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
