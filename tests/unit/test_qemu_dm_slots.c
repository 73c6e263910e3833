/* The wrapper's placement of QEMU's own PCI devices (tools/qemu-dm/
 * dm_slots.c) on command lines as libxl 4.17 and libvirt build them: what
 * would land on a vGPU's slot moves, the rest stays as written. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tools/qemu-dm/dm_args.h"
#include "tools/qemu-dm/dm_slots.h"

static struct dm_args args;
static struct dm_slots slots;
static char err[256], joined[4096];

/* The wrapper's argv (after argv[0]) once planned, space-joined. */
static int plan(const char *const *argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    assert_int_equal(dm_args_parse(argc, (char *const *)argv, &args, err, sizeof(err)), 0);
    int rc = dm_slots_apply(&args, &slots, err, sizeof(err));
    size_t w = 0;
    joined[0] = 0;
    for (unsigned i = 0; i < args.argc; i++)
        w += (size_t)snprintf(joined + w, sizeof(joined) - w, "%s%s", i ? " " : "", args.argv[i]);
    assert_null(args.argv[args.argc]);
    return rc;
}

/* libvirt's HVM guest (xen_platform_pci is always 1): machine xenfv, whose
 * platform device would take 00:02.0. */
static void test_xenfv_platform_device_moves_off_the_vgpu(void **state)
{
    (void)state;
    const char *argv[] = { "qemu-dm", "-xen-domid", "7", "-chardev",
                           "socket,id=libxl-cmd,path=/run/xen/qmp-libxl-7,server=on,wait=off",
                           "-nodefaults", "-vga", "none", "-machine", "xenfv,suppress-vmdesc=on",
                           "-m", "1024", "-vgpu", "type=GVTg_V5_8", NULL };
    assert_int_equal(plan(argv), 0);
    assert_string_equal(joined,
                        "-xen-domid 7 -chardev socket,id=libxl-cmd,path=/run/xen/qmp-libxl-7,"
                        "server=on,wait=off -nodefaults -vga none -machine "
                        "pc,accel=xen,suppress-vmdesc=on -device xen-platform,addr=0x3 -m 1024");
    assert_int_equal(slots.n_notes, 1);
    assert_int_equal(slots.n_warnings, 0);
    assert_non_null(strstr(slots.notes[0], "would take 00:02.0, a vGPU's slot"));
    /* The QMP socket's index followed nothing: it came before. */
    assert_string_equal(args.argv[args.qmp_index], "socket,id=libxl-cmd,path=/run/xen/qmp-libxl-7,"
                                                   "server=on,wait=off");
}

/* libxl puts its -device arguments (and <xen:commandline>'s, libvirt's
 * extra) before -machine: the platform device goes before them all, at the
 * first slot neither a vGPU's nor asked for by name (the disk's 03). With
 * machine pc, 00:02.0 is the first free slot QEMU sees, so the NIC is
 * placed too, after them. */
static void test_platform_device_first_and_nic_after_it(void **state)
{
    (void)state;
    const char *argv[] = { "qemu-dm", "-xen-domid", "7", "-device",
                           "rtl8139,id=nic0,netdev=net0,mac=00:16:3e:00:00:01", "-netdev",
                           "type=tap,id=net0,ifname=vif7.0-emu,script=no,downscript=no",
                           "-device", "virtio-blk-pci,drive=d,addr=0x3", "-machine", "xenfv",
                           "-vgpu", "type=GVTg_V5_4", NULL };
    assert_int_equal(plan(argv), 0);
    assert_string_equal(joined,
                        "-xen-domid 7 -device xen-platform,addr=0x4 -device "
                        "rtl8139,id=nic0,netdev=net0,mac=00:16:3e:00:00:01,addr=0x5 -netdev "
                        "type=tap,id=net0,ifname=vif7.0-emu,script=no,downscript=no -device "
                        "virtio-blk-pci,drive=d,addr=0x3 -machine pc,accel=xen");
    assert_int_equal(slots.n_notes, 2);
}

/* The README's xl guest (xen_platform_pci = 0, machine pc) with a vif and
 * QEMU's VGA: the emulated NIC, the first -device, would take 00:02.0, and
 * once it is at 03 the VGA would. The USB tablet is not on bus 0. */
static void test_nic_on_the_vgpu_slot_gets_an_address(void **state)
{
    (void)state;
    const char *argv[] = { "qemu-dm", "-xen-domid", "9", "-device",
                           "e1000,id=nic0,netdev=net0,mac=00:16:3e:00:00:02", "-device",
                           "usb-tablet", "-device", "VGA,vgamem_mb=16", "-machine",
                           "pc,accel=xen,suppress-vmdesc=on", "-vgpu", "type=GVTg_V5_4", NULL };
    assert_int_equal(plan(argv), 0);
    assert_string_equal(joined,
                        "-xen-domid 9 -device e1000,id=nic0,netdev=net0,mac=00:16:3e:00:00:02,"
                        "addr=0x3 -device usb-tablet -device VGA,vgamem_mb=16,addr=0x4 -machine "
                        "pc,accel=xen,suppress-vmdesc=on");
    assert_int_equal(slots.n_notes, 2);
    assert_non_null(strstr(slots.notes[0], "-device e1000 would take 00:02.0"));
    assert_non_null(strstr(slots.notes[1], "-device VGA would take 00:02.0"));
}

/* Nothing QEMU places reaches the vGPU's slot: the command line is left
 * exactly as libxl wrote it. */
static void test_nothing_in_the_way_changes_nothing(void **state)
{
    (void)state;
    const char *argv1[] = { "qemu-dm", "-xen-domid", "9", "-device", "e1000,id=nic0,netdev=n",
                            "-machine", "xenfv", "-vgpu", "type=GVTg_V5_4,sbdf=0000:00:05.0",
                            NULL };
    assert_int_equal(plan(argv1), 0);
    assert_string_equal(joined, "-xen-domid 9 -device e1000,id=nic0,netdev=n -machine xenfv");
    assert_int_equal(slots.n_notes, 0);
    const char *argv2[] = { "qemu-dm", "-xen-domid", "9", "-device", "virtio-blk-pci,addr=0x6",
                            "-machine", "pc,accel=xen", "-vgpu", "type=GVTg_V5_4", NULL };
    assert_int_equal(plan(argv2), 0);
    assert_string_equal(joined, "-xen-domid 9 -device virtio-blk-pci,addr=0x6 -machine pc,accel=xen");
    assert_int_equal(slots.n_notes, 0);
}

/* A device the wrapper cannot tell is PCI is left alone, said as a
 * warning; one on another bus is not placed on bus 0 at all. */
static void test_unknown_device_warned_not_touched(void **state)
{
    (void)state;
    const char *argv[] = { "qemu-dm", "-xen-domid", "9", "-device", "mystery-card,id=m",
                           "-device", "e1000,netdev=n,bus=bridge1", "-machine", "pc,accel=xen",
                           "-vgpu", "type=GVTg_V5_4", NULL };
    assert_int_equal(plan(argv), 0);
    assert_string_equal(joined, "-xen-domid 9 -device mystery-card,id=m -device "
                                "e1000,netdev=n,bus=bridge1 -machine pc,accel=xen");
    assert_int_equal(slots.n_warnings, 1);
    assert_non_null(strstr(slots.notes[0], "-device mystery-card itself"));
}

/* Two vGPUs at 02 and 03, and type= spelled out: both slots kept free. */
static void test_two_vgpus_and_type_key(void **state)
{
    (void)state;
    const char *argv[] = { "qemu-dm", "-xen-domid", "9", "-machine", "type=xenfv,max-ram-below-4g=3G",
                           "-device", "e1000,netdev=n", "-vgpu", "type=GVTg_V5_4",
                           "-vgpu", "type=GVTg_V5_8,sbdf=0000:00:03.0", NULL };
    assert_int_equal(plan(argv), 0);
    assert_string_equal(joined, "-xen-domid 9 -machine pc,accel=xen,max-ram-below-4g=3G -device "
                                "xen-platform,addr=0x4 -device e1000,netdev=n,addr=0x5");
}

/* Every slot taken: refused with the reason, the arguments untouched. */
static void test_no_free_slot_refused(void **state)
{
    (void)state;
    static char devs[32][48];
    const char *argv[80];
    unsigned n = 0;
    argv[n++] = "qemu-dm";
    argv[n++] = "-xen-domid";
    argv[n++] = "9";
    for (unsigned slot = 3; slot < 32; slot++) {
        snprintf(devs[slot], sizeof(devs[slot]), "virtio-blk-pci,addr=0x%x", slot);
        argv[n++] = "-device";
        argv[n++] = devs[slot];
    }
    argv[n++] = "-device";
    argv[n++] = "e1000,netdev=n";
    argv[n++] = "-machine";
    argv[n++] = "pc,accel=xen";
    argv[n++] = "-vgpu";
    argv[n++] = "type=GVTg_V5_4";
    argv[n] = NULL;
    assert_int_equal(plan(argv), -ENOSPC);
    assert_non_null(strstr(err, "no slot left for QEMU's -device e1000"));
    assert_non_null(strstr(joined, "-device e1000,netdev=n -machine"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xenfv_platform_device_moves_off_the_vgpu),
        cmocka_unit_test(test_platform_device_first_and_nic_after_it),
        cmocka_unit_test(test_nic_on_the_vgpu_slot_gets_an_address),
        cmocka_unit_test(test_nothing_in_the_way_changes_nothing),
        cmocka_unit_test(test_unknown_device_warned_not_touched),
        cmocka_unit_test(test_two_vgpus_and_type_key),
        cmocka_unit_test(test_no_free_slot_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
