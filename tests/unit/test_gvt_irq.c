/* irq.c, the gen8 interrupt tree, through BAR0: an event sets IIR only
 * where IMR lets it, IIR is write-one-to-clear, GEN8_MASTER_IRQ summarises
 * (IIR & IER) per block, and an MSI is the master line's rising edge. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/device.h"
#include "gvt/irq.h"

#define GT0_IMR (GEN8_GT_ISR(0) + 0x4)
#define GT0_IIR (GEN8_GT_ISR(0) + 0x8)
#define GT0_IER (GEN8_GT_ISR(0) + 0xc)
#define PIPEA_IMR (GEN8_DE_PIPE_ISR(0) + 0x4)
#define PIPEA_IIR (GEN8_DE_PIPE_ISR(0) + 0x8)
#define PIPEA_IER (GEN8_DE_PIPE_ISR(0) + 0xc)

static void test_iir_is_set_only_where_imr_unmasks(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    assert_int_equal(reg_rd(&d, GT0_IMR), 0xffffffffu); /* all masked at reset */
    gvt_irq_raise(d.vgpu, IRQ_GT0, 1u << 0);
    assert_int_equal(reg_rd(&d, GT0_IIR), 0); /* a masked event leaves no trace */
    reg_wr(&d, GT0_IMR, ~(1u << 0));
    gvt_irq_raise(d.vgpu, IRQ_GT0, 1u << 0);
    gvt_irq_raise(d.vgpu, IRQ_GT0, 1u << 8); /* still masked */
    assert_int_equal(reg_rd(&d, GT0_IIR), 1u << 0);
    fuzz_dev_stop(&d);
}

static void test_iir_write_one_clears(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    reg_wr(&d, GT0_IMR, 0);
    gvt_irq_raise(d.vgpu, IRQ_GT0, 1u << 0);
    gvt_irq_raise(d.vgpu, IRQ_GT0, 1u << 8);
    assert_int_equal(reg_rd(&d, GT0_IIR), 0x101u);
    reg_wr(&d, GT0_IIR, 1u << 0);
    assert_int_equal(reg_rd(&d, GT0_IIR), 0x100u);
    reg_wr(&d, GT0_IIR, 0); /* writing zeros clears nothing */
    assert_int_equal(reg_rd(&d, GT0_IIR), 0x100u);
    reg_wr(&d, GT0_IIR, ~0u);
    assert_int_equal(reg_rd(&d, GT0_IIR), 0);
    fuzz_dev_stop(&d);
}

static void test_master_irq_summarises_enabled_blocks(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    reg_wr(&d, GT0_IMR, 0);
    reg_wr(&d, PIPEA_IMR, 0);
    gvt_irq_raise(d.vgpu, IRQ_GT0, 1u << 16); /* BCS's half of GT0 */
    gvt_irq_raise(d.vgpu, IRQ_PIPE_A, GEN8_PIPE_VBLANK);
    assert_int_equal(reg_rd(&d, GEN8_MASTER_IRQ), 0); /* nothing enabled in IER */
    reg_wr(&d, GT0_IER, ~0u);
    assert_int_equal(reg_rd(&d, GEN8_MASTER_IRQ), 1u << 1);
    reg_wr(&d, PIPEA_IER, GEN8_PIPE_VBLANK);
    assert_int_equal(reg_rd(&d, GEN8_MASTER_IRQ), 1u << 1 | 1u << 16);
    /* Bit 31 is the guest's; the summary bits are not stored. */
    reg_wr(&d, GEN8_MASTER_IRQ, GEN8_MASTER_IRQ_CONTROL | 0xffu);
    assert_int_equal(reg_rd(&d, GEN8_MASTER_IRQ), GEN8_MASTER_IRQ_CONTROL | 1u << 1 | 1u << 16);
    reg_wr(&d, PIPEA_IIR, GEN8_PIPE_VBLANK);
    assert_int_equal(reg_rd(&d, GEN8_MASTER_IRQ), GEN8_MASTER_IRQ_CONTROL | 1u << 1);
    fuzz_dev_stop(&d);
}

/* i915's handler: master off, ack IIR, master on. Each unacknowledged
 * event interrupts once; one still pending when the master comes back on
 * interrupts again. */
static void test_msi_on_the_rising_edge_only(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    reg_wr(&d, GT0_IMR, 0);
    reg_wr(&d, GT0_IER, ~0u);
    reg_wr(&d, GEN8_MASTER_IRQ, GEN8_MASTER_IRQ_CONTROL);
    uint64_t before = vgpu_stat_msis(&d);
    gvt_irq_raise(d.vgpu, IRQ_GT0, 1u << 0);
    assert_int_equal(vgpu_stat_msis(&d), before + 1);
    gvt_irq_raise(d.vgpu, IRQ_GT0, 1u << 8); /* the line is high already */
    assert_int_equal(vgpu_stat_msis(&d), before + 1);
    reg_wr(&d, GEN8_MASTER_IRQ, 0);
    reg_wr(&d, GT0_IIR, 1u << 0); /* bit 8 still pending */
    reg_wr(&d, GEN8_MASTER_IRQ, GEN8_MASTER_IRQ_CONTROL);
    assert_int_equal(vgpu_stat_msis(&d), before + 2);
    reg_wr(&d, GEN8_MASTER_IRQ, 0);
    reg_wr(&d, GT0_IIR, ~0u);
    reg_wr(&d, GEN8_MASTER_IRQ, GEN8_MASTER_IRQ_CONTROL); /* nothing pending */
    assert_int_equal(vgpu_stat_msis(&d), before + 2);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iir_is_set_only_where_imr_unmasks),
        cmocka_unit_test(test_iir_write_one_clears),
        cmocka_unit_test(test_master_irq_summarises_enabled_blocks),
        cmocka_unit_test(test_msi_on_the_rising_edge_only),
    };
    return cmocka_run_group_tests_name("gvt_irq", tests, NULL, NULL);
}
