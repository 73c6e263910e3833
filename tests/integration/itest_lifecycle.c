/* A guest's whole life under xl-vgpu's supervisor, with the simulator
 * playing Xen (domains that shut down with a reason, are destroyed and
 * re-created with the next domid) and the stand-in xl driving it:
 *  - the guest reboots twice and is served both times, then powers off;
 *  - each on_* action xl knows (preserve, destroy, coredump-restart,
 *    rename-restart) on the event it is configured for;
 *  - a daemon killed with SIGKILL under each on_daemon_death policy:
 *    restart (from its checkpoint, answering the access a vCPU was
 *    waiting on when it died; with the registers and engine state the
 *    guest changed after the checkpoint), crash, preserve.
 * After each: no daemon, supervisor, record, socket, checkpoint or
 * xenstore key is left. */
#include "xlvgpu_env.h"

/* Not 7, which the daemon tests running alongside use: xl-vgpu kills what
 * runs as the uid of a domain it is done with. */
#define LC_DOMID 27
#define LC_DOMS "27"
#include "gpu_guest.h"

#include <pthread.h>
#include <xen/sched.h>

#define SCRATCH (BAR0_ADDR + 0x4f000) /* a plain register: a value the state keeps */
#define VENDOR_DEVICE 0x19128086u

static long record_field(long domid, const char *key)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/dom%ld.vgpu", dir, domid);
    const char *rec = slurp(path);
    char want[32];
    snprintf(want, sizeof(want), "%s ", key);
    const char *v = strstr(rec, want);
    return v ? atol(v + strlen(want)) : -1;
}

static bool record_state_is(long domid, const char *state)
{
    char path[320], want[64];
    snprintf(path, sizeof(path), "%s/dom%ld.vgpu", dir, domid);
    snprintf(want, sizeof(want), "state %s\n", state);
    return strstr(slurp(path), want) != NULL;
}

static bool wait_until(bool (*cond)(void *), void *arg, int timeout_ms)
{
    uint64_t end = sim_now_ms() + (uint64_t)timeout_ms;
    while (sim_now_ms() < end) {
        if (cond(arg))
            return true;
        usleep(20 * 1000);
    }
    return cond(arg);
}

struct served_at {
    struct sim *s;
    long domid;
};

/* Domain `domid` exists and its vGPU answers. */
static bool is_served(void *p)
{
    struct served_at *w = p;
    struct sim_shared *sh = sim_state(w->s);
    return __atomic_load_n(&sh->alive, __ATOMIC_ACQUIRE) && sh->domid == (uint32_t)w->domid &&
           record_state_is(w->domid, "running") && !sh->paused &&
           sim_cfg_read(w->s, 0, VGPU_SBDF, 0, 4) == VENDOR_DEVICE;
}

static bool is_gone(void *p)
{
    pid_t pid = *(pid_t *)p;
    return pid <= 0 || kill(pid, 0) != 0;
}

static const char *monitor_log(const char *name)
{
    static char path[320];
    snprintf(path, sizeof(path), "%s/xl-vgpu-%s.log", dir, name);
    return path;
}

/* Nothing of the guest is left: processes, records, sockets,
 * checkpoints, kept configs, the daemon's xenstore key. */
static void assert_nothing_left(struct sim *s, const char *name, const pid_t *pids, unsigned n,
                                long last_domid)
{
    for (unsigned i = 0; i < n; i++) {
        pid_t p = pids[i];
        assert_true(wait_until(is_gone, &p, 10000));
    }
    char out[4096];
    const char *list[] = { getenv("XL_VGPU"), "list", NULL };
    assert_int_equal(run(list, out, sizeof(out)), 0);
    assert_null(strstr(out, name));
    char cmd[600];
    snprintf(cmd, sizeof(cmd),
             "ls '%s' | grep -E '\\.(vgpu|sock|checkpoint|live|create|tmp)$|^%s\\.cfg$' >/dev/null",
             dir, name);
    assert_int_not_equal(system(cmd), 0);
    char key[96];
    snprintf(key, sizeof(key), "/local/domain/0/device-model/%ld/xengvt/state", last_domid);
    const char *v = sim_xs_read(s, key);
    assert_true(!v || !v[0]);
}

static struct sim *create_guest(const char *name, const char *vgpu, const char *more)
{
    setup_env(name, LC_DOMID);
    setenv("FAKE_XL_SIM", "1", 1);
    const char *cfg = write_cfg_with(name, vgpu, more);
    const char *argv[] = { getenv("XL_VGPU"), "create", cfg, NULL };
    int status;
    char log[64];
    snprintf(log, sizeof(log), "lifecycle_%s", name);
    struct sim *s = launch(itest_log_path(log), argv, LC_DOMID, NULL, &status);
    assert_int_equal(WEXITSTATUS(status), 0);
    struct served_at w = { s, LC_DOMID };
    assert_true(wait_until(is_served, &w, 10000));
    return s;
}

static void reboot_and_wait(struct sim *s, unsigned reason, long *domid, bool destroyed)
{
    long old = *domid;
    pid_t old_daemon = (pid_t)record_field(old, "vgpu");
    sim_shutdown_domain(s, reason);
    struct served_at w = { s, old + 1 };
    assert_true(wait_until(is_served, &w, 20000));
    *domid = old + 1;
    /* The old domain went first, with its daemon and record; the new one
     * ran only once its daemon served. */
    char want[64];
    snprintf(want, sizeof(want), "destroy %ld\n", old);
    if (destroyed)
        assert_non_null(strstr(slurp(xl_log), want));
    snprintf(want, sizeof(want), "unpause %ld\n", *domid);
    assert_non_null(strstr(slurp(xl_log), want));
    assert_true(wait_until(is_gone, &old_daemon, 5000));
    assert_int_equal(record_field(old, "name"), -1);
}

static void test_reboot_twice(void **state)
{
    (void)state;
    struct sim *s = create_guest("life1", "\"type=GVTg_V5_4\"", "");
    long domid = LC_DOMID;
    pid_t monitor = (pid_t)record_field(LC_DOMID, "monitor");
    assert_true(monitor > 0 && kill(monitor, 0) == 0);
    reboot_and_wait(s, SHUTDOWN_reboot, &domid, true);
    reboot_and_wait(s, SHUTDOWN_reboot, &domid, true);
    assert_int_equal(domid, LC_DOMID + 2);
    pid_t daemon = (pid_t)record_field(LC_DOMID + 2, "vgpu");
    /* `xl-vgpu reboot` is xl reboot; the supervisor does the rest. */
    char out[4096];
    const char *reboot[] = { getenv("XL_VGPU"), "reboot", "life1", NULL };
    assert_int_equal(sim_run(s, reboot, out, sizeof(out)), 0);
    struct served_at w = { s, LC_DOMID + 3 };
    assert_true(wait_until(is_served, &w, 20000));
    daemon = (pid_t)record_field(LC_DOMID + 3, "vgpu");
    /* Powered off: on_poweroff's default, destroy; everything goes. */
    const char *shutdown[] = { getenv("XL_VGPU"), "shutdown", "life1", NULL };
    assert_int_equal(sim_run(s, shutdown, out, sizeof(out)), 0);
    pid_t pids[] = { monitor, daemon };
    assert_nothing_left(s, "life1", pids, 2, LC_DOMID + 3);
    assert_false(__atomic_load_n(&sim_state(s)->alive, __ATOMIC_ACQUIRE));
    const char *log = monitor_log("life1");
    assert_true(itest_log_contains(log, "life1 restarted as domain 28 with its 1 vGPU"));
    assert_true(itest_log_contains(log, "life1 restarted as domain 29"));
    assert_true(itest_log_contains(log, "shut down (poweroff): on_poweroff=destroy"));
    sim_stop(s);
}

static void test_guest_actions(void **state)
{
    (void)state;
    struct sim *s = create_guest("life2", "\"type=GVTg_V5_4\"",
                                 "on_crash = \"coredump-restart\"\n"
                                 "on_watchdog = \"rename-restart\"\n"
                                 "on_reboot = \"preserve\"\n");
    long domid = LC_DOMID;
    pid_t monitor = (pid_t)record_field(LC_DOMID, "monitor");
    /* A crash: a core dump where xl puts them, then a restart. */
    reboot_and_wait(s, SHUTDOWN_crash, &domid, true);
    assert_non_null(strstr(slurp(xl_log), "dump-core " LC_DOMS " "));
    char core[320];
    snprintf(core, sizeof(core), "%s/life2", dir);
    assert_int_equal(access(core, F_OK), 0);
    /* The watchdog: the old domain kept under xl's dated name. */
    reboot_and_wait(s, SHUTDOWN_watchdog, &domid, false);
    assert_non_null(strstr(slurp(xl_log), "rename 28 life2-20"));
    /* A reboot, preserved: the shut-down domain stays for inspection,
     * its record says so, nothing restarts. */
    sim_shutdown_domain(s, SHUTDOWN_reboot);
    long d = domid;
    uint64_t end = sim_now_ms() + 10000;
    while (!record_state_is(d, "preserved") && sim_now_ms() < end)
        usleep(20 * 1000);
    assert_true(record_state_is(d, "preserved"));
    assert_true(__atomic_load_n(&sim_state(s)->alive, __ATOMIC_ACQUIRE));
    char out[4096];
    const char *list[] = { getenv("XL_VGPU"), "list", NULL };
    assert_int_equal(run(list, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "preserved"));
    pid_t daemon = (pid_t)record_field(d, "vgpu");
    const char *destroy[] = { getenv("XL_VGPU"), "destroy", "life2", NULL };
    assert_int_equal(sim_run(s, destroy, out, sizeof(out)), 0);
    pid_t pids[] = { monitor, daemon };
    assert_nothing_left(s, "life2", pids, 2, d);
    sim_stop(s);

    /* on_reboot = "destroy": the guest is not restarted. */
    s = create_guest("life3", "\"type=GVTg_V5_4\"", "on_reboot = \"destroy\"\n");
    monitor = (pid_t)record_field(LC_DOMID, "monitor");
    daemon = (pid_t)record_field(LC_DOMID, "vgpu");
    sim_shutdown_domain(s, SHUTDOWN_reboot);
    pid_t pids3[] = { monitor, daemon };
    assert_nothing_left(s, "life3", pids3, 2, LC_DOMID);
    const char *first = strstr(slurp(xl_log), "create -p -e");
    assert_non_null(first);
    assert_null(strstr(first + 1, "create -p -e")); /* created once, never again */
    assert_true(itest_log_contains(monitor_log("life3"), "on_reboot=destroy"));
    sim_stop(s);
}

/* A vCPU's access posted while the daemon cannot answer (stopped), so it
 * is in flight when the daemon is killed. */
struct inflight {
    struct sim *s;
    ioreq_t req;
    int timeout_ms;
    int rc;
};

static void *post_read(void *p)
{
    struct inflight *f = p;
    f->rc = sim_ioreq(f->s, 0, &f->req, f->timeout_ms);
    return NULL;
}

static pid_t kill_mid_access(struct sim *s, pid_t daemon, struct inflight *f, pthread_t *t,
                             int timeout_ms)
{
    assert_true(daemon > 0); /* kill(-1, ...) would signal everything we may */
    f->s = s;
    f->timeout_ms = timeout_ms;
    f->req = (ioreq_t){ .addr = SCRATCH, .size = 4, .count = 1, .dir = IOREQ_READ,
                        .type = IOREQ_TYPE_COPY, .state = STATE_IOREQ_READY };
    assert_int_equal(kill(daemon, SIGSTOP), 0);
    assert_int_equal(pthread_create(t, NULL, post_read, f), 0);
    usleep(200 * 1000);
    assert_int_equal(kill(daemon, SIGKILL), 0);
    return daemon;
}

/* The dead daemon had write-protected a page (a shadowed page table) and
 * the guest's store to it was in flight: the successor, which knows
 * nothing of that page, performs the store into guest RAM, and gives the
 * dead daemon's protected pages back to plain RAM. */
static void test_daemon_death_restart_store(void **state)
{
    (void)state;
    struct sim *s = create_guest("death4", "\"type=GVTg_V5_4\"", "");
    itest_place_bars(s, false);
    char ckpt[320];
    snprintf(ckpt, sizeof(ckpt), "%s/dom" LC_DOMS "-0.checkpoint", dir);
    struct stat st;
    uint64_t end = sim_now_ms() + 8000;
    while (stat(ckpt, &st) != 0 && sim_now_ms() < end)
        usleep(50 * 1000);
    pid_t monitor = (pid_t)record_field(LC_DOMID, "monitor");
    pid_t old = (pid_t)record_field(LC_DOMID, "vgpu");
    assert_true(old > 0);
    sim_state(s)->memtype_claimed = 1; /* as the dead daemon had claimed them */
    const uint64_t gpa = 0x200000;
    struct inflight f = { .s = s, .timeout_ms = 20000 };
    f.req = (ioreq_t){ .addr = gpa, .size = 4, .count = 1, .dir = IOREQ_WRITE,
                       .type = IOREQ_TYPE_COPY, .data = 0x5a5a1234, .state = STATE_IOREQ_READY };
    pthread_t t;
    assert_int_equal(kill(old, SIGSTOP), 0);
    assert_int_equal(pthread_create(&t, NULL, post_read, &f), 0);
    usleep(200 * 1000);
    assert_int_equal(kill(old, SIGKILL), 0);
    pthread_join(t, NULL);
    assert_int_equal(f.rc, 0);
    uint32_t got;
    memcpy(&got, (uint8_t *)sim_ram(s) + gpa, 4);
    assert_int_equal(got, 0x5a5a1234);
    assert_int_equal(sim_state(s)->memtype_claimed, 0);
    end = sim_now_ms() + 5000;
    while (record_field(LC_DOMID, "vgpu") == old && sim_now_ms() < end)
        usleep(20 * 1000);
    pid_t successor = (pid_t)record_field(LC_DOMID, "vgpu");
    char out[4096];
    const char *destroy[] = { getenv("XL_VGPU"), "destroy", "death4", NULL };
    assert_int_equal(sim_run(s, destroy, out, sizeof(out)), 0);
    pid_t pids[] = { monitor, old, successor };
    assert_nothing_left(s, "death4", pids, 3, LC_DOMID);
    sim_stop(s);
}

static bool checkpoint_after(void *p)
{
    const char *path = ((const char **)p)[0];
    time_t since = *(const time_t *)((const char **)p)[1];
    struct stat st;
    return stat(path, &st) == 0 && st.st_mtime > since;
}

static void test_daemon_death_restart(void **state)
{
    (void)state;
    struct sim *s = create_guest("death1", "\"type=GVTg_V5_4\"", "");
    itest_place_bars(s, false);
    sim_mmio_write(s, 0, SCRATCH, 4, 0xabc);
    /* A checkpoint taken after the write. */
    char ckpt[320];
    snprintf(ckpt, sizeof(ckpt), "%s/dom" LC_DOMS "-0.checkpoint", dir);
    time_t written = time(NULL);
    const void *arg[] = { ckpt, &written };
    assert_true(wait_until(checkpoint_after, arg, 8000));
    pid_t monitor = (pid_t)record_field(LC_DOMID, "monitor");
    pid_t old = (pid_t)record_field(LC_DOMID, "vgpu");
    struct inflight f;
    pthread_t t;
    kill_mid_access(s, old, &f, &t, 20000);
    pthread_join(t, NULL);
    /* The successor adopted the server and answered the waiting access from
     * the checkpointed state. */
    assert_int_equal(f.rc, 0);
    assert_int_equal((uint32_t)f.req.data, 0xabc);
    uint64_t end = sim_now_ms() + 5000;
    while ((record_field(LC_DOMID, "vgpu") == old || !record_state_is(LC_DOMID, "running")) &&
           sim_now_ms() < end)
        usleep(20 * 1000);
    pid_t successor = (pid_t)record_field(LC_DOMID, "vgpu");
    assert_true(successor > 0 && successor != old && kill(successor, 0) == 0);
    assert_true(record_state_is(LC_DOMID, "running"));
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, SCRATCH, 4), 0xabc);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), VENDOR_DEVICE);
    const char *log = monitor_log("death1");
    assert_true(itest_log_contains(log, "xengvtd killed by signal 9 (Killed); "
                                        "on_daemon_death=restart"));
    /* The supervisor records the successor running before it logs the
     * restart: under load the test can read the log in between. */
    end = sim_now_ms() + 5000;
    while (!itest_log_contains(log, "adopting ioreq server") && sim_now_ms() < end)
        usleep(20 * 1000);
    assert_true(itest_log_contains(log, "adopting ioreq server"));
    /* The successor, built from files in its sandbox, is said to serve in
     * xenstore by the supervisor that saw it answer. */
    char key[96];
    snprintf(key, sizeof(key), "/local/domain/0/device-model/%ld/xengvt/state",
             (long)LC_DOMID);
    const char *st = sim_xs_read(s, key);
    assert_non_null(st);
    assert_string_equal(st, "running");
    char out[4096];
    const char *destroy[] = { getenv("XL_VGPU"), "destroy", "death1", NULL };
    assert_int_equal(sim_run(s, destroy, out, sizeof(out)), 0);
    pid_t pids[] = { monitor, old, successor };
    assert_nothing_left(s, "death1", pids, 3, LC_DOMID);
    sim_stop(s);
}

static bool newer_checkpoint(void *p)
{
    const char *path = ((const char **)p)[0];
    const struct timespec *since = (const struct timespec *)((const char **)p)[1];
    struct stat st;
    return stat(path, &st) == 0 &&
           (st.st_mtim.tv_sec > since->tv_sec ||
            (st.st_mtim.tv_sec == since->tv_sec && st.st_mtim.tv_nsec > since->tv_nsec));
}

#define MASTER_IRQ (BAR0_ADDR + 0x44200)
#define PIPE_A_IMR (BAR0_ADDR + 0x44404)
#define PIPE_A_IIR (BAR0_ADDR + 0x44408)
#define PIPE_A_IER (BAR0_ADDR + 0x4440c)
#define VBLANK 1u

/* Right after a new checkpoint of the first domain's vGPU, its supervisor is stopped:
 * what the test does next reaches only the daemon's live state. */
static void stop_after_checkpoint(pid_t *monitor, pid_t *old)
{
    char ckpt[320];
    snprintf(ckpt, sizeof(ckpt), "%s/dom" LC_DOMS "-0.checkpoint", dir);
    struct timespec after = { 0 };
    clock_gettime(CLOCK_REALTIME, &after);
    const void *arg[] = { ckpt, &after };
    assert_true(wait_until(newer_checkpoint, arg, 8000));
    *monitor = (pid_t)record_field(LC_DOMID, "monitor");
    *old = (pid_t)record_field(LC_DOMID, "vgpu");
    assert_true(*monitor > 0 && *old > 0); /* kill(-1, ...) would signal everything */
    assert_int_equal(kill(*monitor, SIGSTOP), 0);
}

/* The daemon dies; its supervisor goes on and restarts it. The successor. */
static pid_t kill_and_resume(pid_t monitor, pid_t old)
{
    assert_int_equal(kill(old, SIGKILL), 0);
    assert_int_equal(kill(monitor, SIGCONT), 0);
    uint64_t end = sim_now_ms() + 8000;
    while ((record_field(LC_DOMID, "vgpu") == old || !record_state_is(LC_DOMID, "running")) &&
           sim_now_ms() < end)
        usleep(20 * 1000);
    pid_t successor = (pid_t)record_field(LC_DOMID, "vgpu");
    assert_true(successor > 0 && successor != old);
    return successor;
}

static void destroy_and_check(struct sim *s, const char *name, pid_t monitor, pid_t old,
                              pid_t successor)
{
    char out[4096];
    const char *destroy[] = { getenv("XL_VGPU"), "destroy", name, NULL };
    assert_int_equal(sim_run(s, destroy, out, sizeof(out)), 0);
    pid_t pids[] = { monitor, old, successor };
    assert_nothing_left(s, name, pids, 3, LC_DOMID);
    sim_stop(s);
}

static bool daemon_log_says(const char *what)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/dom" LC_DOMS ".log", dir);
    return itest_log_contains(path, what);
}

/* What the guest wrote after the last checkpoint outlives the daemon too
 * (its register file and config space live in the run directory's .live
 * file). i915 unmasks the vblank interrupt only while something waits for
 * a vblank (a flip's completion): restored masked from the checkpoint,
 * that wait would never end (real Xen showed "flip_done timed out" for
 * good). Linux rewrites the MSI data when it moves the interrupt to
 * another CPU: sent to the old vector, nothing would handle it. */
static void test_daemon_death_restart_live(void **state)
{
    (void)state;
    struct sim *s = create_guest("death5", "\"type=GVTg_V5_4\"", "");
    itest_place_bars(s, false);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xb0, 4, 0xfee00000); /* MSI, as i915 sets it */
    sim_cfg_write(s, 0, VGPU_SBDF, 0xb4, 2, 0x31);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xae, 2, 1);
    sim_mmio_write(s, 0, PIPE_A_IMR, 4, ~0u); /* vblank off */
    sim_mmio_write(s, 0, PIPE_A_IER, 4, VBLANK);
    sim_mmio_write(s, 0, MASTER_IRQ, 4, 0x80000000u);
    sim_mmio_write(s, 0, SCRATCH, 4, 0x111);
    pid_t monitor, old;
    stop_after_checkpoint(&monitor, &old);
    sim_mmio_write(s, 0, SCRATCH, 4, 0xdef);
    sim_mmio_write(s, 0, PIPE_A_IMR, 4, ~VBLANK); /* a flip waits for a vblank */
    sim_cfg_write(s, 0, VGPU_SBDF, 0xb4, 2, 0x42); /* the IRQ moved to another CPU */
    pid_t successor = kill_and_resume(monitor, old);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, SCRATCH, 4), 0xdef);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, PIPE_A_IMR, 4), ~VBLANK);
    /* Vblanks interrupt the guest again: ~30 in half a second, each
     * acknowledged as i915's handler does (the first handling the MSIs
     * already sent, by the dead daemon or its successor). */
    uint32_t seen = sim_msi_count(s), first = seen;
    uint64_t t0 = sim_now_ms();
    bool ack = true;
    while (sim_now_ms() - t0 < 500) {
        if (ack) {
            sim_mmio_write(s, 0, MASTER_IRQ, 4, 0);
            uint32_t iir = (uint32_t)sim_mmio_read(s, 0, PIPE_A_IIR, 4);
            sim_mmio_write(s, 0, PIPE_A_IIR, 4, iir);
            sim_mmio_write(s, 0, MASTER_IRQ, 4, 0x80000000u);
        }
        ack = sim_wait_msi(s, seen + 1, 50);
        seen = sim_msi_count(s);
    }
    if (seen - first < 10)
        fail_msg("%u vblank MSIs in 500 ms after the restart, ~30 expected", seen - first);
    assert_int_equal(sim_msi_get(s, seen - 1).data, 0x42); /* to the vector it moved to */
    assert_true(daemon_log_says("registers as the dead daemon left them"));
    assert_true(daemon_log_says("config space as the dead daemon left it"));
    destroy_and_check(s, "death5", monitor, old, successor);
}

/* The engines' state outlives the daemon too. i915 writes a submission as
 * four ELSP dwords: a daemon that dies after two leaves the other two to
 * its successor, and the context runs. (From the checkpoint alone the
 * successor would take them as the first two and never submit.) */
static void test_daemon_death_mid_submission(void **state)
{
    (void)state;
    struct sim *s = create_guest("death6", "\"type=GVTg_V5_4\"", "");
    struct gg g;
    gg_init(&g, s);
    const uint32_t cmds[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO, 0, 0x5eed,
                              MI_USER_INTERRUPT, MI_NOOP };
    memcpy(gg_ga(&g, GG_RING(GG_RCS, 0)), cmds, sizeof(cmds));
    gg_ctx_init(&g, GG_RCS, GG_CTX(GG_RCS, 0), GG_RING(GG_RCS, 0), 0, sizeof(cmds));
    const uint32_t elsp = gg_base[GG_RCS] + 0x230;
    const uint64_t desc = gg_desc(GG_CTX(GG_RCS, 0), 9);
    pid_t monitor, old;
    stop_after_checkpoint(&monitor, &old);
    gg_write(&g, elsp, 0); /* element 1: none */
    gg_write(&g, elsp, 0);
    pid_t successor = kill_and_resume(monitor, old);
    gg_write(&g, elsp, (uint32_t)(desc >> 32));
    gg_write(&g, elsp, (uint32_t)desc);
    uint32_t st[2] = { 0 }, id[2] = { 0 };
    assert_true(gg_wait_csb(&g, GG_RCS, 2, st, id, 5000));
    assert_int_equal(id[1], 9);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 0x5eed);
    assert_true(daemon_log_says("engines as the dead daemon left them"));
    destroy_and_check(s, "death6", monitor, old, successor);
}

/* A guest whose daemon (policy `policy`) is SIGKILLed with an access in
 * flight (given up after 1 s: the daemon is not replaced). */
static struct sim *guest_with_killed_daemon(const char *name, const char *policy,
                                            pid_t *monitor, pid_t *old, struct inflight *f,
                                            pthread_t *t)
{
    char vgpu[96];
    snprintf(vgpu, sizeof(vgpu), "\"type=GVTg_V5_4,on_daemon_death=%s\"", policy);
    struct sim *s = create_guest(name, vgpu, "");
    itest_place_bars(s, false);
    *monitor = (pid_t)record_field(LC_DOMID, "monitor");
    *old = (pid_t)record_field(LC_DOMID, "vgpu");
    kill_mid_access(s, *old, f, t, 1000);
    return s;
}

static void test_daemon_death_crash(void **state)
{
    (void)state;
    /* on_crash's default, destroy. */
    pid_t monitor, old;
    struct inflight f;
    pthread_t t;
    struct sim *s = guest_with_killed_daemon("death2", "crash", &monitor, &old, &f, &t);
    pid_t pids[] = { monitor, old };
    assert_nothing_left(s, "death2", pids, 2, LC_DOMID);
    assert_false(__atomic_load_n(&sim_state(s)->alive, __ATOMIC_ACQUIRE));
    assert_true(itest_log_contains(monitor_log("death2"),
                                   "is treated as crashed (crash): on_crash=destroy"));
    pthread_join(t, NULL); /* the access died with its domain */
    sim_stop(s);
}

static void test_daemon_death_preserve(void **state)
{
    (void)state;
    pid_t monitor, old;
    struct inflight f;
    pthread_t t;
    struct sim *s = guest_with_killed_daemon("death3", "preserve", &monitor, &old, &f, &t);
    uint64_t end = sim_now_ms() + 10000;
    while (!record_state_is(LC_DOMID, "daemon-dead") && sim_now_ms() < end)
        usleep(20 * 1000);
    /* Paused and left as it was, for inspection. */
    assert_true(record_state_is(LC_DOMID, "daemon-dead"));
    assert_true(sim_state(s)->paused);
    assert_true(__atomic_load_n(&sim_state(s)->alive, __ATOMIC_ACQUIRE));
    char out[4096];
    const char *list[] = { getenv("XL_VGPU"), "list", NULL };
    assert_int_equal(run(list, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "daemon-dead"));
    assert_non_null(strstr(out, "gone"));
    const char *destroy[] = { getenv("XL_VGPU"), "destroy", "death3", NULL };
    assert_int_equal(sim_run(s, destroy, out, sizeof(out)), 0);
    pid_t pids[] = { monitor, old };
    assert_nothing_left(s, "death3", pids, 2, LC_DOMID);
    pthread_join(t, NULL);
    sim_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reboot_twice),
        cmocka_unit_test(test_guest_actions),
        cmocka_unit_test(test_daemon_death_restart),
        cmocka_unit_test(test_daemon_death_restart_store),
        cmocka_unit_test(test_daemon_death_restart_live),
        cmocka_unit_test(test_daemon_death_mid_submission),
        cmocka_unit_test(test_daemon_death_crash),
        cmocka_unit_test(test_daemon_death_preserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
