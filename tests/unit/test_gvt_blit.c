/* blit.c on the blitter engine (bcs0), through a context's PPGTT as i915's
 * console and clients submit them: XY_COLOR_BLT fills a rectangle of a
 * linear 32-bit surface, XY_SRC_COPY_BLT copies one, a rectangle wider
 * than its pitch is an engine error, and a blit on the render engine is
 * not a command it has. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/engine.h"

#define BCS_BASE 0x22000u
#define XY_COLOR_BLT(len) ((2u << 29) | (0x50u << 22) | ((len) - 2))
#define XY_SRC_COPY_BLT(len) ((2u << 29) | (0x53u << 22) | ((len) - 2))
#define BPP32 (3u << 24)
#define PITCH 256u /* bytes: 64 pixels */

static uint32_t *pixel(uint64_t va, unsigned x, unsigned y)
{
    return (uint32_t *)(fx.ram + PPGTT_DATA + va + (uint64_t)y * PITCH + 4u * x);
}

static void test_color_blt_fills_the_rectangle(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    engine_setup(&d, BCS_BASE);
    ppgtt_map_low();
    memset(fx.ram + PPGTT_DATA, 0, 0x4000);
    const uint32_t ring[] = { XY_COLOR_BLT(7), BPP32 | 0xf0u << 16 | PITCH,
                              2u << 16 | 3u,  /* (3, 2) */
                              6u << 16 | 8u,  /* to (8, 6), exclusive */
                              0x1000, 0, 0x00ff8800u, 0 /* MI_NOOP */ };
    engine_submit(&d, BCS_BASE, ring, 8);
    fuzz_run(&d, 2);
    for (unsigned y = 0; y < 8; y++)
        for (unsigned x = 0; x < 10; x++)
            assert_int_equal(*pixel(0x1000, x, y),
                             x >= 3 && x < 8 && y >= 2 && y < 6 ? 0x00ff8800u : 0);
    struct vgpu_stats vs;
    vgpu_get_stats(d.vgpu, &vs);
    assert_int_equal(vs.blits, 1);
    assert_int_equal(vs.engine_errors, 0);
    fuzz_dev_stop(&d);
}

static void test_src_copy_blt_copies(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    engine_setup(&d, BCS_BASE);
    ppgtt_map_low();
    for (unsigned y = 0; y < 4; y++)
        for (unsigned x = 0; x < 4; x++)
            *pixel(0x2000, x, y) = 0x10000u * y + x;
    memset(pixel(0x3000, 0, 0), 0, 4 * PITCH);
    const uint32_t ring[] = { XY_SRC_COPY_BLT(10), BPP32 | 0xccu << 16 | PITCH,
                              1u << 16 | 1u, 3u << 16 | 3u, /* dst (1,1)-(3,3) */
                              0x3000, 0, 0u, PITCH,         /* src (0,0), pitch */
                              0x2000, 0 };
    engine_submit(&d, BCS_BASE, ring, 10);
    fuzz_run(&d, 2);
    assert_int_equal(*pixel(0x3000, 1, 1), 0x0u);
    assert_int_equal(*pixel(0x3000, 2, 1), 0x1u);
    assert_int_equal(*pixel(0x3000, 2, 2), 0x10001u);
    assert_int_equal(*pixel(0x3000, 0, 0), 0);
    assert_int_equal(*pixel(0x3000, 3, 3), 0);
    fuzz_dev_stop(&d);
}

static void test_rectangle_beyond_pitch_is_an_engine_error(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    engine_setup(&d, BCS_BASE);
    ppgtt_map_low();
    reg_wr(&d, BCS_BASE + RING_EMR, ~1u); /* the instruction error unmasked */
    const uint32_t ring[] = { XY_COLOR_BLT(7), BPP32 | 0xf0u << 16 | 16u /* 4 pixels */,
                              0, 1u << 16 | 8u, 0x1000, 0, 0xffffffffu, 0 };
    engine_submit(&d, BCS_BASE, ring, 8);
    fuzz_run(&d, 2);
    assert_int_equal(reg_rd(&d, BCS_BASE + RING_EIR) & 1, 1);
    assert_int_equal(*pixel(0x1000, 0, 0), 0); /* nothing drawn */
    fuzz_dev_stop(&d);
}

static void test_blit_on_the_render_engine_is_refused(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    rcs_setup(&d);
    ppgtt_map_low();
    const uint32_t ring[] = { XY_COLOR_BLT(7), BPP32 | 0xf0u << 16 | PITCH, 0, 1u << 16 | 1u,
                              0x1000, 0, 0x123u, 0 };
    rcs_submit(&d, ring, 8);
    fuzz_run(&d, 2);
    struct vgpu_stats vs;
    vgpu_get_stats(d.vgpu, &vs);
    assert_int_equal(vs.blits, 0);
    assert_int_equal(vs.engine_errors, 1);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_color_blt_fills_the_rectangle),
        cmocka_unit_test(test_src_copy_blt_copies),
        cmocka_unit_test(test_rectangle_beyond_pitch_is_an_engine_error),
        cmocka_unit_test(test_blit_on_the_render_engine_is_refused),
    };
    return cmocka_run_group_tests_name("gvt_blit", tests, NULL, NULL);
}
