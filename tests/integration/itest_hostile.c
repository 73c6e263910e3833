/* The guest has taken over its daemon: what that daemon can do to the
 * root tools and to other guests' daemons. The parse of what it wrote runs
 * in its successor's sandbox; it cannot signal another daemon, make a
 * forbidden call and live, talk to another domain's daemon, or stall or
 * bloat its supervisor with its answers. All through the shipped
 * binaries: xengvtd under the simulator, xl-vgpu's supervisor. A hostile
 * live-state file taken by a successor: itest_hostile_live.c. */
#include "itest.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "xlvgpu_env.h"
#include "hostile_env.h"
#include "gvt/engine.h" /* this build's engine layout, as its daemon writes it */

#include <stddef.h>

/* Domids no other test binary uses at the same time: xl-vgpu reaps the
 * uid of a domain it is done with. */
#define HOSTILE_DOMID_A 11
#define HOSTILE_DOMID_B 12
#define HOSTILE_XL_DOMID 37

/* The daemon runs `call` as if compromised; 0 if it answered, -1 if the
 * process died first. */
static int probe(struct sim *s, uint32_t call, pid_t pid, int sig)
{
    struct sim_shared *sh = sim_state(s);
    sh->probe_pid = pid;
    sh->probe_sig = sig;
    sh->probe_result = -1;
    __atomic_store_n(&sh->probe_call, call, __ATOMIC_RELEASE);
    for (int i = 0; i < 400; i++) {
        if (!__atomic_load_n(&sh->probe_call, __ATOMIC_ACQUIRE))
            return 0;
        if (!sim_daemon_running(s))
            return -1;
        usleep(10 * 1000);
    }
    fail_msg("the daemon neither made the call nor died");
    return -1;
}

/* A checkpoint its dead daemon wrote to attack the root successor: read
 * as bytes before the sandbox, checked in it. The refusal (exit 5) comes
 * right after the check: the process then already ran as the domain's
 * uid with its Xen handles restricted. */
static void test_hostile_checkpoint_parsed_in_sandbox(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    char path[512];
    const char *logdir = getenv("XENGVT_TEST_LOGDIR");
    snprintf(path, sizeof(path), "%s/hostile.checkpoint", logdir ? logdir : "/tmp");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (unsigned i = 0; i < 65536; i++)
        fputc((int)((i * 2654435761u) >> 13), f);
    fclose(f);
    const char *args[] = { "--restore", path, NULL };
    const char *log = itest_log_path("hostile_checkpoint");
    struct sim *s = sim_start(&(struct sim_opts){ .domid = HOSTILE_DOMID_A, .args = args,
                                                  .log_path = log, .no_wait_ready = true });
    assert_non_null(s);
    int status = sim_wait_exit(s, 10000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 5);
    struct sim_shared *sh = sim_state(s);
    assert_int_equal(sh->exit_seen, 1);
    assert_int_equal(sh->exit_euid, (int)domain_uid(HOSTILE_DOMID_A));
    assert_int_equal(sh->exit_restricted, HOSTILE_DOMID_A);
    assert_true(itest_log_contains(log, "refused"));
    assert_true(itest_log_contains(log, "sandbox: Xen handles restricted"));
    sim_stop(s);
}

/* Daemon A, taken over, tries to stop daemon B (kill(B, SIGSTOP); the
 * same uid or not): the filter ends A instead, B serves on. */
static void test_daemon_cannot_signal_another(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    struct sim *b = itest_start("hostile_b", (struct sim_opts){ .domid = HOSTILE_DOMID_B });
    struct sim *a = itest_start("hostile_a", (struct sim_opts){ .domid = HOSTILE_DOMID_A });
    pid_t pb = sim_daemon_pid(b), pa = sim_daemon_pid(a);
    /* Each its own uid. (Ready means "running" in xenstore, which the
     * daemon publishes just before its sandbox cuts xenstore off: the
     * identity change follows within moments, later under load.) */
    char want[64];
    uid_t ub = domain_uid(HOSTILE_DOMID_B);
    struct stat st;
    snprintf(want, sizeof(want), "/proc/%d", (int)pb);
    for (uint64_t end = sim_now_ms() + 5000;
         stat(want, &st) == 0 && st.st_uid != ub && sim_now_ms() < end;)
        usleep(10 * 1000);
    assert_int_equal(stat(want, &st), 0);
    assert_int_equal(st.st_uid, ub);
    snprintf(want, sizeof(want), "/proc/%d", (int)pa);
    for (uint64_t end = sim_now_ms() + 5000;
         stat(want, &st) == 0 && st.st_uid != domain_uid(HOSTILE_DOMID_A) && sim_now_ms() < end;)
        usleep(10 * 1000);
    assert_int_equal(stat(want, &st), 0);
    assert_int_equal(st.st_uid, domain_uid(HOSTILE_DOMID_A));
    int rc = probe(a, SIM_PROBE_KILL, pb, SIGSTOP);
    if (!ITEST_SANITIZED) {
        /* The shipped filter: a signal to another process kills the caller. */
        assert_int_equal(rc, -1);
        int status = sim_wait_exit(a, 5000);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGSYS);
    } else {
        /* Sanitizer builds let signals through the filter; the uids hold. */
        assert_int_equal(rc, 0);
        assert_int_equal(sim_state(a)->probe_result, EPERM);
    }
    usleep(100 * 1000);
    assert_true(proc_state(pb) != 'T' && proc_state(pb) != 0);
    itest_place_bars(b, false);
    assert_true(sim_mmio_read(b, 0, BAR0_ADDR + 0x78000, 8) == 0x4776544776544776ull);
    sim_stop(a);
    assert_int_equal(WEXITSTATUS(sim_stop(b)), 0);
}

/* A call outside the allowlist ends the daemon at once: a socket to the
 * network, which serving never needs. The shipped (unsanitized) filter. */
static void test_forbidden_call_kills(void **state)
{
    (void)state;
    struct sim *s = itest_start("hostile_call", (struct sim_opts){ .domid = HOSTILE_DOMID_A });
    assert_int_equal(probe(s, SIM_PROBE_INET_SOCKET, 0, 0), -1);
    int status = sim_wait_exit(s, 5000);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSYS);
    sim_stop(s);
}

/* Connects to `path` as `uid` and asks for status: 0 answered ok, 1 the
 * connection closed unanswered, 2 no connection at all. */
static int status_as(const char *path, uid_t uid)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN); /* a refused client finds the socket closed */
        if (setresgid(65534, 65534, 65534) < 0 || setresuid(uid, uid, uid) < 0)
            _exit(3);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
        struct timeval tv = { .tv_sec = 3 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
            fprintf(stderr, "uid %u: connect %s: %s\n", (unsigned)uid, path, strerror(errno));
            _exit(2);
        }
        const char *req = "{\"cmd\":\"status\"}\n";
        if (write(fd, req, strlen(req)) < 0)
            _exit(1); /* closed on us already: refused */
        char buf[256];
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
            _exit(1);
        buf[n] = 0;
        _exit(strstr(buf, "\"ok\":true") ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Whatever the socket file's mode says, the peer's uid decides: another
 * domain's daemon (or any other user) is refused; root and the domain's
 * own uid are served. */
static void test_foreign_uid_refused(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    struct sim *s = itest_start("hostile_peer", (struct sim_opts){ .domid = HOSTILE_DOMID_A });
    const char *path = sim_control_path(s);
    /* As if the admin had opened it up. */
    assert_int_equal(chmod(path, 0777), 0);
    char dir_of[256];
    snprintf(dir_of, sizeof(dir_of), "%s", path);
    *strrchr(dir_of, '/') = 0;
    struct stat st;
    assert_int_equal(stat(dir_of, &st), 0);
    assert_true((st.st_mode & 0005) == 0005); /* others reach the socket */
    assert_int_equal(status_as(path, domain_uid(HOSTILE_DOMID_B)), 1);
    assert_int_equal(status_as(path, 65534), 1);
    assert_int_equal(status_as(path, domain_uid(HOSTILE_DOMID_A)), 0);
    char line[4096];
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static pid_t monitor_of(unsigned domid)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/dom%u.vgpu", dir, domid);
    const char *m = strstr(slurp(path), "monitor ");
    return m ? (pid_t)atoi(m + 8) : -1;
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = atol(line + 6);
    if (f)
        fclose(f);
    return kib;
}

/* The supervisor asks a daemon the guest owns for checkpoints: an answer
 * claiming 1 GiB (and sending it as fast as it is read), or one that
 * trickles a byte at a time, neither bloats the supervisor nor keeps it
 * from its guest: it still sees the domain go and ends. */
static void hostile_replies(const char *mode)
{
    setup_env(mode, HOSTILE_XL_DOMID);
    setenv("FAKE_XL_SIM", "1", 1);
    char fake[512];
    snprintf(fake, sizeof(fake), "%s/tests/integration/hostile_daemon",
             getenv("XENGVT_TEST_BUILDDIR"));
    char real[512];
    snprintf(real, sizeof(real), "%s", getenv("XENGVTD"));
    setenv("XENGVTD", fake, 1);
    setenv("HOSTILE_REPLY", mode, 1);
    const char *cfg = write_cfg(mode, "\"type=GVTg_V5_4\"");
    const char *argv[] = { getenv("XL_VGPU"), "create", cfg, NULL };
    int status;
    char log[64];
    snprintf(log, sizeof(log), "hostile_%s", mode);
    struct sim *s = launch(itest_log_path(log), argv, HOSTILE_XL_DOMID, NULL, &status);
    setenv("XENGVTD", real, 1);
    assert_int_equal(WEXITSTATUS(status), 0);
    pid_t monitor = monitor_of(HOSTILE_XL_DOMID);
    assert_true(monitor > 0);
    sleep(7); /* three checkpoint rounds */
    assert_true(kill(monitor, 0) == 0);
    long hwm = rss_kib(monitor);
    assert_true(hwm > 0 && hwm < 32 * 1024); /* far from 1 GiB: nothing taken */
    char ckpt[320];
    snprintf(ckpt, sizeof(ckpt), "%s/dom%u-0.checkpoint", dir, HOSTILE_XL_DOMID);
    assert_int_not_equal(access(ckpt, F_OK), 0);
    /* The domain goes: the supervisor notices within a round. */
    uint64_t t0 = sim_now_ms();
    sim_kill_domain(s);
    while (kill(monitor, 0) == 0 && sim_now_ms() - t0 < 8000)
        usleep(50 * 1000);
    assert_true(kill(monitor, 0) != 0);
    assert_true(sim_now_ms() - t0 < 6000);
    sim_stop(s);
    unsetenv("HOSTILE_REPLY");
}

static void test_supervisor_huge_reply(void **state)
{
    (void)state;
    hostile_replies("huge");
}

static void test_supervisor_slow_reply(void **state)
{
    (void)state;
    hostile_replies("slow");
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_checkpoint_parsed_in_sandbox),
        cmocka_unit_test(test_daemon_cannot_signal_another),
        cmocka_unit_test(test_forbidden_call_kills),
        cmocka_unit_test(test_foreign_uid_refused),
        cmocka_unit_test(test_supervisor_huge_reply),
        cmocka_unit_test(test_supervisor_slow_reply),
    };
    return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
