/* aperture.c and aperture_gpu.c with the GGTT and a 4 MiB aperture slice
 * in guest RAM (xengvtd's default set-up): the guest's stores to both are
 * plain memory stores (no ioreq), and the aperture is kept coherent with
 * the pages the GGTT names at i915's sync points (GFX_FLSH_CNTL_GEN6, the
 * posting read of the render ring's head): a store through BAR2 reaches
 * its page, a page's bytes show through BAR2, a rebinding follows; BAR2
 * beyond the slice is the scratch page. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/device.h"
#include "gvt/aperture.h"

#define GFX_FLSH_CNTL_GEN6 0x101008u
#define PAGE_A 0x300000ull
#define PAGE_B 0x301000ull

static void bind(struct fuzz_dev *d, uint32_t idx, uint64_t gpa)
{
    fuzz_phys(d, FUZZ_BAR0 + GVT_GGTT_OFFSET + 8ull * idx, 8, 1, gpa | 1);
}

static void test_stores_through_bar2_reach_the_page_at_a_sync(void **state)
{
    (void)state;
    struct fuzz_dev d;
    fuzz_dev_start_ram(&d);
    fuzz_place_bars(&d);
    bind(&d, 1, PAGE_A);
    reg_wr(&d, GFX_FLSH_CNTL_GEN6, 0); /* i915's GGTT invalidate: a sync */
    struct vgpu_stats vs;
    vgpu_get_stats(d.vgpu, &vs);
    uint64_t traps = vs.trap_aperture;
    fuzz_phys(&d, FUZZ_BAR2 + 4096 + 0x40, 4, 1, 0x600dcafeu);
    vgpu_get_stats(d.vgpu, &vs);
    assert_int_equal(vs.trap_aperture, traps); /* memory speed: no ioreq */
    (void)reg_rd(&d, GVT_RCS_RING_HEAD);       /* the posting read: a sync */
    assert_int_equal(*(uint32_t *)(fx.ram + PAGE_A + 0x40), 0x600dcafeu);
    fuzz_dev_stop(&d);
}

static void test_the_page_and_a_rebinding_show_through_bar2(void **state)
{
    (void)state;
    struct fuzz_dev d;
    fuzz_dev_start_ram(&d);
    fuzz_place_bars(&d);
    *(uint32_t *)(fx.ram + PAGE_A) = 0xaaaa0001u;
    *(uint32_t *)(fx.ram + PAGE_B) = 0xbbbb0002u;
    bind(&d, 0, PAGE_A);
    reg_wr(&d, GFX_FLSH_CNTL_GEN6, 0);
    assert_int_equal(fuzz_phys(&d, FUZZ_BAR2, 4, 0, 0), 0xaaaa0001u);
    bind(&d, 0, PAGE_B);
    reg_wr(&d, GFX_FLSH_CNTL_GEN6, 0);
    assert_int_equal(fuzz_phys(&d, FUZZ_BAR2, 4, 0, 0), 0xbbbb0002u);
    /* Beyond the 4 MiB slice: the scratch page (trapped, zero, writes vanish). */
    fuzz_phys(&d, FUZZ_BAR2 + (8u << 20), 4, 1, 0x1234u);
    assert_int_equal(fuzz_phys(&d, FUZZ_BAR2 + (8u << 20), 4, 0, 0), 0);
    struct vgpu_stats vs;
    vgpu_get_stats(d.vgpu, &vs);
    assert_true(vs.aperture_in_ram);
    assert_true(vs.ggtt_in_ram);
    assert_true(vs.aperture_syncs >= 2);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stores_through_bar2_reach_the_page_at_a_sync),
        cmocka_unit_test(test_the_page_and_a_rebinding_show_through_bar2),
    };
    return cmocka_run_group_tests_name("gvt_aperture", tests, NULL, NULL);
}
