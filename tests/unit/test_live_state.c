/* xengvtd --live-state: the register file and engines in a file that
 * outlives the daemon. A successor takes a predecessor's state only from a
 * file that is exactly what this build writes for the same domain;
 * anything else (another domain's, another build's, cut short, a bad
 * header) is not used, and the path must name a regular file, never
 * through a symlink. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/live_state.h"
#include "gvt/vgpu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/xengvt-live-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/dom5-0.live", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A daemon's file with regs[idx] = val and the engines' first and last
 * bytes set, closed as a dead daemon leaves it. */
static void leave_file(uint32_t domid, unsigned idx, uint32_t val)
{
    struct live_state ls;
    struct live_inherited inh;
    assert_int_equal(live_state_open(path, domid, false, &ls, &inh), 0);
    assert_null(inh.buf);
    ls.regs[idx] = val;
    ((uint8_t *)ls.engines)[0] = 0xa5;
    ((uint8_t *)ls.engines)[vgpu_engines_state_size() - 1] = 0x5a;
    ls.pcicfg[0xb4] = 0x41;
    live_state_close(&ls);
}

/* Opening with inherit, then checking the copy (as the daemon does in its
 * sandbox), gives nothing to take. */
static void assert_nothing_taken(uint32_t domid)
{
    struct live_state ls;
    struct live_inherited inh;
    assert_int_equal(live_state_open(path, domid, true, &ls, &inh), 0);
    const char *why = NULL;
    assert_int_equal(live_state_take(&inh, domid, &why), -1);
    assert_non_null(why);
    assert_null(inh.buf);
    assert_null(inh.state.regs);
    assert_null(inh.state.engines);
    assert_null(inh.state.pcicfg);
    live_state_close(&ls);
}

static void test_successor_takes_registers(void **state)
{
    (void)state;
    leave_file(5, 0x44404 / 4, 0xfffffffe);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((size_t)st.st_size, 4096 + vgpu_register_file_size() +
                                              vgpu_engines_state_size() + vgpu_pcicfg_size());
    assert_int_equal(st.st_mode & 0777, 0600);
    struct live_state ls;
    struct live_inherited inh;
    assert_int_equal(live_state_open(path, 5, true, &ls, &inh), 0);
    assert_non_null(inh.buf);
    /* Copied as bytes only: nothing points into it until it is checked. */
    assert_null(inh.state.regs);
    const char *why = NULL;
    assert_int_equal(live_state_take(&inh, 5, &why), 0);
    assert_int_equal(inh.state.regs[0x44404 / 4], 0xfffffffe);
    assert_int_equal(((const uint8_t *)inh.state.engines)[0], 0xa5);
    assert_int_equal(((const uint8_t *)inh.state.engines)[vgpu_engines_state_size() - 1], 0x5a);
    assert_int_equal(inh.state.pcicfg[0xb4], 0x41);
    /* The file starts over, zero-filled, as the successor's own. */
    assert_int_equal(ls.regs[0x44404 / 4], 0);
    assert_int_equal(((uint8_t *)ls.engines)[0], 0);
    free(inh.buf);
    live_state_close(&ls);
}

static void test_fresh_start_ignores_old_file(void **state)
{
    (void)state;
    leave_file(5, 7, 42);
    struct live_state ls;
    struct live_inherited inh;
    assert_int_equal(live_state_open(path, 5, false, &ls, &inh), 0);
    assert_null(inh.buf);
    assert_int_equal(ls.regs[7], 0);
    live_state_close(&ls);
}

static void test_other_domain_not_taken(void **state)
{
    (void)state;
    leave_file(6, 7, 42);
    assert_nothing_taken(5);
}

static void test_damaged_file_not_taken(void **state)
{
    (void)state;
    /* Cut short. */
    leave_file(5, 7, 42);
    assert_int_equal(truncate(path, 4096 + 100), 0);
    assert_nothing_taken(5);
    /* Right size, bad magic; another build's (its engines' layout). */
    static const struct { off_t at; const char *bytes; } damage[] = {
        { 0, "NOTLIVE!" }, { 16, "0.0-other" },
    };
    for (unsigned i = 0; i < 2; i++) {
        leave_file(5, 7, 42);
        int fd = open(path, O_WRONLY);
        assert_true(fd >= 0);
        size_t n = strlen(damage[i].bytes);
        assert_int_equal(pwrite(fd, damage[i].bytes, n, damage[i].at), (ssize_t)n);
        close(fd);
        assert_nothing_taken(5);
    }
    /* Empty (created by someone else). */
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    close(fd);
    assert_nothing_taken(5);
}

static void test_only_regular_files(void **state)
{
    (void)state;
    struct live_state ls;
    struct live_inherited inh;
    char target[160];
    snprintf(target, sizeof(target), "%s/elsewhere", dir);
    assert_int_equal(symlink(target, path), 0);
    assert_int_equal(live_state_open(path, 5, true, &ls, &inh), -ELOOP);
    assert_int_not_equal(access(target, F_OK), 0); /* nothing created through it */
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(live_state_open(path, 5, true, &ls, &inh), -EINVAL);
    unlink(path);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_true(live_state_open(path, 5, true, &ls, &inh) < 0);
    assert_null(inh.buf);
    live_state_close(&ls); /* harmless on a state never opened */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_successor_takes_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fresh_start_ignores_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_domain_not_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_file_not_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_regular_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
