/* xl.cfg vgpu entries through libxlutil and the entry parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tools/common/vgpu_cfg.h"

static int parse(const char *text, struct vgpu_cfg *c, char *err)
{
    return vgpu_cfg_parse("guest.cfg", text, strlen(text), c, err, VGPU_CFG_ERR_MAX);
}

static void test_valid_two_vgpus(void **state)
{
    (void)state;
    struct vgpu_cfg c;
    char err[VGPU_CFG_ERR_MAX] = "";
    const char *text =
        "name = \"win10\"\n"
        "memory = 4096\n"
        "vgpu = [ \"type=GVTg_V5_2,sbdf=0000:00:02.0,resolution=1280x720,vnc=127.0.0.1:5901\",\n"
        "         \"sbdf=00:03.0,device_id=0x591b,io_bar=1,log_level=debug,edid=/etc/e.bin,aperture=4,aperture_ram=0\" ]\n";
    assert_int_equal(parse(text, &c, err), 0);
    assert_string_equal(c.name, "win10");
    assert_int_equal(c.count, 2);
    assert_string_equal(c.entries[0].type, "GVTg_V5_2");
    assert_int_equal(c.entries[0].sbdf, 2u << 3);
    assert_int_equal(c.entries[0].width, 1280);
    assert_string_equal(c.entries[0].vnc, "127.0.0.1:5901");
    assert_true(c.entries[0].aperture_ram); /* the default: no trapped console */
    assert_false(c.entries[1].aperture_ram);
    assert_string_equal(c.entries[1].type, "GVTg_V5_4"); /* the default */
    assert_int_equal(c.entries[1].sbdf, 3u << 3);
    assert_int_equal(c.entries[1].device_id, 0x591b);
    assert_true(c.entries[1].io_bar);
    /* What the daemon is given for entry 1. */
    const char *argv[32];
    char buf[512];
    int n = vgpu_entry_args(&c.entries[1], argv, 32, buf, sizeof(buf));
    assert_true(n > 0);
    const char *want[] = { "--type", "GVTg_V5_4", "--sbdf", "0000:00:03.0", "--device-id",
                           "0x591b", "--edid", "/etc/e.bin", "--io-bar", "--aperture", "4",
                           "--aperture-ram=0", "--log-level", "debug" };
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    for (int i = 0; i < n; i++)
        assert_string_equal(argv[i], want[i]);
    assert_null(argv[n]);
}

static void test_no_vgpu_key(void **state)
{
    (void)state;
    struct vgpu_cfg c;
    char err[VGPU_CFG_ERR_MAX];
    assert_int_equal(parse("name = \"plain\"\nmemory = 512\n", &c, err), 0);
    assert_int_equal(c.count, 0);
    assert_int_equal(parse("name = \"x\"\nvgpu = [ ]\n", &c, err), 0);
    assert_int_equal(c.count, 0);
}

/* vifs QEMU emulates a NIC for: xl-vgpu warns that QEMU may place them on
 * the vGPU's slot (it starts before the daemons). */
static void test_emulated_nics_counted(void **state)
{
    (void)state;
    struct vgpu_cfg c;
    char err[VGPU_CFG_ERR_MAX];
    assert_int_equal(parse("name = \"g\"\nvif = [ \"bridge=xenbr0\", \"type=vif,bridge=xenbr1\", "
                           "\"model=e1000,type=ioemu\" ]\nvgpu = [ \"type=GVTg_V5_4\" ]\n",
                           &c, err), 0);
    assert_int_equal(c.emulated_nics, 2);
    assert_int_equal(c.count, 1);
    assert_int_equal(parse("name = \"g\"\nvgpu = [ \"type=GVTg_V5_4\" ]\n", &c, err), 0);
    assert_int_equal(c.emulated_nics, 0);
}

static void expect_error(const char *text, const char *needle)
{
    struct vgpu_cfg c;
    char err[VGPU_CFG_ERR_MAX] = "";
    assert_int_not_equal(parse(text, &c, err), 0);
    if (!strstr(err, needle))
        fail_msg("error '%s' does not say '%s'", err, needle);
    assert_non_null(strstr(err, "guest.cfg"));
}

static void test_invalid_entries(void **state)
{
    (void)state;
    expect_error("name=\"g\"\nvgpu = [ \"type=GVTg_V9_1\" ]\n", "entry 0: type: unknown vGPU type 'GVTg_V9_1'");
    expect_error("name=\"g\"\nvgpu = [ \"type=GVTg_V5_4,colour=blue\" ]\n", "entry 0: unknown key 'colour'");
    expect_error("name=\"g\"\nvgpu = [ \"sbdf=00:02.9\" ]\n", "sbdf: '00:02.9'");
    expect_error("name=\"g\"\nvgpu = [ \"sbdf=00:02.0\", \"sbdf=0000:00:02.0\" ]\n",
                 "entry 1: sbdf: the same PCI address as entry 0");
    expect_error("name=\"g\"\nvgpu = [ \"resolution=99999x1\" ]\n", "resolution:");
    expect_error("name=\"g\"\nvgpu = [ \"type=GVTg_V5_8,resolution=3840x2160\" ]\n",
                 "larger than GVTg_V5_8 allows");
    expect_error("name=\"g\"\nvgpu = [ \"type=GVTg_V5_4,type=GVTg_V5_8\" ]\n", "given twice");
    expect_error("name=\"g\"\nvgpu = [ \"aperture=0\" ]\n", "aperture: '0'");
    expect_error("name=\"g\"\nvgpu = [ \"type=GVTg_V5_8,aperture=128\" ]\n",
                 "larger than GVTg_V5_8's slice");
    expect_error("name=\"g\"\nvgpu = [ \"type=GVTg_V5_4,\" ]\n", "trailing comma");
    expect_error("name=\"g\"\nvgpu = [ \"vnc=nowhere\" ]\n", "vnc:");
    expect_error("name=\"g\"\nvgpu = [ \"edid=relative.bin\" ]\n", "edid:");
    expect_error("name=\"g\"\nvgpu = \"type=GVTg_V5_4\"\n", "must be a list");
    expect_error("vgpu = [ \"type=GVTg_V5_4\" ]\n", "no name");
    expect_error("name=\"g\"\nvgpu = [ \"a\",\"b\",\"c\",\"d\",\"e\" ]\n", "at most 4");
    expect_error("name = = \"broken\n", "not a valid xl.cfg");
}

static void test_missing_file(void **state)
{
    (void)state;
    struct vgpu_cfg c;
    char err[VGPU_CFG_ERR_MAX] = "";
    assert_int_equal(vgpu_cfg_read("/nonexistent/guest.cfg", &c, err, sizeof(err)), -2);
    assert_non_null(strstr(err, "/nonexistent/guest.cfg"));
    /* And a real file, read through libxlutil's file path. */
    char path[] = "/tmp/xengvt-cfg-XXXXXX";
    int fd = mkstemp(path);
    const char text[] = "name = \"f\"\nvgpu = [ \"type=GVTg_V5_2\" ]\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    assert_int_equal(vgpu_cfg_read(path, &c, err, sizeof(err)), 0);
    unlink(path);
    assert_int_equal(c.count, 1);
    assert_string_equal(c.entries[0].type, "GVTg_V5_2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_two_vgpus),
        cmocka_unit_test(test_no_vgpu_key),
        cmocka_unit_test(test_emulated_nics_counted),
        cmocka_unit_test(test_invalid_entries),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
