/* cmd_regs.c through the command streamer (cmd_exec.c, cmd_mi.c): which
 * registers MI_LOAD_REGISTER_IMM may load. From the ring any register of
 * the allow-list, masked ones with their mask (GEN7_GT_MODE); from a
 * PPGTT batch (unprivileged) only i915's user whitelist (the CS general
 * purpose registers), anything else an engine error; a register on no
 * list (GEN8_MASTER_IRQ) is refused even from the ring. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gvt_unit.h"
#include "gvt/engine.h"

#define LRI_1 ((0x22u << 23) | 1u) /* one register: 3 dwords */
#define BB_START_PPGTT ((0x31u << 23) | (1u << 8) | 1u)
#define BB_END (0x0au << 23)
#define CS_GPR0 0x2600u
#define GT_MODE 0x7008u
#define MASTER_IRQ 0x44200u

static uint64_t errors(struct fuzz_dev *d)
{
    struct vgpu_stats vs;
    vgpu_get_stats(d->vgpu, &vs);
    return vs.engine_errors;
}

static void run_ring(struct fuzz_dev *d, const uint32_t *ring, unsigned n)
{
    rcs_submit(d, ring, n);
    fuzz_run(d, 2);
}

static void test_ring_loads_the_allow_list(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    rcs_setup(&d);
    const uint32_t ring[] = { LRI_1, CS_GPR0, 0xdeadbeefu, LRI_1, GT_MODE, 0x00010001u };
    run_ring(&d, ring, 6);
    assert_int_equal(errors(&d), 0);
    assert_int_equal(reg_rd(&d, CS_GPR0), 0xdeadbeefu);
    assert_int_equal(reg_rd(&d, GT_MODE) & 0xffff, 1); /* masked: the enable is not stored */
    fuzz_dev_stop(&d);
}

static void test_register_on_no_list_is_refused(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    rcs_setup(&d);
    const uint32_t ring[] = { LRI_1, MASTER_IRQ, 0, 0 };
    run_ring(&d, ring, 4);
    assert_int_equal(errors(&d), 1);
    assert_int_equal(reg_rd(&d, MASTER_IRQ) & 0x80000000u, 0x80000000u); /* untouched */
    fuzz_dev_stop(&d);
}

static void test_ppgtt_batch_loads_only_the_user_whitelist(void **state)
{
    (void)state;
    struct fuzz_dev d;
    gvt_unit_start(&d);
    rcs_setup(&d);
    ppgtt_map_low();
    uint32_t *batch = (uint32_t *)(fx.ram + PPGTT_DATA + 0x1000);
    const uint32_t user[] = { LRI_1, CS_GPR0 + 4, 0x1234u, BB_END };
    memcpy(batch, user, sizeof(user));
    const uint32_t ring[] = { BB_START_PPGTT, 0x1000, 0, 0 };
    run_ring(&d, ring, 4);
    assert_int_equal(errors(&d), 0);
    assert_int_equal(reg_rd(&d, CS_GPR0 + 4), 0x1234u);
    fuzz_dev_stop(&d);

    gvt_unit_start(&d);
    rcs_setup(&d);
    ppgtt_map_low();
    const uint32_t priv[] = { LRI_1, GT_MODE, 0x00010001u, BB_END };
    memcpy(batch, priv, sizeof(priv));
    run_ring(&d, ring, 4);
    assert_int_equal(errors(&d), 1);
    assert_int_equal(reg_rd(&d, GT_MODE) & 1, 0);
    fuzz_dev_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_loads_the_allow_list),
        cmocka_unit_test(test_register_on_no_list_is_refused),
        cmocka_unit_test(test_ppgtt_batch_loads_only_the_user_whitelist),
    };
    return cmocka_run_group_tests_name("gvt_cmd_regs", tests, NULL, NULL);
}
