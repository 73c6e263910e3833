/* The GVT-g type list parser (tools/xenopsd/gvtg_whitelist.c): xapi's own
 * lines, the mapping onto xengvt types, hostile lines; and the xenopsd
 * argv parser's strictness (tools/xenopsd/args.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"
#include "gvtg_whitelist.h"

static int parse(const char *line, struct gvtg_wl_entry *e, char *err)
{
    return gvtg_wl_parse_line(line, e, err, 256);
}

static void test_xapi_line(void **state)
{
    (void)state;
    struct gvtg_wl_entry e;
    char err[256];
    /* xapi's test data (ocaml/tests/test_data/gvt-g-whitelist-1234). */
    assert_int_equal(parse("1234 experimental=0 name='GVT-g on 1234' low_gm_sz=128 "
                           "high_gm_sz=384 fence_sz=4 framebuffer_sz=128 max_heads=1 "
                           "resolution=1920x1080 monitor_config_file=/path/to/file1", &e, err),
                     0);
    assert_int_equal(e.devid, 0x1234);
    assert_false(e.experimental);
    assert_string_equal(e.name, "GVT-g on 1234");
    assert_int_equal(e.low_gm_mb, 128);
    assert_int_equal(e.high_gm_mb, 384);
    assert_int_equal(e.fence_sz, 4);
    assert_int_equal(e.framebuffer_mb, 128);
    assert_int_equal(e.max_heads, 1);
    assert_int_equal(e.res_w, 1920);
    assert_int_equal(e.res_h, 1080);
    assert_int_equal(e.type_id, -1);
    /* 128 MiB of aperture is GVTg_V5_4's slice; 384 <= its 512 hidden. */
    assert_int_equal(gvtg_wl_map(&e, err, sizeof(err)), 0);
    assert_string_equal(e.type->name, "GVTg_V5_4");
    /* Ours, with a type_id, experimental, CRLF. */
    assert_int_equal(parse("1912 experimental=1 name='GVTg_V5_8' low_gm_sz=64 high_gm_sz=384 "
                           "fence_sz=4 framebuffer_sz=32 max_heads=1 resolution=1024x768 "
                           "type_id=41\r", &e, err), 0);
    assert_true(e.experimental);
    assert_int_equal(e.type_id, 41);
    assert_int_equal(gvtg_wl_map(&e, err, sizeof(err)), 0);
    assert_string_equal(e.type->name, "GVTg_V5_8");
    /* Blank lines and comments are skipped, not errors. */
    assert_int_equal(parse("", &e, err), 1);
    assert_int_equal(parse("   ", &e, err), 1);
    assert_int_equal(parse("# xengvt types", &e, err), 1);
}

static void test_mapping_refusals(void **state)
{
    (void)state;
    struct gvtg_wl_entry e;
    char err[256];
    /* No xengvt type has a 100 MiB aperture slice. */
    assert_int_equal(parse("1912 experimental=0 name='odd' low_gm_sz=100 high_gm_sz=384 "
                           "fence_sz=4 framebuffer_sz=32 max_heads=1 resolution=1024x768",
                           &e, err), 0);
    assert_int_equal(gvtg_wl_map(&e, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "low_gm_sz=100 matches no xengvt type"));
    /* Our name with another type's sizes: refused, not guessed. */
    assert_int_equal(parse("1912 experimental=0 name='GVTg_V5_4' low_gm_sz=64 high_gm_sz=384 "
                           "fence_sz=4 framebuffer_sz=32 max_heads=1 resolution=1024x768",
                           &e, err), 0);
    assert_int_equal(gvtg_wl_map(&e, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "GVTg_V5_4"));
    /* More hidden memory or fences than the type has. */
    assert_int_equal(parse("1912 experimental=0 name='big' low_gm_sz=64 high_gm_sz=4096 "
                           "fence_sz=4 framebuffer_sz=32 max_heads=1 resolution=1024x768",
                           &e, err), 0);
    assert_int_equal(gvtg_wl_map(&e, err, sizeof(err)), -ENOENT);
    assert_int_equal(parse("1912 experimental=0 name='fences' low_gm_sz=64 high_gm_sz=384 "
                           "fence_sz=32 framebuffer_sz=32 max_heads=1 resolution=1024x768",
                           &e, err), 0);
    assert_int_equal(gvtg_wl_map(&e, err, sizeof(err)), -ENOENT);
}

static void test_hostile_lines(void **state)
{
    (void)state;
    static const char *const bad[] = {
        /* missing fields */
        "1912",
        "1912 experimental=0",
        "1912 experimental=0 name='x'",
        "1912 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1",
        "1912 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 resolution=1024x768",
        /* bad device ids */
        "19 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        "19123 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        "zz12 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        /* bad numbers */
        "1912 experimental=0 name='x' low_gm_sz=-64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        "1912 experimental=0 name='x' low_gm_sz=0x40 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        "1912 experimental=0 name='x' low_gm_sz=64 high_gm_sz=99999999999999999999 "
        "fence_sz=4 framebuffer_sz=32 max_heads=1 resolution=1024x768",
        "1912 experimental=0 name='x' low_gm_sz=64x high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        "1912 experimental=0 name='x' low_gm_sz=0 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        "1912 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=0 resolution=1024x768",
        "1912 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x",
        "1912 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024y768",
        "1912 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768junk",
        "1912 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768 type_id=abc",
        "1912 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768 type_id=1 type_id=2",
        "1912 experimental=0 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768 trailing",
        /* names: unterminated, empty, too long, commas, control characters */
        "1912 experimental=0 name='x low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        "1912 experimental=0 name='' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        "1912 experimental=0 name='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "' low_gm_sz=64 high_gm_sz=384 fence_sz=4 framebuffer_sz=32 max_heads=1 "
        "resolution=1024x768",
        "1912 experimental=0 name='a,b' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        "1912 experimental=0 name='a\x01' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        /* experimental= with nothing, or more than one character */
        "1912 experimental= name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        "1912 experimental=00 name='x' low_gm_sz=64 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
        /* fields out of order */
        "1912 experimental=0 name='x' high_gm_sz=384 low_gm_sz=64 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct gvtg_wl_entry e;
        char err[256] = "";
        if (parse(bad[i], &e, err) != -EINVAL)
            fail_msg("accepted: %s", bad[i]);
        assert_true(err[0] != 0);
    }
    /* Overlong. */
    char *longline = malloc(GVTG_WL_LINE_MAX + 100);
    memset(longline, 'a', GVTG_WL_LINE_MAX + 99);
    longline[GVTG_WL_LINE_MAX + 99] = 0;
    memcpy(longline, "1912 ", 5);
    struct gvtg_wl_entry e;
    char err[256];
    assert_int_equal(parse(longline, &e, err), -EINVAL);
    assert_non_null(strstr(err, "longer than"));
    free(longline);
}

static void test_file_and_find(void **state)
{
    (void)state;
    /* Bad and unmappable lines are skipped, the good ones kept; a NUL in
     * the data and a line with no newline at the end are handled. */
    static const char data[] =
        "# comment\n"
        "1912 experimental=0 name='GVTg_V5_4' low_gm_sz=128 high_gm_sz=512 fence_sz=4 "
        "framebuffer_sz=64 max_heads=1 resolution=1920x1200 type_id=42\n"
        "garbage\n"
        "1912 experimental=0 name='nothing' low_gm_sz=100 high_gm_sz=384 fence_sz=4 "
        "framebuffer_sz=32 max_heads=1 resolution=1024x768\n"
        "bad\0line\n"
        "5912 experimental=0 name='Medium vGPU' low_gm_sz=256 high_gm_sz=1024 fence_sz=4 "
        "framebuffer_sz=64 max_heads=1 resolution=1920x1200";
    struct gvtg_wl wl;
    assert_int_equal(gvtg_wl_parse("test", data, sizeof(data) - 1, &wl), 0);
    assert_int_equal(wl.count, 2);
    const struct gvtg_wl_entry *e = gvtg_wl_find(&wl, "42");
    assert_non_null(e);
    assert_string_equal(e->type->name, "GVTg_V5_4");
    e = gvtg_wl_find(&wl, "Medium vGPU");
    assert_non_null(e);
    assert_string_equal(e->type->name, "GVTg_V5_2");
    assert_null(gvtg_wl_find(&wl, "nothing"));
    assert_null(gvtg_wl_find(&wl, "43"));
    assert_null(gvtg_wl_find(&wl, "99999999999999999999"));
    assert_null(gvtg_wl_find(&wl, ""));
    assert_int_equal(gvtg_wl_load("/nonexistent/gvt-g-whitelist", &wl), -ENOENT);
    /* The shipped example: every line maps. */
    const char *srcdir = getenv("XENGVT_TEST_SRCDIR");
    if (srcdir) {
        char path[512];
        snprintf(path, sizeof(path), "%s/../../doc/gvt-g-whitelist.example", srcdir);
        assert_int_equal(gvtg_wl_load(path, &wl), 0);
        assert_int_equal(wl.count, 4);
        assert_non_null(gvtg_wl_find(&wl, "GVTg_V5_1"));
    }
}

static int args(struct xv_args *a, char *err, ...)
{
    char *argv[16] = { "xengvt-vgpu" };
    int argc = 1;
    va_list ap;
    va_start(ap, err);
    char *s;
    while ((s = va_arg(ap, char *)) && argc < 15)
        argv[argc++] = s;
    va_end(ap);
    argv[argc] = NULL;
    return xv_args_parse(argc, argv, a, err, 256);
}

#define DEV "--device=0000:00:02.0,GVTg_V5_4,0000:00:0b.0,2c7dbc5c-2b1c-4ac5-9a5d-f7c3d3d6f1a0"

static void test_xenopsd_argv(void **state)
{
    (void)state;
    struct xv_args a;
    char err[256];
    /* Exactly what xenopsd builds, in its order. */
    assert_int_equal(args(&a, err, "--domain=5", "--vcpus=2",
                          "--suspend=/var/lib/xen/demu-save.5",
                          DEV ",resolution=1280x720,aperture=4", "--noconsole", "--resume",
                          NULL), 0);
    assert_int_equal(a.domid, 5);
    assert_int_equal(a.vcpus, 2);
    assert_string_equal(a.suspend, "/var/lib/xen/demu-save.5");
    assert_int_equal(a.count, 1);
    assert_int_equal(a.dev[0].vpci, (0xbu << 3));
    assert_string_equal(a.dev[0].type, "GVTg_V5_4");
    assert_string_equal(a.dev[0].extra, "resolution=1280x720,aperture=4");
    assert_true(a.noconsole && a.resume);
    static const char *const bad_dev[] = {
        "--device=0000:00:02.0,GVTg_V5_4,0000:00:0b.0",
        "--device=0:0:2.0,GVTg_V5_4,0000:00:0b.0,2c7dbc5c-2b1c-4ac5-9a5d-f7c3d3d6f1a0",
        "--device=0000:00:02.0,,0000:00:0b.0,2c7dbc5c-2b1c-4ac5-9a5d-f7c3d3d6f1a0",
        "--device=0000:00:02.0,GVTg_V5_4,0000:00:20.0,2c7dbc5c-2b1c-4ac5-9a5d-f7c3d3d6f1a0",
        "--device=0000:00:02.0,GVTg_V5_4,0000:00:0b.0,not-a-uuid",
        DEV ",",
        DEV ",resolution",
        DEV ",=x",
        DEV ",type=GVTg_V5_8",
        DEV ",sbdf=0000:00:03.0",
        DEV ",on_daemon_death=restart",
    };
    for (size_t i = 0; i < sizeof(bad_dev) / sizeof(bad_dev[0]); i++)
        if (args(&a, err, "--domain=5", "--vcpus=1", "--suspend=/x", bad_dev[i], NULL) !=
            -EINVAL)
            fail_msg("accepted %s", bad_dev[i]);
    /* The domid is known even when a later argument is bad. */
    assert_int_equal(args(&a, err, "--domain=9", "--vcpus=x", NULL), -EINVAL);
    assert_int_equal(a.domid, 9);
    assert_int_equal(args(&a, err, "--domain=0", "--vcpus=1", "--suspend=/x", DEV, NULL),
                     -EINVAL);
    assert_int_equal(args(&a, err, "--domain=5x", "--vcpus=1", "--suspend=/x", DEV, NULL),
                     -EINVAL);
    assert_int_equal(args(&a, err, "--domain=5", "--domain=5", "--vcpus=1", "--suspend=/x",
                          DEV, NULL), -EINVAL);
    assert_int_equal(args(&a, err, "--domain=5", "--vcpus=1", "--suspend=rel", DEV, NULL),
                     -EINVAL);
    assert_int_equal(args(&a, err, "--domain=5", "--vcpus=1", "--suspend=/x", NULL), -EINVAL);
    assert_int_equal(args(&a, err, "--domain=5", "--vcpus=1", "--suspend=/x", DEV, "--gpu=1",
                          NULL), -EINVAL);
    assert_non_null(strstr(err, "unknown argument"));
    assert_int_equal(args(&a, err, "--domain=5", "--vcpus=1", "--suspend=/x", DEV, DEV, NULL),
                     -EINVAL);
    assert_int_equal(args(&a, err, "--help", "--nonsense", NULL), 0);
    assert_true(a.help);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xapi_line),
        cmocka_unit_test(test_mapping_refusals),
        cmocka_unit_test(test_hostile_lines),
        cmocka_unit_test(test_file_and_find),
        cmocka_unit_test(test_xenopsd_argv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
