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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daemon_args_of_each_launcher),
        cmocka_unit_test(test_arg_error),
        cmocka_unit_test(test_atomic_write),
    };
    return cmocka_run_group_tests_name("tools_common", tests, NULL, NULL);
}
