package io.irqfabric.snapshot;

import io.irqfabric.FabricException;

/**
 * A snapshot that {@link io.irqfabric.InterruptFabric#restore(byte[])} refuses. Nothing of it has
 * been applied: the snapshot is decoded and checked completely, and compared with the target
 * fabric, before any state changes. {@link #reason()} says which check failed.
 */
public final class SnapshotFormatException extends FabricException {
    private static final long serialVersionUID = 1L;

    /** Why a snapshot was refused. */
    public enum Reason {
        /** Shorter than its header says, or than a header. */
        TRUNCATED,
        /** The CRC32C does not match, or bytes follow the declared end. */
        CORRUPTED,
        /** Not an irqfabric snapshot: the magic is wrong. */
        FOREIGN,
        /** Written by a newer format version than this reader knows. */
        NEWER_VERSION,
        /** The checksum matches but the content is inconsistent (an unknown section, a value out of range). */
        MALFORMED,
        /** Well formed, but the target fabric's configuration differs (GSI count, IOAPIC, controllers, groups). */
        MISMATCH
    }

    /** Which check failed. */
    private final Reason reason;

    /**
     * A refusal with its reason; the message starts with the reason.
     *
     * @param reason  which check failed
     * @param message what was found, naming the offset or value
     */
    public SnapshotFormatException(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = reason;
    }

    /** {@return which check failed} */
    public Reason reason() {
        return reason;
    }
}
