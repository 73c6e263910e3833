/* plane.c and pixrun.c: vgpu_capture decodes pipe A's primary plane as
 * the guest programmed it (PIPESRC_A, PLANE_CTL_1_A, PLANE_STRIDE_1_A,
 * PLANE_SURFLIVE_1_A through the GGTT): a linear XRGB8888 surface comes out
 * pixel for pixel; a changed pixel moves the sequence and its row is the
 * damage; a plane turned off is a blank frame with its reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/display.h"

#define PLANE_STRIDE_1_A 0x70188u
#define PLANE_SURF_1_A 0x7019cu
#define PLANE_CTL_ENABLE (1u << 31)
#define FMT_XRGB8888 (4u << 24)
#define W 64u
#define H 16u
#define SURF_GA 0x10000u

static void show_pattern(struct fuzz_dev *d)
{
    rcs_setup(d); /* the GGTT: graphics [0, 1 MiB) onto guest RAM */
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++)
            gfx_at(SURF_GA)[y * W + x] = y << 8 | x;
    reg_wr(d, TRANSCONF_A, 0);
    reg_wr(d, PIPESRC_A, (W - 1) << 16 | (H - 1));
    reg_wr(d, PLANE_STRIDE_1_A, W * 4 / 64);
    reg_wr(d, PLANE_CTL_1_A, PLANE_CTL_ENABLE | FMT_XRGB8888);
    reg_wr(d, PLANE_SURF_1_A, SURF_GA); /* pipe off: live at once */
    reg_wr(d, TRANSCONF_A, TRANSCONF_ENABLE);
}

static void test_linear_xrgb_comes_out_pixel_for_pixel(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    show_pattern(&d);
    struct vgpu_frame f;
    assert_int_equal(vgpu_capture(d.vgpu, &f), 0);
    assert_false(f.blank);
    assert_int_equal(f.width, W);
    assert_int_equal(f.height, H);
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++)
            assert_int_equal(f.pixels[y * W + x], y << 8 | x);
    free(f.pixels);
    fuzz_dev_stop(&d);
}

static void test_a_changed_pixel_is_the_damage(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    show_pattern(&d);
    struct vgpu_frame f;
    assert_int_equal(vgpu_capture(d.vgpu, &f), 0);
    uint64_t seq = f.seq;
    free(f.pixels);
    assert_int_equal(vgpu_capture(d.vgpu, &f), 0);
    assert_int_equal(f.seq, seq); /* nothing changed */
    free(f.pixels);
    gfx_at(SURF_GA)[5 * W + 7] = 0x00abcdefu;
    assert_int_equal(vgpu_capture(d.vgpu, &f), 0);
    assert_int_equal(f.seq, seq + 1);
    assert_int_equal(f.damage_y0, 5);
    assert_int_equal(f.damage_y1, 6);
    assert_int_equal(f.pixels[5 * W + 7], 0x00abcdefu);
    free(f.pixels);
    fuzz_dev_stop(&d);
}

static void test_plane_off_is_a_blank_frame(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    show_pattern(&d);
    reg_wr(&d, PLANE_CTL_1_A, 0);
    struct vgpu_frame f;
    assert_int_equal(vgpu_capture(d.vgpu, &f), 0);
    assert_true(f.blank);
    assert_non_null(f.reason);
    for (unsigned i = 0; i < f.width * f.height; i++)
        assert_int_equal(f.pixels[i], 0);
    free(f.pixels);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_xrgb_comes_out_pixel_for_pixel),
        cmocka_unit_test(test_a_changed_pixel_is_the_damage),
        cmocka_unit_test(test_plane_off_is_a_blank_frame),
    };
    return cmocka_run_group_tests_name("gvt_plane", tests, NULL, NULL);
}
