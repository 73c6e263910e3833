/* opregion.c: the OpRegion where the guest (hvmloader) puts it with ASLS:
 * in the MMIO hole it is served by the daemon (header and VBT read-only,
 * the mailboxes the guest's), in guest RAM its bytes are written there;
 * an SWSCI capability query through config register SWSCI is answered
 * "nothing supported" in the SCIC/PARM mailbox. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/opregion.h"

#define HOLE_GPA 0xdf000000u /* not RAM: hvmloader's usual place */
#define RAM_GPA 0x200000u
#define OPREGION_SCIC 0x200u
#define OPREGION_PARM 0x204u

static void test_served_in_the_mmio_hole(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    fuzz_cfg(&d, PCI_ASLS, 4, 1, HOLE_GPA);
    assert_int_equal(fuzz_cfg(&d, PCI_ASLS, 4, 0, 0), HOLE_GPA);
    uint64_t sig = fuzz_mmio(&d, HOLE_GPA, 8, 0, 0);
    assert_memory_equal(&sig, "IntelGra", 8);
    /* The header is the firmware's; mailbox 2 is the guest's. */
    fuzz_mmio(&d, HOLE_GPA, 4, 1, 0);
    sig = fuzz_mmio(&d, HOLE_GPA, 8, 0, 0);
    assert_memory_equal(&sig, "IntelGra", 8);
    fuzz_mmio(&d, HOLE_GPA + OPREGION_PARM, 4, 1, 0x1234u);
    assert_int_equal(fuzz_mmio(&d, HOLE_GPA + OPREGION_PARM, 4, 0, 0), 0x1234u);
    fuzz_dev_stop(&d);
}

static void test_written_into_guest_ram(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    memset(fx.ram + RAM_GPA, 0, GVT_OPREGION_SIZE);
    fuzz_cfg(&d, PCI_ASLS, 4, 1, RAM_GPA);
    assert_memory_equal(fx.ram + RAM_GPA, "IntelGraphicsMem", 16);
    fuzz_dev_stop(&d);
}

static void test_swsci_capability_query_is_answered(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    fuzz_cfg(&d, PCI_ASLS, 4, 1, HOLE_GPA);
    /* GBDA function 4, subfunction 0 (supported calls), pending bit set. */
    fuzz_mmio(&d, HOLE_GPA + OPREGION_SCIC, 4, 1, 4u << 1 | 1u);
    fuzz_mmio(&d, HOLE_GPA + OPREGION_PARM, 4, 1, 0xffffffffu);
    fuzz_cfg(&d, PCI_SWSCI, 2, 1, 0x8001u); /* SCI selected, trigger */
    assert_int_equal(fuzz_mmio(&d, HOLE_GPA + OPREGION_SCIC, 4, 0, 0), 0);
    assert_int_equal(fuzz_mmio(&d, HOLE_GPA + OPREGION_PARM, 4, 0, 0), 0);
    struct vgpu_stats vs;
    vgpu_get_stats(d.vgpu, &vs);
    assert_int_equal(vs.swsci_requests, 1);
    fuzz_cfg(&d, PCI_SWSCI, 2, 1, 0x8001u); /* still set: no new 0->1 trigger */
    vgpu_get_stats(d.vgpu, &vs);
    assert_int_equal(vs.swsci_requests, 1);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_served_in_the_mmio_hole),
        cmocka_unit_test(test_written_into_guest_ram),
        cmocka_unit_test(test_swsci_capability_query_is_answered),
    };
    return cmocka_run_group_tests_name("gvt_opregion", tests, NULL, NULL);
}
