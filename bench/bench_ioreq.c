/* ioreq round trips through xengvtd, next to the floor measured in the same
 * run: a do-nothing ioreq server on the same simulated hypervisor. The
 * ratio is what the daemon's own logic costs per access. */
#include "simguest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BAR0 0xe0000000ull
#define SBDF (2u << 3)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run {
    struct sim *s;
    unsigned vcpu;
    unsigned n;
    uint64_t addr;
};

static void *reader(void *arg)
{
    struct run *r = arg;
    for (unsigned i = 0; i < r->n; i++)
        (void)sim_mmio_read(r->s, r->vcpu, r->addr, 4);
    return NULL;
}

/* Round trips per second with `vcpus` vCPUs reading in parallel. */
static double measure(struct sim *s, unsigned vcpus, unsigned n, uint64_t addr)
{
    pthread_t t[8];
    struct run r[8];
    double t0 = now_s();
    for (unsigned v = 0; v < vcpus; v++) {
        r[v] = (struct run){ s, v, n, addr };
        pthread_create(&t[v], NULL, reader, &r[v]);
    }
    for (unsigned v = 0; v < vcpus; v++)
        pthread_join(t[v], NULL);
    return (double)n * vcpus / (now_s() - t0);
}

static struct sim *start(const char *daemon, unsigned vcpus)
{
    struct sim_opts o = { .daemon = daemon, .nr_vcpus = vcpus, .log_path = "/dev/null" };
    static const char *const quiet[] = { "--log-level", "error", NULL };
    if (!daemon)
        o.args = quiet;
    struct sim *s = sim_start(&o);
    if (!s) {
        fprintf(stderr, "bench_ioreq: could not start %s\n", daemon ? daemon : "xengvtd");
        exit(1);
    }
    if (!daemon) {
        sim_cfg_write(s, 0, SBDF, 0x10, 4, (uint32_t)BAR0);
        sim_cfg_write(s, 0, SBDF, 0x14, 4, 0);
        sim_cfg_write(s, 0, SBDF, 0x04, 2, 2);
    }
    return s;
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 50000;
    const char *floor = getenv("XENGVT_FLOOR_SERVER");
    if (!floor)
        floor = "bench/floor_server";
    printf("bench_ioreq: %u MMIO reads per vCPU\n", n);
    printf("%-34s %12s %10s %8s\n", "case", "round trips/s", "ns/ioreq", "ratio");
    static const unsigned vcpu_cases[] = { 1, 4 };
    for (unsigned c = 0; c < 2; c++) {
        unsigned vcpus = vcpu_cases[c];
        struct sim *fs = start(floor, vcpus);
        measure(fs, vcpus, n / 10, BAR0); /* warm up */
        double f = measure(fs, vcpus, n, BAR0);
        sim_stop(fs);
        struct sim *ds = start(NULL, vcpus);
        measure(ds, vcpus, n / 10, BAR0 + 0x78000);
        double d_reg = measure(ds, vcpus, n, BAR0 + 0x4000);
        double d_pvinfo = measure(ds, vcpus, n, BAR0 + 0x78000);
        sim_stop(ds);
        char name[64];
        snprintf(name, sizeof(name), "floor (empty server), %u vCPU", vcpus);
        printf("%-34s %12.0f %10.0f %8.2f\n", name, f, 1e9 / f, 1.0);
        snprintf(name, sizeof(name), "xengvtd register read, %u vCPU", vcpus);
        printf("%-34s %12.0f %10.0f %8.2f\n", name, d_reg, 1e9 / d_reg, f / d_reg);
        snprintf(name, sizeof(name), "xengvtd PVINFO read, %u vCPU", vcpus);
        printf("%-34s %12.0f %10.0f %8.2f\n", name, d_pvinfo, 1e9 / d_pvinfo, f / d_pvinfo);
    }
    printf("ratio = floor throughput / daemon throughput (1.00 = no overhead)\n");
    return 0;
}
