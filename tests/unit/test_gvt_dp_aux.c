/* dp_aux.c: the monitor on port D over its AUX channel, as i915 probes
 * it through DP_AUX_CH_CTL_D/DATA_D: a native read of the DPCD receiver
 * capabilities, link training that succeeds at once, the EDID over
 * I2C-over-AUX, a malformed request answered with RECEIVE_ERROR; plugging
 * the monitor in and out is a hotplug event in SDEIIR. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/irq.h"

#define DP_AUX_CH_CTL_D 0x64310u
#define DP_AUX_CH_DATA_D(i) (0x64314u + 4u * (i))
#define AUX_SEND_BUSY (1u << 31)
#define AUX_DONE (1u << 30)
#define AUX_RECEIVE_ERROR (1u << 25)
#define SDEIIR (SDEISR + 8)

/* One AUX transaction: `msg` (n bytes) out, the reply's bytes back. */
static uint32_t aux(struct fuzz_dev *d, const uint8_t *msg, unsigned n, uint8_t reply[20])
{
    for (unsigned i = 0; i < 5; i++) {
        uint32_t w = 0;
        for (unsigned j = 0; j < 4; j++)
            w |= (uint32_t)(4 * i + j < n ? msg[4 * i + j] : 0) << (24 - 8 * j);
        reg_wr(d, DP_AUX_CH_DATA_D(i), w);
    }
    reg_wr(d, DP_AUX_CH_CTL_D, AUX_SEND_BUSY | n << 20);
    uint32_t ctl = reg_rd(d, DP_AUX_CH_CTL_D);
    for (unsigned i = 0; i < 5; i++) {
        uint32_t w = reg_rd(d, DP_AUX_CH_DATA_D(i));
        for (unsigned j = 0; j < 4; j++)
            reply[4 * i + j] = (uint8_t)(w >> (24 - 8 * j));
    }
    return ctl;
}

static void test_native_read_of_receiver_caps(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    const uint8_t rd[4] = { 0x90, 0x00, 0x00, 2 }; /* native read, DPCD 0x000, 3 bytes */
    uint8_t r[20];
    uint32_t ctl = aux(&d, rd, 4, r);
    assert_true(ctl & AUX_DONE);
    assert_false(ctl & (AUX_SEND_BUSY | AUX_RECEIVE_ERROR));
    assert_int_equal((ctl >> 20) & 0x1f, 4); /* ack + 3 bytes */
    assert_int_equal(r[0], 0x00);            /* ACK */
    assert_int_equal(r[1], 0x12);            /* DPCD 1.2 */
    assert_int_equal(r[2], 0x14);            /* 5.4 Gb/s */
    assert_int_equal(r[3], 0x84);            /* 4 lanes, enhanced framing */
    fuzz_dev_stop(&d);
}

static void test_link_training_succeeds_at_once(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    uint8_t r[20];
    const uint8_t tps1[5] = { 0x80, 0x01, 0x02, 0, 0x01 }; /* TRAINING_PATTERN_SET = 1 */
    aux(&d, tps1, 5, r);
    assert_int_equal(r[0], 0x00);
    const uint8_t status[4] = { 0x90, 0x02, 0x02, 2 }; /* lane status 0x202-0x204 */
    aux(&d, status, 4, r);
    assert_int_equal(r[1], 0x11); /* clock recovery done, not yet aligned */
    assert_int_equal(r[3], 0x00);
    const uint8_t tps2[5] = { 0x80, 0x01, 0x02, 0, 0x02 };
    aux(&d, tps2, 5, r);
    aux(&d, status, 4, r);
    assert_int_equal(r[1], 0x77);
    assert_int_equal(r[2], 0x77);
    assert_int_equal(r[3], 0x01); /* interlane aligned */
    fuzz_dev_stop(&d);
}

static void test_edid_over_i2c_and_malformed_requests(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    uint8_t want[128], r[20];
    vgpu_get_edid(d.vgpu, want);
    const uint8_t offset[5] = { 0x40, 0x00, 0x50, 0, 8 }; /* I2C write (MOT), offset 8 */
    aux(&d, offset, 5, r);
    assert_int_equal(r[0], 0x00);
    const uint8_t read16[4] = { 0x50, 0x00, 0x50, 15 };   /* I2C read (MOT), 16 bytes */
    aux(&d, read16, 4, r);
    assert_int_equal(r[0], 0x00);
    assert_memory_equal(r + 1, want + 8, 16);
    const uint8_t other[4] = { 0x50, 0x00, 0x37, 0 };     /* another I2C slave */
    aux(&d, other, 4, r);
    assert_int_equal(r[0], 0x40);                        /* I2C NACK */
    const uint8_t bad[4] = { 0x90, 0x00, 0x00, 16 };     /* native read of 17 bytes */
    assert_true(aux(&d, bad, 4, r) & AUX_RECEIVE_ERROR);
    fuzz_dev_stop(&d);
}

static void test_hotplug_is_an_event(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    reg_wr(&d, SDEISR + 4, 0); /* SDEIMR: unmasked */
    assert_true(reg_rd(&d, SDEISR) & SDE_PORTD_HOTPLUG_CPT); /* plugged in from reset */
    vgpu_set_monitor(d.vgpu, false);
    assert_false(reg_rd(&d, SDEISR) & SDE_PORTD_HOTPLUG_CPT);
    assert_true(reg_rd(&d, SDEIIR) & SDE_PORTD_HOTPLUG_CPT);
    reg_wr(&d, SDEIIR, SDE_PORTD_HOTPLUG_CPT);
    vgpu_set_monitor(d.vgpu, false); /* no change, no event */
    assert_false(reg_rd(&d, SDEIIR) & SDE_PORTD_HOTPLUG_CPT);
    vgpu_set_monitor(d.vgpu, true);
    assert_true(reg_rd(&d, SDEIIR) & SDE_PORTD_HOTPLUG_CPT);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_native_read_of_receiver_caps),
        cmocka_unit_test(test_link_training_succeeds_at_once),
        cmocka_unit_test(test_edid_over_i2c_and_malformed_requests),
        cmocka_unit_test(test_hotplug_is_an_event),
    };
    return cmocka_run_group_tests_name("gvt_dp_aux", tests, NULL, NULL);
}
