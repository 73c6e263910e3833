/* The software command streamer: executes a context's ring from head to
 * tail, following batch buffers, and audits every command as GVT-g's
 * command parser does. What it implements is what a guest driver needs to
 * initialise and to run simple requests: memory writes (breadcrumbs),
 * register loads, batch control, flushes with post-sync writes, interrupts
 * and simple blits. 3D and media state is decoded by length and skipped:
 * there is no GPU behind this vGPU.
 *
 * This file is the loop: fetching commands (through a read-ahead window),
 * sizing them, and handing each to what executes it -- cmd_mi.c for the MI
 * commands and PIPE_CONTROL (with the privilege rules), blit.c for the
 * blitter's. Privilege: the ring and GGTT-addressed batches are
 * privileged; a PPGTT-addressed batch is not. Anything refused stops the
 * engine with an error the guest sees (and resets); the daemon itself never
 * trusts a length, an address or a register number it reads here. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/cmd_exec.h"
#include "gvt/engine.h"
#include "gvt/gfxmem.h"
#include "gvt/cmd_mi.h"
#include "gvt/blit.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CLIENT(h) ((h) >> 29)
#define CLIENT_MI 0u
#define CLIENT_2D 2u
#define CLIENT_3D 3u

#define BLT_XY_COLOR 0x50u
#define BLT_XY_SRC_COPY 0x53u
#define BLT_XY_FAST_COPY 0x42u

/* Dwords between head and tail (ring), or unbounded (batch: it runs to
 * MI_BATCH_BUFFER_END). */
static uint32_t ring_avail(const struct gvt_cs *cs)
{
    return ((cs->tail - cs->head) & (cs->ring_size - 1)) / 4;
}

static int fetch(struct vgpu *v, const struct gvt_cs *cs, uint32_t *buf, uint32_t n)
{
    if (cs->depth > 0)
        return gvt_gfx_read(v, cs, cs->bb[cs->depth].ppgtt, cs->bb[cs->depth].ip, buf, 4 * n);
    uint32_t first = (cs->ring_size - cs->head) / 4;
    if (first > n)
        first = n;
    if (gvt_gfx_read(v, cs, false, (uint64_t)cs->ring_start + cs->head, buf, 4 * first) < 0)
        return -EFAULT;
    if (n > first && gvt_gfx_read(v, cs, false, cs->ring_start, buf + first,
                                  4 * (n - first)) < 0)
        return -EFAULT;
    return 0;
}

static void advance(struct gvt_cs *cs, uint32_t n)
{
    if (cs->depth > 0)
        cs->bb[cs->depth].ip += 4ull * n;
    else
        cs->head = (cs->head + 4 * n) % cs->ring_size;
}

/* Length in dwords from the header, or 0 for a header no engine knows. */
static uint32_t cmd_length(enum gvt_engine_id engine, uint32_t h)
{
    switch (CLIENT(h)) {
    case CLIENT_MI: {
        unsigned op = MI_OPCODE(h);
        if (op < 0x10)
            return 1;
        if (op == MI_LOAD_REGISTER_IMM || op == MI_MATH || op == MI_SEMAPHORE_WAIT)
            return (h & 0xffu) + 2;
        if (op == MI_STORE_DATA_IMM)
            return (h & 0x3ffu) + 2;
        return (h & 0x3fu) + 2;
    }
    case CLIENT_2D:
        return (h & 0xffu) + 2;
    case CLIENT_3D: {
        unsigned subtype = (h >> 27) & 3u, opcode = (h >> 24) & 7u, subop = (h >> 16) & 0xffu;
        if (subtype == 1 && (opcode == 1 || (opcode == 0 && subop == 0x0b)))
            return 1; /* PIPELINE_SELECT and friends, VF_STATISTICS */
        if (subtype == 2) /* media / MFX: a 16-bit (video: 12-bit) length */
            return (h & (engine == GVT_RCS ? 0xffffu : 0xfffu)) + 2;
        return (h & 0xffu) + 2;
    }
    default:
        return 0;
    }
}

static int exec_one(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, uint32_t len)
{
    char at[96];
    uint32_t h = cmd[0];
    switch (CLIENT(h)) {
    case CLIENT_MI:
        return gvt_cmd_mi(v, e, cmd, len);
    case CLIENT_2D: {
        if (e->id != GVT_BCS)
            break;
        unsigned op = (h >> 22) & 0x7fu;
        if (op == BLT_XY_COLOR || op == BLT_XY_SRC_COPY || op == BLT_XY_FAST_COPY)
            return gvt_blit(v, e, cmd, len);
        v->stats.cs_skipped++;
        return 0;
    }
    case CLIENT_3D: {
        unsigned subtype = (h >> 27) & 3u, opcode = (h >> 24) & 7u, subop = (h >> 16) & 0xffu;
        if (subtype == 3 && opcode == 2 && subop == 0) {
            if (e->id != GVT_RCS)
                break;
            return gvt_cmd_pipe_control(v, e, cmd, len);
        }
        if (e->id == GVT_BCS || (subtype == 3 && e->id != GVT_RCS))
            break; /* 3D state on an engine without a 3D pipeline */
        v->stats.cs_skipped++;
        return 0;
    }
    default:
        break;
    }
    gvt_engine_error(v, e, "command %#010x is not valid on %s at %s", h,
                     gvt_engine_info[e->id].name, gvt_cs_where(&e->cs, at, sizeof(at)));
    return -1;
}

/* Commands are read ahead, a page at most at a time, into a window: one
 * translation and one copy per page instead of two per command (a profile
 * of MI_NOOP batches had 65 % of the time in fetching one header, then the
 * rest, through the PPGTT/GGTT walk and the map cache). The window never
 * crosses a page, a ring's tail or its end, so it reads nothing the
 * dword-by-dword path would not have read, and it fails where that path
 * would, on the same page. What the command streamer itself may change --
 * memory (stores, post-sync writes, blits), registers, the level or
 * position it runs at -- ends the window: the next command is read afresh,
 * so a batch that writes its own next commands runs them as written. */
#define CS_WINDOW 1024u /* dwords: one page */
#define CS_WINDOW_MIN 16u

/* A window starts small after a command that ended the last one (a batch
 * of stores would otherwise copy up to a page per store) and grows four
 * times with each one used up. */
struct cs_window {
    uint32_t d[CS_WINDOW];
    uint32_t pos, n; /* d[pos..n) are the next dwords at the CS's position */
    uint32_t want;   /* dwords the next fill reads */
};

static void window_end(struct cs_window *w)
{
    w->pos = w->n = 0;
    w->want = CS_WINDOW_MIN;
}

static void window_fill(struct vgpu *v, const struct gvt_cs *cs, struct cs_window *w)
{
    if (w->n && w->want < CS_WINDOW)
        w->want *= 4; /* the last one was used up */
    w->pos = w->n = 0;
    uint64_t addr = cs->depth > 0 ? cs->bb[cs->depth].ip : (uint64_t)cs->ring_start + cs->head;
    if (addr & 3)
        return;
    uint32_t n = (4096u - (uint32_t)(addr & 4095u)) / 4;
    if (cs->depth == 0) {
        uint32_t to_end = (cs->ring_size - cs->head) / 4, avail = ring_avail(cs);
        if (n > to_end)
            n = to_end;
        if (n > avail)
            n = avail;
    }
    if (n > w->want)
        n = w->want;
    bool ppgtt = cs->depth > 0 && cs->bb[cs->depth].ppgtt;
    if (n && gvt_gfx_read(v, cs, ppgtt, addr, w->d, 4 * n) == 0)
        w->n = n;
}

/* Whether a command that ran leaves the window valid: it changed nothing
 * but the position (by its length). */
static bool keeps_window(enum gvt_engine_id engine, uint32_t h)
{
    switch (CLIENT(h)) {
    case CLIENT_MI: /* the no-op class, and interrupts */
        return MI_OPCODE(h) < 0x10 && MI_OPCODE(h) != MI_BATCH_BUFFER_END;
    case CLIENT_2D: { /* skipped; blits write memory */
        unsigned op = (h >> 22) & 0x7fu;
        return engine == GVT_BCS && op != BLT_XY_COLOR && op != BLT_XY_SRC_COPY &&
               op != BLT_XY_FAST_COPY;
    }
    case CLIENT_3D: /* skipped state; PIPE_CONTROL writes */
        return !(((h >> 27) & 3u) == 3 && ((h >> 24) & 7u) == 2 && ((h >> 16) & 0xffu) == 0);
    default:
        return false;
    }
}

/* MI_NOOPs (header 0) at the window's head, as many as the budget and the
 * submission's bound allow: each would have been fetched, sized (1),
 * counted and done nothing. */
static uint32_t noop_run(const struct cs_window *w, const struct gvt_cs *cs, unsigned budget)
{
    uint32_t k = 0, max = w->n - w->pos;
    if (max > budget)
        max = budget;
    if (max > CS_MAX_SUBMIT_DWORDS - cs->dwords)
        max = CS_MAX_SUBMIT_DWORDS - cs->dwords;
    const uint32_t *d = w->d + w->pos;
    while (k + 4 <= max && (d[k] | d[k + 1] | d[k + 2] | d[k + 3]) == 0)
        k += 4;
    while (k < max && d[k] == 0)
        k++;
    return k;
}

int gvt_cs_run(struct vgpu *v, struct gvt_engine *e, unsigned *budget)
{
    struct gvt_cs *cs = &e->cs;
    uint32_t buf[CS_MAX_CMD_DWORDS];
    struct cs_window w;
    window_end(&w);
    char at[96];
    while (*budget > 0) {
        if (cs->depth == 0 && cs->head == cs->tail)
            return 1;
        if (w.pos == w.n)
            window_fill(v, cs, &w);
        if (w.pos < w.n && w.d[w.pos] == 0 && cs->dwords < CS_MAX_SUBMIT_DWORDS) {
            uint32_t k = noop_run(&w, cs, *budget);
            cs->dwords += k;
            e->dwords += k;
            v->stats.cs_dwords += k;
            *budget -= k;
            advance(cs, k);
            w.pos += k;
            continue;
        }
        const uint32_t *cmd = buf;
        if (w.pos < w.n)
            buf[0] = w.d[w.pos];
        else if (fetch(v, cs, buf, 1) < 0) {
            gvt_engine_error(v, e, "commands at %s are not in the vGPU's memory",
                             gvt_cs_where(cs, at, sizeof(at)));
            return -1;
        }
        uint32_t len = cmd_length(e->id, buf[0]);
        if (len == 0 || len > CS_MAX_CMD_DWORDS) {
            gvt_engine_error(v, e, "malformed command header %#010x at %s", buf[0],
                             gvt_cs_where(cs, at, sizeof(at)));
            return -1;
        }
        if (cs->depth == 0 && len > ring_avail(cs)) {
            gvt_engine_error(v, e, "command %#010x of %u dwords runs past the tail at %s",
                             buf[0], len, gvt_cs_where(cs, at, sizeof(at)));
            return -1;
        }
        if (len <= w.n - w.pos) {
            cmd = &w.d[w.pos];
            w.pos += len;
        } else {
            window_end(&w); /* the command runs past the window */
            if (len > 1 && fetch(v, cs, buf, len) < 0) {
                gvt_engine_error(v, e, "command %#010x runs out of the vGPU's memory at %s",
                                 buf[0], gvt_cs_where(cs, at, sizeof(at)));
                return -1;
            }
        }
        cs->dwords += len;
        e->dwords += len;
        v->stats.cs_dwords += len;
        if (cs->dwords > CS_MAX_SUBMIT_DWORDS) {
            gvt_engine_error(v, e, "submission ran %u dwords without finishing (a loop?)",
                             CS_MAX_SUBMIT_DWORDS);
            return -1;
        }
        *budget = *budget > len ? *budget - len : 0;
        /* Past the command before executing it: a batch start or end
         * changes level, and the ring's head is where the next one is. */
        advance(cs, len);
        if (!keeps_window(e->id, cmd[0]))
            window_end(&w);
        if (exec_one(v, e, cmd, len) < 0)
            return -1;
    }
    return cs->depth == 0 && cs->head == cs->tail ? 1 : 0;
}
