package io.irqfabric;

/**
 * The fabric was closed before this call was accepted. An assertion that ends in this
 * exception was not accepted: the fabric gives no delivery guarantee for it.
 */
public final class FabricClosedException extends FabricException {
    private static final long serialVersionUID = 1L;

    /** @param message what was attempted on the closed fabric */
    public FabricClosedException(String message) {
        super(message);
    }
}
