/* The daemon's confinement, end to end under the simulated hypervisor:
 * once set up it runs as its domain's own user, in its own namespaces and
 * chroot, with no capability, its limits and a seccomp filter; running
 * without the sandbox says so loudly; --runas refuses what it must. */
#include "itest.h"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The line "Key:\tvalue" of /proc/<pid>/status, or "" if none. */
static const char *proc_status(pid_t pid, const char *key)
{
    static char val[128];
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    val[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return val;
    size_t klen = strlen(key);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            snprintf(val, sizeof(val), "%s", line + klen + 1 + strspn(line + klen + 1, " \t"));
            val[strcspn(val, "\n")] = 0;
        }
    fclose(f);
    return val;
}

/* The soft value of a line of /proc/PID/limits ("Max file size"). */
static const char *proc_limit(pid_t pid, const char *name)
{
    static char val[32];
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
    FILE *f = fopen(path, "r");
    val[0] = 0;
    size_t klen = strlen(name);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, name, klen) == 0 && line[klen] == ' ')
            sscanf(line + klen, "%31s", val);
    if (f)
        fclose(f);
    return val;
}

static void test_restricted_after_setup(void **state)
{
    (void)state;
    struct sim *s = itest_start("restrict", (struct sim_opts){ 0 });
    struct sim_shared *sh = sim_state(s);
    pid_t pid = sim_daemon_pid(s);
    /* Every Xen handle is bound to the served guest once serving starts,
     * with no new privileges and a seccomp filter... */
    /* (xenstore's "running" comes just before the sandbox closes, as
     * xenstore is cut off by it: give it a moment.) */
    for (int i = 0; i < 200 && strcmp(proc_status(pid, "Seccomp"), "2") != 0; i++)
        usleep(10000);
    assert_int_equal(sh->toolcore_restricted, 7);
    assert_string_equal(proc_status(pid, "NoNewPrivs"), "1");
    assert_string_equal(proc_status(pid, "Seccomp"), "2");
    /* ...as the domain's own uid when started as root (the range base's
     * plus the domid), chrooted into an empty directory of mode 0000, in
     * its own mount and IPC namespaces, with libxl's limits. */
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("xengvt-range-base");
        assert_non_null(pw); /* scripts/setup creates it */
        uid_t uid = pw->pw_uid + 7;
        char want[64];
        snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", uid, uid, uid, uid);
        assert_string_equal(proc_status(pid, "Uid"), want);
        char link[64], target[256];
        snprintf(link, sizeof(link), "/proc/%d/root", (int)pid);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        assert_true(n > 0);
        target[n] = 0;
#if ITEST_SANITIZED
        /* LeakSanitizer needs /proc at exit: no chroot in that build. */
        assert_string_equal(target, "/");
#else
        assert_string_equal(target, "/run/xengvt/root-dom7");
        struct stat st;
        assert_int_equal(lstat(target, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0);
        assert_int_equal(st.st_uid, 0);
#endif
        static const char *const ns[] = { "mnt", "ipc" };
        for (unsigned i = 0; i < 2; i++) {
            char mine[64], theirs[64], a[64], b[64];
            snprintf(mine, sizeof(mine), "/proc/self/ns/%s", ns[i]);
            snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid, ns[i]);
            ssize_t la = readlink(mine, a, sizeof(a) - 1), lb = readlink(theirs, b, sizeof(b) - 1);
            assert_true(la > 0 && lb > 0);
            a[la] = b[lb] = 0;
            assert_string_not_equal(a, b);
        }
        assert_string_equal(proc_limit(pid, "Max file size"), "262144");
        assert_string_equal(proc_limit(pid, "Max core file size"), "0");
        assert_string_equal(proc_limit(pid, "Max locked memory"), "0");
        assert_string_equal(proc_limit(pid, "Max msgqueue size"), "0");
        assert_string_equal(proc_limit(pid, "Max file locks"), "0");
#if !ITEST_SANITIZED
        assert_int_equal(atoll(proc_limit(pid, "Max data size")), 128ll << 20);
#endif
    }
    /* What a compromised daemon would try, with its own handles: another
     * domain's memory, an ioreq server for another domain. Xen says no. */
    sh->probe_other_domain = 1;
    for (int i = 0; i < 300 && __atomic_load_n(&sh->probe_other_domain, __ATOMIC_ACQUIRE); i++)
        usleep(10000);
    assert_int_equal(sh->probe_other_domain, 0);
    assert_int_equal(sh->probe_map_errno, EPERM);
    assert_int_equal(sh->probe_create_errno, EPERM);
    /* And it keeps serving: BAR moves re-claim ranges, MMIO works. */
    itest_place_bars(s, false);
    assert_true(sim_mmio_read(s, 0, BAR0_ADDR + 0x78000, 8) == 0x4776544776544776ull);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_no_sandbox_is_loud(void **state)
{
    (void)state;
    const char *args[] = { "--no-sandbox", NULL };
    const char *log = itest_log_path("nosandbox");
    struct sim *s = itest_start("nosandbox", (struct sim_opts){ .args = args, .log_path = log });
    pid_t pid = sim_daemon_pid(s);
    assert_int_equal(sim_state(s)->toolcore_restricted, -1);
    assert_string_equal(proc_status(pid, "Seccomp"), "0");
    assert_true(itest_log_contains(log, "SANDBOX OFF"));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_runas_refusals(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    const char *args[] = { "--runas", "no-such-user-xengvt", NULL };
    const char *log = itest_log_path("runas_bad");
    struct sim *s = sim_start(&(struct sim_opts){ .args = args, .log_path = log,
                                                  .no_wait_ready = true });
    assert_non_null(s);
    assert_int_equal(WEXITSTATUS(sim_wait_exit(s, 10000)), 2);
    sim_stop(s);
    assert_true(itest_log_contains(log, "no user 'no-such-user-xengvt'"));
    const char *root[] = { "--runas", "root", NULL };
    log = itest_log_path("runas_root");
    s = sim_start(&(struct sim_opts){ .args = root, .log_path = log, .no_wait_ready = true });
    assert_int_equal(WEXITSTATUS(sim_wait_exit(s, 10000)), 2);
    sim_stop(s);
    assert_true(itest_log_contains(log, "that is root"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restricted_after_setup),
        cmocka_unit_test(test_no_sandbox_is_loud),
        cmocka_unit_test(test_runas_refusals),
    };
    return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
