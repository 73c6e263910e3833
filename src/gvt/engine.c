/* The engine helpers every user of an engine shares: which engine is
 * which (its register block, its interrupt, its reset bit), its interrupt,
 * and an error the guest can see. execlist.c, cmd_exec.c and blit.c all
 * report through here rather than through one another. */
#include "config.h"
#include "gvt/engine.h"
#include "gvt/device.h"
#include "gvt/irq.h"
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

#define ERROR_INSTRUCTION 1u

const struct gvt_engine_info gvt_engine_info[GVT_NR_ENGINES] = {
    [GVT_RCS] = { "rcs", RENDER_RING_BASE, IRQ_GT0, 0, 1u << 1 },
    [GVT_BCS] = { "bcs", BLT_RING_BASE, IRQ_GT0, 16, 1u << 3 },
    [GVT_VCS] = { "vcs", GEN6_BSD_RING_BASE, IRQ_GT1, 0, 1u << 2 },
    [GVT_VECS] = { "vecs", VEBOX_RING_BASE, IRQ_GT3, 0, 1u << 4 },
};

static uint32_t ereg(const struct vgpu *v, const struct gvt_engine *e, uint32_t reg)
{
    return vreg(&v->regs, gvt_engine_info[e->id].base + reg);
}

static void ereg_set(struct vgpu *v, const struct gvt_engine *e, uint32_t reg, uint32_t val)
{
    vreg_set(&v->regs, gvt_engine_info[e->id].base + reg, val);
}

void gvt_engine_interrupt(struct vgpu *v, const struct gvt_engine *e, uint32_t bit)
{
    const struct gvt_engine_info *info = &gvt_engine_info[e->id];
    gvt_irq_raise(v, (enum gvt_irq_block)info->irq_block, bit << info->irq_shift);
}

void gvt_engine_error(struct vgpu *v, struct gvt_engine *e, const char *why, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, why);
    vsnprintf(msg, sizeof(msg), why, ap);
    va_end(ap);
    log_guest("%s: engine error, stopped until reset: %s", gvt_engine_info[e->id].name, msg);
    e->hung = true;
    e->errors++;
    v->stats.engine_errors++;
    /* What i915 looks at: the CS error interrupt, RING_EIR for the cause
     * (it then resets the engine), RING_ESR still set until that reset. */
    ereg_set(v, e, RING_ESR, ereg(v, e, RING_ESR) | ERROR_INSTRUCTION);
    if (!(ereg(v, e, RING_EMR) & ERROR_INSTRUCTION)) {
        ereg_set(v, e, RING_EIR, ereg(v, e, RING_EIR) | ERROR_INSTRUCTION);
        gvt_engine_interrupt(v, e, GT_CS_MASTER_ERROR);
    }
}
