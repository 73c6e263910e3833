/* xl-vgpu: xl with vGPUs. Creates a guest from an xl.cfg with
 * `vgpu = [...]` entries and one xengvtd per entry, and keeps the two
 * together through destroy, save, restore and migration: a daemon is
 * never left without its domain, nor a domain without its daemons. */
#include "config.h"
#include "launch.h"
#include "savefile.h"
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
#define READY_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 5000

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
"                      xl create -p (KEY=VALUE overrides go to xl, as with\n"
"                      xl create), start the vGPUs' daemons, wait until they\n"
"                      serve, unpause; on any failure the guest is destroyed\n"
"  destroy DOM         destroy the guest and stop its daemons\n"
"  list                guests with vGPUs, their daemons and state\n"
"  screenshot DOM FILE the first vGPU's screen as PNG\n"
"  save DOM FILE       quiesce the vGPUs, xl save -p, each vGPU's state, all\n"
"                      in FILE; then the guest is destroyed (as with xl save)\n"
"  restore FILE        xl restore -p, daemons from the saved state, unpause;\n"
"                      FILE '-' reads standard input\n"
"  migrate DOM HOST    save (keeping the guest here, paused), restore on HOST\n"
"                      over ssh, then destroy it here; if the far side fails\n"
"                      the guest continues here (not live)\n"
"\n"
"Environment: XL (the xl command), XENGVTD (the daemon), XENGVT_RUN_DIR\n"
"(default /run/xengvt: sockets, logs, records), SSH (the ssh command).\n"
"Exit status: 0 done; 1 failed (the guest and daemons left consistent);\n"
"2 usage or configuration error. See xl-vgpu(8).\n");
}

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("xl-vgpu: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* --- the per-guest record: which daemons serve which domain ---------- */

struct served {
    long domid;
    char name[64];
    unsigned count;
    pid_t pid[VGPU_CFG_MAX];
    char sock[VGPU_CFG_MAX][160];
    char log[VGPU_CFG_MAX][160];
    char spec[VGPU_CFG_MAX][512];
};

static void paths_for(long domid, unsigned i, char *sock, char *log)
{
    const char *dir = launch_run_dir();
    if (i == 0) {
        snprintf(sock, 160, "%s/dom%ld.sock", dir, domid);
        snprintf(log, 160, "%s/dom%ld.log", dir, domid);
    } else {
        snprintf(sock, 160, "%s/dom%ld-%u.sock", dir, domid, i);
        snprintf(log, 160, "%s/dom%ld-%u.log", dir, domid, i);
    }
}

static void record_path(long domid, char *out, size_t cap)
{
    snprintf(out, cap, "%s/dom%ld.vgpu", launch_run_dir(), domid);
}

static int record_write(const struct served *sv)
{
    char path[200], tmp[210];
    record_path(sv->domid, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    fprintf(f, "name %s\n", sv->name);
    for (unsigned i = 0; i < sv->count; i++)
        fprintf(f, "vgpu %d %s %s %s\n", (int)sv->pid[i], sv->sock[i], sv->log[i], sv->spec[i]);
    if (fclose(f) != 0 || rename(tmp, path) < 0)
        return -errno;
    return 0;
}

static int record_read(long domid, struct served *sv)
{
    memset(sv, 0, sizeof(*sv));
    sv->domid = domid;
    char path[200], line[1024];
    record_path(domid, path, sizeof(path));
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        int pid;
        char sock[160], log[160];
        int used = 0;
        if (strncmp(line, "name ", 5) == 0) {
            snprintf(sv->name, sizeof(sv->name), "%.63s", line + 5);
        } else if (sv->count < VGPU_CFG_MAX &&
                   sscanf(line, "vgpu %d %159s %159s %n", &pid, sock, log, &used) == 3 && used) {
            unsigned i = sv->count++;
            sv->pid[i] = pid;
            snprintf(sv->sock[i], sizeof(sv->sock[i]), "%s", sock);
            snprintf(sv->log[i], sizeof(sv->log[i]), "%s", log);
            snprintf(sv->spec[i], sizeof(sv->spec[i]), "%s", line + used);
        }
    }
    fclose(f);
    return 0;
}

static void record_remove(long domid)
{
    char path[200];
    record_path(domid, path, sizeof(path));
    unlink(path);
}

static void stop_all(struct served *sv)
{
    for (unsigned i = 0; i < sv->count; i++)
        launch_stop(sv->pid[i], STOP_TIMEOUT_MS);
}

static int xl1(const char *a, const char *b)
{
    const char *args[] = { a, b, NULL };
    return launch_xl(NULL, 0, args);
}

/* Start one daemon per entry for `domid` (with --restore files if given)
 * and wait until each serves. On failure everything started is stopped
 * and the reason is said. */
static int start_daemons(long domid, const char *name, const struct vgpu_entry *entries,
                         unsigned count, char restore[][200], struct served *sv)
{
    memset(sv, 0, sizeof(*sv));
    sv->domid = domid;
    snprintf(sv->name, sizeof(sv->name), "%s", name);
    mkdir(launch_run_dir(), 0700);
    char domid_s[16];
    snprintf(domid_s, sizeof(domid_s), "%ld", domid);
    for (unsigned i = 0; i < count; i++) {
        const char *argv[48];
        char buf[1024];
        unsigned n = 0;
        argv[n++] = "xengvtd";
        argv[n++] = "--domid";
        argv[n++] = domid_s;
        paths_for(domid, i, sv->sock[i], sv->log[i]);
        argv[n++] = "--control";
        argv[n++] = sv->sock[i];
        if (restore) {
            argv[n++] = "--restore";
            argv[n++] = restore[i];
        }
        if (vgpu_entry_args(&entries[i], argv + n, 40, buf, sizeof(buf)) < 0) {
            say("vGPU %u: too many daemon arguments", i);
            stop_all(sv);
            return -1;
        }
        snprintf(sv->spec[i], sizeof(sv->spec[i]), "%s", entries[i].spec);
        unlink(sv->log[i]);
        sv->pid[i] = launch_daemon(argv, sv->log[i]);
        sv->count = i + 1;
        if (sv->pid[i] < 0) {
            say("vGPU %u: cannot start xengvtd: %s", i, strerror(errno));
            stop_all(sv);
            return -1;
        }
    }
    for (unsigned i = 0; i < count; i++) {
        int status = 0;
        int rc = launch_wait_ready(sv->pid[i], sv->sock[i], READY_TIMEOUT_MS, &status);
        if (rc < 0) {
            char tail[512];
            launch_log_tail(sv->log[i], tail, sizeof(tail));
            if (rc == -ESRCH)
                say("vGPU %u: xengvtd exited with status %d: %s", i,
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail);
            else
                say("vGPU %u: xengvtd did not become ready in %d s: %s", i,
                    READY_TIMEOUT_MS / 1000, tail);
            stop_all(sv);
            return -1;
        }
    }
    if (record_write(sv) < 0)
        say("warning: cannot write the record in %s: %s", launch_run_dir(), strerror(errno));
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
    /* Without vGPUs this is plain `xl create`; with them the guest starts
     * paused until its daemons serve. */
    const char *create[6 + CREATE_OVERRIDES_MAX];
    char budget[2][32];
    int n_budget = ram_budget(&cfg, n_overrides, overrides, budget);
    unsigned n = 0;
    create[n++] = "create";
    if (cfg.count > 0)
        create[n++] = "-p";
    create[n++] = cfg_path;
    for (int i = 0; i < n_overrides; i++)
        create[n++] = overrides[i];
    for (int i = 0; i < n_budget; i++)
        create[n++] = budget[i];
    create[n] = NULL;
    if (cfg.count == 0) {
        say("%s has no vgpu entries: plain xl create", cfg_path);
        return launch_xl(NULL, 0, create) == 0 ? XV_OK : XV_FAILED;
    }
    if (launch_xl(NULL, 0, create) != 0) {
        say("xl create -p %s failed", cfg_path);
        return XV_FAILED;
    }
    long domid = launch_domid(cfg.name);
    if (domid < 0) {
        say("xl created no domain named %s", cfg.name);
        return XV_FAILED;
    }
    struct served sv;
    if (start_daemons(domid, cfg.name, cfg.entries, cfg.count, NULL, &sv) < 0) {
        say("destroying %s (domain %ld)", cfg.name, domid);
        xl1("destroy", cfg.name);
        return XV_FAILED;
    }
    if (xl1("unpause", cfg.name) != 0) {
        say("xl unpause %s failed: destroying it", cfg.name);
        xl1("destroy", cfg.name);
        stop_all(&sv);
        record_remove(domid);
        return XV_FAILED;
    }
    printf("%s: domain %ld, %u vGPU%s\n", cfg.name, domid, cfg.count, cfg.count > 1 ? "s" : "");
    return XV_OK;
}

static int cmd_destroy(const char *dom)
{
    long domid = launch_domid(dom);
    struct served sv;
    bool have = domid > 0 && record_read(domid, &sv) == 0;
    int rc = XV_OK;
    /* The domain first: its daemons see it go and exit by themselves. */
    if (domid > 0 && xl1("destroy", dom) != 0) {
        say("xl destroy %s failed", dom);
        rc = XV_FAILED;
    }
    if (have) {
        stop_all(&sv);
        record_remove(domid);
    } else if (domid < 0) {
        say("no domain %s", dom);
        rc = XV_FAILED;
    }
    return rc;
}

static int cmd_list(void)
{
    printf("%-6s %-20s %-8s %-14s %-10s %s\n", "DOMID", "NAME", "PID", "SBDF", "STATE",
           "SOCKET");
    DIR *dir = opendir(launch_run_dir());
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        long d;
        char tail;
        if (sscanf(de->d_name, "dom%ld.vgp%c", &d, &tail) != 2 || tail != 'u' ||
            strcmp(de->d_name + strlen(de->d_name) - 5, ".vgpu") != 0)
            continue;
        struct served sv;
        if (record_read(d, &sv) < 0)
            continue;
        for (unsigned i = 0; i < sv.count; i++) {
            char line[4096] = "";
            const char *state = !launch_alive(sv.pid[i]) ? "gone"
                                : launch_control(sv.sock[i], "{\"cmd\":\"status\"}", line,
                                                 sizeof(line), NULL, NULL) == 0
                                    ? "serving"
                                    : "silent";
            const char *sbdf = strstr(line, "\"sbdf\":\"");
            char sb[16] = "-";
            if (sbdf)
                snprintf(sb, sizeof(sb), "%.12s", sbdf + 8);
            printf("%-6ld %-20s %-8d %-14s %-10s %s\n", d, sv.name, (int)sv.pid[i], sb, state,
                   sv.sock[i]);
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
    if (domid < 0 || record_read(domid, &sv) < 0 || sv.count == 0) {
        say("no vGPU for %s", dom);
        return XV_FAILED;
    }
    char line[4096];
    uint8_t *png = NULL;
    size_t len = 0;
    if (launch_control(sv.sock[0], "{\"cmd\":\"screenshot\"}", line, sizeof(line), &png,
                       &len) < 0 || !strstr(line, "\"ok\":true") || !png) {
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

/* Each daemon's control `cmd`; 0 if all said ok. */
static int control_all(struct served *sv, const char *cmd)
{
    char req[64], line[512];
    int rc = 0;
    snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", cmd);
    for (unsigned i = 0; i < sv->count; i++)
        if (launch_control(sv->sock[i], req, line, sizeof(line), NULL, NULL) < 0 ||
            !strstr(line, "\"ok\":true")) {
            say("vGPU %u would not %s: %s", i, cmd, line);
            rc = -1;
        }
    return rc;
}

/* What save_to_fd does with the guest once the file is complete. */
enum after_save { DESTROY_GUEST, KEEP_GUEST_PAUSED };

/* The guest a save kept (KEEP_GUEST_PAUSED): destroyed once the copy is safe
 * elsewhere, or resumed where it was. */
static void saved_guest_destroy(const char *dom, long domid, struct served *sv)
{
    if (xl1("destroy", dom) != 0)
        say("warning: xl destroy %s failed after the save", dom);
    stop_all(sv);
    record_remove(domid);
}

static void saved_guest_resume(const char *dom, struct served *sv)
{
    say("%s continues where it was", dom);
    control_all(sv, "resume");
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
    if (domid < 0 || record_read(domid, &sv) < 0 || sv.count == 0) {
        say("no vGPU for %s: use xl save", dom);
        return XV_FAILED;
    }
    char xl_image[200];
    snprintf(xl_image, sizeof(xl_image), "%s/dom%ld.xlsave", launch_run_dir(), domid);
    if (control_all(&sv, "pause") < 0) {
        control_all(&sv, "resume");
        return XV_FAILED;
    }
    const char *save_args[] = { "save", "-p", dom, xl_image, NULL };
    if (launch_xl(NULL, 0, save_args) != 0) {
        /* xl resumes a guest whose save failed. */
        say("xl save %s failed: the guest continues", dom);
        unlink(xl_image);
        control_all(&sv, "resume");
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
        if (launch_control(sv.sock[i], "{\"cmd\":\"save\"}", line, sizeof(line), &blobs[i],
                           &len) < 0 || !strstr(line, "\"ok\":true") || !blobs[i]) {
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
    return rc;
}

static int cmd_save(const char *dom, const char *file)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.partial", file);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        say("%s: %s", tmp, strerror(errno));
        return XV_FAILED;
    }
    int rc = save_to_fd(dom, fd, DESTROY_GUEST, NULL, NULL);
    if (close(fd) != 0 && rc == XV_OK)
        rc = XV_FAILED;
    if (rc == XV_OK && rename(tmp, file) < 0)
        rc = XV_FAILED;
    if (rc != XV_OK)
        unlink(tmp);
    return rc;
}

static int restore_from_fd(int in_fd, const char *what)
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
        int fd = open(state_files[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, st->data, (size_t)st->len) != (ssize_t)st->len) {
            say("%s: cannot stage vGPU %u's state", what, i);
            rc = XV_FAILED;
        }
        if (fd >= 0)
            close(fd);
        count = i + 1;
    }
    if (rc == XV_OK && count == 0) {
        say("%s: refused: no vGPU in it", what);
        rc = XV_FAILED;
    }
    if (rc == XV_OK) {
        const char *args[] = { "restore", "-p", xl_image, NULL };
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
    struct served sv;
    if (rc == XV_OK && start_daemons(domid, guest, entries, count, state_files, &sv) < 0) {
        say("destroying %s (domain %ld)", guest, domid);
        xl1("destroy", guest);
        rc = XV_FAILED;
    }
    if (rc == XV_OK && xl1("unpause", guest) != 0) {
        say("xl unpause %s failed: destroying it", guest);
        xl1("destroy", guest);
        stop_all(&sv);
        record_remove(domid);
        rc = XV_FAILED;
    }
    if (rc == XV_OK)
        printf("%s: restored as domain %ld, %u vGPU%s\n", guest, domid, count,
               count > 1 ? "s" : "");
    for (unsigned i = 0; i < count; i++)
        unlink(state_files[i]);
    unlink(xl_image);
    savefile_free(&sf);
    return rc;
}

static int cmd_restore(const char *file)
{
    if (strcmp(file, "-") == 0)
        return restore_from_fd(0, "standard input");
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        say("%s: %s", file, strerror(errno));
        return XV_FAILED;
    }
    int rc = restore_from_fd(fd, file);
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
    if (strcmp(cmd, "screenshot") == 0 && n == 2)
        return cmd_screenshot(argv[2], argv[3]);
    if (strcmp(cmd, "save") == 0 && n == 2)
        return cmd_save(argv[2], argv[3]);
    if (strcmp(cmd, "restore") == 0 && n == 1)
        return cmd_restore(argv[2]);
    if (strcmp(cmd, "migrate") == 0 && n == 2)
        return cmd_migrate(argv[2], argv[3]);
    say("unknown command or wrong arguments: %s (see --help)", cmd);
    return XV_USAGE;
}
