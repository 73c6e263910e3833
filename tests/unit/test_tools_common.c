/* tools/common and the atomic write under it: what both launchers and the
 * daemon now share. The daemon's arguments are the ones each launcher
 * built itself before (xl-vgpu's supervisor with --live-state and
 * --adopt-server, xengvt-vgpu without), and a file is replaced whole or
 * not at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/files.h"
#include "tools/common/argerr.h"
#include "tools/common/launch.h"
#include "tools/common/vgpu_sections.h"

static void join(const char *const *argv, char *out, size_t cap)
{
    out[0] = 0;
    for (unsigned i = 0; argv[i]; i++) {
        strncat(out, argv[i], cap - strlen(out) - 2);
        strcat(out, " ");
    }
}

static void test_daemon_args_of_each_launcher(void **state)
{
    (void)state;
    struct vgpu_entry e;
    char err[256];
    assert_int_equal(vgpu_entry_parse("type=GVTg_V5_8,vnc=127.0.0.1:5901", &e, err, sizeof(err)),
                     0);
    const char *argv[52];
    char buf[1024], line[2048];
    /* xl-vgpu's supervisor restarting a dead daemon. */
    struct launch_spec xl = { .domid = 7, .control = "/run/xengvt/dom7-0.sock",
                              .live_state = "/run/xengvt/dom7-0.live",
                              .restore = "/run/xengvt/dom7-0.checkpoint", .adopt_server = 3,
                              .entry = &e };
    assert_true(launch_daemon_args(&xl, argv, 52, buf, sizeof(buf)) > 0);
    join(argv, line, sizeof(line));
    assert_string_equal(line, "xengvtd --domid 7 --control /run/xengvt/dom7-0.sock "
                              "--live-state /run/xengvt/dom7-0.live --restore "
                              "/run/xengvt/dom7-0.checkpoint --adopt-server 3 --type GVTg_V5_8 "
                              "--sbdf 0000:00:02.0 --vnc 127.0.0.1:5901 ");
    /* xengvt-vgpu: no live state, no adoption. */
    struct launch_spec xo = { .domid = 12, .control = "/run/xengvt/xenopsd-dom12-0.sock",
                              .adopt_server = -1, .entry = &e };
    assert_true(launch_daemon_args(&xo, argv, 52, buf, sizeof(buf)) > 0);
    join(argv, line, sizeof(line));
    assert_string_equal(line, "xengvtd --domid 12 --control /run/xengvt/xenopsd-dom12-0.sock "
                              "--type GVTg_V5_8 --sbdf 0000:00:02.0 --vnc 127.0.0.1:5901 ");
    assert_int_equal(launch_daemon_args(&xo, argv, 8, buf, sizeof(buf)), -E2BIG);
    assert_int_equal(launch_daemon_args(&xo, argv, 52, buf, 2), -E2BIG);
}

static void test_arg_error(void **state)
{
    (void)state;
    char err[16];
    assert_int_equal(arg_error(err, sizeof(err), "key %s: %d", "sbdf", 12345678), -EINVAL);
    assert_string_equal(err, "key sbdf: 12345"); /* cut, terminated */
}

static void tmp_path(char *out, size_t cap, const char *name)
{
    const char *dir = getenv("XENGVT_TEST_LOGDIR");
    snprintf(out, cap, "%s/%s", dir ? dir : "/tmp", name);
}

static void test_atomic_write(void **state)
{
    (void)state;
    char path[512], tmp[600];
    tmp_path(path, sizeof(path), "atomic.file");
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    unlink(path);
    assert_int_equal(file_write_atomic(path, "old", 3, 0600), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_not_equal(access(tmp, F_OK), 0); /* no temporary left */
    /* A streamed write given up: the old file stays, no temporary. */
    struct file_atomic f;
    assert_int_equal(file_atomic_open(&f, path, 0600), 0);
    assert_int_equal(fd_write_all(f.fd, "new and longer", 14), 0);
    file_atomic_abort(&f);
    uint8_t *data;
    size_t len;
    assert_int_equal(file_read_whole(path, 100, &data, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(data, "old", 3);
    free(data);
    assert_int_not_equal(access(tmp, F_OK), 0);
    /* Committed: the new bytes, whole. */
    assert_int_equal(file_atomic_open(&f, path, 0600), 0);
    assert_int_equal(fd_write_all(f.fd, "new and longer", 14), 0);
    assert_int_equal(file_atomic_commit(&f), 0);
    assert_int_equal(file_read_whole(path, 100, &data, &len), 0);
    assert_int_equal(len, 14);
    free(data);
    /* Never through something already at the temporary's name. */
    assert_int_equal(symlink("/nonexistent/target", tmp), 0);
    assert_int_equal(file_write_atomic(path, "x", 1, 0600), -EEXIST);
    unlink(tmp);
    assert_int_equal(file_read_whole(path, 10, &data, &len), -EFBIG);
    unlink(path);
}

/* A save file's sections, in memory, as savefile_read leaves them. */
static void add_section(struct savefile *sf, const char *tag, const char *text)
{
    struct savefile_section *s = &sf->s[sf->count++];
    snprintf(s->tag, sizeof(s->tag), "%s", tag);
    s->data = (uint8_t *)strdup(text);
    s->len = strlen(text);
}

static int count_of(struct savefile *sf, char *why, size_t cap)
{
    int n = vgpu_sections_count(sf, why, cap);
    savefile_free(sf);
    return n;
}

static void test_vgpu_sections_checked_once(void **state)
{
    (void)state;
    struct savefile sf = { 0 };
    char why[200] = "";
    /* No vGPU at all: 0 (each launcher says what that means to it). */
    add_section(&sf, "name", "guest");
    assert_int_equal(count_of(&sf, why, sizeof(why)), 0);
    /* Two whole vGPUs. */
    add_section(&sf, "vgpu0.spec", "type=GVTg_V5_4");
    add_section(&sf, "vgpu0.state", "S0");
    add_section(&sf, "vgpu1.spec", "type=GVTg_V5_8,sbdf=0000:00:03.0");
    add_section(&sf, "vgpu1.state", "S1");
    assert_int_equal(vgpu_sections_count(&sf, why, sizeof(why)), 2);
    char spec[VGPU_SECTION_SPEC_MAX + 1];
    const struct savefile_section *st = vgpu_sections_get(&sf, 1, spec);
    assert_string_equal(spec, "type=GVTg_V5_8,sbdf=0000:00:03.0");
    assert_non_null(st);
    assert_memory_equal(st->data, "S1", 2);
    /* Staged whole where xengvtd --restore reads it. */
    char path[512];
    tmp_path(path, sizeof(path), "vgpu1.staged");
    assert_int_equal(vgpu_sections_stage(&sf, 1, path, why, sizeof(why)), 0);
    uint8_t *data;
    size_t len;
    assert_int_equal(file_read_whole(path, 100, &data, &len), 0);
    assert_int_equal(len, 2);
    assert_memory_equal(data, "S1", 2);
    free(data);
    unlink(path);
    assert_int_equal(vgpu_sections_stage(&sf, 2, path, why, sizeof(why)), -1);
    savefile_free(&sf);

    /* A state without its entry, and the other way round. */
    add_section(&sf, "vgpu0.state", "S0");
    assert_int_equal(count_of(&sf, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "vGPU 0: its entry is missing"));
    add_section(&sf, "vgpu0.spec", "type=GVTg_V5_4");
    assert_int_equal(count_of(&sf, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "vGPU 0: its state is missing"));
    /* An empty state: no daemon writes one. */
    add_section(&sf, "vgpu0.spec", "type=GVTg_V5_4");
    add_section(&sf, "vgpu0.state", "");
    assert_int_equal(count_of(&sf, why, sizeof(why)), -1);
    /* A gap: vGPU 1 saved, vGPU 0 not. */
    add_section(&sf, "vgpu1.spec", "type=GVTg_V5_4");
    add_section(&sf, "vgpu1.state", "S1");
    assert_int_equal(count_of(&sf, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "vGPU 1 is saved but vGPU 0 is not"));
    /* An entry that is not one line of text: it would become a daemon's
     * argument. */
    add_section(&sf, "vgpu0.spec", "type=GVTg_V5_4\n--domid 0");
    add_section(&sf, "vgpu0.state", "S0");
    assert_int_equal(count_of(&sf, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not one line of text"));
    char longspec[VGPU_SECTION_SPEC_MAX + 2];
    memset(longspec, 'a', sizeof(longspec) - 1);
    longspec[sizeof(longspec) - 1] = 0;
    add_section(&sf, "vgpu0.spec", longspec);
    add_section(&sf, "vgpu0.state", "S0");
    assert_int_equal(count_of(&sf, why, sizeof(why)), -1);
    /* More vGPUs than a guest may have. */
    for (unsigned i = 0; i <= VGPU_CFG_MAX; i++) {
        char tag[17];
        snprintf(tag, sizeof(tag), "vgpu%u.spec", i);
        add_section(&sf, tag, "type=GVTg_V5_4");
        snprintf(tag, sizeof(tag), "vgpu%u.state", i);
        add_section(&sf, tag, "S");
    }
    assert_int_equal(count_of(&sf, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "more than"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daemon_args_of_each_launcher),
        cmocka_unit_test(test_arg_error),
        cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_vgpu_sections_checked_once),
    };
    return cmocka_run_group_tests_name("tools_common", tests, NULL, NULL);
}
