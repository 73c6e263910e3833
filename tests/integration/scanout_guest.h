/* A guest's 1920x1080 scanout for the display tests (itest_display.c,
 * itest_host_views.c): a pattern drawn into guest RAM behind the aperture
 * slice, the GGTT entries that map it, plane A programmed on it, and the
 * daemon's screenshot of it. */
#ifndef XENGVT_ITEST_SCANOUT_GUEST_H
#define XENGVT_ITEST_SCANOUT_GUEST_H

#include "itest.h"

#define W 1920u
#define H 1080u
#define SURF_GPA 0x01000000ull /* 16 MiB into guest RAM */
#define SURF_GADDR 0x00100000u /* graphics address inside the aperture slice */
#define REG(off) (BAR0_ADDR + (off))

static inline uint32_t pattern(uint32_t x, uint32_t y)
{
    return (x * 255 / (W - 1)) << 16 | (y * 255 / (H - 1)) << 8 | ((x ^ y) & 0xff);
}

/* Byte offset of pixel (x, y) in a surface of `stride` bytes. */
static inline size_t layout(int tiling, size_t stride, size_t x, size_t y)
{
    size_t xb = x * 4;
    if (tiling == 1) { /* X: tiles of 512 bytes x 8 rows */
        size_t tile = (y / 8) * (stride / 512) + xb / 512;
        return tile * 4096 + (y % 8) * 512 + xb % 512;
    }
    if (tiling == 4) { /* Y: tiles of 128 bytes x 32 rows, 16-byte columns */
        size_t tile = (y / 32) * (stride / 128) + xb / 128;
        size_t column = (xb % 128) / 16;
        return tile * 4096 + column * 32 * 16 + (y % 32) * 16 + xb % 16;
    }
    return y * stride + xb;
}

/* The pattern on a linear 1080p surface, stored straight into RAM: only
 * before the daemon's first capture of it (no page is watched yet; later
 * stores go through sim_ram_write, as the guest's CPU's would). */
static inline void draw_pattern_linear(struct sim *s)
{
    uint8_t *ram = sim_ram(s);
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            uint32_t px = pattern(x, y);
            memcpy(ram + SURF_GPA + layout(0, W * 4, x, y), &px, 4);
        }
}

static inline void map_surface(struct sim *s, size_t bytes)
{
    for (size_t i = 0; i < (bytes + 4095) / 4096; i++)
        sim_mmio_write(s, 0, BAR0_ADDR + (8u << 20) + 8 * (SURF_GADDR / 4096 + i), 8,
                       (SURF_GPA + i * 4096) | 1);
}

static inline void program_plane(struct sim *s, int tiling, uint32_t stride_units)
{
    sim_mmio_write(s, 0, REG(0x6001c), 4, (W - 1) << 16 | (H - 1)); /* PIPESRC */
    sim_mmio_write(s, 0, REG(0x70188), 4, stride_units);
    sim_mmio_write(s, 0, REG(0x701a4), 4, 0);
    sim_mmio_write(s, 0, REG(0x70180), 4, 1u << 31 | 4u << 24 | (uint32_t)tiling << 10);
    itest_flip(s, SURF_GADDR);
}

/* Decode the daemon's PNG and compare with the pattern. */
static inline void *screenshot(struct sim *s, size_t *len, char *line, size_t cap)
{
    void *png = NULL;
    assert_int_equal(sim_control(s, "{\"cmd\":\"screenshot\"}", line, cap, &png, len), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    assert_non_null(png);
    return png;
}

#endif
