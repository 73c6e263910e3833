/* xl-vgpu: xl with vGPUs. Creates a guest from an xl.cfg with
 * `vgpu = [...]` entries and one xengvtd per entry, and keeps the two
 * together through destroy, save, restore and migration: a daemon is
 * never left without its domain, nor a domain without its daemons. */
#include "config.h"
#include "tools/common/launch.h"
#include "tools/common/ctl_client.h"
#include "xl_cmd.h"
#include "cfg_keys.h"
#include "monitor.h"
#include "served.h"
#include "xvlog.h"
#include "common/files.h"
#include "tools/common/savefile.h"
#include "vgpu_cfg.h"
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

/* Save-file section tags are "vgpuN.state": N must stay one digit. */
_Static_assert(VGPU_CFG_MAX <= 10, "save-file tags hold a one-digit vGPU index");

enum { XV_OK = 0, XV_FAILED = 1, XV_USAGE = 2 };

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

/* --- the config a guest was created with, kept for its restarts ------ */

static int read_whole(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            if (cap >= (1u << 20)) { /* an xl.cfg is small */
                free(buf);
                buf = NULL;
                errno = EFBIG;
                break;
            }
            char *bigger = realloc(buf, cap * 2 + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return -1;
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}

static void guest_file(const char *name, const char *ext, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s.%s", launch_run_dir(), name, ext);
}

static void monitor_arg(struct monitor_args *ma, const char *arg)
{
    if (ma->create_argc < MONITOR_ARGS_MAX)
        snprintf(ma->create_argv[ma->create_argc++], sizeof(ma->create_argv[0]), "%s", arg);
}

/* RUN_DIR/NAME.cfg holds the config; the re-creation is
 * `xl create -p -e RUN_DIR/NAME.cfg KEY=VALUE...`. */
static int keep_config(const struct vgpu_cfg *cfg, const char *text, size_t len,
                       struct monitor_args *ma)
{
    char path[300];
    mkdir(launch_run_dir(), 0700);
    guest_file(cfg->name, "cfg", path, sizeof(path));
    /* A new file (a new inode) each time: a supervisor of an earlier guest
     * of this name removes only the file it was given (monitor.c). */
    if (file_write_atomic(path, text, len, 0666) < 0)
        return -1;
    ma->create_argc = 0;
    monitor_arg(ma, "create");
    monitor_arg(ma, "-p");
    monitor_arg(ma, "-e");
    monitor_arg(ma, path);
    return 0;
}

/* RUN_DIR/NAME.create: the KEY=VALUE arguments, a line each (what a save
 * file carries along with the config). */
static void keep_create_args(const struct monitor_args *ma)
{
    char path[300];
    guest_file(ma->cfg.name[0] ? ma->cfg.name : "", "create", path, sizeof(path));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    for (unsigned i = 4; i < ma->create_argc; i++)
        fprintf(f, "%s\n", ma->create_argv[i]);
    if (fclose(f) == 0)
        file_write_atomic(path, text, len, 0666);
    free(text);
}

static void forget_config(const char *name)
{
    char path[300];
    guest_file(name, "cfg", path, sizeof(path));
    unlink(path);
    guest_file(name, "create", path, sizeof(path));
    unlink(path);
}

/* KEY=VALUE for on_poweroff, on_reboot, on_crash, on_watchdog or
 * on_soft_reset into `a`: 1 if it was one, 0 if another key, -1 (said)
 * if its value is not an action. */
static int action_override(const char *kv, struct guest_actions *a)
{
    for (unsigned e = 0; e < EVENT_COUNT; e++) {
        const char *key = guest_event_key((enum guest_event)e);
        size_t kl = key ? strlen(key) : 0;
        if (!key || strncmp(kv, key, kl) != 0 || kv[kl] != '=')
            continue;
        char word[32];
        const char *v = kv + kl + 1;
        size_t vl = strlen(v);
        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
            v++;
            vl -= 2;
        }
        snprintf(word, sizeof(word), "%.*s", (int)(vl < sizeof(word) ? vl : 0), v);
        if (guest_action_parse(word, &a->on[e]) < 0) {
            say("override '%s': not an action (destroy, restart, rename-restart, preserve, "
                "coredump-destroy, coredump-restart, soft-reset)", kv);
            return -1;
        }
        return 1;
    }
    return 0;
}

#define CREATE_OVERRIDES_MAX 16

static bool overridden(const char *key, int n, char **overrides)
{
    size_t len = strlen(key);
    for (int i = 0; i < n; i++)
        if (strncmp(overrides[i], key, len) == 0 &&
            (overrides[i][len] == '=' || overrides[i][len] == ' '))
            return true;
    return false;
}

/* Each vGPU puts 8 MiB of RAM into the guest's physmap (its GGTT). With
 * QEMU's VGA off, xl-vgpu gives libxl that room as video RAM, the way it
 * budgets QEMU's VRAM: memory and videoram both grow by it, so the guest's
 * own RAM (memory - videoram) is unchanged and its limit has the room, now
 * and when xl restore rebuilds it from the saved config. Returns how many
 * KEY=VALUE overrides it wrote into out. */
static int ram_budget(const struct vgpu_cfg *cfg, int n_overrides, char **overrides,
                      char out[2][32])
{
    if (cfg->count == 0)
        return 0;
    long add = 0;
    for (unsigned i = 0; i < cfg->count; i++) {
        const struct vgpu_entry *e = &cfg->entries[i];
        add += VGPU_RAM_MB;
        if (e->aperture_ram) /* the slice's frames too */
            add += e->aperture_mb ? e->aperture_mb : vgpu_type_find(e->type)->aperture_mb;
    }
    if (!cfg->vga_none || cfg->memory_mb < 0 || cfg->maxmem_mb >= 0 ||
        overridden("memory", n_overrides, overrides) ||
        overridden("videoram", n_overrides, overrides)) {
        say("note: the guest's vGPU RAM (%ld MiB) is not budgeted in its config (that needs "
            "vga=\"none\", memory set, no maxmem and no memory/videoram override): the "
            "daemon raises the limit itself, and xl restore of this guest may refuse it",
            add);
        return 0;
    }
    long video = cfg->videoram_mb > 0 ? cfg->videoram_mb : 0;
    snprintf(out[0], sizeof(out[0]), "memory=%ld", cfg->memory_mb + add);
    snprintf(out[1], sizeof(out[1]), "videoram=%ld", video + add);
    return 2;
}

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
    long domid = launch_domid(dom);
    struct served sv;
    if (domid < 0 || served_read(domid, &sv) < 0 || sv.count == 0) {
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

/* What save_to_fd does with the guest once the file is complete. */
enum after_save { DESTROY_GUEST, KEEP_GUEST_PAUSED };

/* The guest a save kept (KEEP_GUEST_PAUSED): destroyed once the copy is safe
 * elsewhere, or resumed where it was. */
static void saved_guest_destroy(const char *dom, long domid, struct served *sv)
{
    monitor_stand_down(sv->monitor);
    if (xl1("destroy", dom) != 0)
        say("warning: xl destroy %s failed after the save", dom);
    served_stop_all(sv);
    served_remove(domid);
    forget_config(sv->name);
}

static void saved_guest_resume(const char *dom, struct served *sv)
{
    say("%s continues where it was", dom);
    served_control_all(sv, "resume");
    xl1("unpause", dom);
}

/* The order matters, and is QEMU's under xl save:
 *  1. the daemons quiesce (no execution, no vblanks) but keep answering the
 *     guest's accesses -- a vCPU with an access in flight cannot suspend
 *     until it is answered (so no `xl pause` first: a paused vCPU never
 *     completes its access and xl's suspend times out);
 *  2. `xl save -p` suspends the guest, writes its memory, leaves it paused;
 *  3. the daemons' state, now final, is taken;
 *  4. only then is the guest destroyed (DESTROY_GUEST), or it is left paused
 *     for the caller to destroy or resume (KEEP_GUEST_PAUSED, migration).
 * A failure before 4 leaves the guest running as it was. */
static int save_to_fd(const char *dom, int out_fd, enum after_save after, long *domid_out,
                      struct served *sv_out)
{
    long domid = launch_domid(dom);
    struct served sv;
    if (domid < 0 || served_read(domid, &sv) < 0 || sv.count == 0) {
        say("no vGPU for %s: use xl save", dom);
        return XV_FAILED;
    }
    char xl_image[200];
    snprintf(xl_image, sizeof(xl_image), "%s/dom%ld.xlsave", launch_run_dir(), domid);
    if (served_control_all(&sv, "pause") < 0) {
        served_control_all(&sv, "resume");
        return XV_FAILED;
    }
    const char *save_args[] = { "save", "-p", dom, xl_image, NULL };
    if (launch_xl(NULL, 0, save_args) != 0) {
        /* xl resumes a guest whose save failed. */
        say("xl save %s failed: the guest continues", dom);
        unlink(xl_image);
        served_control_all(&sv, "resume");
        return XV_FAILED;
    }
    struct savefile sf = { 0 };
    snprintf(sf.s[0].tag, sizeof(sf.s[0].tag), "name");
    sf.s[0].data = (uint8_t *)sv.name;
    sf.s[0].len = strlen(sv.name);
    sf.count = 1;
    uint8_t *blobs[VGPU_CFG_MAX] = { NULL };
    int rc = XV_OK;
    for (unsigned i = 0; i < sv.count && rc == XV_OK; i++) {
        char line[1024];
        size_t len = 0;
        if (ctl_request_ok(sv.sock[i], "{\"cmd\":\"save\"}", line, sizeof(line), &blobs[i],
                              &len) < 0 || !blobs[i]) {
            say("vGPU %u would not save its state: %s", i, line);
            rc = XV_FAILED;
            break;
        }
        struct savefile_section *spec = &sf.s[sf.count++], *st = &sf.s[sf.count++];
        /* i < VGPU_CFG_MAX (4): one digit, so the tag always fits. */
        snprintf(spec->tag, sizeof(spec->tag), "vgpu%u.spec", i % 10u);
        spec->data = (uint8_t *)sv.spec[i];
        spec->len = strlen(sv.spec[i]);
        snprintf(st->tag, sizeof(st->tag), "vgpu%u.state", i % 10u);
        st->data = blobs[i];
        st->len = len;
    }
    /* The config the guest was created with, for its restarts wherever
     * it is restored. */
    char *cfg_text = NULL, *create_text = NULL;
    size_t cfg_len = 0, create_len = 0;
    char path[300];
    guest_file(sv.name, "cfg", path, sizeof(path));
    if (rc == XV_OK && read_whole(path, &cfg_text, &cfg_len) == 0) {
        struct savefile_section *c = &sf.s[sf.count++];
        snprintf(c->tag, sizeof(c->tag), "cfg");
        c->data = (uint8_t *)cfg_text;
        c->len = cfg_len;
        guest_file(sv.name, "create", path, sizeof(path));
        if (read_whole(path, &create_text, &create_len) == 0) {
            struct savefile_section *o = &sf.s[sf.count++];
            snprintf(o->tag, sizeof(o->tag), "create");
            o->data = (uint8_t *)create_text;
            o->len = create_len;
        }
    }
    if (rc == XV_OK) {
        struct savefile_section *x = &sf.s[sf.count++];
        snprintf(x->tag, sizeof(x->tag), "xl");
        x->path = xl_image;
        if (savefile_write(out_fd, &sf) < 0) {
            say("writing the save file failed");
            rc = XV_FAILED;
        }
    }
    if (rc != XV_OK)
        saved_guest_resume(dom, &sv); /* xl save -p left it paused and whole */
    else if (after == DESTROY_GUEST)
        saved_guest_destroy(dom, domid, &sv); /* everything is in the file */
    if (domid_out)
        *domid_out = domid;
    if (sv_out)
        *sv_out = sv;
    unlink(xl_image);
    for (unsigned i = 0; i < VGPU_CFG_MAX; i++)
        free(blobs[i]);
    free(cfg_text);
    free(create_text);
    return rc;
}

static int cmd_save(const char *dom, const char *file)
{
    /* The file appears whole or not at all. */
    struct file_atomic out;
    int err = file_atomic_open(&out, file, 0600);
    if (err < 0) {
        say("%s: %s", out.tmp, strerror(-err));
        return XV_FAILED;
    }
    int rc = save_to_fd(dom, out.fd, DESTROY_GUEST, NULL, NULL);
    if (rc != XV_OK)
        file_atomic_abort(&out);
    else if (file_atomic_commit(&out) < 0)
        rc = XV_FAILED;
    return rc;
}

static int restore_from_fd(int in_fd, const char *what, const char *admin_cfg)
{
    char xl_image[200];
    snprintf(xl_image, sizeof(xl_image), "%s/restore-%d.xlsave", launch_run_dir(), (int)getpid());
    mkdir(launch_run_dir(), 0700);
    struct savefile sf;
    const char *why = "?";
    if (savefile_read(in_fd, xl_image, &sf, &why) < 0) {
        say("%s: refused: %s; nothing was restored", what, why);
        unlink(xl_image);
        return XV_FAILED;
    }
    int rc = XV_OK;
    const struct savefile_section *name = savefile_find(&sf, "name");
    struct vgpu_entry entries[VGPU_CFG_MAX];
    char state_files[VGPU_CFG_MAX][200];
    unsigned count = 0;
    char guest[64] = "";
    if (!name || name->len == 0 || name->len >= sizeof(guest) || !savefile_find(&sf, "xl")) {
        say("%s: refused: no guest name or xl image", what);
        rc = XV_FAILED;
    } else {
        memcpy(guest, name->data, (size_t)name->len);
    }
    for (unsigned i = 0; rc == XV_OK && i < VGPU_CFG_MAX; i++) {
        char tag[32];
        snprintf(tag, sizeof(tag), "vgpu%u.spec", i);
        const struct savefile_section *spec = savefile_find(&sf, tag);
        snprintf(tag, sizeof(tag), "vgpu%u.state", i);
        const struct savefile_section *st = savefile_find(&sf, tag);
        if (!spec && !st)
            break;
        char text[512], err[VGPU_CFG_ERR_MAX];
        if (!spec || !st || spec->len >= sizeof(text)) {
            say("%s: refused: vGPU %u incomplete", what, i);
            rc = XV_FAILED;
            break;
        }
        memcpy(text, spec->data, (size_t)spec->len);
        text[spec->len] = 0;
        if (vgpu_entry_parse(text, &entries[i], err, sizeof(err)) < 0) {
            say("%s: refused: vGPU %u: %s", what, i, err);
            rc = XV_FAILED;
            break;
        }
        snprintf(state_files[i], sizeof(state_files[i]), "%s/restore-%d-%u.state",
                 launch_run_dir(), (int)getpid(), i);
        if (file_write_atomic(state_files[i], st->data, (size_t)st->len, 0600) < 0) {
            say("%s: cannot stage vGPU %u's state", what, i);
            rc = XV_FAILED;
        }
        count = i + 1;
    }
    if (rc == XV_OK && count == 0) {
        say("%s: refused: no vGPU in it", what);
        rc = XV_FAILED;
    }
    /* The guest's config: root's xl restore and the supervisor's xl
     * create act on it, so the file's is taken only if it sets nothing
     * but the allowed keys (cfg_keys.h); otherwise the admin names it.
     * Either way xl restore is given it, and never uses the image's own. */
    struct monitor_args *ma = calloc(1, sizeof(*ma));
    if (!ma)
        rc = XV_FAILED;
    const struct savefile_section *cfg_sec = savefile_find(&sf, "cfg");
    char *admin_text = NULL;
    size_t admin_len = 0;
    if (rc == XV_OK && admin_cfg &&
        read_whole(admin_cfg, &admin_text, &admin_len) < 0) {
        say("%s: %s", admin_cfg, strerror(errno));
        rc = XV_FAILED;
    }
    const char *cfg_text = admin_text ? admin_text : cfg_sec ? (const char *)cfg_sec->data : NULL;
    size_t cfg_len = admin_text ? admin_len : cfg_sec ? (size_t)cfg_sec->len : 0;
    if (rc == XV_OK && !cfg_text) {
        say("%s: refused: it carries no config: restore it with the guest's (xl-vgpu restore "
            "CONFIG FILE)", what);
        rc = XV_FAILED;
    }
    if (rc == XV_OK && !admin_text) {
        char bad[64];
        int krc = cfg_keys_check(cfg_text, cfg_len, bad, sizeof(bad));
        if (krc < 0) {
            say("%s: refused: its config %s%s%s, which a save file may not: restore it with "
                "the guest's config (xl-vgpu restore CONFIG FILE)", what,
                krc == -EPERM ? "sets " : "cannot be read whole",
                krc == -EPERM ? bad : "", "");
            rc = XV_FAILED;
        }
        const struct savefile_section *cr = savefile_find(&sf, "create");
        for (size_t at = 0; rc == XV_OK && cr && at < cr->len;) {
            size_t n = 0;
            while (at + n < cr->len && cr->data[at + n] != '\n')
                n++;
            char line[256];
            if (n >= sizeof(line) || (n > 0 && (memcpy(line, cr->data + at, n), line[n] = 0,
                                                !cfg_override_allowed(line)))) {
                say("%s: refused: it re-creates the guest with an option a save file may "
                    "not set: restore it with the guest's config (xl-vgpu restore CONFIG "
                    "FILE)", what);
                rc = XV_FAILED;
            }
            at += n + 1;
        }
    }
    char err[VGPU_CFG_ERR_MAX] = "";
    if (rc == XV_OK && (vgpu_cfg_parse(admin_cfg ? admin_cfg : "the saved config", cfg_text,
                                       cfg_len, &ma->cfg, err, sizeof(err)) < 0 ||
                        strcmp(ma->cfg.name, guest) != 0)) {
        say("%s: refused: the config is not this guest's (%s)", what,
            err[0] ? err : "another name");
        rc = XV_FAILED;
    }
    /* The admin's config is the file as written: the vGPUs' RAM that
     * create budgeted in memory and videoram (ram_budget) goes in again,
     * or xl restore builds a domain too small for the saved frames (real
     * Xen: "restoring domain: Device or resource busy"). Later settings
     * win in xl's config. */
    char *budgeted = NULL;
    if (rc == XV_OK && admin_cfg) {
        char budget[2][32];
        int nb = ram_budget(&ma->cfg, 0, NULL, budget);
        size_t room = cfg_len + 128;
        budgeted = nb ? malloc(room) : NULL;
        if (budgeted) {
            int w = snprintf(budgeted, room, "%.*s\n# xl-vgpu restore: the vGPUs' RAM\n",
                             (int)cfg_len, cfg_text);
            for (int i = 0; i < nb && w > 0 && (size_t)w < room; i++) {
                char *eq = strchr(budget[i], '=');
                w += snprintf(budgeted + w, room - (size_t)w, "%.*s = %s\n",
                              (int)(eq - budget[i]), budget[i], eq + 1);
            }
            if (w > 0 && (size_t)w < room) {
                cfg_text = budgeted;
                cfg_len = (size_t)w;
            }
        }
    }
    if (rc == XV_OK && keep_config(&ma->cfg, cfg_text, cfg_len, ma) < 0) {
        say("%s: cannot keep the guest's config in %s", what, launch_run_dir());
        rc = XV_FAILED;
    }
    if (rc == XV_OK) {
        /* With the admin's config, the file's create options it may set
         * still apply (actions, extra); the others are dropped. */
        const struct savefile_section *cr = savefile_find(&sf, "create");
        size_t at = 0;
        while (cr && at < cr->len) {
            size_t n = 0;
            while (at + n < cr->len && cr->data[at + n] != '\n')
                n++;
            char line[256];
            if (n > 0 && n < sizeof(line)) {
                memcpy(line, cr->data + at, n);
                line[n] = 0;
                if (!cfg_override_allowed(line)) {
                    say("%s: not taken from the save file: %.40s", what, line);
                    at += n + 1;
                    continue;
                }
                monitor_arg(ma, line);
                /* The guest was created with these: its actions too. */
                action_override(line, &ma->cfg.actions);
            }
            at += n + 1;
        }
    }
    if (rc == XV_OK)
        keep_create_args(ma);
    free(budgeted);
    free(admin_text);
    char kept_cfg[300];
    guest_file(guest, "cfg", kept_cfg, sizeof(kept_cfg));
    if (rc == XV_OK) {
        const char *args[] = { "restore", "-p", "-e", kept_cfg, xl_image, NULL };
        if (launch_xl(NULL, 0, args) != 0) {
            say("xl restore failed");
            rc = XV_FAILED;
        }
    }
    long domid = rc == XV_OK ? launch_domid(guest) : -1;
    if (rc == XV_OK && domid < 0) {
        say("xl restored no domain named %s", guest);
        rc = XV_FAILED;
    }
    if (rc == XV_OK) {
        /* The saved entries are the daemons' truth (the config may differ). */
        snprintf(ma->cfg.name, sizeof(ma->cfg.name), "%s", guest);
        ma->cfg.count = count;
        memcpy(ma->cfg.entries, entries, sizeof(entries[0]) * count);
        ma->domid = domid;
        ma->restore = state_files;
        if (monitor_spawn(ma) < 0) {
            forget_config(guest);
            rc = XV_FAILED;
        }
    } else if (guest[0]) {
        forget_config(guest);
    }
    free(ma);
    if (rc == XV_OK)
        printf("%s: restored as domain %ld, %u vGPU%s\n", guest, domid, count,
               count > 1 ? "s" : "");
    for (unsigned i = 0; i < count; i++)
        unlink(state_files[i]);
    unlink(xl_image);
    savefile_free(&sf);
    return rc;
}

static int cmd_restore(const char *admin_cfg, const char *file)
{
    if (strcmp(file, "-") == 0)
        return restore_from_fd(0, "standard input", admin_cfg);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        say("%s: %s", file, strerror(errno));
        return XV_FAILED;
    }
    int rc = restore_from_fd(fd, file, admin_cfg);
    close(fd);
    return rc;
}

/* Not live: the guest is saved here, the file goes to HOST over ssh and
 * is restored there. If the far side fails, the guest comes back here. */
/* Not live: the guest is saved (and kept here, paused) into a file, the
 * file is restored on `host` over ssh, and only when the far side says it
 * runs the guest is the copy here destroyed; otherwise it continues here. */
static int cmd_migrate(const char *dom, const char *host)
{
    char file[200];
    snprintf(file, sizeof(file), "%s/migrate-%d.save", launch_run_dir(), (int)getpid());
    mkdir(launch_run_dir(), 0700);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        say("%s: %s", file, strerror(errno));
        return XV_FAILED;
    }
    long domid = -1;
    struct served sv;
    int rc = save_to_fd(dom, fd, KEEP_GUEST_PAUSED, &domid, &sv);
    if (close(fd) != 0 && rc == XV_OK) {
        say("%s: %s", file, strerror(errno));
        saved_guest_resume(dom, &sv);
        rc = XV_FAILED;
    }
    if (rc != XV_OK) {
        unlink(file);
        return rc;
    }
    const char *ssh = getenv("SSH");
    if (!ssh || !ssh[0])
        ssh = "ssh";
    pid_t pid = fork();
    if (pid == 0) {
        int in = open(file, O_RDONLY);
        if (in < 0)
            _exit(127);
        dup2(in, 0);
        execlp(ssh, ssh, host, "xl-vgpu", "restore", "-", (char *)NULL);
        _exit(127);
    }
    int status = -1;
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    unlink(file);
    if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        saved_guest_destroy(dom, domid, &sv);
        printf("%s: migrated to %s\n", dom, host);
        return XV_OK;
    }
    say("restoring on %s failed", host);
    saved_guest_resume(dom, &sv);
    return XV_FAILED;
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
