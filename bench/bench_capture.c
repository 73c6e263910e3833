/* 1080p capture in xengvtd (GGTT walk, map cache, de-tiling, conversion
 * into the kept frame), next to a plain 8 MiB memcpy measured in the same
 * run.
 *
 * Two figures per layout, from the daemon's own clock (status capture_ns
 * after each capture): a frame the guest changed entirely since the last
 * capture (the bench stores every pixel anew in between, as the guest's
 * CPU would: a page the daemon watches traps once), and an unchanged one
 * (after two calm captures the daemon watches the surface's pages and
 * reads none of them when none was written: scanout_watch.h). Medians, of the captures and of as many memcpys: on a
 * busy machine a mean is mostly other processes' time. Then frames/s through the control socket as a client
 * sees them (an 8 MiB reply each: the socket's copies dominate), and
 * whether the steady state maps guest pages again (it must not). */
#include "simguest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define W 1920u
#define H 1080u
#define ROWS 1088u /* Y tiles pad the surface to 32 rows */
#define BAR0 0xe0000000ull
#define SBDF (2u << 3)
#define SURF_GPA 0x1000000ull

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long stat_field(struct sim *s, const char *key)
{
    char line[8192], pat[64];
    if (sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL) < 0)
        return -1;
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(line, pat);
    return p ? atoll(p + strlen(pat)) : -1;
}

static int frame(struct sim *s, size_t bytes)
{
    char line[1024];
    void *px = NULL;
    size_t len;
    if (sim_control(s, "{\"cmd\":\"frame\"}", line, sizeof(line), &px, &len) < 0 ||
        len != bytes || strstr(line, "\"blank\":true")) {
        fprintf(stderr, "bench_capture: bad frame: %s\n", line);
        free(px);
        return -1;
    }
    free(px);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof(double), cmp_double);
    return v[n / 2];
}

/* Median ms of one capture inside the daemon over `frames` frames;
 * `changing`: the whole surface stored anew before each. */
static double daemon_ms(struct sim *s, unsigned frames, bool changing, size_t bytes)
{
    size_t surf_bytes = (size_t)W * 4 * ROWS;
    uint8_t *fill[2] = { malloc(surf_bytes), malloc(surf_bytes) };
    if (!fill[0] || !fill[1])
        exit(1);
    memset(fill[0], 0xa5, surf_bytes);
    memset(fill[1], 0x5a, surf_bytes);
    double *ms = calloc(frames, sizeof(double));
    long long ns0 = stat_field(s, "capture_ns");
    if (ns0 < 0 || !ms) {
        fprintf(stderr, "bench_capture: the daemon reports no capture_ns\n");
        exit(1);
    }
    for (unsigned i = 0; i < frames; i++) {
        /* Stored as the guest's CPU stores: a page the daemon watches
         * traps once (scanout_watch.h), the rest is plain memory. */
        if (changing)
            sim_ram_write(s, 0, SURF_GPA, fill[i & 1], surf_bytes);
        if (frame(s, bytes) < 0)
            exit(1);
        long long ns = stat_field(s, "capture_ns");
        ms[i] = (double)(ns - ns0) / 1e6;
        ns0 = ns;
    }
    double m = median(ms, frames);
    free(ms);
    free(fill[0]);
    free(fill[1]);
    return m;
}

int main(int argc, char **argv)
{
    unsigned frames = argc > 1 ? (unsigned)atoi(argv[1]) : 60;
    /* The floor: copying one 1080p XRGB frame's bytes, nothing else. */
    size_t bytes = (size_t)W * H * 4;
    uint8_t *a = malloc(bytes), *b = malloc(bytes);
    memset(a, 1, bytes);
    memset(b, 2, bytes);
    double *copies = calloc(frames * 4, sizeof(double));
    for (unsigned i = 0; i < frames * 4; i++) {
        double t = now_s();
        memcpy(b, a, bytes);
        copies[i] = (now_s() - t) * 1e3;
        a[i % bytes] = b[(i * 7) % bytes];
    }
    double memcpy_ms = median(copies, frames * 4);
    free(copies);
    double t0;

    /* BENCH_CAPTURE_ARGS: daemon options (e.g. --aperture-ram=0). */
    const char *extra[2] = { getenv("BENCH_CAPTURE_ARGS"), NULL };
    if (extra[0] && !extra[0][0])
        extra[0] = NULL;
    struct sim *s = sim_start(&(struct sim_opts){ .ram_bytes = 64u << 20,
                                                  .args = extra[0] ? extra : NULL,
                                                  .log_path = getenv("BENCH_LOG") ? getenv("BENCH_LOG") : "/dev/null" });
    if (!s)
        return 1;
    sim_cfg_write(s, 0, SBDF, 0x10, 4, (uint32_t)BAR0);
    sim_cfg_write(s, 0, SBDF, 0x14, 4, 0);
    sim_cfg_write(s, 0, SBDF, 0x18, 4, 0xc0000000u);
    sim_cfg_write(s, 0, SBDF, 0x04, 2, 2);
    memset((uint8_t *)sim_ram(s) + SURF_GPA, 0x5a, (size_t)W * 4 * ROWS);
    for (size_t i = 0; i < (size_t)W * 4 * ROWS / 4096 + 1; i++)
        sim_mmio_write(s, 0, BAR0 + (8u << 20) + 8 * (0x100 + i), 8,
                       (SURF_GPA + i * 4096) | 1);
    sim_mmio_write(s, 0, BAR0 + 0x6001c, 4, (W - 1) << 16 | (H - 1));

    printf("bench_capture: %u frames of %ux%u XRGB8888 per case; memcpy of a frame %.3f ms\n",
           frames, W, H, memcpy_ms);
    printf("%-10s %12s %8s %14s %12s %10s\n", "layout", "changed ms", "ratio",
           "unchanged ms", "socket fps", "maps/frame");
    static const struct { const char *name; unsigned tiling, unit; } cases[] = {
        { "linear", 0, 64 }, { "X-tiled", 1, 512 }, { "Y-tiled", 4, 128 },
    };
    for (unsigned c = 0; c < 3; c++) {
        sim_mmio_write(s, 0, BAR0 + 0x70188, 4, W * 4 / cases[c].unit);
        sim_mmio_write(s, 0, BAR0 + 0x70180, 4, 1u << 31 | 4u << 24 | cases[c].tiling << 10);
        sim_mmio_write(s, 0, BAR0 + 0x7019c, 4, 0x100000);
        /* The flip lands at the next vblank. */
        for (double t = now_s(); now_s() - t < 2 &&
                                 sim_mmio_read(s, 0, BAR0 + 0x701ac, 4) != 0x100000;)
            ;
        if (frame(s, bytes) < 0) /* warm */
            return 1;
        double changed = daemon_ms(s, frames, true, bytes);
        long long maps0 = stat_field(s, "map_cache_maps");
        double unchanged = daemon_ms(s, frames, false, bytes);
        t0 = now_s();
        for (unsigned i = 0; i < frames; i++)
            if (frame(s, bytes) < 0)
                return 1;
        double fps = frames / (now_s() - t0);
        long long maps = stat_field(s, "map_cache_maps") - maps0;
        printf("%-10s %12.3f %8.2f %14.3f %12.1f %10.2f\n", cases[c].name, changed,
               memcpy_ms / changed, unchanged, fps, (double)maps / (2 * frames));
    }
    sim_stop(s);
    printf("changed/unchanged ms: median of one capture inside xengvtd (status capture_ns);\n"
           "ratio = memcpy ms / changed ms (1.00: a changed frame at memcpy speed);\n"
           "socket fps: frames through the control socket; maps/frame must be 0\n");
    free(a);
    free(b);
    return 0;
}
