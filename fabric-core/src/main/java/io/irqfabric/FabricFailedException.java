package io.irqfabric;

/**
 * The fabric has failed: its dispatcher stopped for good without being closed (see
 * {@link InterruptFabric#failure()}), so it refuses every further call. An assertion that ends in
 * this exception was not accepted: the fabric gives no delivery guarantee for it. The cause is
 * the failure of the dispatcher.
 */
public final class FabricFailedException extends FabricException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what was attempted on the failed fabric
     * @param cause   why the dispatcher stopped
     */
    public FabricFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
