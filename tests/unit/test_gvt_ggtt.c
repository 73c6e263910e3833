/* ggtt.c (daemon-side table: the GGTT's stores trap) and the aperture
 * through it: an entry written at BAR0 + 8 MiB reads back whole or by
 * halves; entries outside the vGPU's slices drop writes and read as zero;
 * BAR2 reaches the guest page a present entry names, and the scratch page
 * (zero, writes vanish) where none is present. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/device.h"

#define GGTT(i) (FUZZ_BAR0 + GVT_GGTT_OFFSET + 8ull * (i))
#define PAGE_GPA 0x300000ull

static void test_entries_read_back_whole_or_by_halves(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    fuzz_mmio(&d, GGTT(3), 8, 1, PAGE_GPA | 1);
    assert_int_equal(fuzz_mmio(&d, GGTT(3), 8, 0, 0), PAGE_GPA | 1);
    /* A 64-bit entry written as two dwords, low first, as a split store. */
    fuzz_mmio(&d, GGTT(4), 4, 1, 0x12345001u);
    fuzz_mmio(&d, GGTT(4) + 4, 4, 1, 0x1u);
    assert_int_equal(fuzz_mmio(&d, GGTT(4), 8, 0, 0), 0x112345001ull);
    assert_int_equal(fuzz_mmio(&d, GGTT(4) + 4, 4, 0, 0), 1);
    fuzz_dev_stop(&d);
}

static void test_entries_outside_the_slices_are_dropped(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    /* GVTg_V5_4: aperture [0, 128 MiB), hidden [256 MiB, 768 MiB). */
    uint32_t between = (200u << 20) >> 12, beyond = (800u << 20) >> 12;
    fuzz_mmio(&d, GGTT(between), 8, 1, PAGE_GPA | 1);
    fuzz_mmio(&d, GGTT(beyond), 8, 1, PAGE_GPA | 1);
    assert_int_equal(fuzz_mmio(&d, GGTT(between), 8, 0, 0), 0);
    assert_int_equal(fuzz_mmio(&d, GGTT(beyond), 8, 0, 0), 0);
    uint32_t hidden = (300u << 20) >> 12;
    fuzz_mmio(&d, GGTT(hidden), 8, 1, PAGE_GPA | 1);
    assert_int_equal(fuzz_mmio(&d, GGTT(hidden), 8, 0, 0), PAGE_GPA | 1);
    struct vgpu_stats vs;
    vgpu_get_stats(d.vgpu, &vs);
    assert_int_equal(vs.ggtt_dropped, 2);
    assert_int_equal(vs.ggtt_writes, 1);
    fuzz_dev_stop(&d);
}

static void test_aperture_reaches_the_page_an_entry_names(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    fuzz_mmio(&d, GGTT(2), 8, 1, PAGE_GPA | 1);
    fuzz_mmio(&d, FUZZ_BAR2 + 2 * 4096 + 0x10, 4, 1, 0xfeedf00du);
    assert_int_equal(*(uint32_t *)(fx.ram + PAGE_GPA + 0x10), 0xfeedf00du);
    fx.ram[PAGE_GPA + 0x20] = 0x5a;
    assert_int_equal(fuzz_mmio(&d, FUZZ_BAR2 + 2 * 4096 + 0x20, 1, 0, 0), 0x5a);
    /* Entry 5 not present: the scratch page. */
    fuzz_mmio(&d, FUZZ_BAR2 + 5 * 4096, 4, 1, 0x11111111u);
    assert_int_equal(fuzz_mmio(&d, FUZZ_BAR2 + 5 * 4096, 4, 0, 0), 0);
    /* A device reset clears the table. */
    vgpu_reset(d.vgpu);
    assert_int_equal(fuzz_mmio(&d, GGTT(2), 8, 0, 0), 0);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entries_read_back_whole_or_by_halves),
        cmocka_unit_test(test_entries_outside_the_slices_are_dropped),
        cmocka_unit_test(test_aperture_reaches_the_page_an_entry_names),
    };
    return cmocka_run_group_tests_name("gvt_ggtt", tests, NULL, NULL);
}
