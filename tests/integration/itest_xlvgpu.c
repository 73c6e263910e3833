/* xl-vgpu against the real xengvtd under the simulator, with a stand-in xl
 * that records what it is asked: the order create -p / daemons ready /
 * unpause, the daemons' options from xl.cfg, failures cleaned up (guest
 * destroyed, no daemon left), destroy, save and restore into another
 * domain, refused save files, and a migration whose far side fails. */
#include "itest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "xlvgpu_env.h"

/* Not 7 or 9, which the daemon tests running alongside use: xl-vgpu kills
 * what runs as the uid of a domain it is done with. */
#define XV_DOMID 17
#define XV_DOMS "17"
#define XV_DOMID2 19
#define XV_DOMS2 "19"

static void test_create_list_destroy(void **state)
{
    (void)state;
    setup_env("g1", XV_DOMID);
    const char *bin = getenv("XL_VGPU");
    const char *cfg = write_cfg("g1", "\"type=GVTg_V5_2,resolution=1280x720,log_level=debug\"");
    /* KEY=VALUE overrides reach xl create as given. */
    const char *argv[] = { bin, "create", cfg, "memory=512", "extra=\"a b\"", NULL };
    int status;
    struct sim *s = launch(itest_log_path("xlvgpu_create"), argv, XV_DOMID, NULL, &status);
    assert_int_equal(WEXITSTATUS(status), 0);
    /* xl was asked in this order; the daemon serves the guest. */
    char want[1024];
    /* xl's monitor is off (-e): xl-vgpu's supervisor does its job, from
     * the config as it was at create (a copy: restarts use it). */
    (void)cfg;
    snprintf(want, sizeof(want),
             "create -p -e %s/g1.cfg memory=512 extra=\"a b\"\ndomid g1\nunpause " XV_DOMS "\n", dir);
    assert_string_equal(slurp(xl_log), want);
    pid_t pid = daemon_pid(XV_DOMID);
    assert_true(pid > 0 && kill(pid, 0) == 0);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), 0x19128086);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "r");
    char cmdline[1024] = "";
    size_t n = fread(cmdline, 1, sizeof(cmdline) - 1, f);
    fclose(f);
    for (size_t i = 0; i < n; i++)
        if (!cmdline[i])
            cmdline[i] = ' ';
    assert_non_null(strstr(cmdline, "--domid " XV_DOMS));
    assert_non_null(strstr(cmdline, "--type GVTg_V5_2"));
    assert_non_null(strstr(cmdline, "--resolution 1280x720"));
    char out[4096];
    const char *list[] = { bin, "list", NULL };
    assert_int_equal(run(list, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "g1"));
    assert_non_null(strstr(out, "serving"));
    const char *destroy[] = { bin, "destroy", "g1", NULL };
    assert_int_equal(run(destroy, out, sizeof(out)), 0);
    assert_non_null(strstr(slurp(xl_log), "destroy g1\n"));
    usleep(100 * 1000);
    assert_true(kill(pid, 0) != 0);
    assert_int_equal(daemon_pid(XV_DOMID), -1);
    sim_stop(s);
}

static void test_create_failures(void **state)
{
    (void)state;
    setup_env("g2", XV_DOMID);
    const char *bin = getenv("XL_VGPU");
    /* A configuration error: nothing is asked of xl. */
    const char *bad = write_cfg("g2", "\"type=GVTg_V5_4,shape=round\"");
    char out[4096];
    const char *argv_bad[] = { bin, "create", bad, NULL };
    assert_int_equal(run(argv_bad, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "entry 0: unknown key 'shape'"));
    assert_string_equal(slurp(xl_log), "");
    /* Overrides xl-vgpu could not follow are refused before xl is asked. */
    const char *good = write_cfg("g2", "\"type=GVTg_V5_4\"");
    const char *argv_vgpu[] = { bin, "create", good, "vgpu=[\"type=GVTg_V5_8\"]", NULL };
    assert_int_equal(run(argv_vgpu, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "override 'vgpu="));
    const char *argv_name[] = { bin, "create", good, "name=other", NULL };
    assert_int_equal(run(argv_name, out, sizeof(out)), 2);
    const char *argv_noeq[] = { bin, "create", good, "memory", NULL };
    assert_int_equal(run(argv_noeq, out, sizeof(out)), 2);
    assert_string_equal(slurp(xl_log), "");
    /* The daemon refuses to start (its EDID file is missing): the guest is
     * destroyed, no daemon remains, the reason is said. */
    const char *cfg = write_cfg("g2", "\"edid=/nonexistent/monitor.bin\"");
    const char *argv[] = { bin, "create", cfg, NULL };
    const char *log = itest_log_path("xlvgpu_fail");
    int status;
    struct sim *s = launch(log, argv, XV_DOMID, NULL, &status);
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_non_null(strstr(slurp(xl_log), "destroy " XV_DOMS "\n"));
    assert_null(strstr(slurp(xl_log), "unpause"));
    assert_true(itest_log_contains(log, "xengvtd exited with status 2"));
    assert_int_equal(daemon_pid(XV_DOMID), -1);
    sim_stop(s);
}

static void test_save_restore(void **state)
{
    (void)state;
    setup_env("g3", XV_DOMID);
    const char *bin = getenv("XL_VGPU");
    const char *cfg = write_cfg_with("g3", "\"type=GVTg_V5_4,aperture=4,aperture_ram=1\"",
                                     "vga = \"none\"\nvideoram = 2\n");
    /* An action given on the command line: part of the guest, as xl's
     * config is, so it holds after the restore too. */
    const char *argv[] = { bin, "create", cfg, "on_crash=\"preserve\"", NULL };
    int status;
    struct sim *s = launch(itest_log_path("xlvgpu_save_create"), argv, XV_DOMID, NULL, &status);
    assert_int_equal(WEXITSTATUS(status), 0);
    /* The vGPU's RAM (8 MiB of GGTT, a 4 MiB aperture slice) budgeted as
     * video RAM, the guest's own RAM (memory - videoram) unchanged: xl
     * restore has room for it too. */
    char want_create[600];
    snprintf(want_create, sizeof(want_create),
             "create -p -e %s/g3.cfg on_crash=\"preserve\" memory=524 videoram=14\n", dir);
    assert_non_null(strstr(slurp(xl_log), want_create));
    itest_place_bars(s, false);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x4f000, 4, 0xabc);
    pid_t pid = daemon_pid(XV_DOMID);
    char file[320], out[4096];
    snprintf(file, sizeof(file), "%s/g3.save", dir);
    const char *save[] = { bin, "save", "g3", file, NULL };
    /* xl save fails: the guest and its daemon carry on, nothing is left. */
    setenv("FAKE_XL_FAIL", "save", 1);
    assert_int_equal(run(save, out, sizeof(out)), 1);
    unsetenv("FAKE_XL_FAIL");
    assert_null(strstr(slurp(xl_log), "destroy"));
    assert_true(kill(pid, 0) == 0);
    assert_int_equal(access(file, F_OK), -1);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x4f000, 4), 0xabc);
    unlink(xl_log);
    /* The real thing: the daemons quiesce, xl save -p suspends and keeps the
     * (paused) guest, the daemons' state is taken, and only then is the
     * guest destroyed. Never `xl pause` first: a vCPU paused with an
     * access in flight cannot suspend. */
    assert_int_equal(run(save, out, sizeof(out)), 0);
    char want[600];
    snprintf(want, sizeof(want), "domid g3\nsave -p g3 %s/dom" XV_DOMS ".xlsave\ndestroy g3\n",
             getenv("XENGVT_RUN_DIR"));
    assert_string_equal(slurp(xl_log), want);
    usleep(100 * 1000);
    assert_true(kill(pid, 0) != 0); /* its domain is gone: so is it */
    struct guest_mem *ram = guest_mem_take(s);
    sim_stop(s);

    /* Restored into another domain; the register the guest wrote is back. */
    setenv("FAKE_XL_DOMID", XV_DOMS2, 1);
    const char *restore[] = { bin, "restore", file, NULL };
    struct sim *d = launch(itest_log_path("xlvgpu_restore"), restore, XV_DOMID2, ram, &status);
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_non_null(strstr(slurp(xl_log), "restore -p -e "));
    assert_non_null(strstr(slurp(xl_log), "unpause " XV_DOMS2 "\n"));
    char mlog[320];
    snprintf(mlog, sizeof(mlog), "%s/xl-vgpu-g3.log", dir);
    assert_true(itest_log_contains(mlog, "(domain " XV_DOMS2 ", 1 vGPU; on_poweroff=destroy "
                                         "on_reboot=restart on_crash=preserve"));
    assert_int_equal((uint32_t)sim_mmio_read(d, 0, BAR0_ADDR + 0x4f000, 4), 0xabc);
    /* The daemon said "restoring" before its sandbox cut xenstore off;
     * xl-vgpu, which saw it serve, says so (real Xen, CI: stuck at
     * "restoring" after a restore and after a killed daemon's restart). */
    const char *st = sim_xs_read(d, "/local/domain/0/device-model/" XV_DOMS2 "/xengvt/state");
    assert_non_null(st);
    assert_string_equal(st, "running");
    const char *destroy[] = { bin, "destroy", "g3", NULL };
    assert_int_equal(run(destroy, out, sizeof(out)), 0);
    sim_stop(d);

    /* A damaged save file: refused before xl is asked anything. */
    int fd = open(file, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, 100), 1);
    close(fd);
    unlink(xl_log);
    char bad_log[512];
    snprintf(bad_log, sizeof(bad_log), "%s", itest_log_path("xlvgpu_restore_bad"));
    struct sim *x = launch(bad_log, restore, XV_DOMID2, ram, &status);
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_true(itest_log_contains(bad_log, "refused: checksum mismatch"));
    assert_string_equal(slurp(xl_log), "");
    sim_stop(x);
    guest_mem_free(ram);
}

/* Migration to a host that cannot take the guest: it comes back here. */
static void test_migrate_failure_keeps_the_guest(void **state)
{
    (void)state;
    setup_env("g4", XV_DOMID);
    const char *bin = getenv("XL_VGPU");
    const char *cfg = write_cfg("g4", "\"type=GVTg_V5_4\"");
    const char *argv[] = { bin, "create", cfg, NULL };
    int status;
    struct sim *s = launch(itest_log_path("xlvgpu_mig_create"), argv, XV_DOMID, NULL, &status);
    assert_int_equal(WEXITSTATUS(status), 0);
    itest_place_bars(s, false);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x4f000, 4, 0x4444);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x4f000, 4), 0x4444);
    char ssh[512];
    snprintf(ssh, sizeof(ssh), "%s/fake-ssh", getenv("XENGVT_TEST_SRCDIR"));
    setenv("SSH", ssh, 1);
    setenv("FAKE_SSH_FAIL", "1", 1);
    /* The migrating xl-vgpu runs in a second simulated domain: the guest's
     * new home when it is restored. */
    const char *mig[] = { bin, "migrate", "g4", "far-away", NULL };
    struct guest_mem *ram = guest_mem_take(s);
    char mig_log[512];
    snprintf(mig_log, sizeof(mig_log), "%s", itest_log_path("xlvgpu_migrate"));
    struct sim *d = launch(mig_log, mig, XV_DOMID, ram, &status);
    guest_mem_free(ram);
    assert_int_equal(WEXITSTATUS(status), 1); /* the migration failed ... */
    assert_true(itest_log_contains(mig_log, "restoring on far-away failed"));
    /* ... and the guest never left: saved with -p, kept paused, resumed;
     * never destroyed, nothing restored; its daemon serves its state. */
    const char *calls = slurp(xl_log);
    assert_non_null(strstr(calls, "save -p g4 "));
    assert_non_null(strstr(calls, "unpause g4\n"));
    assert_null(strstr(calls, "destroy"));
    assert_null(strstr(calls, "restore"));
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x4f000, 4), 0x4444);
    unsetenv("FAKE_SSH_FAIL");
    char out[4096];
    const char *list[] = { bin, "list", NULL };
    assert_int_equal(run(list, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "serving"));
    const char *destroy[] = { bin, "destroy", "g4", NULL };
    assert_int_equal(run(destroy, out, sizeof(out)), 0);
    sim_stop(d);
    sim_stop(s);
}

/* A save file is configuration root acts on: one whose config sets a key
 * that runs a program (device_model_override) is refused before xl is
 * asked anything; restored with the guest's config named by the admin,
 * that config is the one xl restore and the guest's restarts get. */
static void test_restore_refuses_foreign_config(void **state)
{
    (void)state;
    setup_env("g5", XV_DOMID);
    const char *bin = getenv("XL_VGPU");
    const char *cfg = write_cfg_with("g5", "\"type=GVTg_V5_4\"",
                                     "vga = \"none\"\ndevice_model_override = \"/bin/sh\"\n");
    const char *argv[] = { bin, "create", cfg, NULL };
    int status;
    struct sim *s = launch(itest_log_path("xlvgpu_dmo_create"), argv, XV_DOMID, NULL, &status);
    assert_int_equal(WEXITSTATUS(status), 0);
    char file[320], out[4096];
    snprintf(file, sizeof(file), "%s/g5.save", dir);
    const char *save[] = { bin, "save", "g5", file, NULL };
    assert_int_equal(run(save, out, sizeof(out)), 0);
    struct guest_mem *ram = guest_mem_take(s);
    sim_stop(s);

    unlink(xl_log);
    setenv("FAKE_XL_DOMID", XV_DOMS2, 1);
    const char *restore[] = { bin, "restore", file, NULL };
    char log[512];
    snprintf(log, sizeof(log), "%s", itest_log_path("xlvgpu_dmo_restore"));
    struct sim *x = launch(log, restore, XV_DOMID2, ram, &status);
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_true(itest_log_contains(log, "refused: its config sets device_model_override"));
    assert_string_equal(slurp(xl_log), "");
    sim_stop(x);

    /* The admin names the guest's config: that one is used, the file's
     * is not (xl restore is given it, so never the image's own either). */
    const char *mine = write_cfg_with("g5", "\"type=GVTg_V5_4\"", "vga = \"none\"\n");
    const char *with_cfg[] = { bin, "restore", mine, file, NULL };
    struct sim *d = launch(itest_log_path("xlvgpu_dmo_restore2"), with_cfg, XV_DOMID2, ram,
                           &status);
    assert_int_equal(WEXITSTATUS(status), 0);
    char want[600];
    snprintf(want, sizeof(want), "restore -p -e %s/g5.cfg ", dir);
    assert_non_null(strstr(slurp(xl_log), want));
    char kept[320];
    snprintf(kept, sizeof(kept), "%s/g5.cfg", dir);
    assert_null(strstr(slurp(kept), "device_model_override"));
    /* The admin's config as written, and the vGPU's RAM that create
     * budgeted (128 MiB aperture slice and 8 MiB GGTT) after it: without
     * it real Xen's restore fails with "restoring domain: Device or
     * resource busy", the domain too small for the saved frames. */
    assert_non_null(strstr(slurp(kept), "memory = 512\n"));
    assert_non_null(strstr(slurp(kept), "\nmemory = 648\nvideoram = 136\n"));
    const char *destroy[] = { bin, "destroy", "g5", NULL };
    assert_int_equal(run(destroy, out, sizeof(out)), 0);
    sim_stop(d);
    guest_mem_free(ram);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_list_destroy),
        cmocka_unit_test(test_create_failures),
        cmocka_unit_test(test_save_restore),
        cmocka_unit_test(test_restore_refuses_foreign_config),
        cmocka_unit_test(test_migrate_failure_keeps_the_guest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
