/* Execlist submission and context-switch reporting on the four engines.
 *
 * The guest writes four dwords to an engine's ELSP (element 1 high, low,
 * element 0 high, low); the fourth submits. Work runs later, from the event
 * loop, in bounded slices (the runner below), so that an ELSP write is
 * answered at once and a long submission never holds up the guest's other
 * MMIO. Every change of what the engine runs is reported as hardware does:
 * a CSB entry in the engine's registers, mirrored into the guest's HWSP
 * (entry first, then the write pointer the guest polls), then the
 * context-switch interrupt.
 *
 * The engine that ran out of work holds its last context's completion
 * (CSB_COMPLETE | ACTIVE_TO_IDLE) for CSB_HOLD_NS: the breadcrumb is in
 * memory at once, but the context stays the engine's, as on hardware
 * while it executes the few dwords after the breadcrumb. Why: work here
 * completes inside the ELSP write that submits it, so without the hold
 * i915 saw every context switched out before its next request, retired
 * it, parked the engine and switched to its kernel context between any
 * two batches -- two submissions, two interrupts and an engine park per
 * batch (real Xen: 2.00 context switches per gem_exec_nop batch). Held,
 * the next request of the same context is a lite restore into the running
 * context, and another context preempts it; the completion is posted
 * only when nothing came in time.
 *
 * Only a context that ran a batch buffer in this submission (a client's
 * work: every execbuf starts one) is held. i915's own requests run on its
 * kernel context with ring commands alone (the switch when it parks an
 * engine, heartbeats), and __engine_unpark spins until the kernel context
 * is no longer in flight before the engine's next request: held, each
 * unpark waited out the hold (real Xen, 1 s hold: 95 ms a gem_exec_nop
 * batch instead of 20-40). */
#include "config.h"
#include "gvt/vgpu.h"
#include "gvt/device.h"
#include "gvt/execlist.h"
#include "gvt/engine.h"
#include "gvt/cmd_exec.h"
#include "gvt/gfxmem.h"
#include "gvt/ggtt.h"
#include "gvt/irq.h"
#include "gvt/aperture.h"
#include "gvt/aperture_gpu.h"
#include "gvt/ppgtt.h"
#include "evtchn/loop.h"
#include "common/log.h"
#include "common/stateblob.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>


/* Descriptor (gen9): bit 0 valid, bits 4:3 addressing mode, bits 31:12
 * the context's graphics address; the high dword is the context ID. */
#define DESC_VALID 1ull
#define DESC_MODE(d) (((d) >> 3) & 3u)
#define DESC_MODE_LEGACY32 1u
#define DESC_MODE_4LEVEL 3u
#define DESC_LRCA(d) ((uint32_t)(d) & 0xfffff000u)
#define DESC_CTX_ID(d) ((uint32_t)((d) >> 32))

/* Register state: the page after the LRCA; dword indices of the values. */
#define LRC_STATE_OFFSET 4096u
#define CTX_RING_HEAD 5u
#define CTX_RING_TAIL 7u
#define CTX_RING_START 9u
#define CTX_RING_CTL 11u
#define CTX_PDP3_UDW 37u /* then LDW at +2, PDP2 at +4 ... PDP0_LDW at 51 */
#define CTX_STATE_DWORDS 52u

#define RING_VALID 1u
#define RING_NR_PAGES 0x001ff000u
#define RING_HEAD_ADDR 0x001ffffcu
#define RING_TAIL_ADDR 0x001ffff8u

static struct gvt_engine *engine_at(struct vgpu *v, uint32_t off, uint32_t reg)
{
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++)
        if (off == gvt_engine_info[i].base + reg)
            return &v->engines[i];
    return NULL;
}

static uint32_t ereg(const struct vgpu *v, const struct gvt_engine *e, uint32_t reg)
{
    return vreg(&v->regs, gvt_engine_info[e->id].base + reg);
}

static void ereg_set(struct vgpu *v, const struct gvt_engine *e, uint32_t reg, uint32_t val)
{
    vreg_set(&v->regs, gvt_engine_info[e->id].base + reg, val);
}

/* One CSB event: registers, then the HWSP copy (entry before pointer:
 * the guest reads entries up to the pointer it sees), then the interrupt. */
static void post_csb(struct vgpu *v, struct gvt_engine *e, uint32_t status, uint32_t ctx_id)
{
    unsigned p = e->csb_write >= CSB_ENTRIES ? 0 : (e->csb_write + 1) % CSB_ENTRIES;
    ereg_set(v, e, RING_CONTEXT_STATUS_BUF + 8 * p, status);
    ereg_set(v, e, RING_CONTEXT_STATUS_BUF + 8 * p + 4, ctx_id);
    uint32_t ptr = ereg(v, e, RING_CONTEXT_STATUS_PTR);
    ereg_set(v, e, RING_CONTEXT_STATUS_PTR, (ptr & ~7u) | p);
    e->csb_write = p;

    uint32_t hws = ereg(v, e, RING_HWS_PGA) & 0xfffff000u;
    uint32_t entry[2] = { status, ctx_id };
    if (gvt_gfx_write(v, NULL, false, hws + 4u * (HWSP_CSB_BUF0 + 2 * p), entry, 8) < 0 ||
        gvt_gfx_write(v, NULL, false, hws + 4u * HWSP_CSB_WRITE, &p, 4) < 0)
        log_guest("%s: HWSP at %#x is not the vGPU's memory: CSB not mirrored",
                  gvt_engine_info[e->id].name, hws);
    e->csb_events++;
    v->stats.csb_events++;
    gvt_engine_interrupt(v, e, GT_CONTEXT_SWITCH);
}

static void update_status(struct vgpu *v, struct gvt_engine *e)
{
    uint32_t lo = 0;
    if (e->active)
        lo |= 1u << 4 | 1u << 18; /* element 0 valid and active */
    if (e->active && e->port[1].valid)
        lo |= 1u << 3;
    ereg_set(v, e, RING_EXECLIST_STATUS_LO, lo);
    ereg_set(v, e, RING_EXECLIST_STATUS_HI, e->active ? DESC_CTX_ID(e->port[0].desc) : 0);
}

/* Both pages of the context (PPHWSP and register state) in the vGPU's
 * memory, and an addressing mode the streamer implements. */
static bool desc_ok(struct vgpu *v, struct gvt_engine *e, uint64_t desc, unsigned element)
{
    uint64_t gpa;
    unsigned mode = DESC_MODE(desc);
    if (mode != DESC_MODE_LEGACY32 && mode != DESC_MODE_4LEVEL) {
        gvt_engine_error(v, e, "ELSP element %u: addressing mode %u unsupported", element,
                         mode);
        return false;
    }
    if (gvt_ggtt_translate(v, DESC_LRCA(desc), &gpa) < 0 ||
        gvt_ggtt_translate(v, DESC_LRCA(desc) + LRC_STATE_OFFSET, &gpa) < 0) {
        gvt_engine_error(v, e, "ELSP element %u: context at %#x is not in the vGPU's memory",
                         element, DESC_LRCA(desc));
        return false;
    }
    return true;
}

static void run_engine(struct vgpu *v, struct gvt_engine *e, unsigned *budget);

/* Work the runner still has for `e`; a held engine has none. */
static bool engine_runnable(const struct gvt_engine *e)
{
    return e->active && !e->hung && !e->held;
}

static unsigned slice_dwords(const struct vgpu *v)
{
    return v->cfg.cs_slice_dwords ? v->cfg.cs_slice_dwords : CS_SLICE_DWORDS;
}

static void schedule_runner(struct vgpu *v)
{
    /* The next slice after the ioreqs already waiting: not a 1 us timerfd,
     * which cost a timerfd_settime and a read per slice and slept out
     * the kernel's timer slack (50 us) between slices. */
    if (v->exec_timer && !v->exec_paused && !evt_timer_armed(v->exec_timer))
        evt_timer_arm_soon(v->exec_timer);
}

static void save_head(struct vgpu *v, struct gvt_engine *e)
{
    uint32_t head = e->cs.head;
    if (gvt_gfx_write(v, NULL, false, e->cs.lrca + LRC_STATE_OFFSET + 4 * CTX_RING_HEAD,
                      &head, 4) < 0)
        log_guest("%s: context image at %#x went away", gvt_engine_info[e->id].name,
                  e->cs.lrca);
    ereg_set(v, e, RING_HEAD, head);
}

static void submit(struct vgpu *v, struct gvt_engine *e)
{
    uint64_t desc1 = (uint64_t)e->elsp[0] << 32 | e->elsp[1];
    uint64_t desc0 = (uint64_t)e->elsp[2] << 32 | e->elsp[3];
    const char *name = gvt_engine_info[e->id].name;
    e->submissions++;
    v->stats.elsp_submissions++;
    if (e->hung) {
        log_guest("%s: submission while the engine waits for a reset: dropped", name);
        return;
    }
    if (!(desc0 & DESC_VALID)) {
        gvt_engine_error(v, e, "ELSP element 0 is not valid (%#llx)",
                         (unsigned long long)desc0);
        return;
    }
    if (!desc_ok(v, e, desc0, 0) || ((desc1 & DESC_VALID) && !desc_ok(v, e, desc1, 1)))
        return;
    if (e->last_lrca && DESC_LRCA(desc0) != e->last_lrca)
        v->stats.elsp_context_switches++;
    e->last_lrca = DESC_LRCA(desc0);
    /* A held context is still the engine's (loaded false: its head is in
     * the image): the same context is a lite restore, another one
     * preempts it at its tail. */
    bool was_idle = !e->active || e->held;
    e->held = false;
    e->batches_at_submit = e->batches;
    /* A hostile guest may submit twice before the runner ran: report the
     * first event before deciding the second. */
    if (e->pending_event) {
        post_csb(v, e, e->pending_event, e->pending_ctx_id);
        e->pending_event = 0;
    }
    if (!e->active) {
        e->pending_event = CSB_IDLE_TO_ACTIVE;
        e->pending_ctx_id = 0;
        e->loaded = false;
    } else if (DESC_LRCA(desc0) == DESC_LRCA(e->port[0].desc)) {
        /* Lite restore: the running context again, with a new tail. */
        e->pending_event = CSB_PREEMPTED | CSB_LITE_RESTORE;
        v->stats.elsp_lite_restores++;
        e->pending_ctx_id = DESC_CTX_ID(e->port[0].desc);
        if (e->loaded) {
            uint32_t tail;
            if (gvt_gfx_read(v, NULL, false, e->cs.lrca + LRC_STATE_OFFSET + 4 * CTX_RING_TAIL,
                             &tail, 4) < 0 || (tail & RING_TAIL_ADDR) >= e->cs.ring_size) {
                gvt_engine_error(v, e, "lite restore: ring tail %#x outside the ring", tail);
                return;
            }
            e->cs.tail = tail & RING_TAIL_ADDR;
        }
    } else {
        /* Preemption: the running context stops where it is. */
        if (e->loaded)
            save_head(v, e);
        e->pending_event = CSB_PREEMPTED;
        e->pending_ctx_id = DESC_CTX_ID(e->port[0].desc);
        e->loaded = false;
    }
    if (was_idle)
        e->busy_since = evt_loop_now_ns(v->loop);
    e->active = true;
    e->port[0] = (struct gvt_ctx_port){ true, desc0 };
    e->port[1] = (struct gvt_ctx_port){ (desc1 & DESC_VALID) != 0, desc1 };
    update_status(v, e);
    /* Short work completes inside the ELSP write that submits it: the
     * breadcrumb and the CSB events are in the guest's memory before its
     * vCPU runs again, so i915 finds its request done without waiting for
     * an interrupt (its idle waits at load are 200 ms of guest time, and an
     * interrupt costs it several traps). Longer work continues in slices. */
    if (!v->exec_paused) {
        unsigned budget = CS_SYNC_DWORDS < slice_dwords(v) ? CS_SYNC_DWORDS : slice_dwords(v);
        run_engine(v, e, &budget);
    }
    if (engine_runnable(e) || e->pending_event)
        schedule_runner(v);
}

static void elsp_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    struct gvt_engine *e = engine_at(v, off, RING_ELSP);
    vreg_set(&v->regs, off, 0); /* write-only: reads give 0 */
    if (!e)
        return;
    e->elsp[e->elsp_writes++] = val;
    if (e->elsp_writes == 4) {
        e->elsp_writes = 0;
        submit(v, e);
    }
}

/* Ring state from the context image, checked: the register offsets where
 * the image keeps them (a garbage image is refused), a valid ring inside
 * the vGPU's memory, head and tail inside the ring. */
static int load_context(struct vgpu *v, struct gvt_engine *e)
{
    uint32_t img[CTX_STATE_DWORDS];
    uint32_t lrca = DESC_LRCA(e->port[0].desc);
    uint32_t base = gvt_engine_info[e->id].base;
    if (gvt_gfx_read(v, NULL, false, lrca + LRC_STATE_OFFSET, img, sizeof(img)) < 0) {
        gvt_engine_error(v, e, "context image at %#x unreadable", lrca);
        return -1;
    }
    if (img[CTX_RING_HEAD - 1] != base + RING_HEAD || img[CTX_RING_TAIL - 1] != base + RING_TAIL ||
        img[CTX_RING_START - 1] != base + RING_START || img[CTX_RING_CTL - 1] != base + RING_CTL) {
        gvt_engine_error(v, e, "context image at %#x is not a %s ring context", lrca,
                         gvt_engine_info[e->id].name);
        return -1;
    }
    struct gvt_cs *cs = &e->cs;
    memset(cs, 0, sizeof(*cs));
    cs->lrca = lrca;
    uint32_t ctl = img[CTX_RING_CTL];
    cs->ring_start = img[CTX_RING_START] & 0xfffff000u;
    cs->ring_size = (ctl & RING_NR_PAGES) + 4096u;
    cs->head = img[CTX_RING_HEAD] & RING_HEAD_ADDR;
    cs->tail = img[CTX_RING_TAIL] & RING_TAIL_ADDR;
    if (!(ctl & RING_VALID)) {
        gvt_engine_error(v, e, "context %#x: ring not valid (RING_CTL %#x)", lrca, ctl);
        return -1;
    }
    if (cs->head >= cs->ring_size || cs->tail >= cs->ring_size) {
        gvt_engine_error(v, e, "context %#x: head %#x / tail %#x outside the %u-byte ring",
                         lrca, cs->head, cs->tail, cs->ring_size);
        return -1;
    }
    for (uint32_t off = 0; off < cs->ring_size; off += 4096) {
        uint64_t gpa;
        if ((uint64_t)cs->ring_start + off > UINT32_MAX ||
            gvt_ggtt_translate(v, (uint64_t)cs->ring_start + off, &gpa) < 0) {
            gvt_engine_error(v, e, "context %#x: ring at %#x+%#x is not the vGPU's memory",
                             lrca, cs->ring_start, off);
            return -1;
        }
    }
    cs->root.four_level = DESC_MODE(e->port[0].desc) == DESC_MODE_4LEVEL;
    for (unsigned i = 0; i < 4; i++) {
        unsigned udw = CTX_PDP3_UDW + 4 * (3 - i);
        cs->root.pdp[i] = (uint64_t)img[udw] << 32 | img[udw + 2];
    }
    ereg_set(v, e, RING_START, cs->ring_start);
    ereg_set(v, e, RING_CTL, ctl);
    ereg_set(v, e, RING_TAIL, cs->tail);
    ereg_set(v, e, RING_HEAD, cs->head);
    e->loaded = true;
    return 0;
}

/* The engine went idle (done or reset): its busy stretch ends. */
static void busy_end(struct vgpu *v, struct gvt_engine *e)
{
    uint64_t now = evt_loop_now_ns(v->loop);
    if (e->busy_since && now > e->busy_since)
        e->busy_ns += now - e->busy_since;
    e->busy_since = 0;
}

/* The context on port 0 completed and the engine goes idle: the event it
 * held, or one nothing holds (no loop to time a hold). */
static void go_idle(struct vgpu *v, struct gvt_engine *e)
{
    uint32_t done = DESC_CTX_ID(e->port[0].desc);
    e->held = false;
    e->completions++;
    v->stats.ctx_completions++;
    e->port[0].valid = false;
    e->active = false;
    busy_end(v, e);
    update_status(v, e);
    post_csb(v, e, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE, done);
}

static void arm_hold_timer(struct vgpu *v, uint64_t at)
{
    uint64_t now = evt_loop_now_ns(v->loop);
    if (v->hold_timer && !v->exec_paused)
        evt_timer_arm(v->hold_timer, at > now ? at - now : 1, 0);
}

static void complete_context(struct vgpu *v, struct gvt_engine *e)
{
    save_head(v, e);
    e->loaded = false;
    if (e->port[1].valid) {
        uint32_t done = DESC_CTX_ID(e->port[0].desc);
        e->completions++;
        v->stats.ctx_completions++;
        e->port[0] = e->port[1];
        e->port[1].valid = false;
        post_csb(v, e, CSB_COMPLETE | CSB_ELEMENT_SWITCH, done);
        update_status(v, e);
        return;
    }
    /* Out of work: hold the completion of a client's batch (see the top
     * of this file). */
    if (!v->hold_timer || e->batches == e->batches_at_submit) {
        go_idle(v, e);
        return;
    }
    busy_end(v, e);
    e->held = true;
    e->held_until = evt_loop_now_ns(v->loop) + CSB_HOLD_NS;
    v->stats.ctx_holds++;
    if (!evt_timer_armed(v->hold_timer))
        arm_hold_timer(v, e->held_until);
}

/* The timer for the earliest hold still running, if any. */
static void arm_for_earliest_hold(struct vgpu *v)
{
    uint64_t next = 0;
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++) {
        const struct gvt_engine *e = &v->engines[i];
        if (e->held && (!next || e->held_until < next))
            next = e->held_until;
    }
    if (next)
        arm_hold_timer(v, next);
}

/* Posts the completions whose hold ran out; waits for the next one. */
static void hold_expired(void *opaque, uint64_t expirations)
{
    struct vgpu *v = opaque;
    (void)expirations;
    uint64_t now = evt_loop_now_ns(v->loop);
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++) {
        struct gvt_engine *e = &v->engines[i];
        if (e->held && e->held_until <= now) {
            v->stats.ctx_holds_expired++;
            go_idle(v, e);
        }
    }
    arm_for_earliest_hold(v);
}

static void run_engine_work(struct vgpu *v, struct gvt_engine *e, unsigned *budget);

/* Runs `e` until its work is done, the budget is spent, or it fails; the
 * aperture's frames and the pages the run touches meet on both sides. */
static void run_engine(struct vgpu *v, struct gvt_engine *e, unsigned *budget)
{
    gvt_aperture_gpu_begin(v);
    run_engine_work(v, e, budget);
    gvt_aperture_gpu_end(v);
}

static void run_engine_work(struct vgpu *v, struct gvt_engine *e, unsigned *budget)
{
    if (e->pending_event) {
        post_csb(v, e, e->pending_event, e->pending_ctx_id);
        e->pending_event = 0;
    }
    while (engine_runnable(e) && *budget > 0) {
        if (!e->loaded && load_context(v, e) < 0)
            return;
        int rc = gvt_cs_run(v, e, budget);
        ereg_set(v, e, RING_HEAD, e->cs.head);
        if (rc <= 0)
            return; /* out of budget, or stopped on an error */
        complete_context(v, e);
    }
}

static void exec_tick(void *opaque, uint64_t expirations)
{
    struct vgpu *v = opaque;
    (void)expirations;
    unsigned budget = slice_dwords(v);
    bool more = false;
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++) {
        struct gvt_engine *e = &v->engines[i];
        if (engine_runnable(e)) {
            unsigned share = budget; /* each engine gets a full slice */
            run_engine(v, e, &share);
        }
        more |= engine_runnable(e) || e->pending_event;
    }
    if (more)
        schedule_runner(v);
}

void gvt_execlist_follow_guest_csb(struct vgpu *v)
{
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++) {
        struct gvt_engine *e = &v->engines[i];
        uint32_t hws = ereg(v, e, RING_HWS_PGA) & 0xfffff000u;
        uint32_t p, entries[2 * CSB_ENTRIES];
        if (!hws || gvt_gfx_read(v, NULL, false, hws + 4u * HWSP_CSB_WRITE, &p, 4) < 0 ||
            gvt_gfx_read(v, NULL, false, hws + 4u * HWSP_CSB_BUF0, entries, sizeof(entries)) < 0)
            continue;
        if (p >= CSB_ENTRIES || p == e->csb_write)
            continue; /* nothing newer, or not a pointer we wrote */
        log_info("%s: the guest saw CSB events up to %u; the checkpoint had %u: following the "
                 "guest", gvt_engine_info[e->id].name, p, e->csb_write);
        for (unsigned k = 0; k < CSB_ENTRIES; k++) {
            ereg_set(v, e, RING_CONTEXT_STATUS_BUF + 8 * k, entries[2 * k]);
            ereg_set(v, e, RING_CONTEXT_STATUS_BUF + 8 * k + 4, entries[2 * k + 1]);
        }
        uint32_t ptr = ereg(v, e, RING_CONTEXT_STATUS_PTR);
        ereg_set(v, e, RING_CONTEXT_STATUS_PTR, (ptr & ~7u) | p);
        e->csb_write = p;
    }
}

void gvt_execlist_reset(struct vgpu *v, uint32_t engine_mask)
{
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++) {
        if (!(engine_mask & (1u << i)))
            continue;
        struct gvt_engine *e = &v->engines[i];
        busy_end(v, e);
        uint64_t keep[7] = { e->submissions, e->completions, e->csb_events, e->errors,
                             e->dwords, e->batches, e->busy_ns };
        memset(e, 0, sizeof(*e));
        e->id = (enum gvt_engine_id)i;
        e->submissions = keep[0];
        e->completions = keep[1];
        e->csb_events = keep[2];
        e->errors = keep[3];
        e->dwords = keep[4];
        e->batches = keep[5];
        e->busy_ns = keep[6];
        e->csb_write = CSB_PTR_RESET;
        uint32_t ptr = ereg(v, e, RING_CONTEXT_STATUS_PTR);
        ereg_set(v, e, RING_CONTEXT_STATUS_PTR, (ptr & ~7u) | CSB_PTR_RESET);
        ereg_set(v, e, RING_ESR, 0);
        ereg_set(v, e, RING_EIR, 0);
        update_status(v, e);
    }
}

/* Per-engine rows, named after i915's macros with the engine in the
 * parentheses ("RING_ELSP(rcs0)"). The CSB buffers: hardware writes them,
 * the guest only reads; dword d of the 12 is "[d]". */
#define CSB_ROW(b, eng, d)                                                     \
    { (b) + RING_CONTEXT_STATUS_BUF + 4 * (d), REG_RO, 0, 0, NULL, NULL,       \
      "RING_CONTEXT_STATUS_BUF(" eng ")[" #d "]" }

#define ENGINE_EXECLIST_ROWS(b, eng)                                           \
    { (b) + RING_ELSP, 0, 0, 0, NULL, elsp_written, "RING_ELSP(" eng ")" },    \
    { (b) + RING_EXECLIST_STATUS_LO, REG_RO, 0, 0, NULL, NULL,                 \
      "RING_EXECLIST_STATUS_LO(" eng ")" },                                    \
    { (b) + RING_EXECLIST_STATUS_HI, REG_RO, 0, 0, NULL, NULL,                 \
      "RING_EXECLIST_STATUS_HI(" eng ")" },                                    \
    { (b) + RING_CONTEXT_STATUS_PTR, REG_MASKED, 0x0707u, 0x0007u, NULL, NULL, \
      "RING_CONTEXT_STATUS_PTR(" eng ")" },                                    \
    { (b) + RING_EIR, REG_W1C, 0, 0, NULL, NULL, "RING_EIR(" eng ")" },        \
    { (b) + RING_EMR, 0, 0xffffffffu, 0, NULL, NULL, "RING_EMR(" eng ")" },    \
    { (b) + RING_ESR, REG_RO, 0, 0, NULL, NULL, "RING_ESR(" eng ")" },         \
    CSB_ROW(b, eng, 0), CSB_ROW(b, eng, 1), CSB_ROW(b, eng, 2),                \
    CSB_ROW(b, eng, 3), CSB_ROW(b, eng, 4), CSB_ROW(b, eng, 5),                \
    CSB_ROW(b, eng, 6), CSB_ROW(b, eng, 7), CSB_ROW(b, eng, 8),                \
    CSB_ROW(b, eng, 9), CSB_ROW(b, eng, 10), CSB_ROW(b, eng, 11)

static const struct gvt_reg execlist_rows[] = {
    ENGINE_EXECLIST_ROWS(RENDER_RING_BASE, "rcs0"),
    ENGINE_EXECLIST_ROWS(BLT_RING_BASE, "bcs0"),
    ENGINE_EXECLIST_ROWS(GEN6_BSD_RING_BASE, "vcs0"),
    ENGINE_EXECLIST_ROWS(VEBOX_RING_BASE, "vecs0"),
};

int gvt_execlist_init(struct vgpu *v)
{
    int rc = gvt_regs_add(&v->regs, "execlist", execlist_rows,
                          sizeof(execlist_rows) / sizeof(execlist_rows[0]));
    if (rc == 0 && v->loop)
        rc = evt_timer_new(v->loop, exec_tick, v, &v->exec_timer);
    if (rc == 0 && v->loop)
        rc = evt_timer_new(v->loop, hold_expired, v, &v->hold_timer);
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++)
        v->engines[i].id = (enum gvt_engine_id)i;
    return rc;
}

void gvt_execlist_pause(struct vgpu *v, bool paused)
{
    v->exec_paused = paused;
    if (paused) {
        /* Quiesced: nothing more reaches the guest's memory, held
         * completions included. */
        if (v->exec_timer)
            evt_timer_disarm(v->exec_timer);
        if (v->hold_timer)
            evt_timer_disarm(v->hold_timer);
        return;
    }
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++)
        if (engine_runnable(&v->engines[i]) || v->engines[i].pending_event)
            schedule_runner(v);
    arm_for_earliest_hold(v);
}

void gvt_execlist_release(struct vgpu *v)
{
    evt_timer_free(v->exec_timer);
    v->exec_timer = NULL;
    evt_timer_free(v->hold_timer);
    v->hold_timer = NULL;
}

void vgpu_get_engine_stats(const struct vgpu *v, unsigned engine, struct vgpu_engine_stats *out)
{
    static const char *const names[GVT_NR_ENGINES] = {
        [GVT_RCS] = "rcs0", [GVT_BCS] = "bcs0", [GVT_VCS] = "vcs0", [GVT_VECS] = "vecs0",
    };
    _Static_assert(GVT_NR_ENGINES == VGPU_ENGINES, "vgpu.h's engine count");
    memset(out, 0, sizeof(*out));
    if (engine >= GVT_NR_ENGINES)
        return;
    const struct gvt_engine *e = &v->engines[engine];
    out->name = names[engine];
    out->busy_ns = e->busy_ns;
    out->busy = e->active && e->busy_since;
    if (out->busy) {
        uint64_t now = evt_loop_now_ns(v->loop);
        if (now > e->busy_since)
            out->busy_ns += now - e->busy_since;
    }
    out->batches = e->batches;
    out->submissions = e->submissions;
    out->completions = e->completions;
}

/* Its section ("engines", version 1): each engine's execlist and
 * command-streamer state (engine.c's layout), checked whole before any is
 * taken. The engines' counters stay this daemon's. */
void gvt_execlist_save(struct vgpu *v, struct state_buf *b)
{
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++)
        gvt_engine_save(&v->engines[i], b);
}

static bool stage_engines(const struct stateblob_section *s, struct gvt_engine *out)
{
    struct state_reader r;
    state_reader_init(&r, s);
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++)
        if (!gvt_engine_load(&r, &out[i], i))
            return false;
    return r.left == 0;
}

int gvt_execlist_check(const struct stateblob_section *s, const char **why)
{
    struct gvt_engine staged[GVT_NR_ENGINES];
    if (!stage_engines(s, staged)) {
        *why = "engine section malformed";
        return -EINVAL;
    }
    return 0;
}

void gvt_execlist_load(struct vgpu *v, const struct stateblob_section *s)
{
    struct gvt_engine staged[GVT_NR_ENGINES];
    if (!stage_engines(s, staged))
        return; /* checked before: cannot happen */
    gvt_engines_take(v, staged);
    gvt_execlist_pause(v, v->paused); /* the runner, for work still to do */
}
