/* pvinfo.c: struct vgt_if at BAR0 + 0x78000 as the guest's i915 reads it:
 * magic, version, capabilities and the ballooning fields (its slices of
 * graphics memory, its fences), all read-only; the guest's half takes
 * display_ready, g2v_notify and the cursor hot spot. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/pvinfo.h"

static void test_magic_version_and_caps(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    assert_int_equal(fuzz_mmio(&d, FUZZ_BAR0 + vgtif_reg(PVINFO_MAGIC), 8, 0, 0), VGT_MAGIC);
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_VERSION_MAJOR)) & 0xffff, 1);
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_VERSION_MAJOR)) >> 16, 0); /* minor */
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_VGT_CAPS)),
                     VGT_CAPS_FULL_PPGTT | VGT_CAPS_HWSP_EMULATION | VGT_CAPS_HUGE_GTT);
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_VGT_ID)), 1); /* the harness's vgt_id */
    fuzz_dev_stop(&d);
}

static void test_ballooning_fields_are_the_types_slices(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    const struct vgpu_type *t = vgpu_type_find("GVTg_V5_4");
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_MAPPABLE_BASE)), 0);
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_MAPPABLE_SIZE)), t->aperture_mb << 20);
    /* The hidden slice starts where the aperture BAR ends (256 MiB). */
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_NONMAPPABLE_BASE)), 256u << 20);
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_NONMAPPABLE_SIZE)), t->hidden_mb << 20);
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_FENCE_NUM)), t->fences);
    fuzz_dev_stop(&d);
}

static void test_host_half_is_read_only(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    static const uint32_t fields[] = { PVINFO_MAGIC, PVINFO_VERSION_MAJOR, PVINFO_VGT_CAPS,
                                       PVINFO_MAPPABLE_SIZE, PVINFO_NONMAPPABLE_BASE,
                                       PVINFO_NONMAPPABLE_SIZE, PVINFO_FENCE_NUM, 0x7fcu };
    for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        uint32_t before = reg_rd(&d, vgtif_reg(fields[i]));
        reg_wr(&d, vgtif_reg(fields[i]), ~before);
        assert_int_equal(reg_rd(&d, vgtif_reg(fields[i])), before);
    }
    /* A byte write into the host half is dropped too. */
    fuzz_mmio(&d, FUZZ_BAR0 + vgtif_reg(PVINFO_FENCE_NUM), 1, 1, 0xff);
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_FENCE_NUM)), 4);
    fuzz_dev_stop(&d);
}

static void test_guest_half_takes_notifications(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    reg_wr(&d, vgtif_reg(PVINFO_DISPLAY_READY), 1);
    reg_wr(&d, vgtif_reg(PVINFO_G2V_NOTIFY), 2); /* VGT_G2V_PPGTT_L3_PAGE_TABLE_CREATE */
    reg_wr(&d, vgtif_reg(PVINFO_CURSOR_X_HOT), 17);
    struct vgpu_stats vs;
    vgpu_get_stats(d.vgpu, &vs);
    assert_int_equal(vs.display_ready, 1);
    assert_int_equal(vs.g2v_last, 2);
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_CURSOR_X_HOT)), 17);
    /* A device reset puts the host half back and keeps nothing the guest wrote. */
    vgpu_reset(d.vgpu);
    assert_int_equal(reg_rd(&d, vgtif_reg(PVINFO_CURSOR_X_HOT)), 0xffffffffu);
    assert_int_equal(fuzz_mmio(&d, FUZZ_BAR0 + vgtif_reg(PVINFO_MAGIC), 8, 0, 0), VGT_MAGIC);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_magic_version_and_caps),
        cmocka_unit_test(test_ballooning_fields_are_the_types_slices),
        cmocka_unit_test(test_host_half_is_read_only),
        cmocka_unit_test(test_guest_half_takes_notifications),
    };
    return cmocka_run_group_tests_name("gvt_pvinfo", tests, NULL, NULL);
}
