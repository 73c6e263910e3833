/* The primary plane of pipe A as the guest programmed it, decoded into an
 * XRGB8888 frame for the host (screenshots, live view, dom0 output).
 *
 * Every number comes from guest registers, so everything is checked: the
 * size against the pipe and a hard bound, the stride against the width,
 * the format and tiling against what we can decode, and every page of the
 * surface must be a present GGTT entry inside the vGPU's slices that
 * names guest memory. Anything else gives a blank frame and the reason,
 * never stale pixels and never a read outside the guest. */
#include "config.h"
#include "gvt/vgpu_priv.h"
#include "ioreq/guestmem.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PIPESRC_A 0x6001cu
#define PLANE_CTL_1_A 0x70180u
#define PLANE_STRIDE_1_A 0x70188u
#define PLANE_SIZE_1_A 0x70190u
#define PLANE_SURFLIVE_1_A 0x701acu /* what is scanned out now */
#define PLANE_OFFSET_1_A 0x701a4u

#define PLANE_CTL_ENABLE (1u << 31)
#define PLANE_CTL_FORMAT(x) (((x) >> 24) & 0xf)
#define PLANE_FMT_XRGB_2101010 2u
#define PLANE_FMT_XRGB_8888 4u
#define PLANE_FMT_RGB_565 14u
#define PLANE_CTL_ORDER_RGBX (1u << 20)
#define PLANE_CTL_TILING(x) (((x) >> 10) & 0x7)
#define TILING_LINEAR 0u
#define TILING_X 1u
#define TILING_Y 4u
#define TILING_YF 5u


static void blank(struct vgpu_frame *f, const char *why)
{
    f->blank = true;
    f->reason = why;
    memset(f->pixels, 0, (size_t)f->width * f->height * 4);
}

/* Byte offset of (x_bytes, y) inside a surface of `stride` bytes. */
static uint64_t tiled_offset(unsigned tiling, uint64_t stride, uint64_t xb, uint64_t y)
{
    switch (tiling) {
    case TILING_X: /* 512 B x 8 rows per 4 KiB tile, rows of tiles */
        return (y / 8 * (stride / 512) + xb / 512) * 4096 + (y % 8) * 512 + xb % 512;
    case TILING_Y: /* 128 B x 32 rows, in columns of 16-byte OWords */
        return (y / 32 * (stride / 128) + xb / 128) * 4096 + (xb % 128) / 16 * 512 +
               (y % 32) * 16 + xb % 16;
    default:
        return y * stride + xb;
    }
}

static uint32_t to_xrgb(unsigned fmt, bool rgbx, const uint8_t *p)
{
    uint32_t v;
    switch (fmt) {
    case PLANE_FMT_RGB_565: {
        uint16_t s = (uint16_t)(p[0] | p[1] << 8);
        uint32_t r = (s >> 11) & 0x1f, g = (s >> 5) & 0x3f, b = s & 0x1f;
        return (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
    }
    case PLANE_FMT_XRGB_2101010:
        memcpy(&v, p, 4);
        if (rgbx)
            return (v >> 2 & 0xff) << 16 | (v >> 12 & 0xff) << 8 | (v >> 22 & 0xff);
        return (v >> 22 & 0xff) << 16 | (v >> 12 & 0xff) << 8 | (v >> 2 & 0xff);
    default:
        memcpy(&v, p, 4);
        if (rgbx)
            return (v & 0xff) << 16 | (v & 0xff00) | (v >> 16 & 0xff);
        return v & 0xffffff;
    }
}

#define CUR_CTL_A 0x70080u
#define CUR_BASE_A 0x70084u
#define CUR_POS_A 0x70088u
#define MCURSOR_MODE_MASK 0x27u

/* The cursor plane (64/128/256 square ARGB8888, linear) blended over the
 * frame where the guest put it. A cursor whose pages are not the guest's
 * is left out, with a log line; the rest of the frame stands. */
static void blend_cursor(struct vgpu *v, struct vgpu_frame *f)
{
    const struct gvt_regs *r = &v->regs;
    unsigned size;
    switch (vreg(r, CUR_CTL_A) & MCURSOR_MODE_MASK) {
    case 0x27: size = 64; break;
    case 0x22: size = 128; break;
    case 0x23: size = 256; break;
    default: return; /* off, or a mode we do not draw */
    }
    uint32_t pos = vreg(r, CUR_POS_A);
    int x0 = (int)(pos & 0xfff) * ((pos & 0x8000) ? -1 : 1);
    int y0 = (int)((pos >> 16) & 0xfff) * ((pos & 0x80000000u) ? -1 : 1);
    uint64_t base = vreg(r, CUR_BASE_A) & ~0xfffull;
    size_t bytes = (size_t)size * size * 4;
    uint32_t *img = malloc(bytes);
    if (!img)
        return;
    for (size_t off = 0; off < bytes; off += 4096) {
        uint64_t gpa;
        if (gvt_ggtt_translate(v, base + off, &gpa) < 0 ||
            gmem_read(v->gm, gpa, (uint8_t *)img + off, 4096) < 0) {
            log_guest("capture: cursor page %#llx has no guest memory",
                      (unsigned long long)(base + off));
            free(img);
            return;
        }
    }
    for (unsigned cy = 0; cy < size; cy++) {
        int y = y0 + (int)cy;
        if (y < 0 || (unsigned)y >= f->height)
            continue;
        for (unsigned cx = 0; cx < size; cx++) {
            int x = x0 + (int)cx;
            if (x < 0 || (unsigned)x >= f->width)
                continue;
            uint32_t c = img[cy * size + cx], a = c >> 24;
            uint32_t *d = &f->pixels[(size_t)y * f->width + (unsigned)x];
            uint32_t out = 0;
            for (unsigned sh = 0; sh < 24; sh += 8) {
                uint32_t fg = (c >> sh) & 0xff, bg = (*d >> sh) & 0xff;
                out |= ((fg * a + bg * (255 - a) + 127) / 255) << sh;
            }
            *d = out;
        }
    }
    free(img);
}

int vgpu_capture(struct vgpu *v, struct vgpu_frame *f)
{
    const struct gvt_regs *r = &v->regs;
    gvt_aperture_sync(v);
    uint32_t src = vreg(r, PIPESRC_A);
    uint32_t w = ((src >> 16) & 0x1fff) + 1, h = (src & 0xfff) + 1;
    /* The vGPU type bounds the mode, and with it what a capture costs. */
    bool size_ok = w <= v->type->max_width && h <= v->type->max_height && w >= 8 && h >= 8;
    memset(f, 0, sizeof(*f));
    f->width = size_ok ? w : 640;
    f->height = size_ok ? h : 480;
    f->pixels = malloc((size_t)f->width * f->height * 4);
    if (!f->pixels)
        return -ENOMEM;
    if (!size_ok) {
        blank(f, "pipe source size out of range");
        return 0;
    }

    uint32_t ctl = vreg(r, PLANE_CTL_1_A);
    if (!(vreg(r, TRANSCONF_A) & TRANSCONF_ENABLE) || !(ctl & PLANE_CTL_ENABLE)) {
        blank(f, "pipe or plane off");
        return 0;
    }
    unsigned fmt = PLANE_CTL_FORMAT(ctl), tiling = PLANE_CTL_TILING(ctl);
    unsigned bpp = fmt == PLANE_FMT_RGB_565 ? 2 : 4;
    if (fmt != PLANE_FMT_XRGB_8888 && fmt != PLANE_FMT_RGB_565 &&
        fmt != PLANE_FMT_XRGB_2101010) {
        log_guest("capture: plane format %u not decoded", fmt);
        blank(f, "unsupported pixel format");
        return 0;
    }
    if (tiling != TILING_LINEAR && tiling != TILING_X && tiling != TILING_Y) {
        log_guest("capture: plane tiling %u not decoded", tiling);
        blank(f, "unsupported tiling");
        return 0;
    }
    f->format = fmt;
    f->tiling = tiling;
    f->rgbx = ctl & PLANE_CTL_ORDER_RGBX;

    uint32_t unit = tiling == TILING_X ? 512 : tiling == TILING_Y ? 128 : 64;
    uint64_t stride = (uint64_t)(vreg(r, PLANE_STRIDE_1_A) & 0x3ff) * unit;
    uint32_t off = vreg(r, PLANE_OFFSET_1_A);
    uint64_t x0 = off & 0x1fff, y0 = (off >> 16) & 0xfff;
    uint64_t surf = vreg(r, PLANE_SURFLIVE_1_A) & ~0xfffull;
    if (stride < (x0 + w) * bpp) {
        log_guest("capture: stride %llu too small for %u pixels",
                  (unsigned long long)stride, w);
        blank(f, "stride smaller than a line");
        return 0;
    }
    /* The surface spans whole tile rows; pages are resolved once each. */
    uint64_t rows = y0 + h;
    if (tiling == TILING_X)
        rows = (rows + 7) / 8 * 8;
    else if (tiling == TILING_Y)
        rows = (rows + 31) / 32 * 32;
    uint64_t span = stride * rows;
    uint64_t npages = (span + 4095) / 4096;
    /* Pages are copied into one staging buffer first: pointers into the
     * map cache would not survive a surface larger than the cache. The
     * buffer is kept between captures (no page faults in steady state). */
    size_t need = (size_t)npages * 4096;
    if (span > (256ull << 20)) {
        blank(f, "surface too large");
        return 0;
    }
    if (v->capture_stage_size < need) {
        free(v->capture_stage);
        v->capture_stage = malloc(need);
        v->capture_stage_size = v->capture_stage ? need : 0;
        if (!v->capture_stage) {
            blank(f, "out of memory");
            return -ENOMEM;
        }
    }
    uint8_t *stage = v->capture_stage;
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t gpa;
        if (gvt_ggtt_translate(v, surf + i * 4096, &gpa) < 0 ||
            gmem_read(v->gm, gpa & ~0xfffull, stage + i * 4096, 4096) < 0) {
            log_guest("capture: surface page %#llx has no guest memory",
                      (unsigned long long)(surf + i * 4096));
            blank(f, "surface outside the vGPU's memory");
            return 0;
        }
    }
    /* Each tiling keeps runs of bytes contiguous within a row (a whole row,
     * 512 or 16 bytes): copy runs, then convert the row in place. */
    uint64_t run = tiling == TILING_X ? 512 : tiling == TILING_Y ? 16 : stride;
    uint8_t *raw = bpp == 4 ? NULL : malloc((size_t)w * bpp);
    if (bpp != 4 && !raw) {
        blank(f, "out of memory");
        return -ENOMEM;
    }
    for (uint32_t y = 0; y < h; y++) {
        uint32_t *out = f->pixels + (size_t)y * w;
        uint8_t *dst = raw ? raw : (uint8_t *)out;
        uint64_t xb = x0 * bpp, end = (x0 + w) * bpp;
        while (xb < end) {
            uint64_t chunk = run - xb % run;
            if (chunk > end - xb)
                chunk = end - xb;
            memcpy(dst + (xb - x0 * bpp), stage + tiled_offset(tiling, stride, xb, y0 + y),
                   chunk);
            xb += chunk;
        }
        if (fmt == PLANE_FMT_XRGB_8888 && !f->rgbx) {
            for (uint32_t x = 0; x < w; x++)
                out[x] &= 0xffffff;
        } else {
            for (uint32_t x = 0; x < w; x++)
                out[x] = to_xrgb(fmt, f->rgbx, dst + (size_t)x * bpp);
        }
    }
    free(raw);
    blend_cursor(v, f);
    v->stats.captures++;
    return 0;
}
