/* skl_regs.c: Skylake's probe behaviours as i915 meets them at load.
 * FORCEWAKE_*_GEN9 requests are acknowledged at once (the ack mirrors the
 * masked request); GEN6_GDRST's full reset puts the engine registers back,
 * releases the fences, repopulates PVINFO and counts a GT reset, leaving
 * the display alone; a per-engine GDRST bit resets only that engine. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/engine.h"
#include "gvt/fence.h"
#include "gvt/pvinfo.h"
#include "gvt/display.h"

#define FORCEWAKE_ACK_RENDER_GEN9 0x0d84u
#define FORCEWAKE_RENDER_GEN9 0xa278u
#define FORCEWAKE_ACK_BLITTER_GEN9 0x130044u
#define FORCEWAKE_BLITTER_GEN9 0xa188u
#define GEN6_GDRST 0x941cu

static void test_forcewake_is_acknowledged_at_once(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    reg_wr(&d, FORCEWAKE_RENDER_GEN9, 0x00010001u); /* masked: set bit 0 */
    assert_int_equal(reg_rd(&d, FORCEWAKE_ACK_RENDER_GEN9) & 1, 1);
    reg_wr(&d, FORCEWAKE_RENDER_GEN9, 0x00010000u); /* clear it */
    assert_int_equal(reg_rd(&d, FORCEWAKE_ACK_RENDER_GEN9) & 1, 0);
    reg_wr(&d, FORCEWAKE_BLITTER_GEN9, 0x00010001u);
    assert_int_equal(reg_rd(&d, FORCEWAKE_ACK_BLITTER_GEN9) & 1, 1);
    fuzz_dev_stop(&d);
}

static void test_full_gdrst_resets_the_gt_not_the_display(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    reg_wr(&d, RENDER_RING_BASE + RING_EMR, 0x1234u);
    reg_wr(&d, FENCE_REG_GEN6_LO(0), 0x5001u);
    reg_wr(&d, vgtif_reg(PVINFO_CURSOR_X_HOT), 3);
    reg_wr(&d, TRANSCONF_A, TRANSCONF_ENABLE);
    reg_wr(&d, GEN6_GDRST, 1u << 0);
    assert_int_equal(reg_rd(&d, RENDER_RING_BASE + RING_EMR), 0xffffffffu);
    assert_int_equal(reg_rd(&d, FENCE_REG_GEN6_LO(0)), 0);
    assert_int_equal(fuzz_mmio(&d, FUZZ_BAR0 + vgtif_reg(PVINFO_MAGIC), 8, 0, 0), VGT_MAGIC);
    assert_true(reg_rd(&d, TRANSCONF_A) & TRANSCONF_ENABLE); /* the display stays */
    assert_int_equal(reg_rd(&d, GEN6_GDRST) & 1, 0);         /* the reset is done */
    struct vgpu_stats vs;
    vgpu_get_stats(d.vgpu, &vs);
    assert_int_equal(vs.gt_resets, 1);
    fuzz_dev_stop(&d);
}

static void test_engine_gdrst_resets_only_that_engine(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    rcs_setup(&d);
    const uint32_t ring[] = { 0, 0 }; /* MI_NOOPs */
    rcs_submit(&d, ring, 2);
    fuzz_run(&d, 2 + (unsigned)(CSB_HOLD_NS / 5000000)); /* past the held completion */
    uint32_t csb_ptr = RENDER_RING_BASE + RING_CONTEXT_STATUS_PTR;
    assert_int_equal(reg_rd(&d, csb_ptr) & 7, 1); /* two events written */
    reg_wr(&d, GEN6_GDRST, gvt_engine_info[GVT_BCS].grdom);
    assert_int_equal(reg_rd(&d, csb_ptr) & 7, 1); /* another engine's reset */
    reg_wr(&d, GEN6_GDRST, gvt_engine_info[GVT_RCS].grdom);
    assert_int_equal(reg_rd(&d, csb_ptr) & 7, CSB_PTR_RESET);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forcewake_is_acknowledged_at_once),
        cmocka_unit_test(test_full_gdrst_resets_the_gt_not_the_display),
        cmocka_unit_test(test_engine_gdrst_resets_only_that_engine),
    };
    return cmocka_run_group_tests_name("gvt_skl_regs", tests, NULL, NULL);
}
