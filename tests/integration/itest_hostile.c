/* The guest has taken over its daemon: what that daemon can do to the
 * root tools and to other guests' daemons. The parse of what it wrote runs
 * in its successor's sandbox; it cannot signal another daemon, make a
 * forbidden call and live, talk to another domain's daemon, or stall or
 * bloat its supervisor with its answers. All through the shipped
 * binaries: xengvtd under the simulator, xl-vgpu's supervisor. */
#include "itest.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "xlvgpu_env.h"
#include "gvt/engine.h" /* this build's engine layout, as its daemon writes it */

#include <stddef.h>

/* Domids no other test binary uses at the same time: xl-vgpu reaps the
 * uid of a domain it is done with. */
#define HOSTILE_DOMID_A 11
#define HOSTILE_DOMID_B 12
#define HOSTILE_XL_DOMID 37
#define HOSTILE_LIVE_DOMID 39
#define HOSTILE_LIVE_DOMS "39"

static uid_t domain_uid(uint32_t domid)
{
    struct passwd *pw = getpwnam("xengvt-range-base");
    assert_non_null(pw); /* scripts/setup creates it */
    return pw->pw_uid + domid;
}

static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

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


/* --- a hostile live-state file taken by a successor ----------------------- */

#define SCRATCH (BAR0_ADDR + 0x4f000)
#define PVINFO (BAR0_ADDR + 0x78000)
#define VENDOR_DEVICE 0x19128086u
#define VGT_MAGIC 0x4776544776544776ull
/* The file's layout (live_state.c): a 4 KiB header page, then where its
 * header says: registers, engines, config space. */
#define LIVE_DOMID_AT 12
#define LIVE_ENGINES_AT 64
#define LIVE_PCICFG_AT 80

static long live_record(const char *key)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/dom" HOSTILE_LIVE_DOMS ".vgpu", dir);
    const char *rec = slurp(path);
    char want[32];
    snprintf(want, sizeof(want), "%s ", key);
    const char *v = strstr(rec, want);
    return v ? atol(v + strlen(want)) : -1;
}

static bool live_running(void)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/dom" HOSTILE_LIVE_DOMS ".vgpu", dir);
    return strstr(slurp(path), "state running\n") != NULL;
}

/* The whole daemon log (every daemon of the domain appends to it). */
static char *daemon_log(void)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/dom" HOSTILE_LIVE_DOMS ".log", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* The newest successor said `said`, and only once its sandbox was up:
 * its sandbox line (after its adoption of the server, the newest in the
 * log) comes before the newest `said`. A take run as root, before the
 * sandbox, would say it before even the adoption. */
static bool said_in_sandbox(const char *said, const char **problem)
{
    char *log = daemon_log(), *from = NULL, *line = NULL;
    for (char *p = log; (p = strstr(p, "adopted, ")); p++)
        from = p;
    for (char *p = log; (p = strstr(p, said)); p++)
        line = p;
    const char *sandbox = from ? strstr(from, "sandbox: Xen handles restricted to dom"
                                              HOSTILE_LIVE_DOMS) : NULL;
    *problem = !from      ? "no adoption of the server in the log"
               : !line    ? "not in the log"
               : !sandbox ? "no sandbox line after the adoption"
               : line < sandbox ? "said before the successor's sandbox was up"
                                : NULL;
    return !*problem;
}

static void successor_said_in_sandbox(const char *said)
{
    /* What the engines' runner says comes once the successor serves:
     * under load, a little after the supervisor records it running. */
    const char *problem;
    uint64_t end = sim_now_ms() + 5000;
    while (!said_in_sandbox(said, &problem) && sim_now_ms() < end)
        usleep(20 * 1000);
    if (!said_in_sandbox(said, &problem))
        fail_msg("\"%s\": %s", said, problem);
}

/* A new checkpoint of the serving daemon; then its supervisor is stopped
 * (what follows reaches only the daemon's live state) and the daemon is
 * killed: its live-state file, which the caller then rewrites, is what
 * the successor will be given. Returns the dead daemon's pid. */
static pid_t checkpoint_then_kill(struct sim *s, pid_t monitor)
{
    char ckpt[320];
    snprintf(ckpt, sizeof(ckpt), "%s/dom" HOSTILE_LIVE_DOMS "-0.checkpoint", dir);
    struct stat st0 = { 0 }, st;
    stat(ckpt, &st0);
    uint64_t end = sim_now_ms() + 8000;
    while ((stat(ckpt, &st) != 0 || (st.st_mtim.tv_sec == st0.st_mtim.tv_sec &&
                                      st.st_mtim.tv_nsec == st0.st_mtim.tv_nsec)) &&
           sim_now_ms() < end)
        usleep(20 * 1000);
    assert_true(sim_now_ms() < end);
    assert_int_equal(kill(monitor, SIGSTOP), 0);
    /* After the checkpoint: only the live state has it. */
    sim_mmio_write(s, 0, SCRATCH, 4, 0xdef);
    pid_t old = (pid_t)live_record("vgpu");
    assert_true(old > 0); /* kill(-1, ...) would signal everything */
    assert_int_equal(kill(old, SIGKILL), 0);
    /* Its supervisor is stopped: it stays a zombie, its mappings gone. */
    end = sim_now_ms() + 5000;
    while (proc_state(old) != 'Z' && proc_state(old) != 0 && sim_now_ms() < end)
        usleep(10 * 1000);
    return old;
}

/* The supervisor goes on and starts the successor; it serves. The
 * simulator's record of the handle restriction is cleared first: set
 * again, it is the successor's own (xentoolcore_restrict_all in its
 * sandbox_enter). */
static pid_t resume_successor(struct sim *s, pid_t monitor, pid_t old)
{
    sim_state(s)->toolcore_restricted = -1;
    assert_int_equal(kill(monitor, SIGCONT), 0);
    uint64_t end = sim_now_ms() + 10000;
    while ((live_record("vgpu") == old || !live_running()) && sim_now_ms() < end)
        usleep(20 * 1000);
    pid_t successor = (pid_t)live_record("vgpu");
    assert_true(successor > 0 && successor != old && kill(successor, 0) == 0);
    assert_true(live_running());
    /* It runs as its domain's uid, its handles restricted to the domain. */
    char proc[64];
    struct stat st;
    snprintf(proc, sizeof(proc), "/proc/%d", (int)successor);
    assert_int_equal(stat(proc, &st), 0);
    assert_int_equal(st.st_uid, domain_uid(HOSTILE_LIVE_DOMID));
    assert_int_equal(sim_state(s)->toolcore_restricted, HOSTILE_LIVE_DOMID);
    return successor;
}

struct live_file {
    uint8_t *p;
    size_t len;
    uint64_t engines_at, pcicfg_at;
};

static void live_read(const char *path, struct live_file *f)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    f->len = (size_t)ftell(fp);
    rewind(fp);
    f->p = malloc(f->len);
    assert_int_equal(fread(f->p, 1, f->len, fp), f->len);
    fclose(fp);
    memcpy(&f->engines_at, f->p + LIVE_ENGINES_AT, 8);
    memcpy(&f->pcicfg_at, f->p + LIVE_PCICFG_AT, 8);
    assert_true(f->pcicfg_at + 256 <= f->len);
}

static void live_write(const char *path, const struct live_file *f)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(f->p, 1, f->len, fp), f->len);
    fclose(fp);
    free(f->p);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* The guest took over its daemon, which rewrote its live-state file and
 * died; xl-vgpu's supervisor starts the successor on that file. Three
 * deaths, three files (the supervisor restarts a vGPU three times a
 * minute):
 *  1. another domain's header: the file is refused whole, the successor
 *     serves the checkpoint's state;
 *  2. a config space of another device (foreign ids and BARs): the
 *     config space is refused, the file's registers are taken;
 *  3. this device's config space with BAR bits no guest can write,
 *     PVINFO's host half rewritten, the render engine running a ring
 *     outside the vGPU's memory: the BARs keep their sizes, PVINFO reads
 *     what the daemon says, the engine stops on an error the guest can
 *     see and reset.
 * Each time the successor says so in its log, after the line its sandbox
 * logs once it is up (the domain's uid, handles restricted, chroot,
 * seccomp), and serves the guest; it runs as the domain's uid with its
 * own restriction of the handles recorded by the simulator. */
static void test_hostile_live_state(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    setup_env("hostile_live", HOSTILE_LIVE_DOMID);
    setenv("FAKE_XL_SIM", "1", 1);
    const char *cfg = write_cfg("hostile_live", "\"type=GVTg_V5_4\"");
    const char *argv[] = { getenv("XL_VGPU"), "create", cfg, NULL };
    int status;
    struct sim *s = launch(itest_log_path("hostile_live"), argv, HOSTILE_LIVE_DOMID, NULL,
                           &status);
    assert_int_equal(WEXITSTATUS(status), 0);
    uint64_t end = sim_now_ms() + 10000;
    while (!live_running() && sim_now_ms() < end)
        usleep(20 * 1000);
    assert_true(live_running());
    itest_place_bars(s, false);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xb0, 4, 0xfee00000); /* MSI, as i915 sets it */
    sim_cfg_write(s, 0, VGPU_SBDF, 0xb4, 2, 0x31);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xae, 2, 1);
    sim_mmio_write(s, 0, SCRATCH, 4, 0x111);
    const uint32_t bar0 = (uint32_t)sim_cfg_read(s, 0, VGPU_SBDF, 0x10, 4);
    const uint32_t mappable = (uint32_t)sim_mmio_read(s, 0, PVINFO + 0x44, 4);
    assert_true((bar0 & ~0xfu) == (uint32_t)BAR0_ADDR);
    pid_t monitor = (pid_t)live_record("monitor");
    assert_true(monitor > 0);
    char live[320];
    snprintf(live, sizeof(live), "%s/dom" HOSTILE_LIVE_DOMS "-0.live", dir);
    struct live_file f;

    /* 1. Another domain's file. (The genuine one is kept in the log
     * directory: fuzz_live's seeds are made from such files.) */
    pid_t old = checkpoint_then_kill(s, monitor);
    live_read(live, &f);
    char kept[512];
    const char *logdir = getenv("XENGVT_TEST_LOGDIR");
    snprintf(kept, sizeof(kept), "%s/hostile_live.genuine.live", logdir ? logdir : "/tmp");
    FILE *k = fopen(kept, "wb");
    if (k) {
        fwrite(f.p, 1, f.len, k);
        fclose(k);
    }
    put32(f.p + LIVE_DOMID_AT, HOSTILE_LIVE_DOMID + 1);
    live_write(live, &f);
    pid_t successor = resume_successor(s, monitor, old);
    successor_said_in_sandbox("no state of a predecessor to take (it is another domain's)");
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, SCRATCH, 4), 0x111); /* the checkpoint's */
    assert_true(sim_mmio_read(s, 0, PVINFO, 8) == VGT_MAGIC);

    /* 2. Another device's config space. */
    sim_mmio_write(s, 0, SCRATCH, 4, 0x222);
    old = checkpoint_then_kill(s, monitor);
    live_read(live, &f);
    put32(f.p + f.pcicfg_at, 0x123410deu);          /* vendor and device */
    put32(f.p + f.pcicfg_at + 0x10, 0xfe000000u);   /* BAR0 elsewhere */
    live_write(live, &f);
    successor = resume_successor(s, monitor, old);
    successor_said_in_sandbox("the dead daemon's config space is another device's: the "
                              "checkpoint's is kept");
    successor_said_in_sandbox("registers as the dead daemon left them");
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), VENDOR_DEVICE);
    assert_int_equal((uint32_t)sim_cfg_read(s, 0, VGPU_SBDF, 0x10, 4), bar0);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, SCRATCH, 4), 0xdef); /* the file's */

    /* 3. This device's config space with bits no guest can write, PVINFO's
     * host half rewritten, an engine running a ring outside the vGPU's
     * memory. */
    old = checkpoint_then_kill(s, monitor);
    live_read(live, &f);
    put32(f.p + f.pcicfg_at + 0x10, (uint32_t)BAR0_ADDR | 0x00fff00fu); /* size and flags */
    put32(f.p + f.pcicfg_at + 0xb4, 0x42);          /* MSI data: the guest's to write */
    put32(f.p + 4096 + 0x78044, 0xfffff000u);       /* PVINFO mappable size */
    put32(f.p + 4096 + 0x78100, 0x1c);              /* a reserved host dword */
    struct gvt_engine *rcs = (struct gvt_engine *)(f.p + f.engines_at);
    memset(rcs, 0, sizeof(*rcs));
    rcs->port[0].valid = true;
    rcs->port[0].desc = 0x9ull << 32 | 0x40000u | 0x19;
    rcs->active = rcs->loaded = true;
    rcs->csb_write = CSB_PTR_RESET;
    rcs->cs.ring_start = 0xfff00000u; /* above the vGPU's slices */
    rcs->cs.ring_size = 4096;
    rcs->cs.tail = 64;
    live_write(live, &f);
    successor = resume_successor(s, monitor, old);
    successor_said_in_sandbox("config space as the dead daemon left it");
    successor_said_in_sandbox("engines as the dead daemon left them");
    successor_said_in_sandbox("rcs: engine error, stopped until reset: commands at ring "
                              "0xfff00000+0 are not in the vGPU's memory");
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), VENDOR_DEVICE);
    assert_int_equal((uint32_t)sim_cfg_read(s, 0, VGPU_SBDF, 0x10, 4), bar0);
    assert_true(sim_mmio_read(s, 0, PVINFO, 8) == VGT_MAGIC);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, PVINFO + 0x44, 4), mappable);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, PVINFO + 0x100, 4), 0);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, SCRATCH, 4), 0xdef);
    /* The engine's error is the guest's to see (RING_ESR, until it resets
     * the engine); its MSI as the file had it, which the guest could have
     * written itself. */
    assert_int_not_equal((uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x2000 + RING_ESR, 4), 0);
    assert_int_equal((uint32_t)sim_cfg_read(s, 0, VGPU_SBDF, 0xb4, 2), 0x42);
    assert_int_equal(sim_state(s)->denied_calls, 0); /* nothing outside its domain tried */

    const char *destroy[] = { getenv("XL_VGPU"), "destroy", "hostile_live", NULL };
    char out[4096];
    assert_int_equal(sim_run(s, destroy, out, sizeof(out)), 0);
    end = sim_now_ms() + 10000;
    while (kill(successor, 0) == 0 && proc_state(successor) != 'Z' && sim_now_ms() < end)
        usleep(20 * 1000);
    assert_true(kill(successor, 0) != 0 || proc_state(successor) == 'Z');
    sim_stop(s);
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
        cmocka_unit_test(test_hostile_live_state),
    };
    return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
