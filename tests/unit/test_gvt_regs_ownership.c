/* Every register has one owner. The register file refuses a second row
 * for an offset unless it says it overrides, and why; the vGPU's own
 * tables start without a clash, and name each register once, so that
 * `xengvt reg` finds the one part that answers for it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "vgpu_dev.h"
#include "gvt/vgpu.h"
#include "gvt/device.h"

static const struct gvt_reg display_rows[] = {
    { 0x70008, 0, 0xc0000000u, 0, NULL, NULL, "TRANSCONF_A" },
    { 0xc4000, 0, 0, 0, NULL, NULL, "SDEISR" },
};

static void test_duplicate_offset_is_refused(void **state)
{
    (void)state;
    struct gvt_regs r;
    assert_int_equal(gvt_regs_init(&r, NULL), 0);
    assert_int_equal(gvt_regs_add(&r, "display", display_rows, 2), 0);
    /* Another part's row for SDEISR, not declared as an override. */
    static const struct gvt_reg irq_rows[] = {
        { 0xc4004, 0, 0xffffffffu, 0, NULL, NULL, "SDEIMR" },
        { 0xc4000, REG_RO, 0, 0, NULL, NULL, "SDEISR" },
    };
    assert_int_equal(gvt_regs_add(&r, "irq", irq_rows, 2), -EEXIST);
    /* The first owner's row still answers. */
    const struct gvt_reg_entry *e = gvt_regs_entry(&r, 0xc4000);
    assert_non_null(e);
    assert_string_equal(e->owner, "display");
    assert_ptr_equal(e->row, &display_rows[1]);
    assert_null(e->replaced_owner);
    gvt_regs_release(&r);
}

static void test_override_with_reason_is_accepted(void **state)
{
    (void)state;
    struct gvt_regs r;
    assert_int_equal(gvt_regs_init(&r, NULL), 0);
    assert_int_equal(gvt_regs_add(&r, "display", display_rows, 2), 0);
    unsigned count = r.count;
    static const struct gvt_reg platform_rows[] = {
        { 0xc4000, REG_RO, 1u << 23, 0, NULL, NULL, "SDEISR",
          "the monitor on port D is plugged in from reset" },
    };
    assert_int_equal(gvt_regs_add(&r, "skl_regs", platform_rows, 1), 0);
    assert_int_equal(r.count, count); /* replaced in place, not added */
    const struct gvt_reg_entry *e = gvt_regs_entry(&r, 0xc4000);
    assert_string_equal(e->owner, "skl_regs");
    assert_string_equal(e->replaced_owner, "display");
    assert_string_equal(e->row->overrides, "the monitor on port D is plugged in from reset");
    gvt_regs_reset(&r);
    assert_int_equal(vreg(&r, 0xc4000), 1u << 23);
    gvt_regs_release(&r);
}

/* An override that replaces nothing: the part it was meant to follow
 * started after it, or dropped the row. Either way the order changed. */
static void test_override_of_nothing_is_refused(void **state)
{
    (void)state;
    struct gvt_regs r;
    assert_int_equal(gvt_regs_init(&r, NULL), 0);
    static const struct gvt_reg early[] = {
        { 0xc4000, REG_RO, 0, 0, NULL, NULL, "SDEISR", "meant to follow irq.c's row" },
    };
    assert_int_equal(gvt_regs_add(&r, "skl_regs", early, 1), -ENOENT);
    assert_null(gvt_regs_entry(&r, 0xc4000));
    gvt_regs_release(&r);
}

static void test_lookup_by_name(void **state)
{
    (void)state;
    struct gvt_regs r;
    assert_int_equal(gvt_regs_init(&r, NULL), 0);
    assert_int_equal(gvt_regs_add(&r, "display", display_rows, 2), 0);
    const struct gvt_reg_entry *e = gvt_regs_find_name(&r, "transconf_a");
    assert_non_null(e);
    assert_int_equal(e->row->offset, 0x70008);
    assert_null(gvt_regs_find_name(&r, "PIPECONF_B"));
    gvt_regs_release(&r);
}

/* The real tables, as vgpu_create adds them: they start (no part adds a
 * row another owns), and each name is one register's. */
static void test_vgpu_tables_have_one_owner_per_register(void **state)
{
    (void)state;
    struct fuzz_dev d;
    fuzz_dev_start(&d, NULL);
    const struct gvt_regs *r = &d.vgpu->regs;
    assert_true(r->count > 200);
    for (unsigned i = 0; i < r->count; i++) {
        const struct gvt_reg_entry *e = &r->table[i];
        assert_non_null(e->owner);
        assert_non_null(e->row->name);
        for (unsigned j = i + 1; j < r->count; j++)
            if (strcasecmp(e->row->name, r->table[j].row->name) == 0)
                fail_msg("%s names %#x and %#x", e->row->name, e->row->offset,
                         r->table[j].row->offset);
    }
    fuzz_dev_stop(&d);
}

/* The rows that used to be replaced silently now have one owner: the
 * part whose row won before. */
static void test_vgpu_owners(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint32_t offset;
        const char *owner;
    } want[] = {
        { "RING_ELSP(rcs0)", 0x2230, "execlist" },
        { "RING_EXECLIST_STATUS_LO(bcs0)", 0x22234, "execlist" },
        { "RING_CONTEXT_STATUS_PTR(vecs0)", 0x1a3a0, "execlist" },
        { "RING_MI_MODE(vcs0)", 0x1209c, "skl_regs" },
        { "SDEISR", 0xc4000, "skl_regs" },
        { "SDEIIR", 0xc4008, "irq" },
        { "TRANSCONF_A", 0x70008, "display" },
        { "GEN8_MASTER_IRQ", 0x44200, "irq" },
    };
    struct fuzz_dev d;
    fuzz_dev_start(&d, NULL);
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        struct vgpu_reg_info ri;
        assert_int_equal(vgpu_describe_reg_named(d.vgpu, want[i].name, &ri), 0);
        assert_int_equal(ri.offset, want[i].offset);
        assert_string_equal(ri.owner, want[i].owner);
        assert_null(ri.override_of);
        struct vgpu_reg_info by_offset;
        assert_int_equal(vgpu_describe_reg(d.vgpu, want[i].offset, &by_offset), 0);
        assert_string_equal(by_offset.name, want[i].name);
    }
    /* The CSB pointer is execlist's row: its low bits (the write pointer)
     * are the hardware's, which the SKL row did not say. */
    struct vgpu_reg_info ri;
    assert_int_equal(vgpu_describe_reg(d.vgpu, 0x23a0, &ri), 0);
    assert_int_equal(ri.ro_mask, 0x7);
    assert_true(ri.masked);
    /* The plugged-in monitor is SDEISR's reset value. */
    assert_int_equal(vgpu_describe_reg(d.vgpu, 0xc4000, &ri), 0);
    assert_int_equal(ri.reset, 1u << 23);
    assert_true(ri.read_only);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_offset_is_refused),
        cmocka_unit_test(test_override_with_reason_is_accepted),
        cmocka_unit_test(test_override_of_nothing_is_refused),
        cmocka_unit_test(test_lookup_by_name),
        cmocka_unit_test(test_vgpu_tables_have_one_owner_per_register),
        cmocka_unit_test(test_vgpu_owners),
    };
    return cmocka_run_group_tests_name("gvt_regs_ownership", tests, NULL, NULL);
}
