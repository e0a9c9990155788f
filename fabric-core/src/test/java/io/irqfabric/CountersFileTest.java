package io.irqfabric;

import io.irqfabric.eventfd.EventFdSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The counters file: written by the dispatcher, read through a separate read-only mapping. */
class CountersFileTest {

    @Test
    void aSeparateReaderSeesTheDispatchersCountersLiveAndFinal(@TempDir Path dir) {
        Path file = dir.resolve("vm.irqstat");
        try (EventFdSink sink = EventFdSink.create(8)) {
            InterruptFabric fabric = InterruptFabric.builder().gsiCount(8).ringSize(2)
                    .countersFile(file).sink(sink).build();
            CountersFile reader = CountersFile.open(file);
            assertEquals(8, reader.gsiCount());
            assertEquals(ProcessHandle.current().pid(), reader.pid());

            for (int i = 0; i < 10_000; i++) {
                fabric.trigger(i % 3);     // a 2-slot ring: some take the overflow path
            }
            fabric.sync();
            reader.refresh();
            FabricCounters live = fabric.counters();
            for (int g = 0; g < 8; g++) {
                assertEquals(live.asserted(g), reader.asserted(g), "asserted, GSI " + g);
                assertEquals(live.delivered(g), reader.delivered(g), "delivered, GSI " + g);
                assertEquals(live.errors(g), reader.errors(g), "errors, GSI " + g);
            }
            assertEquals(10_000, reader.asserted(0) + reader.asserted(1) + reader.asserted(2),
                    "every accepted assertion counted, ring and overflow alike");
            assertTrue(reader.delivered(0) >= 1 && reader.delivered(0) <= reader.asserted(0));

            sink.eventFd(5).close();
            fabric.trigger(5);
            fabric.close();
            reader.refresh();
            assertEquals(1, reader.errors(5), "final values stay readable after close");
            assertEquals(1, reader.asserted(5));
            assertThrows(UnknownGsiException.class, () -> reader.asserted(8));
        }
    }

    @Test
    void aFileThatIsNotACountersFileIsRefusedClearly(@TempDir Path dir) throws Exception {
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[128]);
        FabricConfigException e = assertThrows(FabricConfigException.class, () -> CountersFile.open(junk));
        assertTrue(e.getMessage().contains("not an irqfabric counters file"), e.getMessage());
        assertThrows(FabricConfigException.class, () -> CountersFile.open(dir.resolve("missing")));
        Path unwritable = dir.resolve("no-such-dir").resolve("f");
        try (EventFdSink sink = EventFdSink.create(1)) {
            assertThrows(FabricConfigException.class,
                    () -> InterruptFabric.builder().gsiCount(1).countersFile(unwritable).sink(sink).build());
        }
    }
}
