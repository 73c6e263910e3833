/* The per-domain user and its reaper (src/common/dmuser.c): every live
 * process of the domain's uid is killed, another domain's is not, and a
 * zombie (killed already, its parent not yet waiting: a supervisor busy
 * elsewhere, dom0's init) does not hold the reaper until its deadline
 * (real Xen: "processes of xengvt-range-base+1 may remain: Connection
 * timed out" after every xl-vgpu save). Needs root and the users
 * scripts/setup creates; skipped without them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/dmuser.h"

/* Domids no other test uses: the reaper kills whatever runs as theirs. */
#define REAP_DOMID 61
#define OTHER_DOMID 62

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A child running as `u` that sleeps until killed, or exits at once. */
static pid_t child_as(const struct dmuser *u, bool sleeper)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setresgid(u->gid, u->gid, u->gid) < 0 || setresuid(u->uid, u->uid, u->uid) < 0)
            _exit(3);
        if (sleeper)
            for (;;)
                pause();
        _exit(0);
    }
    return pid;
}

static bool setup_ok(struct dmuser *u, uint32_t domid)
{
    char err[256];
    return geteuid() == 0 && dmuser_for_domain(domid, u, err, sizeof(err)) == 0 &&
           u->per_domain;
}

static void test_reap_kills_the_domains_processes_only(void **state)
{
    (void)state;
    struct dmuser u, other;
    if (!setup_ok(&u, REAP_DOMID) || !setup_ok(&other, OTHER_DOMID))
        skip();
    assert_int_equal(u.uid, u.reaper_uid + REAP_DOMID);
    pid_t stray = child_as(&u, true), bystander = child_as(&other, true);
    usleep(50 * 1000); /* both have dropped to their uids */
    int rc = dmuser_reap(&u);
    /* Another domain's process lives on. Looked at, then ended before
     * any assert: a live child would hold the test harness's pipe. */
    int status = 0, bstatus;
    pid_t s = waitpid(stray, &status, WNOHANG); /* dead when the reaper returns */
    pid_t b = waitpid(bystander, &bstatus, WNOHANG);
    kill(bystander, SIGKILL);
    waitpid(bystander, &bstatus, 0);
    if (s != stray) {
        kill(stray, SIGKILL);
        waitpid(stray, NULL, 0);
    }
    assert_int_equal(b, 0);
    assert_int_equal(rc, 0);
    assert_int_equal(s, stray);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_reap_is_not_held_by_a_zombie(void **state)
{
    (void)state;
    struct dmuser u;
    if (!setup_ok(&u, REAP_DOMID))
        skip();
    pid_t zombie = child_as(&u, false);
    usleep(100 * 1000); /* it has exited; nobody waits for it yet */
    uint64_t t0 = now_ms();
    assert_int_equal(dmuser_reap(&u), 0);
    assert_true(now_ms() - t0 < 1000); /* the deadline is 2 s */
    int status;
    assert_int_equal(waitpid(zombie, &status, 0), zombie);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_shared_user_is_never_reaped(void **state)
{
    (void)state;
    struct dmuser shared = { .uid = 12345, .gid = 12345, .per_domain = false };
    assert_int_equal(dmuser_reap(&shared), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reap_kills_the_domains_processes_only),
        cmocka_unit_test(test_reap_is_not_held_by_a_zombie),
        cmocka_unit_test(test_shared_user_is_never_reaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
