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
 *              thread) and times the write until the guest's counter in mapped memory moves.
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
    if (guest == NULL || bench_e2e(guest, e2e_samples) != 0) {
        printf("\"e2e_ns\":null,\"e2e_unavailable\":\"%s\"", e2e_unavailable);
    }
    printf("}\n");
    return 0;
}

static int bench_e2e(const char *guest, size_t samples) {
    (void) guest;
    (void) samples;
    e2e_unavailable = "the test guest has not landed in kvm-backend yet";
    return -1;
}
