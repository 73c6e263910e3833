/* The register file's generic rules: plain storage, masked registers,
 * write-1-to-clear, read-only registers and masks, hooks, reset values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <cmocka.h>

#include "gvt/regs.h"

static unsigned hook_calls;
static uint32_t hook_old, hook_val;

static void record_write(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)v;
    (void)off;
    hook_calls++;
    hook_old = old;
    hook_val = val;
}

static uint32_t read_plus_one(struct vgpu *v, uint32_t off, uint32_t stored)
{
    (void)v;
    (void)off;
    return stored + 1;
}

static const struct gvt_reg rows[] = {
    { 0x2000, REG_MASKED, 0x00000005, 0, NULL, record_write, "MASKED" },
    { 0x2004, REG_W1C, 0xf0f0f0f0, 0, NULL, NULL, "W1C" },
    { 0x2008, REG_RO, 0x12345678, 0, NULL, NULL, "RO" },
    { 0x200c, 0, 0, 0xffff0000, NULL, NULL, "RO_MASK" },
    { 0x2010, 0, 7, 0, read_plus_one, NULL, "READ_HOOK" },
};

static struct gvt_regs regs;

static int setup(void **state)
{
    (void)state;
    if (gvt_regs_init(&regs, NULL) < 0 || gvt_regs_add(&regs, "test", rows, 5) < 0)
        return -1;
    gvt_regs_reset(&regs);
    hook_calls = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gvt_regs_release(&regs);
    return 0;
}

static void test_untracked_storage(void **state)
{
    (void)state;
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x100), 0);
    gvt_regs_write32(NULL, &regs, 0x100, 0xdeadbeef);
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x100), 0xdeadbeef);
    gvt_regs_write32(NULL, &regs, GVT_MMIO_SIZE - 4, 1);
    assert_int_equal(gvt_regs_read32(NULL, &regs, GVT_MMIO_SIZE - 4), 1);
}

static void test_masked(void **state)
{
    (void)state;
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x2000), 5);
    /* No enable bits: nothing changes. */
    gvt_regs_write32(NULL, &regs, 0x2000, 0x0000ffff);
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x2000), 5);
    /* Set bit 1, clear bit 0, leave bit 2. */
    gvt_regs_write32(NULL, &regs, 0x2000, 0x00030002);
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x2000), 6);
    assert_int_equal(hook_calls, 2);
    assert_int_equal(hook_old, 5);
    assert_int_equal(hook_val, 0x00030002);
}

static void test_w1c(void **state)
{
    (void)state;
    gvt_regs_write32(NULL, &regs, 0x2004, 0x000000f0);
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x2004), 0xf0f0f000);
    gvt_regs_write32(NULL, &regs, 0x2004, 0);
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x2004), 0xf0f0f000);
}

static void test_read_only(void **state)
{
    (void)state;
    gvt_regs_write32(NULL, &regs, 0x2008, 0);
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x2008), 0x12345678);
    gvt_regs_write32(NULL, &regs, 0x200c, 0xffffffff);
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x200c), 0x0000ffff);
}

static void test_read_hook_and_reset(void **state)
{
    (void)state;
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x2010), 8);
    gvt_regs_write32(NULL, &regs, 0x100, 9);
    gvt_regs_write32(NULL, &regs, 0x2010, 100);
    gvt_regs_reset(&regs);
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x100), 0);
    assert_int_equal(gvt_regs_read32(NULL, &regs, 0x2010), 8);
}

static void test_add_validation(void **state)
{
    (void)state;
    static const struct gvt_reg bad[] = { { 0x2001, 0, 0, 0, NULL, NULL, "BAD" } };
    static const struct gvt_reg out[] = { { GVT_MMIO_SIZE, 0, 0, 0, NULL, NULL, "OUT" } };
    static const struct gvt_reg unnamed[] = { { 0x3000, 0, 0, 0, NULL, NULL } };
    assert_int_equal(gvt_regs_add(&regs, "test", bad, 1), -EINVAL);
    assert_int_equal(gvt_regs_add(&regs, "test", out, 1), -EINVAL);
    assert_int_equal(gvt_regs_add(&regs, "test", unnamed, 1), -EINVAL);
}

/* Storage the caller keeps (xengvtd's --live-state mapping): the stores
 * land there, and releasing the file leaves it to its owner. */
static void test_external_storage(void **state)
{
    (void)state;
    uint32_t *mine = calloc(GVT_MMIO_SIZE / 4, sizeof(uint32_t));
    assert_non_null(mine);
    struct gvt_regs r;
    assert_int_equal(gvt_regs_init(&r, mine), 0);
    assert_int_equal(gvt_regs_add(&r, "test", rows, 5), 0);
    gvt_regs_reset(&r);
    assert_int_equal(mine[0x2008 / 4], 0x12345678);
    gvt_regs_write32(NULL, &r, 0x100, 0xfeed);
    assert_int_equal(mine[0x100 / 4], 0xfeed);
    gvt_regs_release(&r);
    assert_int_equal(mine[0x100 / 4], 0xfeed); /* still ours, not freed */
    free(mine);
}

/* One loader for a whole register image (a saved state's raw file, a dead
 * daemon's live one): pages copied where the image has anything, zeroed
 * where only the file had, and the touched pages follow; a page the hint
 * says is zero is not even read. */
static void test_load_image(void **state)
{
    (void)state;
    struct gvt_regs r;
    assert_int_equal(gvt_regs_init(&r, NULL), 0);
    gvt_regs_write32(NULL, &r, 0x5000, 0x11);  /* page 5: in the file only */
    uint32_t *image = calloc(GVT_MMIO_SIZE / 4, 4);
    assert_non_null(image);
    image[0x2004 / 4] = 0x22;                  /* page 2: in the image only */
    image[0x9008 / 4] = 0x33;                  /* page 9: hinted zero */
    uint64_t hint[GVT_MMIO_SIZE / 4096 / 64] = { 0 };
    for (unsigned p = 0; p < 9; p++)
        hint[0] |= 1ull << p;
    gvt_regs_load_image(&r, image, hint);
    assert_int_equal(vreg(&r, 0x2004), 0x22);
    assert_int_equal(vreg(&r, 0x5000), 0);
    assert_int_equal(vreg(&r, 0x9008), 0);
    assert_true(gvt_regs_page_touched(&r, 2));
    assert_false(gvt_regs_page_touched(&r, 5));
    assert_false(gvt_regs_page_touched(&r, 9));
    gvt_regs_load_image(&r, (const uint8_t *)image, NULL); /* no hint: all read */
    assert_int_equal(vreg(&r, 0x9008), 0x33);
    assert_true(gvt_regs_page_touched(&r, 9));
    free(image);
    gvt_regs_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_untracked_storage, setup, teardown),
        cmocka_unit_test(test_external_storage),
        cmocka_unit_test_setup_teardown(test_masked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_w1c, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_hook_and_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_validation, setup, teardown),
        cmocka_unit_test(test_load_image),
    };
    return cmocka_run_group_tests_name("regs", tests, NULL, NULL);
}
