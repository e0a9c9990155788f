package io.irqfabric.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An int on a cache line of its own. The padding lives in a class hierarchy
 * (LhsPadding -> Value -> RhsPadding, as Disruptor's {@code Sequence}) because the JVM lays
 * fields of one class out as it likes but keeps a superclass's fields before a subclass's:
 * pads in the same class as the hot field would be reordered away from it.
 */
abstract class PaddedIntLhs {
    byte p000, p001, p002, p003, p004, p005, p006, p007, p010, p011, p012, p013, p014, p015, p016, p017;
    byte p020, p021, p022, p023, p024, p025, p026, p027, p030, p031, p032, p033, p034, p035, p036, p037;
    byte p040, p041, p042, p043, p044, p045, p046, p047, p050, p051, p052, p053, p054, p055, p056, p057;
    byte p060, p061, p062, p063, p064, p065, p066, p067, p070, p071, p072, p073, p074, p075, p076, p077;
}

abstract class PaddedIntValue extends PaddedIntLhs {
    volatile int value;
}

/** See the file comment: a cache-line-padded int with explicitly ordered accessors. */
public final class PaddedInt extends PaddedIntValue {
    byte p100, p101, p102, p103, p104, p105, p106, p107, p110, p111, p112, p113, p114, p115, p116, p117;
    byte p120, p121, p122, p123, p124, p125, p126, p127, p130, p131, p132, p133, p134, p135, p136, p137;
    byte p140, p141, p142, p143, p144, p145, p146, p147, p150, p151, p152, p153, p154, p155, p156, p157;
    byte p160, p161, p162, p163, p164, p165, p166, p167, p170, p171, p172, p173, p174, p175, p176, p177;

    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(PaddedIntValue.class, "value", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** @return the value, volatile load */
    public int lv() {
        return value;
    }

    /** @param v stored with a volatile (sequentially consistent) store */
    public void sv(int v) {
        value = v;
    }

    /** @param v stored with release ordering */
    public void so(int v) {
        VALUE.setRelease(this, v);
    }

    /**
     * @param expect expected value
     * @param update new value
     * @return true if swapped
     */
    public boolean cas(int expect, int update) {
        return VALUE.compareAndSet(this, expect, update);
    }

    /**
     * @param v new value
     * @return the previous value (sequentially consistent get-and-set)
     */
    public int gas(int v) {
        return (int) VALUE.getAndSet(this, v);
    }
}
