/* The PCI function framework: masks, BAR sizing and (re)claiming, the
 * capability list, MSI and INTx. Xen calls below it are recorded fakes (fake_pci_env.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "pci/pcidev.h"
#include "ioreq/server.h"
#include "evtchn/irq.h"
#include "fake_pci_env.h"

/* --- fixture ------------------------------------------------------------ */
static struct pci_func f;
static struct evt_irq fake_irq;
static const struct io_ops ops;
static unsigned moved_calls;

static void on_moved(void *opaque, unsigned bar, uint64_t addr)
{
    (void)opaque;
    (void)bar;
    (void)addr;
    moved_calls++;
}

static int setup(void **state)
{
    (void)state;
    fpe.ncalls = fpe.msis = fpe.intx_changes = moved_calls = 0;
    fpe.map_result = 0;
    /* srv only needs to be non-NULL for the framework to call the fakes */
    pci_func_init(&f, pci_sbdf(0, 0, 2, 0), (struct ioreq_server *)&f, &fake_irq, 0x8086,
                  0x1912, 6, 0x030000, 0x8086, 0x2212);
    static const struct pci_func_hooks hooks = { .bar_moved = on_moved };
    pci_func_set_hooks(&f, &hooks, NULL);
    assert_int_equal(pci_func_add_bar(&f, 0, PCI_BAR_MEM64, false, 16u << 20, &ops, NULL), 0);
    assert_int_equal(pci_func_add_bar(&f, 2, PCI_BAR_MEM64, true, 256u << 20, &ops, NULL), 0);
    assert_int_equal(pci_func_add_bar(&f, 4, PCI_BAR_IO, false, 60, &ops, NULL), 0);
    assert_int_equal(pci_func_add_cap(&f, PCI_CAP_ID_VNDR, 0x40, 12), 0x40);
    assert_int_equal(pci_func_add_msi(&f, 0xac, false), 0xac);
    return 0;
}

static void test_identity_and_masks(void **state)
{
    (void)state;
    assert_int_equal(pci_cfg_read(&f, 0, 4), 0x19128086);
    assert_int_equal(pci_cfg_read(&f, 1, 1), 0x80);
    assert_int_equal(pci_cfg_read(&f, 1, 2), 0x1280); /* unaligned, in range */
    assert_int_equal(pci_cfg_read(&f, 8, 4), 0x03000006);
    assert_int_equal(pci_cfg_read(&f, 0x2c, 4), 0x22128086);
    assert_int_equal(pci_cfg_read(&f, 0x3d, 1), 1);
    pci_cfg_write(&f, 0, 4, 0);
    pci_cfg_write(&f, 8, 4, 0);
    assert_int_equal(pci_cfg_read(&f, 0, 4), 0x19128086);
    assert_int_equal(pci_cfg_read(&f, 8, 4), 0x03000006);
    pci_cfg_write(&f, PCI_COMMAND, 2, 0xffff);
    assert_int_equal(pci_cfg_read(&f, PCI_COMMAND, 2), 0x0407);
    pci_cfg_write(&f, PCI_INTERRUPT_LINE, 1, 11);
    assert_int_equal(pci_cfg_read(&f, PCI_INTERRUPT_LINE, 1), 11);
    /* Extended space reads zero and ignores writes. */
    pci_cfg_write(&f, 0x100, 4, 0xffffffff);
    assert_int_equal(pci_cfg_read(&f, 0x100, 4), 0);
}

static void test_bad_access(void **state)
{
    (void)state;
    assert_int_equal(pci_cfg_read(&f, PCI_CFG_SIZE - 2, 4), 0xffffffff);
    assert_int_equal(pci_cfg_read(&f, PCI_CFG_SIZE, 1), 0xff);
    assert_int_equal(pci_cfg_read(&f, 0, 3), 0xffffffff);
    pci_cfg_write(&f, PCI_COMMAND, 3, 0x7);
    assert_int_equal(pci_cfg_read(&f, PCI_COMMAND, 2), 0);
    uint64_t v;
    assert_int_equal(pci_func_cfg_ops.read(&f, 0, 8, &v), -EINVAL);
}

static void test_bar_sizing(void **state)
{
    (void)state;
    pci_cfg_write(&f, 0x10, 4, 0xffffffff);
    pci_cfg_write(&f, 0x14, 4, 0xffffffff);
    assert_int_equal(pci_cfg_read(&f, 0x10, 4), 0xff000004);
    assert_int_equal(pci_cfg_read(&f, 0x14, 4), 0xffffffff);
    pci_cfg_write(&f, 0x18, 4, 0xffffffff);
    assert_int_equal(pci_cfg_read(&f, 0x18, 4), 0xf000000c);
    pci_cfg_write(&f, 0x20, 4, 0xffffffff);
    assert_int_equal(pci_cfg_read(&f, 0x20, 4), 0xffc1); /* 64 ports, I/O */
    /* Unused BARs are not writable. */
    pci_cfg_write(&f, 0x24, 4, 0xffffffff);
    assert_int_equal(pci_cfg_read(&f, 0x24, 4), 0);
    assert_int_equal(fpe.ncalls, 0); /* decode is off */
    /* Declaring a BAR over the upper half of a 64-bit one fails. */
    assert_int_equal(pci_func_add_bar(&f, 1, PCI_BAR_MEM32, false, 4096, &ops, NULL), -EEXIST);
}

static void test_decode_and_moves(void **state)
{
    (void)state;
    pci_cfg_write(&f, 0x10, 4, 0xe0000000);
    pci_cfg_write(&f, 0x14, 4, 0);
    pci_cfg_write(&f, 0x20, 4, 0xc000);
    assert_int_equal(fpe.ncalls, 0);
    pci_cfg_write(&f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    /* BAR0 claimed; BAR2 at 0 is not a place; I/O decode is off. */
    assert_int_equal(fpe.ncalls, 1);
    assert_int_equal(fpe.calls[0].what, 'm');
    assert_int_equal(fpe.calls[0].space, IO_SPACE_MMIO);
    assert_true(fpe.calls[0].start == 0xe0000000 && fpe.calls[0].size == 16u << 20);
    assert_int_equal(f.bars[0].mapped_addr, 0xe0000000);
    /* Move it while decoding: unclaim, then claim at the new place. */
    pci_cfg_write(&f, 0x10, 4, 0xd0000000);
    assert_int_equal(fpe.ncalls, 3);
    assert_true(fpe.calls[1].what == 'u' && fpe.calls[1].start == 0xe0000000);
    assert_true(fpe.calls[2].what == 'm' && fpe.calls[2].start == 0xd0000000);
    /* The sizing pattern written with decode on is not claimed. */
    pci_cfg_write(&f, 0x10, 4, 0xffffffff);
    assert_int_equal(f.bars[0].mapped_addr, PCI_BAR_UNMAPPED);
    pci_cfg_write(&f, 0x10, 4, 0xd0000000);
    assert_int_equal(f.bars[0].mapped_addr, 0xd0000000);
    /* I/O decode claims the port range. */
    pci_cfg_write(&f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    assert_int_equal(f.bars[4].mapped_addr, 0xc000);
    assert_int_equal(fpe.calls[fpe.ncalls - 1].space, IO_SPACE_PIO);
    /* Decode off: everything unclaimed. */
    pci_cfg_write(&f, PCI_COMMAND, 2, 0);
    assert_int_equal(f.bars[0].mapped_addr, PCI_BAR_UNMAPPED);
    assert_int_equal(f.bars[4].mapped_addr, PCI_BAR_UNMAPPED);
    assert_int_equal(fpe.calls[fpe.ncalls - 1].what, 'u');
    assert_true(moved_calls >= 6);
}

static void test_map_failure(void **state)
{
    (void)state;
    pci_cfg_write(&f, 0x10, 4, 0xe0000000);
    fpe.map_result = -EEXIST;
    pci_cfg_write(&f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    assert_int_equal(f.bars[0].mapped_addr, PCI_BAR_UNMAPPED);
    /* Later, once possible, it is claimed. */
    fpe.map_result = 0;
    pci_func_update_mappings(&f);
    assert_int_equal(f.bars[0].mapped_addr, 0xe0000000);
    pci_func_unmap_all(&f);
    assert_int_equal(f.bars[0].mapped_addr, PCI_BAR_UNMAPPED);
}

static void test_cap_chain(void **state)
{
    (void)state;
    assert_int_equal(pci_cfg_read(&f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);
    unsigned p = pci_cfg_read(&f, PCI_CAPABILITY_LIST, 1);
    assert_int_equal(p, 0x40);
    assert_int_equal(pci_cfg_read(&f, p, 1), PCI_CAP_ID_VNDR);
    p = pci_cfg_read(&f, p + 1, 1);
    assert_int_equal(p, 0xac);
    assert_int_equal(pci_cfg_read(&f, p, 1), PCI_CAP_ID_MSI);
    assert_int_equal(pci_cfg_read(&f, p + 1, 1), 0);
    assert_int_equal(pci_func_add_cap(&f, PCI_CAP_ID_PM, 0x42, 8), -EINVAL);
    assert_int_equal(pci_func_add_cap(&f, PCI_CAP_ID_PM, 0x3c, 8), -EINVAL);
    assert_int_equal(pci_func_add_cap(&f, PCI_CAP_ID_PM, 0xfc, 8), -EINVAL);
    assert_int_equal(pci_func_add_cap(&f, PCI_CAP_ID_PM, 0xac, 8), -EEXIST);
    assert_int_equal(pci_func_add_cap(&f, PCI_CAP_ID_PM, 0xd0, 8), 0xd0);
    assert_int_equal(pci_cfg_read(&f, 0xad, 1), 0xd0);
}

static void test_msi(void **state)
{
    (void)state;
    assert_false(pci_func_msi_enabled(&f));
    assert_int_equal(pci_func_msi_notify(&f), -EAGAIN);
    assert_int_equal(fpe.msis, 0);
    /* Flags: 32-bit, single vector; only the enable bit is writable. */
    pci_cfg_write(&f, 0xae, 2, 0xffff);
    assert_int_equal(pci_cfg_read(&f, 0xae, 2), 1);
    pci_cfg_write(&f, 0xb0, 4, 0xfee0100f);
    assert_int_equal(pci_cfg_read(&f, 0xb0, 4), 0xfee0100c);
    pci_cfg_write(&f, 0xb4, 2, 0x4041);
    assert_int_equal(pci_func_msi_notify(&f), 0);
    assert_int_equal(fpe.msis, 1);
    assert_true(fpe.last_msi_addr == 0xfee0100c);
    assert_int_equal(fpe.last_msi_data, 0x4041);
}

static void test_msi64(void **state)
{
    (void)state;
    struct pci_func g;
    pci_func_init(&g, 0, NULL, &fake_irq, 1, 2, 0, 0, 0, 0);
    assert_int_equal(pci_func_add_msi(&g, 0x50, true), 0x50);
    assert_int_equal(pci_cfg_read(&g, 0x52, 2), PCI_MSI_FLAGS_64BIT);
    pci_cfg_write(&g, 0x54, 4, 0xfee00000);
    pci_cfg_write(&g, 0x58, 4, 0x1);
    pci_cfg_write(&g, 0x5c, 2, 0x31);
    pci_cfg_write(&g, 0x52, 2, 1);
    assert_int_equal(pci_func_msi_notify(&g), 0);
    assert_true(fpe.last_msi_addr == 0x1fee00000ull);
    assert_int_equal(fpe.last_msi_data, 0x31);
}

static void test_intx(void **state)
{
    (void)state;
    pci_func_set_intx(&f, true);
    assert_int_equal(fpe.intx_changes, 1);
    assert_int_equal(fpe.last_intx, 1);
    assert_int_equal(pci_cfg_read(&f, PCI_STATUS, 1) & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
    pci_func_set_intx(&f, true); /* no change, nothing sent */
    assert_int_equal(fpe.intx_changes, 1);
    /* INTX_DISABLE drops the line, and re-enabling raises it again. */
    pci_cfg_write(&f, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    assert_int_equal(fpe.intx_changes, 2);
    assert_int_equal(fpe.last_intx, 0);
    pci_cfg_write(&f, PCI_COMMAND, 2, 0);
    assert_int_equal(fpe.last_intx, 1);
    /* MSI enabled: INTx is not used. */
    pci_cfg_write(&f, 0xae, 2, 1);
    assert_int_equal(fpe.last_intx, 0);
    pci_func_set_intx(&f, false);
    pci_func_set_intx(&f, true);
    assert_int_equal(fpe.last_intx, 0);
}

static void test_w1c(void **state)
{
    (void)state;
    f.cfg[0x44] = 0xf0;
    f.w1cmask[0x44] = 0x30;
    pci_cfg_write(&f, 0x44, 1, 0x10);
    assert_int_equal(pci_cfg_read(&f, 0x44, 1), 0xe0);
    pci_cfg_write(&f, 0x44, 1, 0x00);
    assert_int_equal(pci_cfg_read(&f, 0x44, 1), 0xe0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_identity_and_masks, setup),
        cmocka_unit_test_setup(test_bad_access, setup),
        cmocka_unit_test_setup(test_bar_sizing, setup),
        cmocka_unit_test_setup(test_decode_and_moves, setup),
        cmocka_unit_test_setup(test_map_failure, setup),
        cmocka_unit_test_setup(test_cap_chain, setup),
        cmocka_unit_test_setup(test_msi, setup),
        cmocka_unit_test_setup(test_msi64, setup),
        cmocka_unit_test_setup(test_intx, setup),
        cmocka_unit_test_setup(test_w1c, setup),
    };
    return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
