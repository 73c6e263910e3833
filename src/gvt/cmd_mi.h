/* The commands of the command streamer that do something (cmd_mi.c), and
 * what the streamer's loop (cmd_exec.c) shares with them: MI opcodes and
 * where a command was. Internal to gvt/. */
#ifndef XENGVT_GVT_CMD_MI_H
#define XENGVT_GVT_CMD_MI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gvt/engine.h"

struct vgpu;

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

/* Where the streamer is, for an error the guest or the log sees: the
 * ring and head, or the batch and its level. */
static inline const char *gvt_cs_where(const struct gvt_cs *cs, char *buf, size_t len)
{
    if (cs->depth == 0)
        snprintf(buf, len, "ring %#x+%#x", cs->ring_start, cs->head);
    else
        snprintf(buf, len, "%s batch %#llx (level %u)",
                 cs->bb[cs->depth].ppgtt ? "PPGTT" : "GGTT",
                 (unsigned long long)cs->bb[cs->depth].ip, cs->depth);
    return buf;
}

/* An MI command (client 0) of `len` dwords; PIPE_CONTROL on the render
 * engine. 0, or -1 after an engine error. */
int gvt_cmd_mi(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, uint32_t len);
int gvt_cmd_pipe_control(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd,
                         uint32_t len);

#endif
