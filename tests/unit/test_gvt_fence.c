/* fence.c: FENCE_REG_GEN6_LO/HI(i) through BAR0. The guest owns the first
 * fence_num fences (the type's, PVINFO's fence_num); the others read as zero
 * and drop writes; a full GT reset releases them all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/fence.h"
#include "gvt/pvinfo.h"

static void test_owned_fences_keep_what_the_guest_writes(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    uint32_t owned = reg_rd(&d, vgtif_reg(PVINFO_FENCE_NUM));
    assert_int_equal(owned, 4); /* GVTg_V5_4 */
    for (uint32_t i = 0; i < owned; i++) {
        reg_wr(&d, FENCE_REG_GEN6_LO(i), 0xfffff001u - i);
        reg_wr(&d, FENCE_REG_GEN6_HI(i), 0x12345000u + i);
    }
    for (uint32_t i = 0; i < owned; i++) {
        assert_int_equal(reg_rd(&d, FENCE_REG_GEN6_LO(i)), 0xfffff001u - i);
        assert_int_equal(reg_rd(&d, FENCE_REG_GEN6_HI(i)), 0x12345000u + i);
    }
    /* A 64-bit access, as i915 writes a fence. */
    fuzz_mmio(&d, FUZZ_BAR0 + FENCE_REG_GEN6_LO(1), 8, 1, 0xaaaabbbbccccd001ull);
    assert_int_equal(fuzz_mmio(&d, FUZZ_BAR0 + FENCE_REG_GEN6_LO(1), 8, 0, 0),
                     0xaaaabbbbccccd001ull);
    fuzz_dev_stop(&d);
}

static void test_fences_beyond_fence_num_read_zero_and_drop_writes(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    for (uint32_t i = 4; i < GVT_MAX_FENCES; i++) {
        reg_wr(&d, FENCE_REG_GEN6_LO(i), 0xdead0001u);
        reg_wr(&d, FENCE_REG_GEN6_HI(i), 0xbeef0000u);
        assert_int_equal(reg_rd(&d, FENCE_REG_GEN6_LO(i)), 0);
        assert_int_equal(reg_rd(&d, FENCE_REG_GEN6_HI(i)), 0);
    }
    fuzz_dev_stop(&d);
}

static void test_full_gt_reset_releases_fences(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    reg_wr(&d, FENCE_REG_GEN6_LO(0), 0x1001u);
    reg_wr(&d, 0x941c, 1u << 0); /* GEN6_GDRST: GEN6_GRDOM_FULL */
    assert_int_equal(reg_rd(&d, FENCE_REG_GEN6_LO(0)), 0);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owned_fences_keep_what_the_guest_writes),
        cmocka_unit_test(test_fences_beyond_fence_num_read_zero_and_drop_writes),
        cmocka_unit_test(test_full_gt_reset_releases_fences),
    };
    return cmocka_run_group_tests_name("gvt_fence", tests, NULL, NULL);
}
