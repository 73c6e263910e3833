/* execlist.c, cmd_exec.c and engine.c on the render engine, as i915 drives
 * them: a context submitted through RING_ELSP(rcs0) runs its ring; its
 * completion is a CSB entry (RING_CONTEXT_STATUS_BUF), the write pointer in
 * RING_CONTEXT_STATUS_PTR and the HWSP, and the context-switch interrupt;
 * MI_STORE_DATA_IMM and MI_USER_INTERRUPT do what they say; a command the
 * streamer refuses is an engine error (RING_EIR, the CS error interrupt). */
#include <stdarg.h>
#include <string.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/engine.h"

#define MI_NOOP 0u
#define MI_USER_INTERRUPT (0x02u << 23)
#define MI_STORE_DATA_IMM_GGTT ((0x20u << 23) | (1u << 22) | 2u) /* 4 dwords */
#define MI_SET_CONTEXT ((0x18u << 23) | 0u) /* 2 dwords; no vGPU guest switches so */
#define MI_BB_START_GGTT ((0x31u << 23) | 1u)        /* 3 dwords */
#define MI_BATCH_BUFFER_END (0x0au << 23)
#define GT0_IIR 0x44308u

#define RING_MI_MODE 0x9cu
#define MODE_IDLE (1u << 9)
#define CTX_RING_TAIL_DW 7u /* in the register-state page */
#define CTX_ID 0x11u

/* The hold: fuzz_run's rounds move the manual clock 5 ms each. */
#define FUZZ_ROUND_NS 5000000ull
#define ROUNDS_WITHIN_HOLD 2u
#define ROUNDS_PAST_HOLD ((unsigned)(CSB_HOLD_NS / FUZZ_ROUND_NS) + 1)

static uint32_t csb_events(struct fuzz_dev *d)
{
    uint32_t p = reg_rd(d, RCS_BASE + RING_CONTEXT_STATUS_PTR) & 7;
    return p == CSB_PTR_RESET ? 0 : p + 1; /* fewer than six in these tests */
}

static uint32_t csb_status(struct fuzz_dev *d, unsigned i)
{
    return reg_rd(d, RCS_BASE + RING_CONTEXT_STATUS_BUF + 8 * i);
}

static uint32_t csb_ctx(struct fuzz_dev *d, unsigned i)
{
    return reg_rd(d, RCS_BASE + RING_CONTEXT_STATUS_BUF + 8 * i + 4);
}

static void elsp_submit(struct fuzz_dev *d, uint64_t desc)
{
    reg_wr(d, RCS_BASE + 0x230, 0);
    reg_wr(d, RCS_BASE + 0x230, 0);
    reg_wr(d, RCS_BASE + 0x230, (uint32_t)(desc >> 32));
    reg_wr(d, RCS_BASE + 0x230, (uint32_t)desc);
}

/* A batch at `ga` storing `val` at `at`, and a ring request starting it
 * (4 dwords at `req`): what an execbuf submits. */
static void batch_request(uint32_t *req, uint32_t ga, uint32_t at, uint32_t val)
{
    uint32_t *bb = gfx_at(ga);
    bb[0] = MI_STORE_DATA_IMM_GGTT;
    bb[1] = at;
    bb[2] = 0;
    bb[3] = val;
    bb[4] = MI_BATCH_BUFFER_END;
    req[0] = MI_BB_START_GGTT;
    req[1] = ga;
    req[2] = 0;
    req[3] = MI_NOOP;
}

#define BATCH_GA (FREE_GA + 0x2000u)

/* A vGPU whose render engine ran one batch (storing 1 at FREE_GA + 0x100)
 * and holds its completion; `ring` is the request it submitted. */
static void start_with_a_held_batch(struct fuzz_dev *d, uint32_t ring[4])
{
    gvt_unit_start(d);
    rcs_setup(d);
    batch_request(ring, BATCH_GA, FREE_GA + 0x100, 1);
    rcs_submit(d, ring, 4);
    fuzz_run(d, ROUNDS_WITHIN_HOLD);
}

static struct vgpu_stats stats(struct fuzz_dev *d)
{
    struct vgpu_stats vs;
    vgpu_get_stats(d->vgpu, &vs);
    return vs;
}

/* A client's batch completes inside the ELSP write, but the engine holds
 * the context's completion event (the context stays the engine's, its ring
 * drained: RING_MI_MODE reads idle); when nothing more comes, the event
 * and its interrupt follow. */
static void test_elsp_submission_posts_csb_and_interrupts(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    rcs_setup(&d);
    uint32_t ring[4];
    batch_request(ring, BATCH_GA, FREE_GA + 0x100, 0x5eed);
    rcs_submit(&d, ring, 4);
    assert_int_equal(gfx_at(FREE_GA + 0x100)[0], 0x5eed); /* in the write */
    fuzz_run(&d, ROUNDS_WITHIN_HOLD);
    assert_int_equal(csb_events(&d), 1);
    assert_int_equal(csb_status(&d, 0), CSB_IDLE_TO_ACTIVE);
    assert_true(reg_rd(&d, RCS_BASE + RING_MI_MODE) & MODE_IDLE);
    assert_true(reg_rd(&d, RCS_BASE + 0x234) & (1u << 18)); /* EXECLIST_STATUS: active */
    assert_int_equal(stats(&d).ctx_holds, 1);
    assert_int_equal(stats(&d).ctx_completions, 0);
    reg_wr(&d, GT0_IIR, ~0u); /* the guest acked the first event's interrupt */
    uint64_t msis = vgpu_stat_msis(&d);
    fuzz_run(&d, ROUNDS_PAST_HOLD);
    /* Idle -> active, then complete -> idle: two entries, pointer at 1. */
    assert_int_equal(csb_events(&d), 2);
    uint32_t last = csb_status(&d, 1);
    assert_int_equal(last, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE);
    assert_int_equal(csb_ctx(&d, 1), CTX_ID);
    assert_int_equal(reg_rd(&d, RCS_BASE + 0x234) & (1u << 18), 0);
    /* Mirrored in the guest's HWSP, entry then write pointer. */
    assert_int_equal(gfx_at(HWSP_GA)[HWSP_CSB_BUF0 + 2], last);
    assert_int_equal(gfx_at(HWSP_GA)[HWSP_CSB_WRITE], 1);
    assert_true(reg_rd(&d, GT0_IIR) & GT_CONTEXT_SWITCH);
    assert_true(vgpu_stat_msis(&d) > msis);
    struct vgpu_engine_stats es;
    vgpu_get_engine_stats(d.vgpu, GVT_RCS, &es);
    assert_int_equal(es.submissions, 1);
    assert_int_equal(es.completions, 1);
    assert_false(es.busy);
    assert_int_equal(stats(&d).ctx_holds_expired, 1);
    fuzz_dev_stop(&d);
}

/* The same context again while its completion is held: a lite restore
 * into the running context (i915 merges its next request; no switch out,
 * no park, no kernel context in between), then one completion. */
static void test_held_context_takes_a_lite_restore(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    rcs_setup(&d);
    uint32_t ring[8];
    batch_request(ring, BATCH_GA, FREE_GA + 0x100, 1);
    batch_request(ring + 4, BATCH_GA + 0x100, FREE_GA + 0x104, 2);
    rcs_submit(&d, ring, 4); /* the first request: tail at dword 4 */
    memcpy(gfx_at(RING_GA), ring, sizeof(ring));
    fuzz_run(&d, ROUNDS_WITHIN_HOLD);
    assert_int_equal(csb_events(&d), 1);
    gfx_at(CTX_GA + 4096)[CTX_RING_TAIL_DW] = sizeof(ring); /* the next request */
    uint64_t desc = (uint64_t)CTX_ID << 32 | CTX_GA | 3u << 3 | 1u << 8 | 1u;
    elsp_submit(&d, desc);
    assert_int_equal(gfx_at(FREE_GA + 0x104)[0], 2);
    fuzz_run(&d, ROUNDS_WITHIN_HOLD);
    assert_int_equal(csb_events(&d), 2);
    assert_int_equal(csb_status(&d, 1), CSB_PREEMPTED | CSB_LITE_RESTORE);
    assert_int_equal(csb_ctx(&d, 1), CTX_ID);
    assert_int_equal(stats(&d).elsp_lite_restores, 1);
    assert_int_equal(stats(&d).ctx_holds, 2);
    assert_int_equal(stats(&d).ctx_holds_expired, 0);
    fuzz_run(&d, ROUNDS_PAST_HOLD);
    assert_int_equal(csb_events(&d), 3);
    assert_int_equal(csb_status(&d, 2), CSB_COMPLETE | CSB_ACTIVE_TO_IDLE);
    assert_int_equal(stats(&d).ctx_completions, 1);
    assert_int_equal(reg_rd(&d, RCS_BASE + 0x34), sizeof(ring)); /* RING_HEAD */
    fuzz_dev_stop(&d);
}

/* Another context while one is held preempts it at its tail: i915's
 * kernel context when it parks the engine, with ring commands alone. Its
 * own completion is not held: i915 spins at the engine's next unpark until
 * the kernel context is out of flight (__engine_unpark). */
static void test_held_context_is_preempted_by_the_kernel_context(void **state)
{
    (void)state;
    struct fuzz_dev d;
    uint32_t ring[4];
    start_with_a_held_batch(&d, ring);
    /* The kernel context: its image a page pair up, its ring after the
     * first's, a breadcrumb and nothing else. */
    const uint32_t other_ctx = CTX_GA + 0x2000, other_ring = RING_GA + RING_BYTES;
    const uint32_t cmds[] = { MI_STORE_DATA_IMM_GGTT, FREE_GA + 0x108, 0, 3, MI_NOOP, MI_NOOP };
    memcpy(gfx_at(other_ring), cmds, sizeof(cmds));
    const uint64_t pdp[4] = { PPGTT_PML4, 0, 0, 0 };
    memset(gfx_at(other_ctx), 0, 8192);
    fuzz_ctx_image(gfx_at(other_ctx + 4096), RCS_BASE, 0, sizeof(cmds), other_ring, RING_BYTES,
                   pdp);
    elsp_submit(&d, (uint64_t)0x22 << 32 | other_ctx | 3u << 3 | 1u << 8 | 1u);
    assert_int_equal(gfx_at(FREE_GA + 0x108)[0], 3);
    fuzz_run(&d, ROUNDS_WITHIN_HOLD);
    assert_int_equal(csb_events(&d), 3);
    assert_int_equal(csb_status(&d, 1), CSB_PREEMPTED);
    assert_int_equal(csb_ctx(&d, 1), CTX_ID);
    assert_int_equal(csb_status(&d, 2), CSB_COMPLETE | CSB_ACTIVE_TO_IDLE);
    assert_int_equal(csb_ctx(&d, 2), 0x22);
    assert_int_equal(stats(&d).elsp_context_switches, 1);
    assert_int_equal(stats(&d).ctx_holds, 1);
    assert_int_equal(stats(&d).ctx_holds_expired, 0);
    assert_int_equal(gfx_at(CTX_GA + 4096)[5], 4u * 4); /* the held one's head, saved */
    fuzz_run(&d, ROUNDS_PAST_HOLD);
    assert_int_equal(csb_events(&d), 3); /* nothing more: nothing was held */
    fuzz_dev_stop(&d);
}

/* Paused for a save, nothing reaches the guest's memory: a held
 * completion waits out the pause, then follows. A reset ends the hold. */
static void test_hold_waits_out_a_pause_and_ends_at_reset(void **state)
{
    (void)state;
    struct fuzz_dev d;
    uint32_t ring[4];
    start_with_a_held_batch(&d, ring);
    vgpu_pause(d.vgpu, true);
    fuzz_run(&d, 3 * ROUNDS_PAST_HOLD);
    assert_int_equal(csb_events(&d), 1);
    vgpu_pause(d.vgpu, false);
    fuzz_run(&d, ROUNDS_PAST_HOLD);
    assert_int_equal(csb_events(&d), 2);
    assert_int_equal(csb_status(&d, 1), CSB_COMPLETE | CSB_ACTIVE_TO_IDLE);
    /* Held again, then the engine reset (GDRST's render bit): no event. */
    rcs_submit(&d, ring, 4);
    fuzz_run(&d, ROUNDS_WITHIN_HOLD);
    reg_wr(&d, 0x941c, 1u << 1);
    fuzz_run(&d, ROUNDS_PAST_HOLD);
    assert_int_equal(reg_rd(&d, RCS_BASE + RING_CONTEXT_STATUS_PTR) & 7, CSB_PTR_RESET);
    assert_true(reg_rd(&d, RCS_BASE + RING_MI_MODE) & MODE_IDLE);
    fuzz_dev_stop(&d);
}

static void test_ring_commands_store_and_notify(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    rcs_setup(&d);
    const uint32_t ring[] = { MI_STORE_DATA_IMM_GGTT, FREE_GA + 0x100, 0, 0xc0ffee,
                              MI_USER_INTERRUPT, MI_NOOP };
    rcs_submit(&d, ring, 6);
    fuzz_run(&d, 2);
    assert_int_equal(gfx_at(FREE_GA + 0x100)[0], 0xc0ffee);
    assert_true(reg_rd(&d, GT0_IIR) & GT_USER_INTERRUPT);
    assert_int_equal(reg_rd(&d, RCS_BASE + RING_EIR), 0);
    fuzz_dev_stop(&d);
}

static void test_refused_command_is_an_engine_error(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    rcs_setup(&d);
    reg_wr(&d, RCS_BASE + RING_EMR, ~1u); /* the instruction error unmasked */
    const uint32_t ring[] = { MI_SET_CONTEXT, 0 };
    rcs_submit(&d, ring, 2);
    fuzz_run(&d, 2);
    assert_int_equal(reg_rd(&d, RCS_BASE + RING_EIR) & 1, 1);
    assert_int_equal(reg_rd(&d, RCS_BASE + RING_ESR) & 1, 1);
    assert_true(reg_rd(&d, GT0_IIR) & GT_CS_MASTER_ERROR);
    struct vgpu_stats vs;
    vgpu_get_stats(d.vgpu, &vs);
    assert_int_equal(vs.engine_errors, 1);
    /* The engine waits for a reset (GDRST's render bit): then it is clean. */
    reg_wr(&d, 0x941c, 1u << 1);
    assert_int_equal(reg_rd(&d, RCS_BASE + RING_EIR), 0);
    assert_int_equal(reg_rd(&d, RCS_BASE + RING_CONTEXT_STATUS_PTR) & 7, CSB_PTR_RESET);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elsp_submission_posts_csb_and_interrupts),
        cmocka_unit_test(test_held_context_takes_a_lite_restore),
        cmocka_unit_test(test_held_context_is_preempted_by_the_kernel_context),
        cmocka_unit_test(test_hold_waits_out_a_pause_and_ends_at_reset),
        cmocka_unit_test(test_ring_commands_store_and_notify),
        cmocka_unit_test(test_refused_command_is_an_engine_error),
    };
    return cmocka_run_group_tests_name("gvt_execlist", tests, NULL, NULL);
}
