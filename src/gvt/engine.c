/* The engine helpers every user of an engine shares: which engine is
 * which (its register block, its interrupt, its reset bit), its interrupt,
 * and an error the guest can see. execlist.c, cmd_exec.c and blit.c all
 * report through here rather than through one another. */
#include "config.h"
#include "gvt/engine.h"
#include "gvt/device.h"
#include "gvt/irq.h"
#include "common/log.h"
#include "common/stateblob.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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

/* --- the engines' section of a saved state (vgpu_state.c) ---------------- */

void gvt_engine_save(const struct gvt_engine *e, struct state_buf *b)
{
    for (unsigned i = 0; i < 4; i++)
        state_put32(b, e->elsp[i]);
    state_put32(b, e->elsp_writes);
    for (unsigned i = 0; i < 2; i++) {
        state_put8(b, e->port[i].valid);
        state_put64(b, e->port[i].desc);
    }
    state_put8(b, e->active);
    state_put8(b, e->loaded);
    state_put32(b, e->pending_event);
    state_put32(b, e->pending_ctx_id);
    state_put32(b, e->csb_write);
    state_put8(b, e->hung);
    const struct gvt_cs *cs = &e->cs;
    state_put32(b, cs->ring_start);
    state_put32(b, cs->ring_size);
    state_put32(b, cs->head);
    state_put32(b, cs->tail);
    state_put32(b, cs->depth);
    for (unsigned i = 0; i <= CS_MAX_DEPTH; i++) {
        state_put64(b, cs->bb[i].ip);
        state_put8(b, cs->bb[i].ppgtt);
        state_put32(b, cs->bb[i].chain);
    }
    state_put8(b, cs->root.four_level);
    for (unsigned i = 0; i < 4; i++)
        state_put64(b, cs->root.pdp[i]);
    state_put32(b, cs->lrca);
    state_put64(b, cs->dwords);
}

bool gvt_engine_load(struct state_reader *r, struct gvt_engine *e, unsigned id)
{
    memset(e, 0, sizeof(*e));
    e->id = (enum gvt_engine_id)id;
    for (unsigned i = 0; i < 4; i++)
        e->elsp[i] = state_get32(r);
    e->elsp_writes = state_get32(r);
    for (unsigned i = 0; i < 2; i++) {
        e->port[i].valid = state_get8(r);
        e->port[i].desc = state_get64(r);
    }
    e->active = state_get8(r);
    e->loaded = state_get8(r);
    e->pending_event = state_get32(r);
    e->pending_ctx_id = state_get32(r);
    e->csb_write = state_get32(r);
    e->hung = state_get8(r);
    struct gvt_cs *cs = &e->cs;
    cs->ring_start = state_get32(r);
    cs->ring_size = state_get32(r);
    cs->head = state_get32(r);
    cs->tail = state_get32(r);
    cs->depth = state_get32(r);
    for (unsigned i = 0; i <= CS_MAX_DEPTH; i++) {
        cs->bb[i].ip = state_get64(r);
        cs->bb[i].ppgtt = state_get8(r);
        cs->bb[i].chain = state_get32(r);
    }
    cs->root.four_level = state_get8(r);
    for (unsigned i = 0; i < 4; i++)
        cs->root.pdp[i] = state_get64(r);
    cs->lrca = state_get32(r);
    cs->dwords = state_get64(r);
    /* Values the streamer relies on: a file is input like any other. */
    bool ring_ok = !e->loaded ||
                   (cs->ring_size >= 4096 && cs->ring_size <= (2u << 20) &&
                    cs->head < cs->ring_size && cs->tail < cs->ring_size);
    return !r->bad && e->elsp_writes < 4 && e->csb_write <= CSB_PTR_RESET &&
           (e->csb_write < CSB_ENTRIES || e->csb_write == CSB_PTR_RESET) &&
           cs->depth <= CS_MAX_DEPTH && ring_ok && cs->dwords <= CS_MAX_SUBMIT_DWORDS &&
           (!e->active || e->port[0].valid);
}

/* The engines' state from `from` (checked); the counters stay this
 * daemon's, as its stats report them. */
void gvt_engines_take(struct vgpu *v, const struct gvt_engine *from)
{
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++) {
        struct gvt_engine *e = &v->engines[i];
        uint64_t keep[5] = { e->submissions, e->completions, e->csb_events, e->errors,
                             e->dwords };
        *e = from[i];
        e->submissions = keep[0];
        e->completions = keep[1];
        e->csb_events = keep[2];
        e->errors = keep[3];
        e->dwords = keep[4];
    }
}

/* The bytes of an engine's bool fields in the file are 0 or 1, as this
 * build writes them. Any other byte (the file is the dead daemon's, which
 * the guest may have owned) must not be loaded as a bool: that is
 * undefined behaviour (fuzz_live under UBSan: "load of value 2"). */
bool gvt_engine_bools_ok(const struct gvt_engine *e)
{
    const uint8_t *raw = (const uint8_t *)e;
    size_t at[6 + CS_MAX_DEPTH + 1];
    unsigned n = 0;
    at[n++] = offsetof(struct gvt_engine, port[0].valid);
    at[n++] = offsetof(struct gvt_engine, port[1].valid);
    at[n++] = offsetof(struct gvt_engine, active);
    at[n++] = offsetof(struct gvt_engine, loaded);
    at[n++] = offsetof(struct gvt_engine, hung);
    at[n++] = offsetof(struct gvt_engine, held);
    for (unsigned i = 0; i <= CS_MAX_DEPTH; i++)
        at[n++] = offsetof(struct gvt_engine, cs.bb) + i * sizeof(struct gvt_cs_level) +
                  offsetof(struct gvt_cs_level, ppgtt);
    for (unsigned i = 0; i < n; i++)
        if (raw[at[i]] > 1)
            return false;
    return raw[offsetof(struct gvt_engine, cs.root.four_level)] <= 1;
}
