/* The primary plane of pipe A as the guest programmed it, decoded into an
 * XRGB8888 frame for the host (screenshots, live view, dom0 output).
 *
 * Every number comes from guest registers, so everything is checked: the
 * size against the pipe and a hard bound, the stride against the width,
 * the format and tiling against what we can decode, and every page of the
 * surface must be a present GGTT entry inside the vGPU's slices that
 * names guest memory. Anything else gives a blank frame and the reason,
 * never stale pixels and never a read outside the guest.
 *
 * The vGPU keeps the last frame and brings it up to date in place: each
 * page of the surface is read once, straight from the map cache, and its
 * pixels are converted and compared with the frame's in one pass
 * (pixrun.c), written only where they differ. The rows that changed
 * (damage) and a sequence number that moves only when a pixel changed let
 * the consumers (VNC, KMS, the PNG cache) skip what did not.
 *
 * Which pages are read is the scanout watch's answer (scanout_watch.h):
 * the surface is ordinary guest RAM that the guest's CPU writes without
 * telling us (no register, no GGTT entry changes), so once the screen is
 * calm its pages are write-protected and a store marks its page. A
 * capture reads the marked pages, or all of them while the watch is off
 * (a moving picture, a live migration, a new surface), and nothing when
 * none was written: an unchanged frame costs the plane registers, the
 * surface's GGTT entries and the cursor, and nothing after (no
 * conversion, no copy, no PNG, no VNC update). */
#include "config.h"
#include "gvt/vgpu.h"
#include "gvt/device.h"
#include "gvt/plane.h"
#include "gvt/display.h"
#include "gvt/ggtt.h"
#include "gvt/aperture.h"
#include "gvt/pixrun.h"
#include "gvt/scanout_watch.h"
#include "ioreq/guestmem.h"
#include "evtchn/loop.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PIPESRC_A 0x6001cu
#define PLANE_STRIDE_1_A 0x70188u
#define PLANE_SIZE_1_A 0x70190u
#define PLANE_OFFSET_1_A 0x701a4u

#define PLANE_CTL_ENABLE (1u << 31)
#define PLANE_CTL_FORMAT(x) (((x) >> 24) & 0xf)
#define PLANE_CTL_ORDER_RGBX (1u << 20)
#define PLANE_CTL_TILING(x) (((x) >> 10) & 0x7)
#define TILING_LINEAR 0u
#define TILING_X 1u
#define TILING_Y 4u
#define TILING_YF 5u

#define CUR_CTL_A 0x70080u
#define CUR_BASE_A 0x70084u
#define CUR_POS_A 0x70088u
#define MCURSOR_MODE_MASK 0x27u
#define CURSOR_MAX 256u

#define PAGE 4096u

/* The cursor as blended into the kept frame. */
struct cursor {
    unsigned size; /* 0: none */
    int x0, y0;
};

struct gvt_capture {
    uint32_t *px;       /* the last frame, cursor included */
    uint32_t w, h;
    bool valid;         /* px is a frame we produced (else all of it is new) */
    bool blank;
    const char *reason;
    unsigned format, tiling;
    bool rgbx;
    uint64_t seq;
    uint32_t dmg_y0, dmg_y1; /* rows the last change touched */
    struct cursor cur;
    uint32_t *cur_img;  /* its image as blended (size * size) */
    uint32_t *cur_next; /* the image read now, to compare */
    uint32_t *under;    /* the plane's pixels beneath it, clipped rect */
    uint32_t ux, uy, uw, uh;
    uint64_t *gfns;     /* the surface's pages, as the GGTT maps them now */
    uint64_t cap_gfns;
    struct scanout_watch *watch; /* which of them changed (NULL: read all) */
};

/* A decoded plane: which surface bytes are which frame pixels. */
struct surface {
    unsigned fmt, tiling, bpp;
    bool rgbx;
    uint64_t stride;
    uint64_t x0b, x1b; /* the visible bytes of a row */
    uint64_t y0, y1;   /* the visible rows */
};

struct damage {
    uint32_t y0, y1; /* empty when y0 >= y1 */
};

static void damage_rows(struct damage *d, uint32_t y0, uint32_t y1)
{
    if (y0 >= y1)
        return;
    if (d->y0 >= d->y1) {
        d->y0 = y0;
        d->y1 = y1;
        return;
    }
    if (y0 < d->y0)
        d->y0 = y0;
    if (y1 > d->y1)
        d->y1 = y1;
}

/* The plane's bytes [xb, xb + len) of surface row y, at src. */
static void plane_run(const struct surface *s, struct gvt_capture *c, struct damage *d,
                      uint64_t y, uint64_t xb, const uint8_t *src, uint64_t len)
{
    if (y < s->y0 || y >= s->y1)
        return;
    uint64_t a = xb > s->x0b ? xb : s->x0b;
    uint64_t b = xb + len < s->x1b ? xb + len : s->x1b;
    if (a >= b)
        return;
    uint32_t row = (uint32_t)(y - s->y0);
    uint32_t *dst = c->px + (size_t)row * c->w + (a - s->x0b) / s->bpp;
    if (gvt_pixrun_update(dst, src + (a - xb), (b - a) / s->bpp, s->fmt, s->rgbx))
        damage_rows(d, row, row + 1);
}

/* Page i of the surface (4 KiB at `p`): linear rows, one X tile (512 B x
 * 8 rows) or one Y tile (128 B x 32 rows in 16-byte columns). */
static void plane_page(const struct surface *s, struct gvt_capture *c, struct damage *d,
                       uint64_t i, const uint8_t *p)
{
    switch (s->tiling) {
    case TILING_X: {
        uint64_t per_row = s->stride / 512, ty = i / per_row, tx = i % per_row;
        for (unsigned r = 0; r < 8; r++)
            plane_run(s, c, d, ty * 8 + r, tx * 512, p + r * 512, 512);
        return;
    }
    case TILING_Y: {
        uint64_t per_row = s->stride / 128, ty = i / per_row, tx = i % per_row;
        uint8_t line[128];
        for (unsigned r = 0; r < 32; r++) {
            for (unsigned col = 0; col < 8; col++)
                memcpy(line + col * 16, p + col * 512 + r * 16, 16);
            plane_run(s, c, d, ty * 32 + r, tx * 128, line, 128);
        }
        return;
    }
    default: {
        uint64_t o = i * PAGE, end = o + PAGE;
        while (o < end) {
            uint64_t y = o / s->stride, xb = o % s->stride;
            uint64_t len = s->stride - xb < end - o ? s->stride - xb : end - o;
            plane_run(s, c, d, y, xb, p + (o - i * PAGE), len);
            o += len;
        }
        return;
    }
    }
}

/* The kept frame at w x h: a new size is a new (black) frame. */
static int frame_size(struct gvt_capture *c, uint32_t w, uint32_t h)
{
    if (c->px && c->w == w && c->h == h)
        return 0;
    uint32_t *px = calloc((size_t)w * h, 4);
    if (!px)
        return -ENOMEM;
    free(c->px);
    c->px = px;
    c->w = w;
    c->h = h;
    c->valid = false;
    c->uw = c->uh = 0;
    c->cur.size = 0;
    return 0;
}

/* A black frame and the reason, in place of the plane. */
static void plane_blank(struct gvt_capture *c, struct damage *d, const char *why)
{
    if (!(c->valid && c->blank)) {
        memset(c->px, 0, (size_t)c->w * c->h * 4);
        damage_rows(d, 0, c->h);
    }
    c->blank = true;
    c->reason = why;
}

/* Brings the kept frame's plane up to date; blank with the reason when the
 * guest's programming is refused. -ENOMEM only. */
static int plane_update(struct vgpu *v, struct gvt_capture *c, struct damage *d)
{
    const struct gvt_regs *r = &v->regs;
    uint32_t src = vreg(r, PIPESRC_A);
    uint32_t w = ((src >> 16) & 0x1fff) + 1, h = (src & 0xfff) + 1;
    /* The vGPU type bounds the mode, and with it what a capture costs. */
    bool size_ok = w <= v->type->max_width && h <= v->type->max_height && w >= 8 && h >= 8;
    if (frame_size(c, size_ok ? w : 640, size_ok ? h : 480) < 0)
        return -ENOMEM;
    if (!c->valid)
        damage_rows(d, 0, c->h);
    if (!size_ok) {
        plane_blank(c, d, "pipe source size out of range");
        return 0;
    }
    uint32_t ctl = vreg(r, PLANE_CTL_1_A);
    if (!(vreg(r, TRANSCONF_A) & TRANSCONF_ENABLE) || !(ctl & PLANE_CTL_ENABLE)) {
        plane_blank(c, d, "pipe or plane off");
        return 0;
    }
    struct surface s = { .fmt = PLANE_CTL_FORMAT(ctl), .tiling = PLANE_CTL_TILING(ctl),
                         .rgbx = ctl & PLANE_CTL_ORDER_RGBX };
    s.bpp = s.fmt == PLANE_FMT_RGB_565 ? 2 : 4;
    if (s.fmt != PLANE_FMT_XRGB_8888 && s.fmt != PLANE_FMT_RGB_565 &&
        s.fmt != PLANE_FMT_XRGB_2101010) {
        log_guest("capture: plane format %u not decoded", s.fmt);
        plane_blank(c, d, "unsupported pixel format");
        return 0;
    }
    if (s.tiling != TILING_LINEAR && s.tiling != TILING_X && s.tiling != TILING_Y) {
        log_guest("capture: plane tiling %u not decoded", s.tiling);
        plane_blank(c, d, "unsupported tiling");
        return 0;
    }
    uint32_t unit = s.tiling == TILING_X ? 512 : s.tiling == TILING_Y ? 128 : 64;
    s.stride = (uint64_t)(vreg(r, PLANE_STRIDE_1_A) & 0x3ff) * unit;
    uint32_t off = vreg(r, PLANE_OFFSET_1_A);
    uint64_t x0 = off & 0x1fff;
    s.y0 = (off >> 16) & 0xfff;
    s.y1 = s.y0 + h;
    s.x0b = x0 * s.bpp;
    s.x1b = (x0 + w) * s.bpp;
    uint64_t surf = vreg(r, PLANE_SURFLIVE_1_A) & ~0xfffull;
    if (s.stride < s.x1b) {
        log_guest("capture: stride %llu too small for %u pixels",
                  (unsigned long long)s.stride, w);
        plane_blank(c, d, "stride smaller than a line");
        return 0;
    }
    /* The surface spans whole tile rows. */
    uint64_t rows = s.y1;
    if (s.tiling == TILING_X)
        rows = (rows + 7) / 8 * 8;
    else if (s.tiling == TILING_Y)
        rows = (rows + 31) / 32 * 32;
    uint64_t span = s.stride * rows;
    if (span > (256ull << 20)) {
        plane_blank(c, d, "surface too large");
        return 0;
    }
    /* Every page is judged before any pixel is taken: a surface with one
     * bad page is refused whole, never shown half updated. */
    uint64_t npages = (span + PAGE - 1) / PAGE;
    if (npages > c->cap_gfns) {
        uint64_t *g = realloc(c->gfns, npages * sizeof(*g));
        if (!g)
            return -ENOMEM;
        c->gfns = g;
        c->cap_gfns = npages;
    }
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t gpa;
        if (gvt_ggtt_translate(v, surf + i * PAGE, &gpa) < 0) {
            log_guest("capture: surface page %#llx has no guest memory",
                      (unsigned long long)(surf + i * PAGE));
            plane_blank(c, d, "surface outside the vGPU's memory");
            return 0;
        }
        c->gfns[i] = gpa / PAGE;
    }
    /* What the pages mean: a change of any of these is another surface. */
    uint64_t key = surf ^ (uint64_t)ctl * 0x9e3779b97f4a7c15ull ^
                   (uint64_t)s.stride << 40 ^ (uint64_t)off * 0xff51afd7ed558ccdull ^
                   (uint64_t)src * 0xc4ceb9fe1a85ec53ull;
    enum scanout_read need = SCANOUT_READ_ALL;
    if (c->watch)
        need = scanout_watch_begin(c->watch, c->gfns, (uint32_t)npages, key,
                                   c->blank || !c->valid, evt_loop_now_ns(v->loop));
    if (c->blank) {
        /* From a blank frame every pixel is compared with black, which
         * the buffer holds. */
        c->blank = false;
        c->reason = NULL;
        damage_rows(d, 0, c->h);
    }
    c->format = s.fmt;
    c->tiling = s.tiling;
    c->rgbx = s.rgbx;
    /* One page at a time through the map cache: a pointer lives only until
     * the next gmem call, and a surface may be larger than the cache. */
    for (uint64_t i = 0; i < npages && need != SCANOUT_READ_NONE; i++) {
        const void *p;
        if (need == SCANOUT_READ_DIRTY && !scanout_watch_dirty(c->watch, (uint32_t)i))
            continue;
        if (gmem_peek(v->gm, c->gfns[i] * PAGE, PAGE, &p) < 0) {
            log_guest("capture: surface page %#llx has no guest memory",
                      (unsigned long long)(surf + i * PAGE));
            c->blank = false; /* what is in px now is half a frame */
            plane_blank(c, d, "surface outside the vGPU's memory");
            return 0;
        }
        plane_page(&s, c, d, i, p);
    }
    if (c->watch)
        scanout_watch_end(c->watch, d->y0 < d->y1 ? d->y1 - d->y0 : 0, h);
    return 0;
}

/* The cursor plane (64/128/256 square ARGB8888, linear) as the guest has
 * it now; size 0 when off, in a mode we do not draw, or its pages are not
 * the guest's (logged: the rest of the frame stands). */
static void cursor_read(struct vgpu *v, struct cursor *cur, uint32_t *img)
{
    const struct gvt_regs *r = &v->regs;
    cur->size = 0;
    unsigned size;
    switch (vreg(r, CUR_CTL_A) & MCURSOR_MODE_MASK) {
    case 0x27: size = 64; break;
    case 0x22: size = 128; break;
    case 0x23: size = 256; break;
    default: return; /* off, or a mode we do not draw */
    }
    uint32_t pos = vreg(r, CUR_POS_A);
    cur->x0 = (int)(pos & 0xfff) * ((pos & 0x8000) ? -1 : 1);
    cur->y0 = (int)((pos >> 16) & 0xfff) * ((pos & 0x80000000u) ? -1 : 1);
    uint64_t base = vreg(r, CUR_BASE_A) & ~0xfffull;
    size_t bytes = (size_t)size * size * 4;
    for (size_t off = 0; off < bytes; off += PAGE) {
        uint64_t gpa;
        if (gvt_ggtt_translate(v, base + off, &gpa) < 0 ||
            gmem_read(v->gm, gpa, (uint8_t *)img + off, PAGE) < 0) {
            log_guest("capture: cursor page %#llx has no guest memory",
                      (unsigned long long)(base + off));
            return;
        }
    }
    cur->size = size;
}

/* The kept frame without the cursor: the plane's pixels put back. */
static void cursor_lift(struct gvt_capture *c)
{
    for (uint32_t y = 0; y < c->uh; y++)
        memcpy(c->px + (size_t)(c->uy + y) * c->w + c->ux, c->under + (size_t)y * c->uw,
               (size_t)c->uw * 4);
    c->uw = c->uh = 0;
}

/* Blends the cursor over the frame where the guest put it, keeping what
 * it covers. */
static void cursor_drop(struct gvt_capture *c, const struct cursor *cur, const uint32_t *img)
{
    int x0 = cur->x0 < 0 ? 0 : cur->x0, y0 = cur->y0 < 0 ? 0 : cur->y0;
    int x1 = cur->x0 + (int)cur->size, y1 = cur->y0 + (int)cur->size;
    if (x1 > (int)c->w)
        x1 = (int)c->w;
    if (y1 > (int)c->h)
        y1 = (int)c->h;
    if (x0 >= x1 || y0 >= y1)
        return;
    c->ux = (uint32_t)x0;
    c->uy = (uint32_t)y0;
    c->uw = (uint32_t)(x1 - x0);
    c->uh = (uint32_t)(y1 - y0);
    for (int y = y0; y < y1; y++) {
        uint32_t *d = c->px + (size_t)y * c->w;
        memcpy(c->under + (size_t)(y - y0) * c->uw, d + x0, (size_t)c->uw * 4);
        const uint32_t *s = img + (size_t)(y - cur->y0) * cur->size;
        for (int x = x0; x < x1; x++) {
            uint32_t fgc = s[x - cur->x0], a = fgc >> 24, out = 0;
            for (unsigned sh = 0; sh < 24; sh += 8) {
                uint32_t fg = (fgc >> sh) & 0xff, bg = (d[x] >> sh) & 0xff;
                out |= ((fg * a + bg * (255 - a) + 127) / 255) << sh;
            }
            d[x] = out;
        }
    }
}

static void cursor_rows(const struct gvt_capture *c, const struct cursor *cur,
                        struct damage *d)
{
    if (!cur->size)
        return;
    int y0 = cur->y0 < 0 ? 0 : cur->y0, y1 = cur->y0 + (int)cur->size;
    if (y1 > (int)c->h)
        y1 = (int)c->h;
    if (y0 < y1)
        damage_rows(d, (uint32_t)y0, (uint32_t)y1);
}

static int capture_new(struct vgpu *v, struct gvt_capture **out)
{
    struct gvt_capture *c = calloc(1, sizeof(*c));
    size_t img = (size_t)CURSOR_MAX * CURSOR_MAX;
    if (c) {
        c->cur_img = malloc(img * 4);
        c->cur_next = malloc(img * 4);
        c->under = malloc(img * 4);
    }
    if (!c || !c->cur_img || !c->cur_next || !c->under) {
        if (c) {
            free(c->cur_img);
            free(c->cur_next);
            free(c->under);
        }
        free(c);
        return -ENOMEM;
    }
    if (scanout_watch_new(v, &c->watch) < 0)
        c->watch = NULL; /* every capture reads the whole surface */
    *out = c;
    return 0;
}

void gvt_capture_release(struct vgpu *v)
{
    struct gvt_capture *c = v->disp.capture;
    if (!c)
        return;
    scanout_watch_free(c->watch);
    free(c->gfns);
    free(c->px);
    free(c->cur_img);
    free(c->cur_next);
    free(c->under);
    free(c);
    v->disp.capture = NULL;
}

int vgpu_capture_view(struct vgpu *v, struct vgpu_frame *f)
{
    memset(f, 0, sizeof(*f));
    if (!v->disp.capture && capture_new(v, &v->disp.capture) < 0)
        return -ENOMEM;
    struct gvt_capture *c = v->disp.capture;
    gvt_aperture_sync(v);
    cursor_lift(c);
    struct damage d = { 0, 0 };
    if (plane_update(v, c, &d) < 0)
        return -ENOMEM;
    /* The cursor's pixels change with its registers or its image. */
    struct cursor cur = { 0 };
    if (!c->blank)
        cursor_read(v, &cur, c->cur_next);
    size_t img_bytes = (size_t)cur.size * cur.size * 4;
    if (cur.size != c->cur.size || cur.x0 != c->cur.x0 || cur.y0 != c->cur.y0 ||
        memcmp(c->cur_next, c->cur_img, img_bytes) != 0) {
        cursor_rows(c, &c->cur, &d);
        cursor_rows(c, &cur, &d);
        c->cur = cur;
        uint32_t *t = c->cur_img;
        c->cur_img = c->cur_next;
        c->cur_next = t;
    }
    if (cur.size)
        cursor_drop(c, &cur, c->cur_img);
    c->valid = true;
    v->stats.captures++;
    if (d.y0 < d.y1) {
        c->seq++;
        c->dmg_y0 = d.y0;
        c->dmg_y1 = d.y1;
    } else {
        v->stats.captures_unchanged++;
    }
    f->width = c->w;
    f->height = c->h;
    f->pixels = c->px;
    f->blank = c->blank;
    f->reason = c->reason;
    f->format = c->blank ? 0 : c->format;
    f->tiling = c->blank ? 0 : c->tiling;
    f->rgbx = !c->blank && c->rgbx;
    f->seq = c->seq;
    f->damage_y0 = c->dmg_y0;
    f->damage_y1 = c->dmg_y1;
    return 0;
}

int vgpu_capture(struct vgpu *v, struct vgpu_frame *f)
{
    int rc = vgpu_capture_view(v, f);
    if (rc < 0)
        return rc;
    size_t bytes = (size_t)f->width * f->height * 4;
    uint32_t *px = malloc(bytes);
    if (!px) {
        f->pixels = NULL;
        return -ENOMEM;
    }
    memcpy(px, f->pixels, bytes);
    f->pixels = px;
    return 0;
}

void gvt_capture_allow_traps(struct vgpu *v, bool allow)
{
    struct gvt_capture *c = v->disp.capture;
    if (c && c->watch)
        scanout_watch_allow(c->watch, allow);
}

bool vgpu_scanout_watched(const struct vgpu *v)
{
    const struct gvt_capture *c = v->disp.capture;
    return c && c->watch && scanout_watch_armed(c->watch);
}
