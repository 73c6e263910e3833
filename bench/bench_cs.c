/* The software command streamer through xengvtd, as the guest sees it:
 *  - throughput: dwords executed per second for a long submission (second-
 *    level batches of MI_NOOP, and of MI_STORE_DWORD_IMM breadcrumbs), next
 *    to a memcpy of the same number of bytes in the same run;
 *  - latency: ELSP write to a one-store request's breadcrumb, each request
 *    the same context again with a new tail (i915's pattern: a lite
 *    restore into the context the engine holds), next to the bare MMIO
 *    round trip (a register read) measured in the same run, the floor any
 *    submission pays.
 * Completion is the breadcrumb, as i915 retires a request: the engine
 * holds the context's completion event (CSB_HOLD_NS, 1 s) for the next
 * request, so the CSB would measure the hold. */
#include "../tests/integration/gpu_guest.h"

#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Fills a 16 KiB second-level batch with `fill` and calls it `calls` times
 * from a first-level batch; returns the dwords the submission executes. */
static uint64_t build_long(struct gg *g, const uint32_t *unit, unsigned unit_len,
                           unsigned calls)
{
    uint32_t *leaf = gg_ga(g, GG_BATCH + 0x10000);
    unsigned n = 0;
    while (n + unit_len < 4095) {
        memcpy(leaf + n, unit, 4 * unit_len);
        n += unit_len;
    }
    leaf[n++] = MI_BATCH_BUFFER_END;
    uint32_t *first = gg_ga(g, GG_BATCH);
    for (unsigned i = 0; i < calls; i++) {
        first[3 * i] = MI_BB_START_GGTT | MI_BB_SECOND_LEVEL;
        first[3 * i + 1] = GG_BATCH + 0x10000;
        first[3 * i + 2] = 0;
    }
    first[3 * calls] = MI_BATCH_BUFFER_END;
    return (uint64_t)calls * (n + 3) + 1 + 4;
}

/* Waits up to 60 s for the dword at `ga` to read `want`. */
static bool wait_breadcrumb(struct gg *g, uint32_t ga, uint32_t want)
{
    volatile uint32_t *p = gg_ga(g, ga);
    double t0 = now_s();
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want)
        if (now_s() - t0 > 60)
            return false;
    return true;
}

static double run_long(struct gg *g, uint64_t dwords, double *seconds)
{
    static uint32_t runs;
    uint32_t *ring = gg_ga(g, GG_RING(GG_RCS, 0));
    const uint32_t seq = GG_SEQNO + 128, n = ++runs;
    const uint32_t cmds[] = { MI_BB_START_GGTT, GG_BATCH, 0, MI_STORE_DWORD_IMM_GGTT, seq, 0, n,
                              MI_NOOP };
    memcpy(ring, cmds, sizeof(cmds));
    gg_ctx_init(g, GG_RCS, GG_CTX(GG_RCS, 0), GG_RING(GG_RCS, 0), 0, sizeof(cmds));
    long long before = itest_status_field(g->s, "cs_dwords");
    double t0 = now_s();
    gg_submit(g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), 1), 0);
    if (!wait_breadcrumb(g, seq, n)) {
        fprintf(stderr, "bench_cs: the long submission did not complete\n");
        exit(1);
    }
    *seconds = now_s() - t0;
    /* The breadcrumb comes after the batch: every dword of it ran. */
    long long ran = itest_status_field(g->s, "cs_dwords") - before;
    if (ran < (long long)dwords) {
        fprintf(stderr, "bench_cs: breadcrumb after %lld of %llu dwords\n", ran,
                (unsigned long long)dwords);
        exit(1);
    }
    return dwords / *seconds;
}

int main(int argc, char **argv)
{
    unsigned requests = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;
    struct gg g;
    struct sim *s = sim_start(&(struct sim_opts){ .ram_bytes = 64u << 20,
                                                  .log_path = "/dev/null" });
    if (!s)
        return 1;
    gg_init(&g, s);
    gg_ppgtt_build(&g);
    g.poll_us = 0; /* spin on the HWSP, as a latency measurement must */

    const unsigned calls = 2900;
    const uint32_t nop = MI_NOOP;
    uint64_t dwords = build_long(&g, &nop, 1, calls);
    double secs;
    double nop_rate = run_long(&g, dwords, &secs);
    /* The floor: copying as many bytes as the streamer read. */
    size_t bytes = (size_t)dwords * 4;
    uint8_t *a = malloc(bytes), *b = malloc(bytes);
    memset(a, 1, bytes);
    memset(b, 2, bytes);
    double t0 = now_s();
    memcpy(b, a, bytes);
    double copy_s = now_s() - t0;
    /* Use the copy, so that it is not optimised away. */
    volatile uint8_t sink = b[bytes / 2] ^ b[bytes - 1];
    (void)sink;
    double copy_rate = dwords / copy_s;
    free(a);
    free(b);
    printf("cs: %llu MI_NOOP dwords in %.3f s: %.1f M dwords/s; memcpy of the same %.1f MB: "
           "%.1f M dwords/s; ratio %.3f\n", (unsigned long long)dwords, secs, nop_rate / 1e6,
           bytes / 1e6, copy_rate / 1e6, nop_rate / copy_rate);

    const uint32_t store[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO, 0, 1 };
    dwords = build_long(&g, store, 4, 256);
    double store_rate = run_long(&g, dwords, &secs);
    printf("cs: %llu dwords of MI_STORE_DWORD_IMM in %.3f s: %.1f M dwords/s "
           "(%.1f M stores/s); ratio to memcpy %.3f\n", (unsigned long long)dwords, secs,
           store_rate / 1e6, store_rate / 4e6, store_rate / copy_rate);

    /* Latency: the MMIO floor, then ELSP -> breadcrumb. */
    double *lat = calloc(requests, sizeof(double)), *mmio = calloc(requests, sizeof(double));
    for (unsigned i = 0; i < requests; i++) {
        double t = now_s();
        (void)gg_read(&g, 0x2000 + 0x34);
        mmio[i] = now_s() - t;
    }
    /* Requests of 32 bytes one after the other in the ring, which wraps. */
    const uint32_t req_bytes = 32, lrca = GG_CTX(GG_RCS, 1);
    uint32_t *ring = gg_ga(&g, GG_RING(GG_RCS, 1));
    gg_ctx_init(&g, GG_RCS, lrca, GG_RING(GG_RCS, 1), 0, 0);
    for (unsigned i = 0; i < requests; i++) {
        uint32_t at = (i * req_bytes) % GG_RING_SIZE;
        const uint32_t req[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO + 64, 0, i + 1,
                                 MI_USER_INTERRUPT, MI_NOOP, MI_NOOP, MI_NOOP };
        memcpy((uint8_t *)ring + at, req, sizeof(req));
        gg_ctx_set_tail(&g, lrca, (at + req_bytes) % GG_RING_SIZE);
        double t = now_s();
        gg_submit(&g, GG_RCS, gg_desc(lrca, 2), 0);
        if (!wait_breadcrumb(&g, GG_SEQNO + 64, i + 1)) {
            fprintf(stderr, "bench_cs: request %u did not complete\n", i);
            return 1;
        }
        lat[i] = now_s() - t;
        gg_ack(&g, GG_RCS);
    }
    long long lite = itest_status_field(s, "elsp_lite_restores");
    qsort(lat, requests, sizeof(double), cmp_double);
    qsort(mmio, requests, sizeof(double), cmp_double);
    double l50 = lat[requests / 2], m50 = mmio[requests / 2];
    printf("cs: ELSP to breadcrumb (median of %u, %lld lite restores): %.1f us, p99 %.1f us; "
           "MMIO round trip %.1f us; ratio ELSP/MMIO %.1f (the submission itself is 4 MMIO "
           "writes)\n", requests, lite, l50 * 1e6, lat[requests * 99 / 100] * 1e6, m50 * 1e6,
           l50 / m50);
    free(lat);
    free(mmio);
    sim_stop(s);
    return 0;
}
