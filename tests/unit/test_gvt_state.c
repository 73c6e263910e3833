/* vgpu_state.c: a device-state file written by this layout's first writer
 * (tests/data/vgpu-state-v1.bin, committed) still restores, and restores
 * whole: registers, config space, the GGTT, the monitor's EDID, a GMBUS
 * read half done, the OpRegion, the engines' CSB. Once the parts save
 * their own sections, this is the reader for today's layout.
 *
 * XENGVT_WRITE_STATE=FILE writes the file afresh from the scenario below
 * (done once, with the code of the commit that added it; a later layout must still read it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/fence.h"
#include "gvt/edid.h"
#include "gvt/engine.h"
#include "gvt/device.h"

#define PCH_GMBUS0 0xc5100u
#define PCH_GMBUS1 0xc5104u
#define PCH_GMBUS3 0xc510cu
#define OPREGION_GPA 0x3ff000u
#define GGTT(i) (FUZZ_BAR0 + GVT_GGTT_OFFSET + 8ull * (i))

/* What the guest did before the save. */
static void scenario(struct fuzz_dev *d)
{
    rcs_setup(d);
    const uint32_t ring[] = { 0, 0 };
    rcs_submit(d, ring, 2);
    fuzz_run(d, 2);
    reg_wr(d, FENCE_REG_GEN6_LO(1), 0x00abc001u);
    uint8_t edid[128];
    gvt_edid_build(edid, 1024, 768);
    assert_int_equal(vgpu_set_edid(d->vgpu, edid, sizeof(edid)), 0);
    reg_wr(d, PCH_GMBUS0, 6);
    reg_wr(d, PCH_GMBUS1, 1u << 30 | 8u << 16 | 0x50u << 1 | 1u); /* read 8 bytes */
    (void)reg_rd(d, PCH_GMBUS3);                                  /* 4 of them */
    fuzz_cfg(d, 0xfc, 4, 1, OPREGION_GPA);                        /* ASLS */
}

static char *golden_path(void)
{
    const char *top = getenv("XENGVT_TOP_SRCDIR");
    static char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/vgpu-state-v1.bin", top ? top : ".");
    return path;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

static void test_todays_layout_restores_whole(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *blob = read_file(golden_path(), &len);
    assert_non_null(blob);
    struct fuzz_dev d;
    gvt_unit_start(&d);
    const char *why = NULL;
    assert_int_equal(vgpu_restore(d.vgpu, blob, len, &why), 0);
    /* Registers and the engines. */
    assert_int_equal(reg_rd(&d, FENCE_REG_GEN6_LO(1)), 0x00abc001u);
    assert_int_equal(reg_rd(&d, RCS_BASE + RING_CONTEXT_STATUS_PTR) & 7, 1);
    struct vgpu_engine_stats es;
    vgpu_get_engine_stats(d.vgpu, GVT_RCS, &es);
    assert_false(es.busy);
    /* The GGTT (a daemon-side table: the entries are in the file). */
    assert_int_equal(fuzz_mmio(&d, GGTT(0), 8, 0, 0), GGTT_GPA | 1);
    assert_int_equal(fuzz_mmio(&d, GGTT(GGTT_PAGES - 1), 8, 0, 0),
                     (GGTT_GPA + (GGTT_PAGES - 1) * 4096ull) | 1);
    /* The monitor given by --edid, and the DDC read half done. */
    uint8_t edid[128], want[128];
    gvt_edid_build(want, 1024, 768);
    vgpu_get_edid(d.vgpu, edid);
    assert_memory_equal(edid, want, 128);
    uint32_t next = reg_rd(&d, PCH_GMBUS3);
    assert_int_equal(next, (uint32_t)want[4] | want[5] << 8 | want[6] << 16 |
                               (uint32_t)want[7] << 24);
    /* Config space: the OpRegion where the guest put it. */
    assert_int_equal(fuzz_cfg(&d, 0xfc, 4, 0, 0), OPREGION_GPA);
    free(blob);
    fuzz_dev_stop(&d);
}

/* What the file restores, saved again, is the file: the reader takes all
 * the writer wrote. */
static void test_restore_then_save_is_the_same_file(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *blob = read_file(golden_path(), &len);
    assert_non_null(blob);
    struct fuzz_dev d;
    gvt_unit_start(&d);
    const char *why = NULL;
    assert_int_equal(vgpu_restore(d.vgpu, blob, len, &why), 0);
    uint8_t *again = NULL;
    size_t again_len = 0;
    assert_int_equal(vgpu_save(d.vgpu, &again, &again_len), 0);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, blob, len);
    free(again);
    free(blob);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const char *out = getenv("XENGVT_WRITE_STATE");
    if (out) {
        struct fuzz_dev d;
        gvt_unit_start(&d);
        scenario(&d);
        uint8_t *blob = NULL;
        size_t len = 0;
        FILE *f = fopen(out, "wb");
        if (vgpu_save(d.vgpu, &blob, &len) < 0 || !f || fwrite(blob, 1, len, f) != len ||
            fclose(f) != 0)
            return 1;
        free(blob);
        fuzz_dev_stop(&d);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_todays_layout_restores_whole),
        cmocka_unit_test(test_restore_then_save_is_the_same_file),
    };
    return cmocka_run_group_tests_name("gvt_state", tests, NULL, NULL);
}
