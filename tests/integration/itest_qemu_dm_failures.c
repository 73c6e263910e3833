/* The device-model wrapper when things go wrong, run as libxl runs it
 * (qemu_dm_env.h): a vGPU daemon that dies is restarted from its
 * checkpoint, or crashes or preserves the guest, per on_daemon_death; a
 * restore from a device state without the vGPU, of an unknown version or
 * damaged is refused with the reason, and so is one the daemon refuses. */
#include "qemu_dm_env.h"

/* --- on_daemon_death ------------------------------------------------------ */

/* The running daemon of vGPU 0 of `domid`, from the wrapper's record
 * (domN.vgpu: "vgpu PID SOCKET LOG SPEC" lines, xl-vgpu's format). */
static pid_t daemon_pid(long domid)
{
    char name[32];
    snprintf(name, sizeof(name), "dom%ld.vgpu", domid);
    char path[400];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    const char *rec = slurp(path, NULL), *v = strstr(rec, "\nvgpu ");
    if (v)
        v++;
    else if (strncmp(rec, "vgpu ", 5) == 0)
        v = rec;
    return v ? (pid_t)atoi(v + 5) : 0;
}

static void kill_daemon(long domid)
{
    pid_t pid = daemon_pid(domid);
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGKILL), 0);
}

/* restart (the default), as xl-vgpu's supervisor: a successor from the
 * checkpoint the helper takes every 2 s, adopting the ioreq server, with
 * what the guest wrote before it; the record names it. */
static void test_daemon_death_restart(void **state)
{
    (void)state;
    setup("death");
    const char *argv[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_DEATH, "-chardev", chardev,
                           "-vgpu", "type=GVTg_V5_4", NULL };
    const char *log = itest_log_path("qemudm_death");
    struct sim *s = sim_start(&(struct sim_opts){ .exec_argv = argv, .no_wait_ready = true,
                                                  .log_path = log, .domid = DOM_DEATH,
                                                  .ram_bytes = 64u << 20 });
    assert_non_null(s);
    wait_qemu();
    itest_place_bars(s, false);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x4f000, 4, 0x5a5a);
    usleep(2600 * 1000); /* a checkpoint after the write */
    pid_t old = daemon_pid(DOM_DEATH);
    kill_daemon(DOM_DEATH);
    pid_t now = 0;
    for (int i = 0; i < 200 && ((now = daemon_pid(DOM_DEATH)) == old || now <= 0); i++)
        usleep(50 * 1000);
    assert_true(now > 0 && now != old);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x4f000, 4), 0x5a5a);
    assert_true(itest_log_contains(log, "on_daemon_death=restart"));
    assert_true(itest_log_contains(log, "vGPU 0 restarted (pid"));
    sim_stop(s);
}

/* crash: the domain is marked crashed (xl's monitor applies on_crash);
 * preserve: xl pause, for inspection. */
static void test_daemon_death_crash_preserve(void **state)
{
    (void)state;
    setup("crash");
    const char *argv[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_CRASH, "-chardev", chardev,
                           "-vgpu", "type=GVTg_V5_4,on_daemon_death=crash", NULL };
    const char *log = itest_log_path("qemudm_crash");
    struct sim *s = sim_start(&(struct sim_opts){ .exec_argv = argv, .no_wait_ready = true,
                                                  .log_path = log, .domid = DOM_CRASH,
                                                  .ram_bytes = 64u << 20 });
    assert_non_null(s);
    wait_qemu();
    kill_daemon(DOM_CRASH);
    for (int i = 0; i < 200 && !__atomic_load_n(&sim_state(s)->shutdown, __ATOMIC_ACQUIRE); i++)
        usleep(50 * 1000);
    assert_int_equal(sim_state(s)->shutdown, 1);
    assert_int_equal(sim_state(s)->shutdown_reason, 3 /* SHUTDOWN_crash */);
    assert_true(itest_log_contains(log, "marked crashed: its on_crash applies"));
    sim_stop(s);

    setup("preserve");
    char xl[512], xl_log[400];
    snprintf(xl, sizeof(xl), "%s/fake-xl", getenv("XENGVT_TEST_SRCDIR"));
    snprintf(xl_log, sizeof(xl_log), "%s/xl.log", dir);
    setenv("XL", xl, 1);
    setenv("FAKE_XL_LOG", xl_log, 1);
    unsetenv("FAKE_XL_SIM");
    const char *pargv[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_PRESERVE, "-chardev", chardev,
                            "-vgpu", "type=GVTg_V5_4,on_daemon_death=preserve", NULL };
    log = itest_log_path("qemudm_preserve");
    s = sim_start(&(struct sim_opts){ .exec_argv = pargv, .no_wait_ready = true, .log_path = log,
                                      .domid = DOM_PRESERVE, .ram_bytes = 64u << 20 });
    assert_non_null(s);
    wait_qemu();
    kill_daemon(DOM_PRESERVE);
    for (int i = 0; i < 200 && !strstr(slurp(xl_log, NULL), "pause " DOMS_PRESERVE); i++)
        usleep(50 * 1000);
    assert_non_null(strstr(slurp(xl_log, NULL), "pause " DOMS_PRESERVE "\n"));
    assert_int_equal(sim_state(s)->shutdown, 0);
    sim_stop(s);
    unsetenv("XL");
    unsetenv("FAKE_XL_LOG");
}

/* --- refused restores ------------------------------------------------------ */

static const char qemu_bytes[] = "QEVM\0\0\0\3some-device-state";

/* A device state file: QEMU's bytes, with a vGPU section if asked. */
static void write_state(const char *path, bool with_vgpu, const char *state)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, qemu_bytes, sizeof(qemu_bytes)), (ssize_t)sizeof(qemu_bytes));
    if (with_vgpu) {
        struct savefile sf = { .count = 2 };
        snprintf(sf.s[0].tag, sizeof(sf.s[0].tag), "vgpu0.spec");
        sf.s[0].data = (uint8_t *)"type=GVTg_V5_4";
        sf.s[0].len = 14;
        snprintf(sf.s[1].tag, sizeof(sf.s[1].tag), "vgpu0.state");
        sf.s[1].data = (uint8_t *)state;
        sf.s[1].len = strlen(state);
        const char *why = "";
        assert_int_equal(dmstate_insert(fd, &sf, &why), 0);
    }
    close(fd);
}

static void poke(const char *path, long from_end, uint8_t byte)
{
    int fd = open(path, O_RDWR);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(pwrite(fd, &byte, 1, st.st_size - from_end), 1);
    close(fd);
}

static int restore_from(const char *path, bool vgpu, char *out, size_t cap)
{
    int in = open(path, O_RDONLY);
    assert_true(in >= 0);
    char incoming[32];
    snprintf(incoming, sizeof(incoming), "fd:%d", in);
    const char *argv[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_REFUSE, "-chardev", chardev,
                           "-incoming", incoming, vgpu ? "-vgpu" : NULL, "type=GVTg_V5_4",
                           NULL };
    int rc = itest_run_direct(argv, out, cap);
    close(in);
    return rc;
}

static void test_restore_refusals(void **state)
{
    (void)state;
    setup("refuse");
    char file[320], out[4096];
    snprintf(file, sizeof(file), "%s/qemu-resume", dir);
    /* Saved without the vGPU (plain QEMU, or another device model). */
    write_state(file, false, NULL);
    assert_int_equal(restore_from(file, true, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "refused: it carries no vGPU state"));
    /* Without the vGPU's state the stand-in QEMU may read it, unchanged. */
    /* A newer format. */
    write_state(file, true, "x");
    poke(file, 1 + 24 - 8, 99);
    assert_int_equal(restore_from(file, true, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "a format this xengvt does not know"));
    /* Damaged on the way. */
    write_state(file, true, "some vGPU state");
    poke(file, 1 + 24 + 3, 'Z');
    assert_int_equal(restore_from(file, true, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "checksum mismatch"));
    /* A vGPU state, but the guest's arguments have no -vgpu. */
    write_state(file, true, "some vGPU state");
    assert_int_equal(restore_from(file, false, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "has no -vgpu"));
    /* Never QEMU, never a daemon, nothing staged. */
    assert_int_equal(access(qlog, F_OK), -1);
    assert_false(exists("dom" DOMS_REFUSE "-0.restore"));
    assert_false(exists("dom" DOMS_REFUSE ".qmp"));
}

/* A whole container the daemon refuses (not a vGPU state): its reason,
 * the device model fails, nothing is left. */
static void test_restore_daemon_refuses(void **state)
{
    (void)state;
    setup("refuse2");
    char file[320];
    snprintf(file, sizeof(file), "%s/qemu-resume", dir);
    write_state(file, true, "not a vGPU state at all");
    int in = open(file, O_RDONLY);
    char incoming[32];
    snprintf(incoming, sizeof(incoming), "fd:%d", in);
    const char *argv[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_REFUSE, "-chardev", chardev,
                           "-incoming", incoming, "-vgpu", "type=GVTg_V5_4", NULL };
    const char *log = itest_log_path("qemudm_refuse");
    struct sim *s = sim_start(&(struct sim_opts){ .exec_argv = argv, .no_wait_ready = true,
                                                  .log_path = log, .domid = DOM_REFUSE,
                                                  .ram_bytes = 64u << 20 });
    close(in);
    assert_non_null(s);
    int status = sim_wait_exit(s, 30000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    assert_true(itest_log_contains(log, "refused"));
    assert_true(itest_log_contains(log, "xengvtd exited with status 5"));
    assert_int_equal(access(qlog, F_OK), -1);
    assert_false(exists("dom" DOMS_REFUSE "-0.restore"));
    assert_false(exists("dom" DOMS_REFUSE ".sock"));
    sim_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daemon_death_restart),
        cmocka_unit_test(test_daemon_death_crash_preserve),
        cmocka_unit_test(test_restore_refusals),
        cmocka_unit_test(test_restore_daemon_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
