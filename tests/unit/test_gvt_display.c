/* display.c: pipe A as i915 programs it. TRANSCONF_A (i915's PIPECONF):
 * the state bit follows the enable; with the pipe on, vblanks count in
 * PIPE_FRMCOUNT_A and raise GEN8_PIPE_VBLANK where unmasked; a write to
 * PLANE_SURF_1_A goes live (PLANE_SURFLIVE_1_A) at once with the pipe off,
 * at the next vblank with it on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/display.h"
#include "gvt/irq.h"

#define PLANE_SURF_1_A 0x7019cu
#define PIPEA_IMR (GEN8_DE_PIPE_ISR(0) + 0x4)
#define PIPEA_IIR (GEN8_DE_PIPE_ISR(0) + 0x8)

static void test_transconf_state_follows_enable(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    reg_wr(&d, TRANSCONF_A, TRANSCONF_ENABLE);
    assert_int_equal(reg_rd(&d, TRANSCONF_A) & (TRANSCONF_ENABLE | TRANSCONF_STATE),
                     TRANSCONF_ENABLE | TRANSCONF_STATE);
    struct vgpu_display_info di;
    vgpu_get_display(d.vgpu, &di);
    assert_true(di.pipe_on);
    assert_int_equal(di.refresh_hz, 60); /* no timings: i915's fallback rate */
    reg_wr(&d, TRANSCONF_A, 0);
    assert_int_equal(reg_rd(&d, TRANSCONF_A) & TRANSCONF_STATE, 0);
    /* The state bit is the hardware's: a guest write cannot set it. */
    reg_wr(&d, TRANSCONF_A, TRANSCONF_STATE);
    assert_int_equal(reg_rd(&d, TRANSCONF_A) & TRANSCONF_STATE, 0);
    fuzz_dev_stop(&d);
}

static void test_vblanks_count_and_interrupt(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    reg_wr(&d, PIPEA_IMR, ~GEN8_PIPE_VBLANK);
    reg_wr(&d, TRANSCONF_A, TRANSCONF_ENABLE);
    uint32_t before = reg_rd(&d, PIPE_FRMCOUNT_A);
    fuzz_run(&d, 20); /* 100 ms of the manual clock at 60 Hz */
    uint32_t frames = reg_rd(&d, PIPE_FRMCOUNT_A) - before;
    assert_in_range(frames, 5, 7);
    assert_true(reg_rd(&d, PIPEA_IIR) & GEN8_PIPE_VBLANK);
    /* Pipe off: the counter stops. */
    reg_wr(&d, TRANSCONF_A, 0);
    before = reg_rd(&d, PIPE_FRMCOUNT_A);
    fuzz_run(&d, 20);
    assert_int_equal(reg_rd(&d, PIPE_FRMCOUNT_A), before);
    fuzz_dev_stop(&d);
}

static void test_flip_latches_at_vblank_with_pipe_on(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    /* The firmware's mode: the pipe is on from reset. */
    assert_int_equal(reg_rd(&d, TRANSCONF_A) & TRANSCONF_ENABLE, TRANSCONF_ENABLE);
    reg_wr(&d, TRANSCONF_A, 0);
    reg_wr(&d, PLANE_SURF_1_A, 0x100000u);
    assert_int_equal(reg_rd(&d, PLANE_SURFLIVE_1_A), 0x100000u); /* pipe off: at once */
    reg_wr(&d, TRANSCONF_A, TRANSCONF_ENABLE);
    reg_wr(&d, PLANE_SURF_1_A, 0x200000u);
    assert_int_equal(reg_rd(&d, PLANE_SURFLIVE_1_A), 0x100000u); /* armed, not latched */
    fuzz_run(&d, 5);
    assert_int_equal(reg_rd(&d, PLANE_SURFLIVE_1_A), 0x200000u);
    struct vgpu_stats vs;
    vgpu_get_stats(d.vgpu, &vs);
    assert_int_equal(vs.flips, 2);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transconf_state_follows_enable),
        cmocka_unit_test(test_vblanks_count_and_interrupt),
        cmocka_unit_test(test_flip_latches_at_vblank_with_pipe_on),
    };
    return cmocka_run_group_tests_name("gvt_display", tests, NULL, NULL);
}
