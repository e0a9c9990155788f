package io.irqfabric.kvm;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import io.irqfabric.eventfd.EventFd;
import io.irqfabric.kvm.sys.LibC;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One thread that waits with poll(2) on every level line's resamplefd plus a control eventfd,
 * and hands each resample to its {@link LevelIrqFd}. Lines are added rarely (configuration),
 * so the pollfd array is rebuilt when the control eventfd says the set changed.
 */
final class Resampler implements Runnable {
    private static final System.Logger LOG = System.getLogger(Resampler.class.getName());
    private final CopyOnWriteArrayList<LevelIrqFd> lines = new CopyOnWriteArrayList<>();
    private final EventFd control = EventFd.create();
    private final Thread thread;
    private volatile boolean stop;

    Resampler() {
        thread = new Thread(this, "irqfabric-kvm-resampler");
        thread.setDaemon(true);
        thread.start();
    }

    void add(LevelIrqFd line) {
        lines.add(line);
        control.signal();
    }

    void remove(LevelIrqFd line) {
        lines.remove(line);
        control.signal();
    }

    @Override
    public void run() {
        LevelIrqFd[] snapshot = new LevelIrqFd[0];
        Memory fds = new Memory(8);
        boolean rebuild = true;
        while (!stop) {
            if (rebuild) {
                snapshot = lines.toArray(new LevelIrqFd[0]);
                fds = new Memory(8L * (snapshot.length + 1));
                rebuild = false;
            }
            // struct pollfd { int fd; short events; short revents; } x (1 + lines)
            fds.setInt(0, control.fd());
            fds.setShort(4, LibC.POLLIN);
            fds.setShort(6, (short) 0);
            for (int i = 0; i < snapshot.length; i++) {
                long at = 8L * (i + 1);
                fds.setInt(at, snapshot[i].resampleFd().fd());
                fds.setShort(at + 4, LibC.POLLIN);
                fds.setShort(at + 6, (short) 0);
            }
            // SAFETY: fds holds exactly 1 + snapshot.length struct pollfd (8 bytes each), owned
            // by this thread and alive across the call; the fds are open eventfds (closed only
            // after this thread stopped).
            int r = LibC.poll(fds, snapshot.length + 1, -1);
            if (r < 0) {
                int errno = Native.getLastError();
                if (errno != LibC.EINTR) {
                    // Never give up: a dead resampler would leave every level line low after its
                    // next EOI. Report (rate-limited), back off briefly, rebuild the set, retry.
                    failed("poll failed: " + LibC.describe(errno), null);
                    java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
                    rebuild = true;
                }
                continue;
            }
            if ((fds.getShort(6) & LibC.POLLIN) != 0) {
                control.read();
                rebuild = true;
            }
            for (int i = 0; i < snapshot.length; i++) {
                if ((fds.getShort(8L * (i + 1) + 6) & LibC.POLLIN) != 0) {
                    LevelIrqFd line = snapshot[i];
                    try {
                        long eois = line.resampleFd().read();
                        if (eois > 0) {
                            line.onResample(eois);
                        }
                    } catch (Throwable t) {
                        // One line's failing action (or a closed fd) must not stop the others.
                        failed("resample of pin " + line.pin() + " failed", t);
                    }
                }
            }
        }
    }

    private long lastReportNanos;
    private long suppressed;
    private boolean reported;

    /** Resampler thread: logs at most one line a second, with the count of those suppressed. */
    private void failed(String what, Throwable t) {
        long now = System.nanoTime();
        if (reported && now - lastReportNanos < 1_000_000_000L) {
            suppressed++;
            return;
        }
        String msg = "irqfabric resampler: " + what + (suppressed > 0 ? " (" + suppressed + " similar suppressed)" : "");
        suppressed = 0;
        reported = true;
        lastReportNanos = now;
        if (t != null) {
            LOG.log(System.Logger.Level.WARNING, msg, t);
        } else {
            LOG.log(System.Logger.Level.WARNING, msg);
        }
    }

    /** Stops the thread and waits for it (bounded). */
    void close() {
        stop = true;
        control.signal();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            control.close();
        }
    }
}
