package io.irqfabric;

/**
 * An operation on an interrupt source group or controller that was destroyed
 * ({@link InterruptFabric#destroy(InterruptSourceGroup)} and its overloads): refused at once,
 * nothing was asserted or written.
 */
public final class SourceDestroyedException extends FabricException {
    private static final long serialVersionUID = 1L;

    /** @param message what was attempted on which destroyed source */
    public SourceDestroyedException(String message) {
        super(message);
    }
}
