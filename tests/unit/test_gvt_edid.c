/* edid.c and the monitor's EDID as the guest reads it (vgpu_get_edid is
 * what DDC and AUX serve): a valid base block with the header and checksum,
 * the preferred mode the vGPU was given, and --edid's block served in its
 * place (a bad one refused). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/edid.h"

static const uint8_t header[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };

static uint8_t sum(const uint8_t *b)
{
    uint8_t s = 0;
    for (unsigned i = 0; i < 128; i++)
        s += b[i];
    return s;
}

static void test_built_block_is_valid_with_preferred_mode(void **state)
{
    (void)state;
    uint8_t e[128];
    gvt_edid_build(e, 1280, 1024);
    assert_memory_equal(e, header, 8);
    assert_int_equal(sum(e), 0);
    /* The first detailed timing: horizontal and vertical active. */
    const uint8_t *dt = e + 54;
    assert_int_equal(dt[2] | (dt[4] >> 4) << 8, 1280);
    assert_int_equal(dt[5] | (dt[7] >> 4) << 8, 1024);
}

static void test_guest_reads_the_vgpus_mode_or_the_given_block(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    uint8_t e[128];
    vgpu_get_edid(d.vgpu, e);
    assert_int_equal(sum(e), 0);
    assert_int_equal(e[56] | (e[58] >> 4) << 8, 1920); /* the default 1920x1080 */
    uint8_t mine[128];
    gvt_edid_build(mine, 1024, 768);
    assert_int_equal(vgpu_set_edid(d.vgpu, mine, sizeof(mine)), 0);
    vgpu_get_edid(d.vgpu, e);
    assert_memory_equal(e, mine, 128);
    mine[127] ^= 1; /* bad checksum */
    assert_int_equal(vgpu_set_edid(d.vgpu, mine, sizeof(mine)), -EINVAL);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_built_block_is_valid_with_preferred_mode),
        cmocka_unit_test(test_guest_reads_the_vgpus_mode_or_the_given_block),
    };
    return cmocka_run_group_tests_name("gvt_edid", tests, NULL, NULL);
}
