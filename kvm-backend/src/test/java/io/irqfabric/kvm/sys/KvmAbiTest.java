package io.irqfabric.kvm.sys;

import io.irqfabric.kvm.GsiRoute;
import io.irqfabric.kvm.Kvm;
import io.irqfabric.kvm.KvmVcpu;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every ioctl number, constant, struct size and field offset the backend hard-codes, checked
 * against the system's linux/kvm.h: src/test/c/kvm_abi.c is compiled with cc and its output
 * compared line by line. Skipped (saying so) when no C compiler or kernel headers exist.
 */
class KvmAbiTest {
    private static Map<String, Long> javaValues() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("KVM_GET_API_VERSION", KvmAbi.KVM_GET_API_VERSION);
        m.put("KVM_CREATE_VM", KvmAbi.KVM_CREATE_VM);
        m.put("KVM_CHECK_EXTENSION", KvmAbi.KVM_CHECK_EXTENSION);
        m.put("KVM_GET_VCPU_MMAP_SIZE", KvmAbi.KVM_GET_VCPU_MMAP_SIZE);
        m.put("KVM_CREATE_VCPU", KvmAbi.KVM_CREATE_VCPU);
        m.put("KVM_SET_USER_MEMORY_REGION", KvmAbi.KVM_SET_USER_MEMORY_REGION);
        m.put("KVM_CREATE_IRQCHIP", KvmAbi.KVM_CREATE_IRQCHIP);
        m.put("KVM_IRQ_LINE", KvmAbi.KVM_IRQ_LINE);
        m.put("KVM_IRQ_LINE_STATUS", KvmAbi.KVM_IRQ_LINE_STATUS);
        m.put("KVM_SET_GSI_ROUTING", KvmAbi.KVM_SET_GSI_ROUTING);
        m.put("KVM_IRQFD", KvmAbi.KVM_IRQFD);
        m.put("KVM_SIGNAL_MSI", KvmAbi.KVM_SIGNAL_MSI);
        m.put("KVM_ENABLE_CAP", KvmAbi.KVM_ENABLE_CAP);
        m.put("KVM_RUN", KvmAbi.KVM_RUN);
        m.put("KVM_GET_REGS", KvmAbi.KVM_GET_REGS);
        m.put("KVM_GET_LAPIC", KvmAbi.KVM_GET_LAPIC);
        m.put("KVM_SET_REGS", KvmAbi.KVM_SET_REGS);
        m.put("KVM_GET_SREGS", KvmAbi.KVM_GET_SREGS);
        m.put("KVM_SET_SREGS", KvmAbi.KVM_SET_SREGS);
        m.put("KVM_CAP_IRQCHIP", (long) Kvm.CAP_IRQCHIP);
        m.put("KVM_CAP_IRQ_ROUTING", (long) Kvm.CAP_IRQ_ROUTING);
        m.put("KVM_CAP_IRQFD", (long) Kvm.CAP_IRQFD);
        m.put("KVM_CAP_SIGNAL_MSI", (long) Kvm.CAP_SIGNAL_MSI);
        m.put("KVM_CAP_IRQFD_RESAMPLE", (long) Kvm.CAP_IRQFD_RESAMPLE);
        m.put("KVM_CAP_SPLIT_IRQCHIP", (long) Kvm.CAP_SPLIT_IRQCHIP);
        m.put("KVM_CAP_USER_MEMORY", (long) Kvm.CAP_USER_MEMORY);
        m.put("KVM_IRQFD_FLAG_DEASSIGN", (long) KvmAbi.KVM_IRQFD_FLAG_DEASSIGN);
        m.put("KVM_IRQFD_FLAG_RESAMPLE", (long) KvmAbi.KVM_IRQFD_FLAG_RESAMPLE);
        m.put("KVM_IRQ_ROUTING_IRQCHIP", (long) GsiRoute.TYPE_IRQCHIP);
        m.put("KVM_IRQ_ROUTING_MSI", (long) GsiRoute.TYPE_MSI);
        m.put("KVM_EXIT_IO", (long) KvmVcpu.EXIT_IO);
        m.put("KVM_EXIT_HLT", (long) KvmVcpu.EXIT_HLT);
        m.put("KVM_EXIT_MMIO", (long) KvmVcpu.EXIT_MMIO);
        m.put("KVM_EXIT_SHUTDOWN", (long) KvmVcpu.EXIT_SHUTDOWN);
        m.put("KVM_EXIT_FAIL_ENTRY", (long) KvmVcpu.EXIT_FAIL_ENTRY);
        m.put("KVM_EXIT_INTR", (long) KvmVcpu.EXIT_INTR);
        m.put("KVM_EXIT_INTERNAL_ERROR", (long) KvmVcpu.EXIT_INTERNAL_ERROR);
        m.put("KVM_EXIT_IOAPIC_EOI", (long) KvmVcpu.EXIT_IOAPIC_EOI);

        m.put("sizeof(kvm_userspace_memory_region)", (long) KvmAbi.SIZEOF_USERSPACE_MEMORY_REGION);
        off(m, "kvm_userspace_memory_region", "slot", KvmAbi.UMR_SLOT);
        off(m, "kvm_userspace_memory_region", "flags", KvmAbi.UMR_FLAGS);
        off(m, "kvm_userspace_memory_region", "guest_phys_addr", KvmAbi.UMR_GUEST_PHYS_ADDR);
        off(m, "kvm_userspace_memory_region", "memory_size", KvmAbi.UMR_MEMORY_SIZE);
        off(m, "kvm_userspace_memory_region", "userspace_addr", KvmAbi.UMR_USERSPACE_ADDR);

        m.put("sizeof(kvm_irq_routing)", (long) KvmAbi.SIZEOF_IRQ_ROUTING);
        off(m, "kvm_irq_routing", "nr", KvmAbi.ROUTING_NR);
        off(m, "kvm_irq_routing", "flags", KvmAbi.ROUTING_FLAGS);
        off(m, "kvm_irq_routing", "entries", KvmAbi.ROUTING_ENTRIES);
        m.put("sizeof(kvm_irq_routing_entry)", (long) KvmAbi.SIZEOF_IRQ_ROUTING_ENTRY);
        off(m, "kvm_irq_routing_entry", "gsi", KvmAbi.RE_GSI);
        off(m, "kvm_irq_routing_entry", "type", KvmAbi.RE_TYPE);
        off(m, "kvm_irq_routing_entry", "flags", KvmAbi.RE_FLAGS);
        off(m, "kvm_irq_routing_entry", "u", KvmAbi.RE_U);
        off(m, "kvm_irq_routing_entry", "u.irqchip.irqchip", KvmAbi.RE_IRQCHIP_IRQCHIP);
        off(m, "kvm_irq_routing_entry", "u.irqchip.pin", KvmAbi.RE_IRQCHIP_PIN);
        off(m, "kvm_irq_routing_entry", "u.msi.address_lo", KvmAbi.RE_MSI_ADDRESS_LO);
        off(m, "kvm_irq_routing_entry", "u.msi.address_hi", KvmAbi.RE_MSI_ADDRESS_HI);
        off(m, "kvm_irq_routing_entry", "u.msi.data", KvmAbi.RE_MSI_DATA);

        m.put("sizeof(kvm_irqfd)", (long) KvmAbi.SIZEOF_IRQFD);
        off(m, "kvm_irqfd", "fd", KvmAbi.IRQFD_FD);
        off(m, "kvm_irqfd", "gsi", KvmAbi.IRQFD_GSI);
        off(m, "kvm_irqfd", "flags", KvmAbi.IRQFD_FLAGS);
        off(m, "kvm_irqfd", "resamplefd", KvmAbi.IRQFD_RESAMPLEFD);

        m.put("sizeof(kvm_msi)", (long) KvmAbi.SIZEOF_MSI);
        off(m, "kvm_msi", "address_lo", KvmAbi.MSI_ADDRESS_LO);
        off(m, "kvm_msi", "address_hi", KvmAbi.MSI_ADDRESS_HI);
        off(m, "kvm_msi", "data", KvmAbi.MSI_DATA);
        off(m, "kvm_msi", "flags", KvmAbi.MSI_FLAGS);

        m.put("sizeof(kvm_irq_level)", (long) KvmAbi.SIZEOF_IRQ_LEVEL);
        off(m, "kvm_irq_level", "irq", KvmAbi.IRQ_LEVEL_IRQ);
        off(m, "kvm_irq_level", "level", KvmAbi.IRQ_LEVEL_LEVEL);

        m.put("sizeof(kvm_enable_cap)", (long) KvmAbi.SIZEOF_ENABLE_CAP);
        off(m, "kvm_enable_cap", "cap", KvmAbi.ENABLE_CAP_CAP);
        off(m, "kvm_enable_cap", "flags", KvmAbi.ENABLE_CAP_FLAGS);
        off(m, "kvm_enable_cap", "args", KvmAbi.ENABLE_CAP_ARGS);

        m.put("sizeof(kvm_segment)", (long) KvmAbi.SIZEOF_SEGMENT);
        off(m, "kvm_segment", "base", KvmAbi.SEG_BASE);
        off(m, "kvm_segment", "limit", KvmAbi.SEG_LIMIT);
        off(m, "kvm_segment", "selector", KvmAbi.SEG_SELECTOR);
        off(m, "kvm_segment", "type", KvmAbi.SEG_TYPE);
        off(m, "kvm_segment", "present", KvmAbi.SEG_PRESENT);
        off(m, "kvm_segment", "dpl", KvmAbi.SEG_DPL);
        off(m, "kvm_segment", "db", KvmAbi.SEG_DB);
        off(m, "kvm_segment", "s", KvmAbi.SEG_S);
        off(m, "kvm_segment", "l", KvmAbi.SEG_L);
        off(m, "kvm_segment", "g", KvmAbi.SEG_G);
        off(m, "kvm_segment", "avl", KvmAbi.SEG_AVL);
        off(m, "kvm_segment", "unusable", KvmAbi.SEG_UNUSABLE);
        m.put("sizeof(kvm_dtable)", (long) KvmAbi.SIZEOF_DTABLE);
        off(m, "kvm_dtable", "base", KvmAbi.DT_BASE);
        off(m, "kvm_dtable", "limit", KvmAbi.DT_LIMIT);
        m.put("sizeof(kvm_sregs)", (long) KvmAbi.SIZEOF_SREGS);
        off(m, "kvm_sregs", "cs", KvmAbi.SREGS_CS);
        off(m, "kvm_sregs", "ds", KvmAbi.SREGS_DS);
        off(m, "kvm_sregs", "es", KvmAbi.SREGS_ES);
        off(m, "kvm_sregs", "fs", KvmAbi.SREGS_FS);
        off(m, "kvm_sregs", "gs", KvmAbi.SREGS_GS);
        off(m, "kvm_sregs", "ss", KvmAbi.SREGS_SS);
        off(m, "kvm_sregs", "tr", KvmAbi.SREGS_TR);
        off(m, "kvm_sregs", "ldt", KvmAbi.SREGS_LDT);
        off(m, "kvm_sregs", "gdt", KvmAbi.SREGS_GDT);
        off(m, "kvm_sregs", "idt", KvmAbi.SREGS_IDT);
        off(m, "kvm_sregs", "cr0", KvmAbi.SREGS_CR0);
        off(m, "kvm_sregs", "apic_base", KvmAbi.SREGS_APIC_BASE);

        m.put("sizeof(kvm_regs)", (long) KvmAbi.SIZEOF_REGS);
        m.put("sizeof(kvm_lapic_state)", (long) KvmAbi.SIZEOF_LAPIC_STATE);
        off(m, "kvm_regs", "rax", KvmAbi.REGS_RAX);
        off(m, "kvm_regs", "rsp", KvmAbi.REGS_RSP);
        off(m, "kvm_regs", "rip", KvmAbi.REGS_RIP);
        off(m, "kvm_regs", "rflags", KvmAbi.REGS_RFLAGS);

        off(m, "kvm_run", "request_interrupt_window", KvmAbi.RUN_REQUEST_INTERRUPT_WINDOW);
        off(m, "kvm_run", "immediate_exit", KvmAbi.RUN_IMMEDIATE_EXIT);
        off(m, "kvm_run", "exit_reason", KvmAbi.RUN_EXIT_REASON);
        off(m, "kvm_run", "if_flag", KvmAbi.RUN_IF_FLAG);
        off(m, "kvm_run", "io.direction", KvmAbi.RUN_IO_DIRECTION);
        off(m, "kvm_run", "io.size", KvmAbi.RUN_IO_SIZE);
        off(m, "kvm_run", "io.port", KvmAbi.RUN_IO_PORT);
        off(m, "kvm_run", "io.count", KvmAbi.RUN_IO_COUNT);
        off(m, "kvm_run", "io.data_offset", KvmAbi.RUN_IO_DATA_OFFSET);
        off(m, "kvm_run", "mmio.phys_addr", KvmAbi.RUN_MMIO_PHYS_ADDR);
        off(m, "kvm_run", "mmio.data", KvmAbi.RUN_MMIO_DATA);
        off(m, "kvm_run", "mmio.len", KvmAbi.RUN_MMIO_LEN);
        off(m, "kvm_run", "mmio.is_write", KvmAbi.RUN_MMIO_IS_WRITE);
        off(m, "kvm_run", "eoi.vector", KvmAbi.RUN_EOI_VECTOR);
        off(m, "kvm_run", "internal.suberror", KvmAbi.RUN_INTERNAL_SUBERROR);
        off(m, "kvm_run", "internal.ndata", KvmAbi.RUN_INTERNAL_NDATA);
        off(m, "kvm_run", "internal.data", KvmAbi.RUN_INTERNAL_DATA);
        off(m, "kvm_run", "fail_entry.hardware_entry_failure_reason", KvmAbi.RUN_FAIL_ENTRY_REASON);
        return m;
    }

    private static void off(Map<String, Long> m, String struct, String field, int value) {
        m.put("offsetof(" + struct + "," + field + ")", (long) value);
    }

    @Test
    void everyHardCodedValueMatchesLinuxKvmH(@TempDir Path dir) throws IOException, InterruptedException {
        Path source = Path.of("src/test/c/kvm_abi.c").toAbsolutePath();
        assertTrue(Files.isRegularFile(source), source + " exists");
        Path exe = dir.resolve("kvm_abi");
        Process cc;
        try {
            cc = new ProcessBuilder("cc", "-o", exe.toString(), source.toString()).redirectErrorStream(true).start();
        } catch (IOException noCompiler) {
            Assumptions.assumeTrue(false, "KvmAbiTest SKIPPED: no C compiler (cc) to read linux/kvm.h: " + noCompiler.getMessage());
            return;
        }
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(60, TimeUnit.SECONDS));
        Assumptions.assumeTrue(cc.exitValue() == 0 || !ccOut.contains("linux/kvm.h"),
                "KvmAbiTest SKIPPED: linux/kvm.h not installed: " + ccOut);
        assertEquals(0, cc.exitValue(), "cc failed: " + ccOut);

        Process run = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(run.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, run.exitValue());

        Map<String, Long> fromC = new TreeMap<>();
        for (String line : out.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int eq = line.indexOf('=');
            fromC.put(line.substring(0, eq), Long.parseUnsignedLong(line.substring(eq + 1).trim()));
        }
        Map<String, Long> java = javaValues();
        assertEquals(new TreeMap<>(java).keySet(), fromC.keySet(), "the C program and the Java table cover the same names");
        for (Map.Entry<String, Long> e : java.entrySet()) {
            assertEquals(fromC.get(e.getKey()), e.getValue(), e.getKey());
        }
    }
}
