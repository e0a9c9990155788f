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
