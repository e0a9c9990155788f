package io.irqfabric.eventfd;

import java.lang.reflect.InvocationTargetException;

/**
 * Chooses, once, how {@link EventFd} makes its system calls: {@code java.lang.foreign} on JDK
 * 22 and newer when the multi-release jar's {@code META-INF/versions/22} classes are there, JNA
 * otherwise. The system property {@value #PROPERTY} forces a path: {@code jna}, {@code ffm} or
 * {@code auto} (the default). {@code ffm} on a JDK or jar without the FFM classes falls back to
 * JNA with a warning, as does an unknown value (which is treated as {@code auto}).
 */
final class EventFdIos {
    /** The system property that forces a path. */
    static final String PROPERTY = "irqfabric.eventfd.io";

    private static final System.Logger LOG = System.getLogger(EventFd.class.getName());

    /** The JDK 22+ implementation, or null where it cannot load. */
    private static final EventFdIo FFM = loadFfm();

    /** The path every {@link EventFd#create()} uses. */
    static final EventFdIo SELECTED = select(System.getProperty(PROPERTY, "auto"));

    private EventFdIos() {
    }

    /** @return the FFM implementation, or null on JDK 17 to 21 (or a jar without it) */
    static EventFdIo ffm() {
        return FFM;
    }

    /** @return the JNA implementation */
    static EventFdIo jna() {
        return JnaEventFdIo.INSTANCE;
    }

    static EventFdIo select(String requested) {
        switch (requested) {
            case "jna":
                return jna();
            case "ffm":
                if (FFM == null) {
                    LOG.log(System.Logger.Level.WARNING, PROPERTY + "=ffm, but java.lang.foreign eventfd I/O is not available"
                            + " on Java " + Runtime.version().feature() + " (it needs JDK 22+ and the multi-release jar): using JNA");
                    return jna();
                }
                return FFM;
            case "auto":
                return FFM != null ? FFM : jna();
            default:
                LOG.log(System.Logger.Level.WARNING, PROPERTY + "=" + requested + " is not jna, ffm or auto: using auto");
                return FFM != null ? FFM : jna();
        }
    }

    private static EventFdIo loadFfm() {
        if (Runtime.version().feature() < 22) {
            return null;
        }
        try {
            // Only in META-INF/versions/22 of the multi-release jar (and, for the tests, in the
            // directory the JDK 22+ build profile adds to the class path).
            Class<?> c = Class.forName("io.irqfabric.eventfd.FfmEventFdIo");
            return (EventFdIo) c.getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            return null;
        } catch (InvocationTargetException e) {
            LOG.log(System.Logger.Level.WARNING, "java.lang.foreign eventfd I/O failed to link; using JNA", e.getCause());
            return null;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "java.lang.foreign eventfd I/O failed to load; using JNA", e);
            return null;
        }
    }
}
