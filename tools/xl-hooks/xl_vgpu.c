/* xl-vgpu: xl with vGPUs. Creates a guest from an xl.cfg with
 * `vgpu = [...]` entries and one xengvtd per entry, and keeps the two
 * together through destroy, save, restore and migration: a daemon is
 * never left without its domain, nor a domain without its daemons. */
#include "config.h"
#include "tools/common/launch.h"
#include "tools/common/ctl_client.h"
#include "tools/common/xl_cmd.h"
#include "cfg_keys.h"
#include "monitor.h"
#include "tools/common/served.h"
#include "tools/common/xvlog.h"
#include "common/files.h"
#include "guest_config.h"
#include "xl_saverestore.h"
#include "tools/common/vgpu_cfg.h"
#include "gvt/vgpu.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>



static void usage(FILE *out)
{
    fprintf(out,
"Usage: xl-vgpu COMMAND [ARGS]\n"
"\n"
"xl for guests with Intel GVT-g vGPUs (vgpu = [ \"type=...,sbdf=...\" ] in xl.cfg):\n"
"one xengvtd per vGPU, started, stopped, saved and restored with the guest.\n"
"\n"
"Commands:\n"
"  create CFG [KEY=VALUE...]\n"
"                      xl create -p -e (KEY=VALUE overrides go to xl, as with\n"
"                      xl create), then a supervisor per guest (xl's monitor,\n"
"                      with vGPUs) starts the vGPUs' daemons, unpauses the\n"
"                      guest once they serve, and stays: it applies on_poweroff,\n"
"                      on_reboot, on_crash, on_watchdog (a rebooted guest gets\n"
"                      fresh daemons before it runs again) and each vGPU's\n"
"                      on_daemon_death; on any failure the guest is destroyed\n"
"  destroy DOM         destroy the guest and stop its supervisor and daemons\n"
"  shutdown [-w] [-F] DOM\n"
"  reboot [-F] DOM     xl shutdown / xl reboot; the supervisor does the rest\n"
"  list                guests with vGPUs: guest state, daemons and their state\n"
"  screenshot DOM FILE the first vGPU's screen as PNG\n"
"  save DOM FILE       quiesce the vGPUs, xl save -p, each vGPU's state and the\n"
"                      guest's config, all in FILE; then the guest is destroyed\n"
"  restore [CONFIG] FILE  xl restore -p -e, a supervisor and daemons from the\n"
"                      saved state, unpause; FILE '-' reads standard input\n"
"  migrate DOM HOST    save (keeping the guest here, paused), restore on HOST\n"
"                      over ssh, then destroy it here; if the far side fails\n"
"                      the guest continues here (not live)\n"
"\n"
"Environment: XL (the xl command), XENGVTD (the daemon), XENGVT_RUN_DIR\n"
"(default /run/xengvt: sockets, logs, records, checkpoints), XENGVT_LOG_DIR\n"
"(default /var/log/xen: each supervisor's xl-vgpu-NAME.log; also syslog),\n"
"XENGVT_DUMP_DIR (default /var/lib/xen/dump: coredump-* actions), SSH.\n"
"Exit status: 0 done; 1 failed (the guest and daemons left consistent);\n"
"2 usage or configuration error. See xl-vgpu(8).\n");
}

#define say xv_say

static int cmd_create(const char *cfg_path, int n_overrides, char **overrides)
{
    struct vgpu_cfg cfg;
    char err[VGPU_CFG_ERR_MAX];
    if (n_overrides > CREATE_OVERRIDES_MAX) {
        say("at most %d KEY=VALUE overrides", CREATE_OVERRIDES_MAX);
        return XV_USAGE;
    }
    for (int i = 0; i < n_overrides; i++) {
        /* The daemons are started from the file's entries: an override xl
         * would apply but xl-vgpu could not see is refused, not ignored. */
        const char *eq = strchr(overrides[i], '=');
        size_t key_len = eq ? (size_t)(eq - overrides[i]) : 0;
        while (key_len > 0 && overrides[i][key_len - 1] == ' ')
            key_len--;
        if (key_len == 0 || (key_len == 4 && (strncmp(overrides[i], "vgpu", 4) == 0 ||
                                              strncmp(overrides[i], "name", 4) == 0))) {
            say("override '%s' refused: KEY=VALUE, and name and vgpu come from %s", overrides[i],
                cfg_path);
            return XV_USAGE;
        }
    }
    if (vgpu_cfg_read(cfg_path, &cfg, err, sizeof(err)) < 0) {
        say("%s", err);
        return XV_USAGE;
    }
    /* on_poweroff=... and the like given here are the supervisor's to
     * apply: they are read as xl would, strictly. */
    for (int i = 0; i < n_overrides; i++)
        if (action_override(overrides[i], &cfg.actions) < 0)
            return XV_USAGE;
    /* Without vGPUs this is plain `xl create`; with them the guest starts
     * paused until its daemons serve, and without xl's monitor (-e): the
     * supervisor xl-vgpu leaves behind applies on_reboot etc. itself, with
     * the daemons a rebooted guest needs. */
    const char *create[6 + CREATE_OVERRIDES_MAX];
    char budget[2][32];
    int n_budget = ram_budget(&cfg, n_overrides, overrides, budget);
    if (cfg.count == 0) {
        say("%s has no vgpu entries: plain xl create", cfg_path);
        unsigned n = 0;
        create[n++] = "create";
        create[n++] = cfg_path;
        for (int i = 0; i < n_overrides; i++)
            create[n++] = overrides[i];
        create[n] = NULL;
        return launch_xl(NULL, 0, create) == 0 ? XV_OK : XV_FAILED;
    }
    if (cfg.emulated_nics)
        say("warning: %u vif(s) without type=vif: QEMU, which xl starts before the vGPU's "
            "daemon, places their emulated NICs from the first free PCI slot on, and a NIC on "
            "a vGPU's slot is hidden from the guest by the vGPU. Give them type=vif (PV "
            "network), or run the guest with stock xl and the wrapper (xengvt-qemu-dm(8)), "
            "which places QEMU's devices elsewhere", cfg.emulated_nics);
    /* The config as created is what a restart uses (as xl's does), not
     * the file as it may be edited later. */
    char *text = NULL;
    size_t text_len = 0;
    struct monitor_args *ma = calloc(1, sizeof(*ma));
    if (!ma || read_whole(cfg_path, &text, &text_len) < 0 ||
        keep_config(&cfg, text, text_len, ma) < 0) {
        say("%s: cannot keep a copy of the config in %s: %s", cfg_path, launch_run_dir(),
            strerror(errno));
        free(text);
        free(ma);
        return XV_FAILED;
    }
    free(text);
    ma->cfg = cfg;
    for (int i = 0; i < n_overrides; i++)
        monitor_arg(ma, overrides[i]);
    for (int i = 0; i < n_budget; i++)
        monitor_arg(ma, budget[i]);
    keep_create_args(ma);
    const char *argv[MONITOR_ARGS_MAX + 1];
    for (unsigned i = 0; i < ma->create_argc; i++)
        argv[i] = ma->create_argv[i];
    argv[ma->create_argc] = NULL;
    if (launch_xl(NULL, 0, argv) != 0) {
        say("xl create -p %s failed", cfg_path);
        forget_config(cfg.name);
        free(ma);
        return XV_FAILED;
    }
    long domid = launch_domid(cfg.name);
    if (domid < 0) {
        say("xl created no domain named %s", cfg.name);
        forget_config(cfg.name);
        free(ma);
        return XV_FAILED;
    }
    ma->domid = domid;
    /* The supervisor starts the daemons (it is their parent: it sees them
     * die), unpauses the guest and tells us. */
    int rc = monitor_spawn(ma);
    free(ma);
    if (rc < 0) {
        forget_config(cfg.name);
        return XV_FAILED;
    }
    printf("%s: domain %ld, %u vGPU%s\n", cfg.name, domid, cfg.count, cfg.count > 1 ? "s" : "");
    return XV_OK;
}

static int cmd_destroy(const char *dom)
{
    long domid = launch_domid(dom);
    struct served sv;
    bool have = domid > 0 && served_read(domid, &sv) == 0;
    int rc = XV_OK;
    /* The supervisor first, or it would take the destroy for the guest's
     * own end and race us; then the domain (its daemons see it go and exit
     * by themselves), then whatever is left. */
    if (have)
        monitor_stand_down(sv.monitor);
    if (domid > 0 && xl1("destroy", dom) != 0) {
        say("xl destroy %s failed", dom);
        rc = XV_FAILED;
    }
    if (have) {
        served_stop_all(&sv);
        served_remove(domid);
        forget_config(sv.name);
    } else if (domid < 0) {
        say("no domain %s", dom);
        rc = XV_FAILED;
    }
    return rc;
}

/* xl shutdown / xl reboot, with xl's options: the guest's supervisor
 * does the rest (on_poweroff, on_reboot: a rebooted guest gets fresh
 * daemons). */
static int cmd_pass_to_xl(const char *cmd, int argc, char **argv)
{
    const char *args[16];
    unsigned n = 0;
    args[n++] = cmd;
    for (int i = 0; i < argc && n < 15; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    const char *dom = argv[argc - 1];
    long domid = launch_domid(dom);
    struct served sv;
    if (domid < 0) {
        say("no domain %s", dom);
        return XV_FAILED;
    }
    if (served_read(domid, &sv) < 0 || sv.monitor <= 0 || !launch_alive(sv.monitor))
        say("note: %s has no vGPU supervisor: xl %s alone (a reboot will have no vGPUs)", dom,
            cmd);
    if (launch_xl(NULL, 0, args) != 0) {
        say("xl %s %s failed", cmd, dom);
        return XV_FAILED;
    }
    return XV_OK;
}

static int cmd_list(void)
{
    printf("%-6s %-20s %-12s %-8s %-14s %-8s %s\n", "DOMID", "NAME", "GUEST", "PID", "SBDF",
           "DAEMON", "SOCKET");
    DIR *dir = opendir(launch_run_dir());
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        long d;
        char tail;
        if (sscanf(de->d_name, "dom%ld.vgp%c", &d, &tail) != 2 || tail != 'u' ||
            strcmp(de->d_name + strlen(de->d_name) - 5, ".vgpu") != 0)
            continue;
        struct served sv;
        if (served_read(d, &sv) < 0)
            continue;
        /* A supervisor that is gone leaves the guest unsupervised, whatever
         * its last word was. */
        const char *guest = sv.state[0] ? sv.state : "-";
        if (sv.monitor > 0 && !launch_alive(sv.monitor))
            guest = "unsupervised";
        for (unsigned i = 0; i < sv.count; i++) {
            char line[4096] = "";
            const char *state = sv.pid[i] <= 0 || !launch_alive(sv.pid[i]) ? "gone"
                                : ctl_request_within(sv.sock[i], "{\"cmd\":\"status\"}",
                                                     CTL_TIMEOUT_MS, line, sizeof(line),
                                                     NULL, NULL) == 0
                                    ? "serving"
                                    : "silent";
            const char *sbdf = strstr(line, "\"sbdf\":\"");
            char sb[16] = "-";
            if (sbdf)
                snprintf(sb, sizeof(sb), "%.12s", sbdf + 8);
            printf("%-6ld %-20s %-12s %-8d %-14s %-8s %s\n", d, sv.name, guest, (int)sv.pid[i],
                   sb, state, sv.sock[i]);
        }
    }
    if (dir)
        closedir(dir);
    return XV_OK;
}

static int cmd_screenshot(const char *dom, const char *file)
{
    struct served sv;
    if (served_of_guest(dom, &sv) < 0) {
        say("no vGPU for %s", dom);
        return XV_FAILED;
    }
    char line[4096];
    uint8_t *png = NULL;
    size_t len = 0;
    if (ctl_request_ok(sv.sock[0], "{\"cmd\":\"screenshot\"}", line, sizeof(line), &png,
                          &len) < 0 || !png) {
        say("the daemon gave no screenshot: %s", line);
        free(png);
        return XV_FAILED;
    }
    FILE *f = fopen(file, "wb");
    int ok = f && fwrite(png, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    free(png);
    if (!ok) {
        say("writing %s: %s", file, strerror(errno));
        return XV_FAILED;
    }
    return XV_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? XV_USAGE : XV_OK;
    }
    const char *cmd = argv[1];
    int n = argc - 2;
    if (strcmp(cmd, "create") == 0 && n >= 1)
        return cmd_create(argv[2], n - 1, argv + 3);
    if (strcmp(cmd, "destroy") == 0 && n == 1)
        return cmd_destroy(argv[2]);
    if (strcmp(cmd, "list") == 0 && n == 0)
        return cmd_list();
    if ((strcmp(cmd, "shutdown") == 0 || strcmp(cmd, "reboot") == 0) && n >= 1 && n <= 4)
        return cmd_pass_to_xl(cmd, n, argv + 2);
    if (strcmp(cmd, "screenshot") == 0 && n == 2)
        return cmd_screenshot(argv[2], argv[3]);
    if (strcmp(cmd, "save") == 0 && n == 2)
        return cmd_save(argv[2], argv[3]);
    if (strcmp(cmd, "restore") == 0 && (n == 1 || n == 2))
        return cmd_restore(n == 2 ? argv[2] : NULL, argv[argc - 1]);
    if (strcmp(cmd, "migrate") == 0 && n == 2)
        return cmd_migrate(argv[2], argv[3]);
    say("unknown command or wrong arguments: %s (see --help)", cmd);
    return XV_USAGE;
}
