/* What a guest pays for its GGTT and aperture stores, next to stores to its
 * plain RAM, in one run against the shipped xengvtd under the simulator:
 *  - GGTT entries in RAM (the default): the guest's stores are memory
 *    stores to the frames behind BAR0 + 8 MiB;
 *  - GGTT trapped (--trap-ggtt, or when Xen gives no RAM): each store is an
 *    ioreq round trip;
 *  - the aperture (BAR2): each store is an ioreq round trip;
 *  - the aperture in RAM (--aperture-ram): stores are memory stores, and a
 *    sync point (i915's posting read) with one dirty page costs the round
 *    trip plus Xen's dirty harvest and one page copy;
 * and the floor of any trap, a register read's round trip. Ratios are
 * against plain RAM stores (and the sync against the floor) measured in the
 * same run. */
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

    static const char *const apr_ram[] = { "--aperture", "4", "--aperture-ram", "--log-level",
                                           "warn", NULL };
    s = sim_start(&(struct sim_opts){ .args = apr_ram, .log_path = "/dev/null" });
    if (!s)
        return 1;
    itest_place_bars(s, false);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x70008, 4, 0); /* no vblank syncs in between */
    volatile uint64_t *ag = sim_phys(s, GGTT);
    for (unsigned i = 0; i < 1024; i++)
        ag[i] = (0x2000000ull + 4096ull * i) | 1;
    sim_mmio_write(s, 0, BAR0_ADDR + 0x101008, 4, 1);
    double apr_store = store_ns(sim_phys(s, BAR2_ADDR), 1u << 19), sync_one = 0, sync_none = 0;
    const unsigned rounds = 2000;
    /* The simulator's own path for a store that Xen would mark dirty. */
    double t0 = now_s();
    for (unsigned i = 0; i < rounds; i++)
        sim_mmio_write(s, 0, BAR2_ADDR + 4096ull * (i % 1024) + 8, 8, i);
    double sim_store = (now_s() - t0) * 1e9 / rounds;
    (void)sim_mmio_read(s, 0, BAR0_ADDR + 0x2034, 4);
    t0 = now_s();
    for (unsigned i = 0; i < rounds; i++)
        (void)sim_mmio_read(s, 0, BAR0_ADDR + 0x2034, 4);
    sync_none = (now_s() - t0) * 1e9 / rounds;
    t0 = now_s();
    for (unsigned i = 0; i < rounds; i++) {
        sim_mmio_write(s, 0, BAR2_ADDR + 4096ull * (i % 1024) + 16, 8, i);
        (void)sim_mmio_read(s, 0, BAR0_ADDR + 0x2034, 4);
    }
    sync_one = (now_s() - t0) * 1e9 / rounds - sim_store;
    sim_stop(s);

    printf("bench_ggtt: 8-byte guest stores (ns each; ratio to plain RAM stores)\n");
    printf("  plain guest RAM          %10.2f ns   1.00\n", plain);
    printf("  GGTT in RAM (default)    %10.2f ns   %.2f\n", in_ram, in_ram / plain);
    printf("  GGTT trapped             %10.0f ns   %.0f\n", trapped, trapped / plain);
    printf("  aperture (trapped)       %10.0f ns   %.0f\n", aperture, aperture / plain);
    printf("  aperture in RAM          %10.2f ns   %.2f (under Xen the first store to a page\n"
           "                                          after a sync also faults into Xen once)\n",
           apr_store, apr_store / plain);
    printf("  floor: register read     %10.0f ns   %.0f (one ioreq round trip)\n", floor,
           floor / plain);
    printf("  sync point, nothing dirty  %8.0f ns   %.2f x the floor\n", sync_none,
           sync_none / floor);
    printf("  sync point, one dirty page %8.0f ns   %.2f x the floor (%.0f ns for the page)\n",
           sync_one, sync_one / floor, sync_one - sync_none);
    printf("  i915's GGTT set-up (196,608 stores): %.3f s in RAM, %.1f s trapped\n",
           196608 * in_ram / 1e9, 196608 * trapped / 1e9);
    return 0;
}
