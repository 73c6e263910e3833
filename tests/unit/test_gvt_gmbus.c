/* gmbus.c: the monitor's EDID over DDC as i915 reads it through PCH_GMBUS0-3
 * (pin DPD, slave 0x50): an index cycle sets the offset, a read hands out
 * the EDID four bytes per PCH_GMBUS3 read; another slave, another pin or an
 * unplugged monitor is a NAK (GMBUS_SATOER). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"

#define PCH_GMBUS0 0xc5100u
#define PCH_GMBUS1 0xc5104u
#define PCH_GMBUS2 0xc5108u
#define PCH_GMBUS3 0xc510cu
#define GMBUS_PIN_DPD 6u
#define GMBUS_SW_RDY (1u << 30)
#define GMBUS_CYCLE_INDEX (2u << 25)
#define GMBUS_CYCLE_WAIT (1u << 25)
#define GMBUS_SLAVE_READ 1u
#define GMBUS_HW_WAIT_PHASE (1u << 14)
#define GMBUS_HW_RDY (1u << 11)
#define GMBUS_SATOER (1u << 10)
#define DDC_ADDR 0x50u

static uint32_t gmbus_read_cmd(unsigned count, unsigned offset, unsigned addr)
{
    return GMBUS_SW_RDY | GMBUS_CYCLE_INDEX | GMBUS_CYCLE_WAIT | count << 16 | offset << 8 |
           addr << 1 | GMBUS_SLAVE_READ;
}

static void test_edid_block_read_over_ddc(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    uint8_t want[128];
    vgpu_get_edid(d.vgpu, want);
    reg_wr(&d, PCH_GMBUS0, GMBUS_PIN_DPD);
    reg_wr(&d, PCH_GMBUS1, gmbus_read_cmd(128, 0, DDC_ADDR));
    uint8_t got[128];
    for (unsigned i = 0; i < 128; i += 4) {
        assert_true(reg_rd(&d, PCH_GMBUS2) & GMBUS_HW_RDY);
        uint32_t w = reg_rd(&d, PCH_GMBUS3);
        for (unsigned b = 0; b < 4; b++)
            got[i + b] = (uint8_t)(w >> (8 * b));
    }
    assert_memory_equal(got, want, 128);
    assert_true(reg_rd(&d, PCH_GMBUS2) & GMBUS_HW_WAIT_PHASE); /* all delivered */
    /* An index cycle starts where it says: the extension-count byte. */
    reg_wr(&d, PCH_GMBUS1, gmbus_read_cmd(4, 124, DDC_ADDR));
    assert_int_equal(reg_rd(&d, PCH_GMBUS3) & 0xff, want[124]);
    fuzz_dev_stop(&d);
}

static void test_other_slave_pin_or_unplugged_naks(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    reg_wr(&d, PCH_GMBUS0, GMBUS_PIN_DPD);
    reg_wr(&d, PCH_GMBUS1, gmbus_read_cmd(8, 0, 0x37));
    assert_true(reg_rd(&d, PCH_GMBUS2) & GMBUS_SATOER);
    reg_wr(&d, PCH_GMBUS0, 1); /* another port's pin */
    reg_wr(&d, PCH_GMBUS1, gmbus_read_cmd(8, 0, DDC_ADDR));
    assert_true(reg_rd(&d, PCH_GMBUS2) & GMBUS_SATOER);
    reg_wr(&d, PCH_GMBUS0, GMBUS_PIN_DPD);
    vgpu_set_monitor(d.vgpu, false);
    reg_wr(&d, PCH_GMBUS1, gmbus_read_cmd(8, 0, DDC_ADDR));
    assert_true(reg_rd(&d, PCH_GMBUS2) & GMBUS_SATOER);
    vgpu_set_monitor(d.vgpu, true);
    reg_wr(&d, PCH_GMBUS1, gmbus_read_cmd(8, 0, DDC_ADDR));
    assert_false(reg_rd(&d, PCH_GMBUS2) & GMBUS_SATOER);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edid_block_read_over_ddc),
        cmocka_unit_test(test_other_slave_pin_or_unplugged_naks),
    };
    return cmocka_run_group_tests_name("gvt_gmbus", tests, NULL, NULL);
}
