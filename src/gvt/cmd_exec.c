/* The software command streamer: executes a context's ring from head to
 * tail, following batch buffers, and audits every command as GVT-g's
 * command parser does. What it implements is what a guest driver needs to
 * initialise and to run simple requests: memory writes (breadcrumbs),
 * register loads, batch control, flushes with post-sync writes, interrupts
 * and simple blits. 3D and media state is decoded by length and skipped:
 * there is no GPU behind this vGPU.
 *
 * Privilege: the ring and GGTT-addressed batches are privileged; a
 * PPGTT-addressed batch is not, and may not write through the GGTT, load
 * registers or start a GGTT batch. Anything refused stops the engine with
 * an error the guest sees (and resets); the daemon itself never trusts a
 * length, an address or a register number it reads here. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/cmd_exec.h"
#include "gvt/engine.h"
#include "gvt/gfxmem.h"
#include "gvt/cmd_regs.h"
#include "gvt/blit.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CLIENT(h) ((h) >> 29)
#define CLIENT_MI 0u
#define CLIENT_2D 2u
#define CLIENT_3D 3u
#define MI_OPCODE(h) (((h) >> 23) & 0x3fu)

enum mi_op {
    MI_NOOP = 0x00, MI_SET_PREDICATE = 0x01, MI_USER_INTERRUPT = 0x02,
    MI_WAIT_FOR_EVENT = 0x03, MI_ARB_CHECK = 0x05, MI_REPORT_HEAD = 0x07,
    MI_ARB_ON_OFF = 0x08, MI_BATCH_BUFFER_END = 0x0a, MI_DISPLAY_FLIP = 0x14,
    MI_SET_CONTEXT = 0x18, MI_MATH = 0x1a, MI_SEMAPHORE_SIGNAL = 0x1b,
    MI_SEMAPHORE_WAIT = 0x1c, MI_FORCE_WAKEUP = 0x1d, MI_STORE_DATA_IMM = 0x20,
    MI_STORE_DATA_INDEX = 0x21, MI_LOAD_REGISTER_IMM = 0x22, MI_UPDATE_GTT = 0x23,
    MI_STORE_REGISTER_MEM = 0x24, MI_FLUSH_DW = 0x26, MI_CLFLUSH = 0x27,
    MI_REPORT_PERF_COUNT = 0x28, MI_LOAD_REGISTER_MEM = 0x29, MI_LOAD_REGISTER_REG = 0x2a,
    MI_COPY_MEM_MEM = 0x2e, MI_ATOMIC = 0x2f, MI_BATCH_BUFFER_START = 0x31,
    MI_CONDITIONAL_BATCH_BUFFER_END = 0x36,
};

#define MI_USE_GGTT (1u << 22)
#define MI_BB_PPGTT (1u << 8)
#define MI_BB_SECOND_LEVEL (1u << 22)
#define MI_LRI_REG_MASK 0x007ffffcu
#define FLUSH_DW_GGTT (1u << 2)
#define POST_SYNC(f) (((f) >> 14) & 3u)
#define POST_SYNC_IMM 1u
#define POST_SYNC_TIMESTAMP 3u
#define STORE_DATA_INDEX (1u << 21)
#define NOTIFY (1u << 8)
#define PIPE_CONTROL_GLOBAL_GTT (1u << 24)

#define BLT_XY_COLOR 0x50u
#define BLT_XY_SRC_COPY 0x53u
#define BLT_XY_FAST_COPY 0x42u

/* Cycles of the 12 MHz SKL command-streamer timestamp. */
static uint64_t gpu_timestamp(void)
{
    return clock_now_ns() / 1000u * 12u;
}

static bool privileged(const struct gvt_cs *cs)
{
    return cs->depth == 0 || !cs->bb[cs->depth].ppgtt;
}

static const char *where(const struct gvt_cs *cs, char *buf, size_t len)
{
    if (cs->depth == 0)
        snprintf(buf, len, "ring %#x+%#x", cs->ring_start, cs->head);
    else
        snprintf(buf, len, "%s batch %#llx (level %u)",
                 cs->bb[cs->depth].ppgtt ? "PPGTT" : "GGTT",
                 (unsigned long long)cs->bb[cs->depth].ip, cs->depth);
    return buf;
}

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

static int write_post_sync(struct vgpu *v, struct gvt_engine *e, bool ggtt, bool index,
                           uint64_t addr, const void *data, uint32_t len)
{
    struct gvt_cs *cs = &e->cs;
    if (index) {
        /* Store-data-index: an offset into the context's PPHWSP page. */
        if ((addr & 0xfff) + len > 4096)
            return -EFAULT;
        return gvt_gfx_write(v, cs, false, (uint64_t)cs->lrca + (addr & 0xfff), data, len);
    }
    return gvt_gfx_write(v, cs, !ggtt, addr, data, len);
}

static bool reg_loadable(struct vgpu *v, const struct gvt_cs *cs, uint32_t reg)
{
    return gvt_cmd_reg_loadable(v, reg, privileged(cs));
}

static int exec_lri(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, uint32_t len)
{
    char at[96];
    if (len % 2 == 0) {
        gvt_engine_error(v, e, "MI_LOAD_REGISTER_IMM of %u dwords at %s", len,
                         where(&e->cs, at, sizeof(at)));
        return -1;
    }
    /* All or nothing: check every register before writing any. */
    for (uint32_t i = 1; i < len; i += 2) {
        uint32_t reg = cmd[i] & MI_LRI_REG_MASK;
        if (!reg_loadable(v, &e->cs, reg)) {
            gvt_engine_error(v, e, "MI_LOAD_REGISTER_IMM to register %#x, not allowed, at %s",
                             reg, where(&e->cs, at, sizeof(at)));
            return -1;
        }
    }
    for (uint32_t i = 1; i < len; i += 2)
        gvt_regs_write32(v, &v->regs, cmd[i] & MI_LRI_REG_MASK, cmd[i + 1]);
    return 0;
}

static int exec_bb_start(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, uint32_t len)
{
    struct gvt_cs *cs = &e->cs;
    char at[96];
    if (len != 3) {
        gvt_engine_error(v, e, "MI_BATCH_BUFFER_START of %u dwords at %s", len,
                         where(cs, at, sizeof(at)));
        return -1;
    }
    bool ppgtt = cmd[0] & MI_BB_PPGTT;
    uint64_t addr = (cmd[1] & ~3u) | (uint64_t)(cmd[2] & 0xffffu) << 32;
    if (!ppgtt && !privileged(cs)) {
        gvt_engine_error(v, e, "unprivileged batch starts a GGTT batch at %#llx",
                         (unsigned long long)addr);
        return -1;
    }
    if (cs->depth == 0 || (cs->depth == 1 && (cmd[0] & MI_BB_SECOND_LEVEL))) {
        if (cs->depth == 0)
            e->batches++;
        cs->depth++;
        cs->bb[cs->depth] = (struct gvt_cs_level){ addr, ppgtt, 0 };
        return 0;
    }
    /* Chaining: this level continues elsewhere, with no way back. */
    struct gvt_cs_level *l = &cs->bb[cs->depth];
    if (++l->chain > CS_MAX_CHAIN) {
        gvt_engine_error(v, e, "batch chain longer than %u at %s (a loop?)", CS_MAX_CHAIN,
                         where(cs, at, sizeof(at)));
        return -1;
    }
    l->ip = addr;
    l->ppgtt = ppgtt || l->ppgtt; /* privilege is never regained */
    return 0;
}

static int exec_store_imm(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd,
                          uint32_t len)
{
    char at[96];
    bool ggtt = cmd[0] & MI_USE_GGTT;
    if (len != 4 && len != 5)
        goto bad;
    if (ggtt && !privileged(&e->cs)) {
        gvt_engine_error(v, e, "GGTT store from an unprivileged batch at %s",
                         where(&e->cs, at, sizeof(at)));
        return -1;
    }
    uint64_t addr = (cmd[1] & ~3u) | (uint64_t)(cmd[2] & 0xffffu) << 32;
    if (gvt_gfx_write(v, &e->cs, !ggtt, addr, &cmd[3], 4 * (len - 3)) < 0) {
        gvt_engine_error(v, e, "MI_STORE_DATA_IMM to %#llx (%s), not the vGPU's memory",
                         (unsigned long long)addr, ggtt ? "GGTT" : "PPGTT");
        return -1;
    }
    return 0;
bad:
    gvt_engine_error(v, e, "MI_STORE_DATA_IMM of %u dwords at %s", len,
                     where(&e->cs, at, sizeof(at)));
    return -1;
}

static int exec_flush_dw(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, uint32_t len)
{
    char at[96];
    if (len < 4 || len > 5) {
        gvt_engine_error(v, e, "MI_FLUSH_DW of %u dwords at %s", len,
                         where(&e->cs, at, sizeof(at)));
        return -1;
    }
    unsigned op = POST_SYNC(cmd[0]);
    bool ggtt = cmd[1] & FLUSH_DW_GGTT, index = cmd[0] & STORE_DATA_INDEX;
    uint64_t addr = (cmd[1] & ~7u) | (uint64_t)(cmd[2] & 0xffffu) << 32;
    if (op && ggtt && !index && !privileged(&e->cs)) {
        gvt_engine_error(v, e, "GGTT post-sync write from an unprivileged batch at %s",
                         where(&e->cs, at, sizeof(at)));
        return -1;
    }
    int rc = 0;
    if (op == POST_SYNC_IMM) {
        rc = write_post_sync(v, e, ggtt, index, addr, &cmd[3], 4 * (len - 3));
    } else if (op == POST_SYNC_TIMESTAMP) {
        uint64_t ts = gpu_timestamp();
        rc = write_post_sync(v, e, ggtt, index, addr, &ts, 8);
    }
    if (rc < 0) {
        gvt_engine_error(v, e, "MI_FLUSH_DW post-sync write to %#llx, not the vGPU's memory",
                         (unsigned long long)addr);
        return -1;
    }
    if (cmd[0] & NOTIFY)
        gvt_engine_interrupt(v, e, GT_NOTIFY_INTERRUPT);
    return 0;
}

static int exec_pipe_control(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd,
                             uint32_t len)
{
    char at[96];
    if (len != 6) {
        gvt_engine_error(v, e, "PIPE_CONTROL of %u dwords at %s", len,
                         where(&e->cs, at, sizeof(at)));
        return -1;
    }
    uint32_t flags = cmd[1];
    unsigned op = POST_SYNC(flags);
    bool ggtt = flags & PIPE_CONTROL_GLOBAL_GTT, index = flags & STORE_DATA_INDEX;
    uint64_t addr = (cmd[2] & ~7u) | (uint64_t)(cmd[3] & 0xffffu) << 32;
    if (op && ggtt && !index && !privileged(&e->cs)) {
        gvt_engine_error(v, e, "GGTT post-sync write from an unprivileged batch at %s",
                         where(&e->cs, at, sizeof(at)));
        return -1;
    }
    if (op) {
        /* Immediate data is written as a qword; depth count reads 0. */
        uint64_t q = op == POST_SYNC_IMM ? ((uint64_t)cmd[5] << 32 | cmd[4])
                     : op == POST_SYNC_TIMESTAMP ? gpu_timestamp() : 0;
        if (write_post_sync(v, e, ggtt, index, addr, &q, 8) < 0) {
            gvt_engine_error(v, e, "PIPE_CONTROL post-sync write to %#llx (%s), not the "
                             "vGPU's memory", (unsigned long long)addr,
                             ggtt ? "GGTT" : "PPGTT");
            return -1;
        }
    }
    if (flags & NOTIFY)
        gvt_engine_interrupt(v, e, GT_NOTIFY_INTERRUPT);
    return 0;
}

static int exec_register_mem(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd,
                             uint32_t len, bool load)
{
    char at[96];
    bool ggtt = cmd[0] & MI_USE_GGTT;
    uint32_t reg = cmd[1] & MI_LRI_REG_MASK;
    uint64_t addr = (cmd[2] & ~3u) | (uint64_t)(cmd[3] & 0xffffu) << 32;
    if (len != 4 || (ggtt && !privileged(&e->cs)) ||
        (load ? !reg_loadable(v, &e->cs, reg) : reg >= GVT_MMIO_SIZE)) {
        gvt_engine_error(v, e, "%s register %#x / %s address %#llx refused at %s",
                         load ? "MI_LOAD_REGISTER_MEM" : "MI_STORE_REGISTER_MEM", reg,
                         ggtt ? "GGTT" : "PPGTT", (unsigned long long)addr,
                         where(&e->cs, at, sizeof(at)));
        return -1;
    }
    uint32_t val;
    int rc;
    if (load) {
        rc = gvt_gfx_read(v, &e->cs, !ggtt, addr, &val, 4);
        if (rc == 0)
            gvt_regs_write32(v, &v->regs, reg, val);
    } else {
        val = gvt_regs_read32(v, &v->regs, reg);
        rc = gvt_gfx_write(v, &e->cs, !ggtt, addr, &val, 4);
    }
    if (rc < 0) {
        gvt_engine_error(v, e, "register/memory command: %#llx is not the vGPU's memory",
                         (unsigned long long)addr);
        return -1;
    }
    return 0;
}

static int exec_copy_mem(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd,
                         uint32_t len)
{
    bool src_ggtt = cmd[0] & (1u << 22), dst_ggtt = cmd[0] & (1u << 21);
    uint64_t dst = (cmd[1] & ~3u) | (uint64_t)(cmd[2] & 0xffffu) << 32;
    uint64_t src = (cmd[3] & ~3u) | (uint64_t)(cmd[4] & 0xffffu) << 32;
    uint32_t val;
    if (len != 5 || ((src_ggtt || dst_ggtt) && !privileged(&e->cs)) ||
        gvt_gfx_read(v, &e->cs, !src_ggtt, src, &val, 4) < 0 ||
        gvt_gfx_write(v, &e->cs, !dst_ggtt, dst, &val, 4) < 0) {
        gvt_engine_error(v, e, "MI_COPY_MEM_MEM %#llx -> %#llx refused",
                         (unsigned long long)src, (unsigned long long)dst);
        return -1;
    }
    return 0;
}

/* 0 to go on, 1 when the ring is done, -1 on an engine error. */
static int exec_mi(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, uint32_t len)
{
    struct gvt_cs *cs = &e->cs;
    char at[96];
    switch (MI_OPCODE(cmd[0])) {
    case MI_NOOP: case MI_SET_PREDICATE: case MI_WAIT_FOR_EVENT: case MI_ARB_CHECK:
    case MI_REPORT_HEAD: case MI_ARB_ON_OFF: case 0x04: case 0x06: case 0x09:
    case 0x0b: case 0x0c: case 0x0d: case 0x0e: case 0x0f:
        return 0;
    case MI_USER_INTERRUPT:
        gvt_engine_interrupt(v, e, GT_USER_INTERRUPT);
        return 0;
    case MI_BATCH_BUFFER_END:
        if (cs->depth == 0) {
            log_guest("%s: MI_BATCH_BUFFER_END in the ring ignored",
                      gvt_engine_info[e->id].name);
            return 0;
        }
        cs->depth--;
        return 0;
    case MI_BATCH_BUFFER_START:
        return exec_bb_start(v, e, cmd, len);
    case MI_STORE_DATA_IMM:
        return exec_store_imm(v, e, cmd, len);
    case MI_STORE_DATA_INDEX: {
        if ((len != 3 && len != 4) || !privileged(cs) ||
            write_post_sync(v, e, false, true, cmd[1] & 0xffcu, &cmd[2], 4 * (len - 2)) < 0) {
            gvt_engine_error(v, e, "MI_STORE_DATA_INDEX refused at %s",
                             where(cs, at, sizeof(at)));
            return -1;
        }
        return 0;
    }
    case MI_LOAD_REGISTER_IMM:
        return exec_lri(v, e, cmd, len);
    case MI_STORE_REGISTER_MEM:
        return exec_register_mem(v, e, cmd, len, false);
    case MI_LOAD_REGISTER_MEM:
        return exec_register_mem(v, e, cmd, len, true);
    case MI_LOAD_REGISTER_REG: {
        uint32_t src = cmd[1] & MI_LRI_REG_MASK, dst = len == 3 ? cmd[2] & MI_LRI_REG_MASK : 0;
        if (len != 3 || src >= GVT_MMIO_SIZE || !reg_loadable(v, cs, dst)) {
            gvt_engine_error(v, e, "MI_LOAD_REGISTER_REG %#x -> %#x refused at %s", src, dst,
                             where(cs, at, sizeof(at)));
            return -1;
        }
        gvt_regs_write32(v, &v->regs, dst, gvt_regs_read32(v, &v->regs, src));
        return 0;
    }
    case MI_FLUSH_DW:
        if (e->id == GVT_RCS)
            break; /* the render engine flushes with PIPE_CONTROL */
        return exec_flush_dw(v, e, cmd, len);
    case MI_COPY_MEM_MEM:
        return exec_copy_mem(v, e, cmd, len);
    case MI_MATH: case MI_ATOMIC: case MI_SEMAPHORE_SIGNAL: case MI_SEMAPHORE_WAIT:
    case MI_FORCE_WAKEUP: case MI_CLFLUSH: case MI_REPORT_PERF_COUNT:
    case MI_CONDITIONAL_BATCH_BUFFER_END: case MI_DISPLAY_FLIP:
        /* Known, harmless to leave out here (semaphores and preemption
         * are off in vGPU guests): decoded and skipped. */
        v->stats.cs_skipped++;
        log_debug("%s: MI opcode %#x skipped", gvt_engine_info[e->id].name,
                  MI_OPCODE(cmd[0]));
        return 0;
    case MI_SET_CONTEXT: case MI_UPDATE_GTT:
    default:
        break;
    }
    gvt_engine_error(v, e, "MI command %#010x (opcode %#x) not allowed on %s at %s", cmd[0],
                     MI_OPCODE(cmd[0]), gvt_engine_info[e->id].name, where(cs, at, sizeof(at)));
    return -1;
}

static int exec_one(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, uint32_t len)
{
    char at[96];
    uint32_t h = cmd[0];
    switch (CLIENT(h)) {
    case CLIENT_MI:
        return exec_mi(v, e, cmd, len);
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
            return exec_pipe_control(v, e, cmd, len);
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
                     gvt_engine_info[e->id].name, where(&e->cs, at, sizeof(at)));
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
                             where(cs, at, sizeof(at)));
            return -1;
        }
        uint32_t len = cmd_length(e->id, buf[0]);
        if (len == 0 || len > CS_MAX_CMD_DWORDS) {
            gvt_engine_error(v, e, "malformed command header %#010x at %s", buf[0],
                             where(cs, at, sizeof(at)));
            return -1;
        }
        if (cs->depth == 0 && len > ring_avail(cs)) {
            gvt_engine_error(v, e, "command %#010x of %u dwords runs past the tail at %s",
                             buf[0], len, where(cs, at, sizeof(at)));
            return -1;
        }
        if (len <= w.n - w.pos) {
            cmd = &w.d[w.pos];
            w.pos += len;
        } else {
            window_end(&w); /* the command runs past the window */
            if (len > 1 && fetch(v, cs, buf, len) < 0) {
                gvt_engine_error(v, e, "command %#010x runs out of the vGPU's memory at %s",
                                 buf[0], where(cs, at, sizeof(at)));
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
