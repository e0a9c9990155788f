/*
 * floor.c - the C floor for irqfabric's benchmarks: the same paths the JMH suite measures,
 * without Java, so every Java figure can be put next to what the machine itself can do.
 *
 *   write      one write(2) of 8 bytes to an eventfd nobody waits on, each timed alone
 *              (as JMH SampleTime times direct's write): percentiles, and sustained writes/s;
 *   handoff    the spinning-dispatcher path in C: a producer stores a sequence number, a
 *              dispatcher thread spinning on it writes the eventfd and publishes "done", the
 *              producer spins until it sees it; timed by the producer after the same 200 us
 *              quiet gap the Java idle-latency benchmark uses;
 *   e2e        (with --guest) eventfd write -> guest interrupt handler has run: boots the test
 *              guest image in KVM (in-kernel irqchip, one MSI route, one irqfd, one vCPU
 *              thread) and times the write until the guest's counter in mapped memory moves,
 *              each after a 50 us quiet gap (inside KVM's 200 us halt-polling window);
 *              and again through a spinning C dispatcher thread that makes the write
 *              (e2e_handoff_ns): the floor of the fabric_spin architecture.
 *
 * Prints one JSON object on stdout. Build: gcc -O2 -pthread -o floor floor.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define IDLE_GAP_NS 200000L
/* End to end: a quiet gap inside KVM's halt-polling window (halt_poll_ns = 200 us here), so the
 * figure is the guest's fast wake-up path, where the fabric's own overhead is not hidden by the
 * ~27 us wake-up of a vCPU thread that has gone to sleep. The Java benchmark uses the same. */
#define E2E_GAP_NS 50000L

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static inline void cpu_relax(void) {
    __asm__ __volatile__("pause" ::: "memory");
}

static void spin_for(uint64_t ns) {
    uint64_t t0 = now_ns();
    while (now_ns() - t0 < ns) {
        cpu_relax();
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

/* Percentile (0..1) of n sorted samples, nearest rank. */
static uint64_t pct(const uint64_t *s, size_t n, double p) {
    if (n == 0) {
        return 0;
    }
    size_t i = (size_t) (p * (double) (n - 1) + 0.5);
    return s[i < n ? i : n - 1];
}

static void print_pcts(const char *name, uint64_t *s, size_t n) {
    qsort(s, n, sizeof *s, cmp_u64);
    printf("\"%s\":{\"samples\":%zu,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu}",
           name, n, (unsigned long long) pct(s, n, 0.5), (unsigned long long) pct(s, n, 0.9),
           (unsigned long long) pct(s, n, 0.99), (unsigned long long) pct(s, n, 0.999),
           (unsigned long long) s[n - 1]);
}

static int make_eventfd(void) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        perror("eventfd");
        exit(2);
    }
    return fd;
}

static const uint64_t ONE = 1;

/* ---- write ---------------------------------------------------------------------------- */

static void bench_write(size_t samples) {
    int fd = make_eventfd();
    uint64_t *s = malloc(samples * sizeof *s);
    uint64_t sink;
    for (size_t i = 0; i < 10000; i++) { /* warm up */
        if (write(fd, &ONE, 8) != 8) { perror("write"); exit(2); }
    }
    for (size_t i = 0; i < samples; i++) {
        uint64_t t0 = now_ns();
        if (write(fd, &ONE, 8) != 8) { perror("write"); exit(2); }
        s[i] = now_ns() - t0;
    }
    if (read(fd, &sink, 8) != 8) { perror("read"); exit(2); }
    /* sustained rate over ~0.5 s, untimed individually */
    uint64_t n = 0, t0 = now_ns(), t;
    do {
        for (int k = 0; k < 1000; k++) {
            if (write(fd, &ONE, 8) != 8) { perror("write"); exit(2); }
        }
        n += 1000;
        t = now_ns();
    } while (t - t0 < 500000000ull);
    if (read(fd, &sink, 8) != 8) { perror("read"); exit(2); }
    print_pcts("write_ns", s, samples);
    printf(",\"writes_per_s\":%.0f", (double) n * 1e9 / (double) (t - t0));
    free(s);
    close(fd);
}

/* ---- handoff ---------------------------------------------------------------------------- */

struct handoff {
    _Alignas(64) volatile uint64_t request;
    _Alignas(64) volatile uint64_t done;
    _Alignas(64) int fd;
    volatile int stop;
};

static void *handoff_dispatcher(void *arg) {
    struct handoff *h = arg;
    uint64_t seen = 0;
    while (!h->stop) {
        uint64_t r = __atomic_load_n(&h->request, __ATOMIC_ACQUIRE);
        if (r == seen) {
            cpu_relax();
            continue;
        }
        seen = r;
        if (write(h->fd, &ONE, 8) != 8) { perror("write"); exit(2); }
        __atomic_store_n(&h->done, r, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void bench_handoff(size_t samples) {
    struct handoff h;
    memset(&h, 0, sizeof h);
    h.fd = make_eventfd();
    pthread_t t;
    pthread_create(&t, NULL, handoff_dispatcher, &h);
    uint64_t *s = malloc(samples * sizeof *s);
    for (size_t i = 0; i < samples + 1000; i++) {
        spin_for(IDLE_GAP_NS);
        uint64_t t0 = now_ns();
        __atomic_store_n(&h.request, i + 1, __ATOMIC_RELEASE);
        while (__atomic_load_n(&h.done, __ATOMIC_ACQUIRE) != i + 1) {
            cpu_relax();
        }
        if (i >= 1000) {
            s[i - 1000] = now_ns() - t0;
        }
        if (i == 999) {
            uint64_t sink;
            if (read(h.fd, &sink, 8) != 8) { perror("read"); exit(2); }
        }
    }
    h.stop = 1;
    pthread_join(t, NULL);
    print_pcts("handoff_write_ns", s, samples);
    free(s);
    close(h.fd);
}

/* ---- e2e: see the guest section below ------------------------------------------------- */

/* Filled in by the guest section when --guest is given; otherwise e2e is reported missing. */
static const char *e2e_unavailable = "no --guest image given";

static int bench_e2e(const char *guest, size_t samples);

int main(int argc, char **argv) {
    size_t write_samples = 200000, handoff_samples = 5000, e2e_samples = 5000;
    const char *guest = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--guest") && i + 1 < argc) {
            guest = argv[++i];
        } else if (!strcmp(argv[i], "--quick")) {
            write_samples = 20000;
            handoff_samples = 500;
            e2e_samples = 500;
        } else {
            fprintf(stderr, "usage: %s [--quick] [--guest descriptor]\n", argv[0]);
            return 2;
        }
    }
    printf("{");
    bench_write(write_samples);
    printf(",");
    bench_handoff(handoff_samples);
    printf(",");
    if (guest == NULL) {
        printf("\"e2e_ns\":null,\"e2e_unavailable\":\"%s\"", e2e_unavailable);
    } else if (bench_e2e(guest, e2e_samples) != 0) {
        printf("\"e2e_ns\":null,\"e2e_unavailable\":\"%s\"", e2e_unavailable);
    }
    printf("}\n");
    return 0;
}

/* ---- e2e: the test guest ----------------------------------------------------------------
 *
 * The guest is kvm-testguest's GuestImage (written to a file by the runner): a 64 KiB memory
 * image loaded at GPA 0, 32-bit protected mode without paging, entered at 0x8000 with the
 * stack at 0xF000, GDT at 0x1000 (code 0x08, data 0x10), IDT at 0x2000. It enables its LAPIC,
 * writes READY_MAGIC at 0x3F00, then waits in sti; hlt and counts each interrupt in a u32 per
 * vector at 0x4000. Vector 0xFE makes it exit through port 0xF4 (stop), CPU exceptions
 * through port 0xF5 (fault). The constants below are GuestImage's; see its class comment.
 */
#define G_MEMORY_SIZE 0x10000
#define G_GDT 0x1000
#define G_GDT_LIMIT 0x17
#define G_IDT 0x2000
#define G_IDT_LIMIT 0x7FF
#define G_STATUS_READY 0x3F00
#define G_READY_MAGIC 0x52454459u
#define G_COUNTERS 0x4000
#define G_ENTRY 0x8000
#define G_STACK_TOP 0xF000
#define G_STOP_VECTOR 0xFE
#define G_STOP_PORT 0xF4
#define G_FAULT_PORT 0xF5
#define E2E_GSI 24      /* first GSI above the in-kernel IOAPIC's 24 pins */
#define E2E_VECTOR 0x40

struct vcpu {
    int fd;
    struct kvm_run *run;
    volatile int stopped;
    volatile int failed;
    char why[128];
};

static void *vcpu_loop(void *arg) {
    struct vcpu *v = arg;
    for (;;) {
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            snprintf(v->why, sizeof v->why, "KVM_RUN: %s", strerror(errno));
            v->failed = 1;
            break;
        }
        uint32_t reason = v->run->exit_reason;
        if (reason == KVM_EXIT_HLT || reason == KVM_EXIT_INTR) {
            continue;
        }
        if (reason == KVM_EXIT_IO && v->run->io.port == G_STOP_PORT) {
            break;
        }
        snprintf(v->why, sizeof v->why, "vCPU exit %u (port 0x%x)", reason,
                 reason == KVM_EXIT_IO ? v->run->io.port : 0);
        v->failed = 1;
        break;
    }
    v->stopped = 1;
    return NULL;
}

static char e2e_why[256];

#define E2E_FAIL(...) do { snprintf(e2e_why, sizeof e2e_why, __VA_ARGS__); e2e_unavailable = e2e_why; goto out; } while (0)

static void seg(struct kvm_segment *s, uint16_t selector, uint8_t type) {
    memset(s, 0, sizeof *s);
    s->base = 0;
    s->limit = 0xFFFFFFFF;
    s->selector = selector;
    s->type = type;
    s->present = 1;
    s->dpl = 0;
    s->db = 1;
    s->s = 1;
    s->g = 1;
}

static int bench_e2e(const char *guest, size_t samples) {
    int rc = -1, kvm = -1, vm = -1, efd = -1;
    struct vcpu v;
    memset(&v, 0, sizeof v);
    v.fd = -1;
    uint8_t *mem = MAP_FAILED;
    uint64_t *s = NULL;
    pthread_t thread;
    int thread_started = 0;

    int img = open(guest, O_RDONLY | O_CLOEXEC);
    if (img < 0) E2E_FAIL("guest image %s: %s", guest, strerror(errno));
    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) { close(img); E2E_FAIL("/dev/kvm: %s", strerror(errno)); }
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) { close(img); E2E_FAIL("KVM_CREATE_VM: %s", strerror(errno)); }
    if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) { close(img); E2E_FAIL("KVM_CREATE_IRQCHIP: %s", strerror(errno)); }
    mem = mmap(NULL, G_MEMORY_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) { close(img); E2E_FAIL("mmap: %s", strerror(errno)); }
    ssize_t n = read(img, mem, G_MEMORY_SIZE);
    close(img);
    if (n != G_MEMORY_SIZE) E2E_FAIL("guest image: read %zd of %d bytes", n, G_MEMORY_SIZE);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .flags = 0, .guest_phys_addr = 0, .memory_size = G_MEMORY_SIZE,
        .userspace_addr = (uint64_t) (uintptr_t) mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) E2E_FAIL("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

    /* One MSI route (edge, fixed, to LAPIC 0) and its irqfd, as the fabric's routing manager sets them. */
    struct { struct kvm_irq_routing r; struct kvm_irq_routing_entry e[1]; } routing;
    memset(&routing, 0, sizeof routing);
    routing.r.nr = 1;
    routing.e[0].gsi = E2E_GSI;
    routing.e[0].type = KVM_IRQ_ROUTING_MSI;
    routing.e[0].u.msi.address_lo = 0xFEE00000u;
    routing.e[0].u.msi.address_hi = 0;
    routing.e[0].u.msi.data = E2E_VECTOR;
    if (ioctl(vm, KVM_SET_GSI_ROUTING, &routing) < 0) E2E_FAIL("KVM_SET_GSI_ROUTING: %s", strerror(errno));
    efd = make_eventfd();
    struct kvm_irqfd irqfd = {.fd = (uint32_t) efd, .gsi = E2E_GSI};
    if (ioctl(vm, KVM_IRQFD, &irqfd) < 0) E2E_FAIL("KVM_IRQFD: %s", strerror(errno));

    v.fd = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (v.fd < 0) E2E_FAIL("KVM_CREATE_VCPU: %s", strerror(errno));
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size <= 0) E2E_FAIL("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
    v.run = mmap(NULL, (size_t) run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.fd, 0);
    if (v.run == MAP_FAILED) { v.run = NULL; E2E_FAIL("mmap kvm_run: %s", strerror(errno)); }
    struct kvm_sregs sregs;
    if (ioctl(v.fd, KVM_GET_SREGS, &sregs) < 0) E2E_FAIL("KVM_GET_SREGS: %s", strerror(errno));
    seg(&sregs.cs, 0x08, 0xB);
    seg(&sregs.ds, 0x10, 0x3);
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    sregs.gdt.base = G_GDT;
    sregs.gdt.limit = G_GDT_LIMIT;
    sregs.idt.base = G_IDT;
    sregs.idt.limit = G_IDT_LIMIT;
    sregs.cr0 |= 1; /* PE */
    if (ioctl(v.fd, KVM_SET_SREGS, &sregs) < 0) E2E_FAIL("KVM_SET_SREGS: %s", strerror(errno));
    struct kvm_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.rip = G_ENTRY;
    regs.rsp = G_STACK_TOP;
    regs.rflags = 0x2;
    if (ioctl(v.fd, KVM_SET_REGS, &regs) < 0) E2E_FAIL("KVM_SET_REGS: %s", strerror(errno));

    if (pthread_create(&thread, NULL, vcpu_loop, &v) != 0) E2E_FAIL("pthread_create");
    thread_started = 1;
    volatile uint32_t *ready = (volatile uint32_t *) (mem + G_STATUS_READY);
    volatile uint32_t *counter = (volatile uint32_t *) (mem + G_COUNTERS + 4 * E2E_VECTOR);
    uint64_t deadline = now_ns() + 5000000000ull;
    while (*ready != G_READY_MAGIC) {
        if (v.stopped) E2E_FAIL("guest stopped before ready: %s", v.why);
        if (now_ns() > deadline) E2E_FAIL("guest not ready after 5 s");
        usleep(100);
    }

    s = malloc(samples * sizeof *s);
    size_t warm = samples / 10;
    for (size_t i = 0; i < samples + warm; i++) {
        spin_for(E2E_GAP_NS);
        uint32_t before = *counter;
        uint64_t t0 = now_ns();
        if (write(efd, &ONE, 8) != 8) E2E_FAIL("irqfd write: %s", strerror(errno));
        while (*counter == before) {
            if (v.stopped) E2E_FAIL("guest stopped: %s", v.why);
            if (now_ns() - t0 > 1000000000ull) E2E_FAIL("interrupt %zu not handled within 1 s", i);
            cpu_relax();
        }
        uint64_t dt = now_ns() - t0;
        if (i >= warm) {
            s[i - warm] = dt;
        }
    }
    /* The same through a spinning C dispatcher thread that makes the irqfd write: the floor of
     * the fabric_spin architecture (one more runnable thread next to the vCPU thread). */
    uint64_t *h = malloc(samples * sizeof *h);
    struct handoff hand;
    memset(&hand, 0, sizeof hand);
    hand.fd = efd;
    pthread_t dispatcher;
    if (pthread_create(&dispatcher, NULL, handoff_dispatcher, &hand) != 0) { free(h); E2E_FAIL("pthread_create"); }
    int handoff_failed = 0;
    for (size_t i = 0; i < samples + warm && !handoff_failed; i++) {
        spin_for(E2E_GAP_NS);
        uint32_t before = *counter;
        uint64_t t0 = now_ns();
        __atomic_store_n(&hand.request, i + 1, __ATOMIC_RELEASE);
        while (*counter == before) {
            if (v.stopped || now_ns() - t0 > 1000000000ull) {
                handoff_failed = 1;
                break;
            }
            cpu_relax();
        }
        if (i >= warm) {
            h[i - warm] = now_ns() - t0;
        }
    }
    hand.stop = 1;
    pthread_join(dispatcher, NULL);
    if (handoff_failed) { free(h); E2E_FAIL("hand-off e2e: interrupt not handled within 1 s (%s)", v.why); }
    print_pcts("e2e_ns", s, samples);
    printf(",");
    print_pcts("e2e_handoff_ns", h, samples);
    printf(",\"e2e_handled\":%u", *counter);
    free(h);
    rc = 0;
out:
    if (thread_started) {
        if (!v.stopped) {
            struct kvm_msi stop = {.address_lo = 0xFEE00000u, .data = G_STOP_VECTOR};
            ioctl(vm, KVM_SIGNAL_MSI, &stop);
            for (int k = 0; k < 1000 && !v.stopped; k++) {
                usleep(1000);
            }
        }
        if (v.stopped) {
            pthread_join(thread, NULL);
        }
    }
    free(s);
    if (v.run != NULL && v.stopped) munmap(v.run, (size_t) ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
    if (v.fd >= 0 && (v.stopped || !thread_started)) close(v.fd);
    if (efd >= 0) close(efd);
    if (vm >= 0 && (v.stopped || !thread_started)) close(vm);
    if (mem != MAP_FAILED && (v.stopped || !thread_started)) munmap(mem, G_MEMORY_SIZE);
    if (kvm >= 0) close(kvm);
    return rc;
}
