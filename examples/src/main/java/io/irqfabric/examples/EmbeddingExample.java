package io.irqfabric.examples;

import io.irqfabric.InterruptFabric;
import io.irqfabric.InterruptSourceGroup;
import io.irqfabric.InterruptSourceType;
import io.irqfabric.eventfd.EventFdSink;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * The smallest embedding: a VMM builds a fabric over eventfds, hands a device its source
 * group, the device's queue thread triggers, and close() delivers what was accepted.
 */
@Command(name = "embed", mixinStandardHelpOptions = true, versionProvider = Main.ManifestVersion.class, description = "Minimal embedding example: build, trigger, close, read the eventfds back.")
public final class EmbeddingExample implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        try (EventFdSink sink = EventFdSink.create(64);
             InterruptFabric fabric = InterruptFabric.builder().gsiCount(64).sink(sink).build()) {
            // A virtio-net device with 4 MSI vectors on GSIs 32..35.
            InterruptSourceGroup net = fabric.createGroup(InterruptSourceType.MSI, 32, 4);
            Thread rxQueue = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    net.trigger(0); // RX used-ring update
                }
            }, "virtio-net-rx");
            rxQueue.start();
            rxQueue.join();
            net.trigger(2);
            fabric.close();
            System.out.printf("GSI 32: 1000 assertions -> %d eventfd writes (coalesced %d); GSI 34: %d write%n",
                    sink.eventFd(32).read(), fabric.counters().coalesced(32), sink.eventFd(34).read());
        }
        return 0;
    }
}
