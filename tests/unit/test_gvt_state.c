/* vgpu_state.c: a device-state file of the layout before the parts saved
 * their own sections (tests/data/vgpu-state-v1.bin, committed) still
 * restores, and restores
 * whole: registers, config space, the GGTT, the monitor's EDID, a GMBUS
 * read half done, the OpRegion, the engines' CSB. The parts now save
 * their own sections; this file tests the reader for today's layout
 * (vgpu_state.c: legacy_device).
 *
 * XENGVT_WRITE_STATE=FILE writes the scenario's state below in the layout
 * of the code it runs (the committed file was written so by the commit
 * that added it, before the parts' sections: keep it, it is the old one). */
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
#include "common/stateblob.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

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

static uint8_t *save(struct fuzz_dev *d, size_t *len)
{
    uint8_t *blob = NULL;
    assert_int_equal(vgpu_save(d->vgpu, &blob, len), 0);
    return blob;
}

/* Restored from today's layout and saved again, the state is in the parts'
 * own sections, whose version 1 is the bytes today's "device" section held
 * for them; that file restores to a vGPU that saves it byte for byte. */
static void test_parts_save_their_own_sections(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *old = read_file(golden_path(), &len);
    assert_non_null(old);
    struct stateblob osb, nsb;
    const char *why = NULL;
    assert_int_equal(stateblob_parse(old, len, &osb, &why), 0);
    const struct stateblob_section *odev = stateblob_find(&osb, "device");
    assert_int_equal(odev->version, 1);

    struct fuzz_dev d;
    gvt_unit_start(&d);
    assert_int_equal(vgpu_restore(d.vgpu, old, len, &why), 0);
    size_t nlen = 0;
    uint8_t *now = save(&d, &nlen);
    assert_int_equal(stateblob_parse(now, nlen, &nsb, &why), 0);
    const struct stateblob_section *ndev = stateblob_find(&nsb, "device");
    assert_int_equal(ndev->version, 2);
    assert_int_equal(ndev->len, 4);
    static const struct { const char *tag; uint32_t len; } parts[] = {
        { "opregion", 4 + 8 + 1 + 0x2000 }, { "dp_aux", 0x1000 + 128 + 2 + 128 },
        { "gmbus", 4 }, { "irq", 2 }, { "display", 1 },
    };
    uint32_t at = 4;
    for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        const struct stateblob_section *ps = stateblob_find(&nsb, parts[i].tag);
        assert_non_null(ps);
        assert_int_equal(ps->version, 1);
        assert_int_equal(ps->len, parts[i].len);
        assert_memory_equal(ps->data, odev->data + at, parts[i].len);
        at += parts[i].len;
    }
    assert_int_equal(at, odev->len);
    const struct stateblob_section *oeng = stateblob_find(&osb, "engines"),
                                   *neng = stateblob_find(&nsb, "engines");
    assert_int_equal(neng->len, oeng->len);
    assert_memory_equal(neng->data, oeng->data, oeng->len);
    fuzz_dev_stop(&d);

    struct fuzz_dev d2;
    gvt_unit_start(&d2);
    assert_int_equal(vgpu_restore(d2.vgpu, now, nlen, &why), 0);
    size_t again_len = 0;
    uint8_t *again = save(&d2, &again_len);
    assert_int_equal(again_len, nlen);
    assert_memory_equal(again, now, nlen);
    fuzz_dev_stop(&d2);
    free(again);
    free(now);
    free(old);
}

/* A file of the parts' layout without one part's section, or with a
 * version of it this build does not know, is refused whole. */
static void test_missing_or_unknown_part_section_is_refused(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    size_t len = 0;
    uint8_t *blob = save(&d, &len);
    struct stateblob sb;
    const char *why = NULL;
    assert_int_equal(stateblob_parse(blob, len, &sb, &why), 0);
    for (int mode = 0; mode < 2; mode++) {
        struct stateblob_writer w;
        stateblob_writer_init(&w);
        for (unsigned i = 0; i < sb.count; i++) {
            const struct stateblob_section *s = &sb.sections[i];
            bool gmbus = strcmp(s->tag, "gmbus") == 0;
            if (gmbus && mode == 0)
                continue;
            stateblob_add(&w, s->tag, gmbus ? 7 : s->version, s->data, s->len);
        }
        uint8_t *bad = NULL;
        size_t bad_len = 0;
        assert_int_equal(stateblob_finish(&w, &bad, &bad_len), 0);
        assert_int_equal(vgpu_restore(d.vgpu, bad, bad_len, &why), -EINVAL);
        assert_string_equal(why, mode == 0 ? "a required section is missing"
                                           : "a section has an unknown version");
        free(bad);
    }
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
        cmocka_unit_test(test_parts_save_their_own_sections),
        cmocka_unit_test(test_missing_or_unknown_part_section_is_refused),
    };
    return cmocka_run_group_tests_name("gvt_state", tests, NULL, NULL);
}
