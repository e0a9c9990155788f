package io.irqfabric.internal;

/**
 * One preallocated ring slot; see the package documentation for the layout. Fields are plain:
 * the producer writes them between claim and publish, the dispatcher reads them after the
 * Disruptor's sequence barrier says the slot is published.
 */
public final class RingEvent {
    public static final int NONE = 0;
    public static final int TRIGGER = 1;
    public static final int SYNC = 2;
    public static final int OVERFLOW = 3;
    public static final int SHUTDOWN = 4;
    /** First type number free for controller events (MMIO, EOI, level changes). */
    public static final int FIRST_CONTROLLER_TYPE = 16;
    /** Guest register read: target = device id, a = packed access, reply answered at once. */
    public static final int DEVICE_READ = 16;
    /** Guest register write: target = device id, a = packed access, b = value. */
    public static final int DEVICE_WRITE = 17;
    /** A controller was created: target = device id; the dispatcher sets its reset state. */
    public static final int DEVICE_ATTACH = 18;
    /** An IOAPIC pin's line word changed: target = pin. */
    public static final int LINE_CHANGED = 19;
    /** An IOAPIC EOI: target = vector. */
    public static final int EOI = 20;
    /** An RTC tick that asks whether it was coalesced: reply = 1 if coalesced. */
    public static final int RTC_PULSE = 21;
    /** A request dropped by a producer-side check: target = GSI, a = detail (requester ID). */
    public static final int REJECTED = 22;
    /**
     * A GSI's moderation policy changes: target = GSI, a and b = the policy
     * ({@link Moderation#encodeA}, {@link Moderation#encodeB}).
     */
    public static final int MODERATE = 23;
    /** First type handled by the {@code SnapshotEngine}; a = the mailbox ticket of the request's object. */
    public static final int FIRST_SNAPSHOT_TYPE = 40;
    /** The snapshot cut: capture every piece of interrupt state. */
    public static final int SNAPSHOT = 40;
    /** Apply a decoded snapshot. */
    public static final int RESTORE = 41;
    /** Capture one controller's state: target = device id. */
    public static final int STATE_GET = 42;
    /** Apply one controller's state: target = device id. */
    public static final int STATE_SET = 43;
    /** Reset one controller: target = device id. */
    public static final int DEVICE_RESET = 44;
    /** Detach a destroyed controller: target = device id. */
    public static final int DEVICE_DESTROY = 45;

    public int type;
    public int target;
    public long a;
    public long b;
    public ReplySlot reply;

    /** Resets payload fields a previous use may have left. */
    public void clear() {
        type = NONE;
        target = 0;
        a = 0;
        b = 0;
        reply = null;
    }
}
