#include "config.h"
#include "gvt/scanout_watch.h"
#include "gvt/device.h"
#include "ioreq/guestmem.h"
#include "ioreq/server.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SHIFT 12
/* A surface read whole at least this often whatever the watch says. */
#define FULL_READ_NS 2000000000ull
/* Calm captures (at most an eighth of the rows changed) before arming. */
#define CALM_TO_ARM 2u
/* What the watch may cost the guest: each trap is an ioreq round trip on
 * its vCPU. Beyond this many a second (a picture changing in parts, under
 * a viewer capturing often) the surface is read whole for BACKOFF_NS. */
#define TRAPS_PER_S 1000u
#define BACKOFF_NS 5000000000ull
/* Larger surfaces (past 4K's 8100 pages, up to the 256 MiB a plane may
 * span) are read whole: arming one would be that many hypercalls, each
 * time a guest flips between two of them. */
#define MAX_PAGES 16384u

enum { REGISTERED = 1, PROTECTED = 2, DIRTY = 4 };

struct scanout_watch {
    struct vgpu *v;
    bool allowed;
    bool armed;
    bool refused;   /* this surface cannot be watched (a page is not ours to protect) */
    uint64_t key;
    uint32_t n, cap;
    uint64_t *gfn;
    uint8_t *state;
    uint32_t ndirty;
    uint32_t *slot;     /* gfn -> index + 1 (0: empty), open addressing */
    unsigned slot_bits;
    uint64_t *retired;  /* registered pages of an earlier surface, already RAM */
    uint32_t nretired, cap_retired;
    unsigned calm;
    uint64_t last_full_ns;
    uint64_t window_ns;      /* when the current second of traps began */
    uint32_t window_traps;
    uint64_t backoff_until;  /* no arming before this */
    bool last_read_all;
};

static uint32_t *slot_of(const struct scanout_watch *w, uint64_t gfn)
{
    uint32_t mask = (1u << w->slot_bits) - 1;
    uint32_t h = (uint32_t)((gfn * 0x9e3779b97f4a7c15ull) >> (64 - w->slot_bits));
    for (;; h = (h + 1) & mask) {
        uint32_t *s = &w->slot[h];
        if (*s == 0 || w->gfn[*s - 1] == gfn)
            return s;
    }
}

static bool index_of(const struct scanout_watch *w, uint64_t gfn, uint32_t *i)
{
    if (!w->n)
        return false;
    uint32_t s = *slot_of(w, gfn);
    if (!s)
        return false;
    *i = s - 1;
    return true;
}

static void mark(struct scanout_watch *w, uint32_t i)
{
    if (!(w->state[i] & DIRTY)) {
        w->state[i] |= DIRTY;
        w->ndirty++;
    }
}

/* The daemon's own writes to guest memory. */
static void on_daemon_write(void *opaque, uint64_t gpa, size_t len)
{
    struct scanout_watch *w = opaque;
    if (!w->n || !len)
        return;
    for (uint64_t g = gpa >> PAGE_SHIFT; g <= (gpa + len - 1) >> PAGE_SHIFT; g++) {
        uint32_t i;
        if (index_of(w, g, &i))
            mark(w, i);
    }
}

/* A guest store to a protected page: performed here (Xen left RAM as it
 * was), which marks the page through the hook; then the page is plain RAM
 * until the next capture. A page of an earlier surface is only stored to. */
static int wp_write(void *opaque, uint64_t gpa, unsigned size, uint64_t val)
{
    struct scanout_watch *w = opaque;
    int rc = gmem_write(w->v->gm, gpa, &val, size);
    uint32_t i;
    if (index_of(w, gpa >> PAGE_SHIFT, &i) && (w->state[i] & PROTECTED)) {
        w->window_traps++;
        w->v->stats.scanout_write_traps++;
        mark(w, i);
        if (ioreq_wp_protect(w->v->srv, w->gfn[i], false) == 0)
            w->state[i] &= (uint8_t)~PROTECTED;
    }
    return rc;
}

static int wp_read(void *opaque, uint64_t gpa, unsigned size, uint64_t *val)
{
    struct scanout_watch *w = opaque;
    *val = 0;
    return gmem_read(w->v->gm, gpa, val, size);
}

static const struct io_ops wp_ops = { wp_read, wp_write };

int scanout_watch_new(struct vgpu *v, struct scanout_watch **out)
{
    struct scanout_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->v = v;
    w->allowed = true;
    if (gmem_add_write_hook(v->gm, on_daemon_write, w) < 0) {
        free(w);
        return -ENOSPC;
    }
    *out = w;
    return 0;
}

static void unprotect_all(struct scanout_watch *w)
{
    for (uint32_t i = 0; i < w->n; i++)
        if ((w->state[i] & PROTECTED) && ioreq_wp_protect(w->v->srv, w->gfn[i], false) == 0)
            w->state[i] &= (uint8_t)~PROTECTED;
    w->armed = false;
    w->calm = 0;
}

/* Registrations of pages no longer the surface's end only a capture later:
 * a store Xen sent while one was protected must still find its handler. */
static void drop_retired(struct scanout_watch *w)
{
    for (uint32_t i = 0; i < w->nretired; i++)
        ioreq_wp_remove(w->v->srv, w->retired[i]);
    w->nretired = 0;
}

static void retire_surface(struct scanout_watch *w)
{
    unprotect_all(w);
    for (uint32_t i = 0; i < w->n; i++) {
        if (!(w->state[i] & REGISTERED))
            continue;
        if (w->nretired == w->cap_retired) {
            uint32_t cap = w->cap_retired ? 2 * w->cap_retired : 256;
            uint64_t *r = realloc(w->retired, cap * sizeof(*r));
            if (!r) {
                ioreq_wp_remove(w->v->srv, w->gfn[i]); /* now, rather than never */
                continue;
            }
            w->retired = r;
            w->cap_retired = cap;
        }
        w->retired[w->nretired++] = w->gfn[i];
    }
    w->n = 0;
    w->ndirty = 0;
    w->refused = false;
}

void scanout_watch_free(struct scanout_watch *w)
{
    if (!w)
        return;
    retire_surface(w);
    drop_retired(w);
    gmem_remove_write_hook(w->v->gm, on_daemon_write, w);
    free(w->gfn);
    free(w->state);
    free(w->slot);
    free(w->retired);
    free(w);
}

/* The surface's pages as the watch's set (nothing registered yet). A page
 * named twice (a guest's odd GGTT) makes the surface unwatchable. */
static int take_surface(struct scanout_watch *w, const uint64_t *gfns, uint32_t n, uint64_t key)
{
    if (n > w->cap) {
        uint64_t *g = realloc(w->gfn, n * sizeof(*g));
        if (!g)
            return -ENOMEM;
        w->gfn = g;
        uint8_t *s = realloc(w->state, n);
        if (!s)
            return -ENOMEM;
        w->state = s;
        w->cap = n;
    }
    unsigned bits = 4;
    while ((1u << bits) < 2 * n)
        bits++;
    if (!w->slot || bits != w->slot_bits) {
        uint32_t *sl = malloc(sizeof(*sl) << bits);
        if (!sl)
            return -ENOMEM;
        free(w->slot);
        w->slot = sl;
        w->slot_bits = bits;
    }
    memset(w->slot, 0, sizeof(*w->slot) << w->slot_bits);
    memcpy(w->gfn, gfns, n * sizeof(*gfns));
    memset(w->state, 0, n);
    w->n = n;
    w->key = key;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t *s = slot_of(w, gfns[i]);
        if (*s)
            w->refused = true;
        else
            *s = i + 1;
    }
    return 0;
}

/* Every page registered and protected, or none (one that cannot be: a
 * page another part watches, not plain RAM). */
static bool arm(struct scanout_watch *w)
{
    for (uint32_t i = 0; i < w->n; i++) {
        int rc = (w->state[i] & REGISTERED)
                     ? ioreq_wp_protect(w->v->srv, w->gfn[i], true)
                     : ioreq_wp_add(w->v->srv, w->gfn[i], &wp_ops, w);
        if (rc < 0) {
            log_debug("capture: scanout page %#llx cannot be watched (%s): read whole",
                      (unsigned long long)w->gfn[i], strerror(-rc));
            unprotect_all(w);
            w->refused = true;
            return false;
        }
        w->state[i] |= REGISTERED | PROTECTED;
        w->state[i] &= (uint8_t)~DIRTY;
    }
    w->ndirty = 0;
    w->armed = true;
    return true;
}

enum scanout_read scanout_watch_begin(struct scanout_watch *w, const uint64_t *gfns, uint32_t n,
                                      uint64_t key, bool whole, uint64_t now_ns)
{
    drop_retired(w);
    w->last_read_all = true;
    if (!w->v->srv || !w->allowed || n > MAX_PAGES) {
        if (w->n)
            retire_surface(w);
        return SCANOUT_READ_ALL;
    }
    if (n != w->n || key != w->key || memcmp(gfns, w->gfn, n * sizeof(*gfns)) != 0) {
        retire_surface(w);
        if (take_surface(w, gfns, n, key) < 0) {
            w->n = 0;
            return SCANOUT_READ_ALL;
        }
        return SCANOUT_READ_ALL;
    }
    if (w->refused)
        return SCANOUT_READ_ALL;
    if (now_ns - w->window_ns >= 1000000000ull) {
        w->window_ns = now_ns;
        w->window_traps = 0;
    }
    if (!w->armed) {
        /* Protected before it is read: a store during the read is seen. */
        if (w->calm >= CALM_TO_ARM && now_ns >= w->backoff_until && arm(w)) {
            w->last_full_ns = now_ns;
            w->window_ns = now_ns;
            w->window_traps = 0;
        }
        return SCANOUT_READ_ALL;
    }
    if (w->ndirty > n / 4 || w->window_traps > TRAPS_PER_S) {
        /* A moving picture, whole or in parts: a trap per page per frame
         * would cost the guest more than reading costs us. */
        if (w->window_traps > TRAPS_PER_S)
            w->backoff_until = now_ns + BACKOFF_NS;
        unprotect_all(w);
        return SCANOUT_READ_ALL;
    }
    bool full = whole || now_ns - w->last_full_ns >= FULL_READ_NS;
    if (!full && w->ndirty == 0) {
        w->last_read_all = false;
        w->v->stats.captures_unread++;
        return SCANOUT_READ_NONE;
    }
    for (uint32_t i = 0; i < n; i++)
        if ((w->state[i] & (DIRTY | PROTECTED)) == DIRTY &&
            ioreq_wp_protect(w->v->srv, w->gfn[i], true) == 0)
            w->state[i] |= PROTECTED;
    if (full) {
        w->last_full_ns = now_ns;
        return SCANOUT_READ_ALL;
    }
    w->last_read_all = false;
    return SCANOUT_READ_DIRTY;
}

bool scanout_watch_dirty(const struct scanout_watch *w, uint32_t i)
{
    return i < w->n && (w->state[i] & DIRTY);
}

void scanout_watch_end(struct scanout_watch *w, uint32_t damaged_rows, uint32_t rows)
{
    uint32_t read = w->last_read_all ? w->n : w->ndirty;
    w->v->stats.capture_pages_read += read;
    if (!w->armed)
        w->calm = damaged_rows <= rows / 8 ? w->calm + 1 : 0;
    for (uint32_t i = 0; i < w->n; i++)
        w->state[i] &= (uint8_t)~DIRTY;
    w->ndirty = 0;
}

void scanout_watch_allow(struct scanout_watch *w, bool allow)
{
    if (w->allowed == allow)
        return;
    w->allowed = allow;
    if (!allow)
        unprotect_all(w);
}

bool scanout_watch_armed(const struct scanout_watch *w)
{
    return w->armed;
}
