package io.irqfabric;

/**
 * Base of every exception irqfabric throws at its caller: misuse of the API (a closed fabric,
 * an unknown GSI, a bad configuration) and failed native set-up calls. Errors on the
 * dispatcher thread are never thrown: they go to the {@link FabricErrorHandler} and a counter.
 */
public class FabricException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong, naming the value or call at fault */
    public FabricException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong
     * @param cause   the underlying failure
     */
    public FabricException(String message, Throwable cause) {
        super(message, cause);
    }
}
