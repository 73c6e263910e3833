/* The device-model wrapper (tools/qemu-dm) run as libxl runs it, against
 * the real xengvtd under the simulator and a stand-in QEMU (fake_qemu.c):
 * the vGPU serves before QEMU is exec'd (same pid, its other arguments
 * unchanged); a daemon that cannot start fails the device model with the
 * reason and leaves nothing; libxl's save through QMP (stop, add-fd,
 * xen-save-devices-state) yields a device state carrying the vGPU, and a
 * restore from it (-incoming fd:N) brings back what the guest wrote while
 * QEMU reads exactly its own bytes; the dirty log through QMP. A daemon
 * that dies and refused restores: itest_qemu_dm_failures.c. */
#include "qemu_dm_env.h"

/* --- create, lifecycle --------------------------------------------------- */

static void test_create_serves_before_qemu(void **state)
{
    (void)state;
    setup("create");
    const char *argv[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_CREATE, "-chardev", chardev,
                           "-no-shutdown", "-mon", "chardev=libxl-cmd,mode=control",
                           "-name", "q1", "-vgpu", "type=GVTg_V5_2,resolution=1280x720",
                           "-machine", "xenfv", NULL };
    struct sim *s = start("qemudm_create", argv, DOM_CREATE, NULL, 0, NULL, 0);
    wait_qemu();
    const char *log = slurp(qlog, NULL);
    /* exec'd, not spawned: the device model libxl started is QEMU. */
    char pid[32];
    snprintf(pid, sizeof(pid), "pid: %d\n", (int)sim_daemon_pid(s));
    assert_non_null(strstr(log, pid));
    assert_non_null(strstr(log, "daemon: serving\n"));
    /* Every argument as libxl wrote it, the -vgpu pair gone; the QMP
     * socket's path is now QEMU's listener on an fd of ours; xenfv's
     * platform device, which would sit on the vGPU's 00:02.0, is placed
     * at 00:03.0 on machine pc (dm_slots.h). */
    assert_non_null(strstr(log, "argv: -xen-domid " DOMS_CREATE " -chardev socket,id=libxl-cmd,fd="));
    assert_non_null(strstr(log, ",server=on,wait=off -no-shutdown -mon "
                                "chardev=libxl-cmd,mode=control -name q1 -machine pc,accel=xen "
                                "-device xen-platform,addr=0x3\n"));
    assert_null(strstr(log, "vgpu"));
    assert_non_null(strstr(log, "qmp listener: yes"));
    /* The daemon serves the domain, with the entry's options. */
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), 0x19128086);
    assert_true(exists("dom" DOMS_CREATE ".vgpu")); /* xl-vgpu list sees it */
    /* libxl's QMP socket reaches QEMU. */
    int q = qmp_open();
    assert_non_null(strstr(qmp(q, "qmp_capabilities", 1, NULL, -1), "\"return\""));
    assert_non_null(strstr(qmp(q, "query-status", 2, NULL, -1), "\"running\": true"));
    close(q);
    /* xl destroy kills the device model: the daemon and every file of
     * it go with QEMU. */
    sim_stop(s);
    for (int i = 0; i < 200 && (exists("dom" DOMS_CREATE ".sock") || exists("qmp-libxl")); i++)
        usleep(50 * 1000);
    assert_false(exists("dom" DOMS_CREATE ".sock"));
    assert_false(exists("dom" DOMS_CREATE ".vgpu"));
    assert_false(exists("dom" DOMS_CREATE ".qmp"));
    assert_false(exists("qmp-libxl"));
}

static void test_daemon_failure_leaves_nothing(void **state)
{
    (void)state;
    setup("fail");
    /* A bad entry: said as xl-vgpu says it, nothing started. */
    char out[4096];
    const char *bad[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_FAIL, "-chardev", chardev,
                          "-vgpu", "type=GVTg_V5_4,shape=round", NULL };
    assert_int_equal(itest_run_direct(bad, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "-vgpu 0: unknown key 'shape'"));
    /* The daemon refuses to start (its EDID file is missing): the device
     * model fails with the daemon's reason and ours; QEMU never ran. */
    const char *argv[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_FAIL, "-chardev", chardev,
                           "-name", "q2", "-vgpu", "edid=/nonexistent/monitor.bin", NULL };
    const char *log = itest_log_path("qemudm_fail");
    struct sim *s = sim_start(&(struct sim_opts){ .exec_argv = argv, .no_wait_ready = true,
                                                  .log_path = log, .domid = DOM_FAIL,
                                                  .ram_bytes = 64u << 20 });
    assert_non_null(s);
    int status = sim_wait_exit(s, 30000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    assert_true(itest_log_contains(log, "/nonexistent/monitor.bin"));
    assert_true(itest_log_contains(log, "vGPU 0: xengvtd exited with status 2"));
    assert_true(itest_log_contains(log, "the vGPU could not be started; no device model runs"));
    assert_int_equal(access(qlog, F_OK), -1);
    assert_false(exists("dom" DOMS_FAIL ".sock"));
    assert_false(exists("dom" DOMS_FAIL ".vgpu"));
    assert_false(exists("dom" DOMS_FAIL ".qmp"));
    assert_false(exists("qmp-libxl"));
    sim_stop(s);
}

/* --- save and restore through libxl's QMP path --------------------------- */

/* libxl's pre-opened QMP listener (dm_restrict): fd=N, inherited. */
static int libxl_listener(char *arg, size_t cap)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%.100s", libxl_sock);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(fd, 1), 0);
    snprintf(arg, cap, "socket,id=libxl-cmd,fd=%d,server=on,wait=off", fd);
    return fd;
}

static void test_save_restore(void **state)
{
    (void)state;
    setup("save");
    char arg[128];
    int lfd = libxl_listener(arg, sizeof(arg));
    const char *argv[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_SAVE, "-chardev", arg, "-S",
                           "-name", "q3", "-vgpu", "type=GVTg_V5_4", NULL };
    struct sim *s = start("qemudm_save", argv, DOM_SAVE, NULL, 0, NULL, 0);
    close(lfd);
    wait_qemu();
    /* fd=N form: QEMU's arguments are exactly libxl's. */
    char want[256];
    snprintf(want, sizeof(want), "argv: -xen-domid " DOMS_SAVE " -chardev %s -S -name q3\n", arg);
    assert_non_null(strstr(slurp(qlog, NULL), want));
    itest_place_bars(s, false);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x4f000, 4, 0xabc);

    /* libxl_qmp.c's libxl__qmp_suspend_save: stop, add-fd with the file,
     * xen-save-devices-state into /dev/fdset/N. */
    char file[320];
    snprintf(file, sizeof(file), "%s/qemu-save." DOMS_SAVE, dir);
    int q = qmp_open();
    qmp(q, "qmp_capabilities", 1, NULL, -1);
    assert_non_null(strstr(qmp(q, "stop", 2, NULL, -1), "\"return\""));
    int sfd = open(file, O_WRONLY | O_CREAT, 0600);
    assert_true(sfd >= 0);
    assert_non_null(strstr(qmp(q, "add-fd", 3, NULL, sfd), "\"fdset-id\": 1"));
    close(sfd);
    const char *r = qmp(q, "xen-save-devices-state", 4,
                        "{\"live\":false,\"filename\":\"/dev/fdset/1\"}", -1);
    assert_non_null(strstr(r, "\"return\""));
    assert_non_null(strstr(r, "\"id\": 4"));
    close(q);
    size_t len;
    const char *img = slurp(file, &len);
    assert_true(len > 200);
    assert_memory_equal(img, "QEVM\0\0\0\3fake-device-state-of-" DOMS_SAVE, 31);
    assert_int_equal(img[len - 1], 0); /* QEMU's EOF still last */
    assert_non_null(memmem(img, len, "\4XGVT\6xengvt", 12));
    assert_non_null(memmem(img, len, "XGVTSAVE", 8));
    /* xl save ends the domain and its device model. */
    void *ram = malloc(64u << 20), *phys = NULL;
    size_t phys_len = 0;
    memcpy(ram, sim_ram(s), 64u << 20);
    assert_int_equal(sim_physmap_save(s, &phys, &phys_len), 0);
    sim_stop(s);

    /* xl restore: libxl_dm.c opens the state and passes -incoming fd:N. */
    setup("restore");
    unlink(qlog);
    int in = open(file, O_RDONLY);
    assert_true(in >= 0);
    char incoming[32];
    snprintf(incoming, sizeof(incoming), "fd:%d", in);
    const char *rargv[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_RESTORE, "-chardev", chardev,
                            "-name", "q3", "-incoming", incoming, "-vgpu", "type=GVTg_V5_4",
                            NULL };
    struct sim *d = start("qemudm_restore", rargv, DOM_RESTORE, ram, 64u << 20, phys, phys_len);
    close(in);
    wait_qemu();
    /* QEMU read its own bytes, exactly, on the fd number libxl gave. */
    char ilog[400];
    snprintf(ilog, sizeof(ilog), "%s.incoming", qlog);
    size_t ilen;
    const char *got = slurp(ilog, &ilen);
    assert_int_equal(ilen, 32);
    assert_memory_equal(got, "QEVM\0\0\0\3fake-device-state-of-" DOMS_SAVE "\0", 32);
    assert_non_null(strstr(slurp(qlog, NULL), "daemon: serving\n"));
    /* The register the guest wrote is back. */
    assert_int_equal((uint32_t)sim_mmio_read(d, 0, BAR0_ADDR + 0x4f000, 4), 0xabc);
    /* libxl's "cont" reaches QEMU (the vGPU resumed first). */
    q = qmp_open();
    qmp(q, "qmp_capabilities", 1, NULL, -1);
    assert_non_null(strstr(qmp(q, "cont", 2, NULL, -1), "\"return\""));
    close(q);
    assert_non_null(strstr(slurp(qlog, NULL), "qmp: cont\n"));
    assert_false(exists("dom" DOMS_RESTORE "-0.restore")); /* staged state gone */
    sim_stop(d);
    free(ram);
    free(phys);
}

/* QEMU fails its save: libxl hears QEMU's error, nothing is added. */
static void test_qemu_save_failure_passes(void **state)
{
    (void)state;
    setup("savefail");
    const char *argv[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_SAVEFAIL, "-chardev", chardev,
                           "-vgpu", "type=GVTg_V5_4", NULL };
    setenv("FAKE_QEMU_SAVE_FAIL", "1", 1);
    struct sim *s = start("qemudm_savefail", argv, DOM_SAVEFAIL, NULL, 0, NULL, 0);
    wait_qemu();
    char file[320];
    snprintf(file, sizeof(file), "%s/qemu-save." DOMS_SAVEFAIL, dir);
    int q = qmp_open();
    qmp(q, "qmp_capabilities", 1, NULL, -1);
    char args[400];
    snprintf(args, sizeof(args), "{\"filename\":\"%s\"}", file);
    const char *r = qmp(q, "xen-save-devices-state", 7, args, -1);
    assert_non_null(strstr(r, "\"error\""));
    assert_non_null(strstr(r, "\"id\": 7"));
    close(q);
    sim_stop(s);
}

/* --- live migration: the dirty log ---------------------------------------- */

/* A field of the daemon's status, asked on its control socket. */
static long long daemon_status(const char *key)
{
    char sock[400], line[4096], pat[64];
    snprintf(sock, sizeof(sock), "%s/dom" DOMS_DIRTY ".sock", dir);
    assert_int_equal(ctl_request_ok(sock, "{\"cmd\":\"status\"}", line, sizeof(line), NULL,
                                    NULL), 0);
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (!p)
        fail_msg("no %s in %s", key, line);
    p += strlen(pat);
    return strncmp(p, "true", 4) == 0 ? 1 : strncmp(p, "false", 5) == 0 ? 0 : atoll(p);
}

static unsigned count_of(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* libxl's `xen-set-global-dirty-log` at the start and end of a save's
 * memory copy (libxl_dom_save.c:229) switches the daemon's dirty log
 * before QEMU hears it: on, the guest pages the daemon writes are reported
 * to Xen (here a rep-ins into guest RAM, which the daemon writes); off,
 * nothing. A daemon that cannot be told fails libxl's command with the
 * reason and QEMU never sees it (libxl abandons the migration). */
static void test_dirty_log_through_qmp(void **state)
{
    (void)state;
    setup("dirty");
    const char *argv[] = { getenv("QEMU_DM"), "-xen-domid", DOMS_DIRTY, "-chardev", chardev,
                           "-vgpu", "type=GVTg_V5_4", NULL };
    struct sim *s = start("qemudm_dirty", argv, DOM_DIRTY, NULL, 0, NULL, 0);
    wait_qemu();
    itest_place_bars(s, false);
    assert_int_equal(daemon_status("dirty_log"), 0);
    sim_rep(s, 0, true, true, BAR0_ADDR + 0x4f000, 4, 1, 0x300000, false);
    (void)daemon_status("dirty_log");
    assert_int_equal(sim_modified_count(s), 0);

    int q = qmp_open();
    qmp(q, "qmp_capabilities", 1, NULL, -1);
    const char *r = qmp(q, "xen-set-global-dirty-log", 2, "{\"enable\":true}", -1);
    assert_non_null(strstr(r, "\"return\""));
    assert_non_null(strstr(r, "\"id\": 2"));
    assert_int_equal(count_of(slurp(qlog, NULL), "qmp: xen-set-global-dirty-log\n"), 1);
    assert_int_equal(daemon_status("dirty_log"), 1);
    sim_rep(s, 0, true, true, BAR0_ADDR + 0x4f000, 4, 1, 0x301000, false);
    assert_true(daemon_status("modified_reported") >= 1);
    assert_true(sim_modified(s, 0x301, 0));

    r = qmp(q, "xen-set-global-dirty-log", 3, "{\"enable\":false}", -1);
    assert_non_null(strstr(r, "\"return\""));
    assert_int_equal(daemon_status("dirty_log"), 0);
    uint32_t since = sim_modified_count(s);
    sim_rep(s, 0, true, true, BAR0_ADDR + 0x4f000, 4, 1, 0x302000, false);
    (void)daemon_status("dirty_log");
    assert_int_equal(sim_modified_count(s), since);

    /* The daemon out of reach (its socket gone): libxl hears an error
     * with its id, QEMU hears nothing. */
    char sock[400];
    snprintf(sock, sizeof(sock), "%s/dom" DOMS_DIRTY ".sock", dir);
    assert_int_equal(unlink(sock), 0);
    r = qmp(q, "xen-set-global-dirty-log", 4, "{\"enable\":true}", -1);
    assert_non_null(strstr(r, "\"error\""));
    assert_non_null(strstr(r, "could not start its dirty log"));
    assert_non_null(strstr(r, "\"id\": 4"));
    assert_int_equal(count_of(slurp(qlog, NULL), "qmp: xen-set-global-dirty-log\n"), 2);
    /* The connection still serves. */
    assert_non_null(strstr(qmp(q, "query-status", 5, NULL, -1), "\"running\": true"));
    close(q);
    sim_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_serves_before_qemu),
        cmocka_unit_test(test_daemon_failure_leaves_nothing),
        cmocka_unit_test(test_save_restore),
        cmocka_unit_test(test_qemu_save_failure_passes),
        cmocka_unit_test(test_dirty_log_through_qmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
