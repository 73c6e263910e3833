/* 1080p capture through xengvtd (GGTT walk, map cache, de-tiling, copy to
 * the client) in frames per second, next to a plain 8 MiB memcpy measured
 * in the same run. Also reports whether the steady state maps guest pages
 * again (it must not). */
#include "simguest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define W 1920u
#define H 1080u
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
    char line[4096], pat[64];
    if (sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL) < 0)
        return -1;
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(line, pat);
    return p ? atoll(p + strlen(pat)) : -1;
}

int main(int argc, char **argv)
{
    unsigned frames = argc > 1 ? (unsigned)atoi(argv[1]) : 60;
    /* The floor: copying one 1080p XRGB frame's bytes, nothing else. */
    size_t bytes = (size_t)W * H * 4;
    uint8_t *a = malloc(bytes), *b = malloc(bytes);
    memset(a, 1, bytes);
    memset(b, 2, bytes);
    double t0 = now_s();
    for (unsigned i = 0; i < frames * 4; i++) {
        memcpy(b, a, bytes);
        a[i % bytes] = b[(i * 7) % bytes];
    }
    double memcpy_fps = frames * 4 / (now_s() - t0);

    struct sim *s = sim_start(&(struct sim_opts){ .ram_bytes = 64u << 20,
                                                  .log_path = "/dev/null" });
    if (!s)
        return 1;
    sim_cfg_write(s, 0, SBDF, 0x10, 4, (uint32_t)BAR0);
    sim_cfg_write(s, 0, SBDF, 0x14, 4, 0);
    sim_cfg_write(s, 0, SBDF, 0x18, 4, 0xc0000000u);
    sim_cfg_write(s, 0, SBDF, 0x04, 2, 2);
    memset((uint8_t *)sim_ram(s) + SURF_GPA, 0x5a, (size_t)W * 4 * 1088);
    /* Y tiles pad the surface to 32 rows: map that much. */
    for (size_t i = 0; i < (size_t)W * 4 * 1088 / 4096 + 1; i++)
        sim_mmio_write(s, 0, BAR0 + (8u << 20) + 8 * (0x100 + i), 8,
                       (SURF_GPA + i * 4096) | 1);
    sim_mmio_write(s, 0, BAR0 + 0x6001c, 4, (W - 1) << 16 | (H - 1));

    printf("bench_capture: %u frames of %ux%u XRGB8888 per case\n", frames, W, H);
    printf("%-28s %10s %8s %14s\n", "case", "frames/s", "ratio", "maps/frame");
    printf("%-28s %10.1f %8.2f %14s\n", "memcpy 8 MiB (floor)", memcpy_fps, 1.0, "-");
    static const struct { const char *name; unsigned tiling, unit; } cases[] = {
        { "linear", 0, 64 }, { "X-tiled", 1, 512 }, { "Y-tiled", 4, 128 },
    };
    for (unsigned c = 0; c < 3; c++) {
        sim_mmio_write(s, 0, BAR0 + 0x70188, 4, W * 4 / cases[c].unit);
        sim_mmio_write(s, 0, BAR0 + 0x70180, 4, 1u << 31 | 4u << 24 | cases[c].tiling << 10);
        sim_mmio_write(s, 0, BAR0 + 0x7019c, 4, 0x100000);
        char line[1024];
        void *px = NULL;
        size_t len;
        for (int i = 0; i < 200 && sim_mmio_read(s, 0, BAR0 + 0x701ac, 4) != 0x100000; i++)
            ;
        sim_control(s, "{\"cmd\":\"frame\"}", line, sizeof(line), &px, &len); /* warm */
        free(px);
        long long maps0 = stat_field(s, "map_cache_maps");
        t0 = now_s();
        for (unsigned i = 0; i < frames; i++) {
            if (sim_control(s, "{\"cmd\":\"frame\"}", line, sizeof(line), &px, &len) < 0 ||
                len != bytes || strstr(line, "\"blank\":true")) {
                fprintf(stderr, "bench_capture: bad frame: %s\n", line);
                return 1;
            }
            free(px);
        }
        double fps = frames / (now_s() - t0);
        long long maps = stat_field(s, "map_cache_maps") - maps0;
        char name[64];
        snprintf(name, sizeof(name), "xengvtd frame, %s", cases[c].name);
        printf("%-28s %10.1f %8.2f %14.2f\n", name, fps, fps / memcpy_fps,
               (double)maps / frames);
    }
    sim_stop(s);
    printf("ratio = frames/s over memcpy frames/s; maps/frame must be 0 in steady state\n");
    free(a);
    free(b);
    return 0;
}
