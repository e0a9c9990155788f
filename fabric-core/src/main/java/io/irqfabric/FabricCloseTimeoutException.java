package io.irqfabric;

/**
 * {@link InterruptFabric#close(java.time.Duration)} ran out of time: the dispatcher had not
 * delivered everything accepted before the bound passed (typically a sink that blocks). The
 * fabric is closed (it accepts nothing new); its dispatcher goes on and delivers the rest if the
 * sink returns. This exception says where the dispatcher was and how much was left.
 */
public final class FabricCloseTimeoutException extends FabricException {
    private static final long serialVersionUID = 1L;

    /** The GSI whose delivery the dispatcher was inside when the bound passed, or -1. */
    private final int deliveringGsi;
    /** Ring events published and not yet handled by the dispatcher when the bound passed. */
    private final long unhandledEvents;

    /**
     * @param message         what was left undelivered
     * @param deliveringGsi   the GSI whose {@link InterruptSink#deliver(int)} the dispatcher was
     *                        inside when the bound passed, or -1
     * @param unhandledEvents ring events published and not yet handled by the dispatcher
     */
    public FabricCloseTimeoutException(String message, int deliveringGsi, long unhandledEvents) {
        super(message);
        this.deliveringGsi = deliveringGsi;
        this.unhandledEvents = unhandledEvents;
    }

    /** @return the GSI whose delivery the dispatcher was inside, or -1 */
    public int deliveringGsi() {
        return deliveringGsi;
    }

    /** @return ring events (assertions, requests) published and not yet handled */
    public long unhandledEvents() {
        return unhandledEvents;
    }
}
