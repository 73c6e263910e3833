/* execlist.c, cmd_exec.c and engine.c on the render engine, as i915 drives
 * them: a context submitted through RING_ELSP(rcs0) runs its ring; its
 * completion is a CSB entry (RING_CONTEXT_STATUS_BUF), the write pointer in
 * RING_CONTEXT_STATUS_PTR and the HWSP, and the context-switch interrupt;
 * MI_STORE_DATA_IMM and MI_USER_INTERRUPT do what they say; a command the
 * streamer refuses is an engine error (RING_EIR, the CS error interrupt). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/engine.h"

#define MI_NOOP 0u
#define MI_USER_INTERRUPT (0x02u << 23)
#define MI_STORE_DATA_IMM_GGTT ((0x20u << 23) | (1u << 22) | 2u) /* 4 dwords */
#define MI_SET_CONTEXT ((0x18u << 23) | 0u) /* 2 dwords; no vGPU guest switches so */
#define GT0_IIR 0x44308u

static void test_elsp_submission_posts_csb_and_interrupts(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    rcs_setup(&d);
    const uint32_t ring[] = { MI_NOOP, MI_NOOP };
    uint64_t msis = vgpu_stat_msis(&d);
    rcs_submit(&d, ring, 2);
    fuzz_run(&d, 2);
    /* Idle -> active, then complete -> idle: two entries, pointer at 1. */
    uint32_t ptr = reg_rd(&d, RCS_BASE + RING_CONTEXT_STATUS_PTR);
    assert_int_equal(ptr & 7, 1);
    assert_true(reg_rd(&d, RCS_BASE + RING_CONTEXT_STATUS_BUF) & CSB_IDLE_TO_ACTIVE);
    uint32_t last = reg_rd(&d, RCS_BASE + RING_CONTEXT_STATUS_BUF + 8);
    assert_true(last & CSB_COMPLETE);
    assert_true(last & CSB_ACTIVE_TO_IDLE);
    assert_int_equal(reg_rd(&d, RCS_BASE + RING_CONTEXT_STATUS_BUF + 12), 0x11); /* ctx id */
    /* Mirrored in the guest's HWSP, entry then write pointer. */
    assert_int_equal(gfx_at(HWSP_GA)[HWSP_CSB_BUF0 + 2], last);
    assert_int_equal(gfx_at(HWSP_GA)[HWSP_CSB_WRITE], 1);
    assert_true(reg_rd(&d, GT0_IIR) & GT_CONTEXT_SWITCH);
    assert_true(vgpu_stat_msis(&d) > msis);
    struct vgpu_engine_stats es;
    vgpu_get_engine_stats(d.vgpu, GVT_RCS, &es);
    assert_int_equal(es.submissions, 1);
    assert_int_equal(es.completions, 1);
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
        cmocka_unit_test(test_ring_commands_store_and_notify),
        cmocka_unit_test(test_refused_command_is_an_engine_error),
    };
    return cmocka_run_group_tests_name("gvt_execlist", tests, NULL, NULL);
}
