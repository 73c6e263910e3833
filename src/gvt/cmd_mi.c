/* The commands of the command streamer (cmd_exec.c) that do something:
 * the MI commands -- register loads, batch control, memory stores, flushes
 * with their post-sync writes, interrupts -- and the render engine's
 * PIPE_CONTROL. Each is audited as GVT-g's command parser does: a
 * PPGTT-addressed batch may not write through the GGTT, load registers or
 * start a GGTT batch; anything refused is an engine error the guest sees. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/cmd_mi.h"
#include "gvt/engine.h"
#include "gvt/gfxmem.h"
#include "gvt/cmd_regs.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

/* Cycles of the 12 MHz SKL command-streamer timestamp. */
static uint64_t gpu_timestamp(void)
{
    return clock_now_ns() / 1000u * 12u;
}

static bool privileged(const struct gvt_cs *cs)
{
    return cs->depth == 0 || !cs->bb[cs->depth].ppgtt;
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
                         gvt_cs_where(&e->cs, at, sizeof(at)));
        return -1;
    }
    /* All or nothing: check every register before writing any. */
    for (uint32_t i = 1; i < len; i += 2) {
        uint32_t reg = cmd[i] & MI_LRI_REG_MASK;
        if (!reg_loadable(v, &e->cs, reg)) {
            gvt_engine_error(v, e, "MI_LOAD_REGISTER_IMM to register %#x, not allowed, at %s",
                             reg, gvt_cs_where(&e->cs, at, sizeof(at)));
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
                         gvt_cs_where(cs, at, sizeof(at)));
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
                         gvt_cs_where(cs, at, sizeof(at)));
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
                         gvt_cs_where(&e->cs, at, sizeof(at)));
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
                     gvt_cs_where(&e->cs, at, sizeof(at)));
    return -1;
}

static int exec_flush_dw(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, uint32_t len)
{
    char at[96];
    if (len < 4 || len > 5) {
        gvt_engine_error(v, e, "MI_FLUSH_DW of %u dwords at %s", len,
                         gvt_cs_where(&e->cs, at, sizeof(at)));
        return -1;
    }
    unsigned op = POST_SYNC(cmd[0]);
    bool ggtt = cmd[1] & FLUSH_DW_GGTT, index = cmd[0] & STORE_DATA_INDEX;
    uint64_t addr = (cmd[1] & ~7u) | (uint64_t)(cmd[2] & 0xffffu) << 32;
    if (op && ggtt && !index && !privileged(&e->cs)) {
        gvt_engine_error(v, e, "GGTT post-sync write from an unprivileged batch at %s",
                         gvt_cs_where(&e->cs, at, sizeof(at)));
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

int gvt_cmd_pipe_control(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd,
                             uint32_t len)
{
    char at[96];
    if (len != 6) {
        gvt_engine_error(v, e, "PIPE_CONTROL of %u dwords at %s", len,
                         gvt_cs_where(&e->cs, at, sizeof(at)));
        return -1;
    }
    uint32_t flags = cmd[1];
    unsigned op = POST_SYNC(flags);
    bool ggtt = flags & PIPE_CONTROL_GLOBAL_GTT, index = flags & STORE_DATA_INDEX;
    uint64_t addr = (cmd[2] & ~7u) | (uint64_t)(cmd[3] & 0xffffu) << 32;
    if (op && ggtt && !index && !privileged(&e->cs)) {
        gvt_engine_error(v, e, "GGTT post-sync write from an unprivileged batch at %s",
                         gvt_cs_where(&e->cs, at, sizeof(at)));
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
                         gvt_cs_where(&e->cs, at, sizeof(at)));
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
int gvt_cmd_mi(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, uint32_t len)
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
                             gvt_cs_where(cs, at, sizeof(at)));
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
                             gvt_cs_where(cs, at, sizeof(at)));
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
                     MI_OPCODE(cmd[0]), gvt_engine_info[e->id].name, gvt_cs_where(cs, at, sizeof(at)));
    return -1;
}
