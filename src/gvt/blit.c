/* The blitter commands a guest console or simple clients use, executed on
 * linear surfaces in the context's PPGTT: solid fills (XY_COLOR_BLT) and
 * copies (XY_SRC_COPY_BLT, XY_FAST_COPY_BLT). Tiled surfaces and raster
 * operations other than plain copy/fill are decoded and skipped. Every
 * row is translated and checked; a blit is bounded in size so one command
 * cannot stall the daemon. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/blit.h"
#include "gvt/engine.h"
#include "gvt/gfxmem.h"
#include "common/log.h"

#include <stdlib.h>
#include <string.h>

#define BLT_OPCODE(h) (((h) >> 22) & 0x7fu)
#define XY_COLOR_BLT 0x50u
#define XY_SRC_COPY_BLT 0x53u
#define XY_FAST_COPY_BLT 0x42u
#define XY_DST_TILED (1u << 11)
#define XY_SRC_TILED (1u << 15)
#define ROP_PATCOPY 0xf0u
#define ROP_SRCCOPY 0xccu
#define BLT_MAX_DIM 16384u
#define BLT_MAX_PITCH 32767u
#define BLT_MAX_BYTES (64u << 20)

struct surface {
    uint64_t addr;
    uint32_t pitch;
    uint32_t x, y;
};

static unsigned xy_cpp(uint32_t dw1)
{
    static const unsigned cpp[4] = { 1, 2, 2, 4 };
    return cpp[(dw1 >> 24) & 3u];
}

static unsigned fast_cpp(uint32_t dw1)
{
    switch ((dw1 >> 24) & 7u) {
    case 0: return 1;
    case 1: return 2;
    case 2: case 3: return 4;
    default: return 0;
    }
}

static uint64_t addr64(const uint32_t *dw)
{
    return dw[0] | (uint64_t)(dw[1] & 0xffffu) << 32;
}

static int refuse(struct vgpu *v, struct gvt_engine *e, const char *what, uint32_t h)
{
    gvt_engine_error(v, e, "blit %#010x: %s", h, what);
    return -1;
}

static int copy_rows(struct vgpu *v, struct gvt_engine *e, const struct surface *dst,
                     const struct surface *src, uint32_t w_bytes, uint32_t h, uint32_t color,
                     unsigned cpp, uint32_t hdr)
{
    uint8_t *row = malloc(w_bytes);
    if (!row)
        return refuse(v, e, "out of memory", hdr);
    if (!src) {
        for (uint32_t i = 0; i < w_bytes; i += cpp)
            memcpy(row + i, &color, cpp);
    }
    /* Same surface, destination below the source: bottom-up, as the
     * blitter does, so rows are read before they are overwritten. */
    bool up = src && src->addr == dst->addr && dst->y > src->y;
    int rc = 0;
    for (uint32_t n = 0; n < h && rc == 0; n++) {
        uint32_t i = up ? h - 1 - n : n;
        uint64_t d = dst->addr + (uint64_t)(dst->y + i) * dst->pitch + (uint64_t)dst->x * cpp;
        if (src) {
            uint64_t s = src->addr + (uint64_t)(src->y + i) * src->pitch +
                         (uint64_t)src->x * cpp;
            rc = gvt_gfx_read(v, &e->cs, true, s, row, w_bytes);
        }
        if (rc == 0)
            rc = gvt_gfx_write(v, &e->cs, true, d, row, w_bytes);
    }
    free(row);
    if (rc < 0)
        return refuse(v, e, "a row lies outside the guest's memory", hdr);
    v->stats.blits++;
    return 0;
}

int gvt_blit(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, unsigned len)
{
    uint32_t h = cmd[0];
    unsigned op = BLT_OPCODE(h);
    bool fast = op == XY_FAST_COPY_BLT, fill = op == XY_COLOR_BLT;
    if (len != (fill ? 7u : 10u))
        return refuse(v, e, "wrong length", h);
    unsigned cpp = fast ? fast_cpp(cmd[1]) : xy_cpp(cmd[1]);
    bool tiled = fast ? ((h >> 20) & 3u) || ((h >> 13) & 3u)
                      : (h & XY_DST_TILED) || (!fill && (h & XY_SRC_TILED));
    unsigned rop = (cmd[1] >> 16) & 0xffu;
    if (cpp == 0)
        return refuse(v, e, "unknown colour depth", h);
    if (tiled || (!fast && rop != (fill ? ROP_PATCOPY : ROP_SRCCOPY))) {
        v->stats.cs_skipped++;
        log_guest("%s: blit %#010x (tiled or ROP %#x) not emulated, skipped",
                  gvt_engine_info[e->id].name, h, rop);
        return 0;
    }
    uint32_t x1 = cmd[2] & 0xffffu, y1 = cmd[2] >> 16, x2 = cmd[3] & 0xffffu, y2 = cmd[3] >> 16;
    if (x2 <= x1 || y2 <= y1)
        return 0; /* an empty rectangle draws nothing */
    uint32_t w = x2 - x1, rows = y2 - y1;
    struct surface dst = { addr64(&cmd[4]), cmd[1] & 0xffffu, x1, y1 };
    if (x2 > BLT_MAX_DIM || y2 > BLT_MAX_DIM || dst.pitch > BLT_MAX_PITCH ||
        (uint64_t)x2 * cpp > dst.pitch || (uint64_t)w * rows * cpp > BLT_MAX_BYTES)
        return refuse(v, e, "rectangle, pitch or size out of bounds", h);
    if (fill)
        return copy_rows(v, e, &dst, NULL, w * cpp, rows, cmd[6], cpp, h);
    struct surface src = { addr64(&cmd[8]), cmd[7] & 0xffffu, cmd[6] & 0xffffu, cmd[6] >> 16 };
    if (src.x + w > BLT_MAX_DIM || src.y + rows > BLT_MAX_DIM || src.pitch > BLT_MAX_PITCH ||
        (uint64_t)(src.x + w) * cpp > src.pitch)
        return refuse(v, e, "source rectangle or pitch out of bounds", h);
    return copy_rows(v, e, &dst, &src, w * cpp, rows, 0, cpp, h);
}
