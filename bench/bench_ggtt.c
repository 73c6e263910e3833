/* What a guest pays for its GGTT and aperture stores, next to stores to its
 * plain RAM, in one run against the shipped xengvtd under the simulator:
 *  - GGTT entries in RAM (the default): the guest's stores are memory
 *    stores to the frames behind BAR0 + 8 MiB;
 *  - GGTT trapped (--trap-ggtt, or when Xen gives no RAM): each store is an
 *    ioreq round trip;
 *  - the aperture (BAR2): each store is an ioreq round trip;
 * and the floor of any trap, a register read's round trip. Ratios are
 * against plain RAM stores measured in the same run. */
#include "../tests/integration/itest.h"

#include <time.h>

#define GGTT (BAR0_ADDR + (8u << 20))

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ns per 8-byte store through a pointer to guest memory, as a vCPU whose
 * page is mapped makes it. */
static double store_ns(volatile uint64_t *p, unsigned n)
{
    double t0 = now_s();
    for (unsigned r = 0; r < 64; r++)
        for (unsigned i = 0; i < n; i++)
            p[i] = ((uint64_t)i << 12) | 1;
    return (now_s() - t0) * 1e9 / (64.0 * n);
}

static double trapped_ns(struct sim *s, uint64_t addr, unsigned n, bool write)
{
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++) {
        if (write)
            sim_mmio_write(s, 0, addr + 8ull * i, 8, ((uint64_t)i << 12) | 1);
        else
            (void)sim_mmio_read(s, 0, BAR0_ADDR + 0x78000, 4);
    }
    return (now_s() - t0) * 1e9 / n;
}

int main(void)
{
    const unsigned n_ram = 1u << 20 >> 3, n_trap = 20000;
    static const char *const quiet[] = { "--log-level", "warn", NULL };
    struct sim *s = sim_start(&(struct sim_opts){ .args = quiet, .log_path = "/dev/null" });
    static const char *const trap[] = { "--trap-ggtt", "--log-level", "warn", NULL };
    if (!s)
        return 1;
    itest_place_bars(s, false);
    volatile uint64_t *ram = (uint64_t *)((uint8_t *)sim_ram(s) + (32u << 20));
    volatile uint64_t *ggtt = sim_phys(s, GGTT);
    if (!ggtt) {
        fprintf(stderr, "bench_ggtt: the GGTT is not RAM-backed\n");
        return 1;
    }
    double plain = store_ns(ram, n_ram);
    double in_ram = store_ns(ggtt, n_ram);
    /* The aperture: entries 0..n_trap map guest pages; stores go through them. */
    for (unsigned i = 0; i < n_trap; i++)
        ggtt[i] = (0x2000000ull + 4096ull * (i % 256)) | 1;
    double floor = trapped_ns(s, 0, n_trap, false);
    double aperture = trapped_ns(s, BAR2_ADDR, n_trap, true);
    sim_stop(s);

    s = sim_start(&(struct sim_opts){ .args = trap, .log_path = "/dev/null" });
    if (!s)
        return 1;
    itest_place_bars(s, false);
    double trapped = trapped_ns(s, GGTT, n_trap, true);
    sim_stop(s);

    printf("bench_ggtt: 8-byte guest stores (ns each; ratio to plain RAM stores)\n");
    printf("  plain guest RAM          %10.2f ns   1.00\n", plain);
    printf("  GGTT in RAM (default)    %10.2f ns   %.2f\n", in_ram, in_ram / plain);
    printf("  GGTT trapped             %10.0f ns   %.0f\n", trapped, trapped / plain);
    printf("  aperture (trapped)       %10.0f ns   %.0f\n", aperture, aperture / plain);
    printf("  floor: register read     %10.0f ns   %.0f (one ioreq round trip)\n", floor,
           floor / plain);
    printf("  i915's GGTT set-up (196,608 stores): %.3f s in RAM, %.1f s trapped\n",
           196608 * in_ram / 1e9, 196608 * trapped / 1e9);
    return 0;
}
