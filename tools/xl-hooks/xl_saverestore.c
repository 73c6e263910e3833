/* xl-vgpu save, restore and migrate (xl_saverestore.h). */
#include "config.h"
#include "xl_saverestore.h"
#include "guest_config.h"
#include "tools/common/launch.h"
#include "tools/common/savefile.h"
#include "tools/common/vgpu_sections.h"
#include "cfg_keys.h"
#include "tools/common/xl_cmd.h"
#include "monitor.h"
#include "tools/common/served.h"
#include "tools/common/xvlog.h"
#include "common/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define say xv_say

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
    struct served sv;
    long domid = served_of_guest(dom, &sv);
    if (domid < 0) {
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
    /* Every section owns its bytes (savefile_free), but "xl", which is
     * taken from xl_image as it is written. */
    struct savefile sf = { 0 };
    int rc = XV_OK;
    char *name = strdup(sv.name);
    if (!name)
        rc = XV_FAILED;
    else
        sf.s[sf.count++] = (struct savefile_section){ .tag = "name", .data = (uint8_t *)name,
                                                      .len = strlen(name) };
    const char *socks[VGPU_CFG_MAX], *specs[VGPU_CFG_MAX];
    for (unsigned i = 0; i < sv.count; i++) {
        socks[i] = sv.sock[i];
        specs[i] = sv.spec[i];
    }
    char msg[512];
    if (rc == XV_OK && vgpu_sections_save(&sf, sv.count, socks, specs, msg, sizeof(msg)) < 0) {
        say("%s", msg);
        rc = XV_FAILED;
    }
    /* The config the guest was created with, for its restarts wherever
     * it is restored. */
    char *cfg_text = NULL, *create_text = NULL;
    size_t cfg_len = 0, create_len = 0;
    char path[300];
    guest_file(sv.name, "cfg", path, sizeof(path));
    if (rc == XV_OK && read_whole(path, &cfg_text, &cfg_len) == 0) {
        sf.s[sf.count++] = (struct savefile_section){ .tag = "cfg", .data = (uint8_t *)cfg_text,
                                                      .len = cfg_len };
        guest_file(sv.name, "create", path, sizeof(path));
        if (read_whole(path, &create_text, &create_len) == 0)
            sf.s[sf.count++] = (struct savefile_section){
                .tag = "create", .data = (uint8_t *)create_text, .len = create_len };
    }
    if (rc == XV_OK) {
        sf.s[sf.count++] = (struct savefile_section){ .tag = "xl", .path = xl_image };
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
    savefile_free(&sf);
    return rc;
}

int cmd_save(const char *dom, const char *file)
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
    char why_vgpu[200];
    int saved = rc == XV_OK ? vgpu_sections_count(&sf, why_vgpu, sizeof(why_vgpu)) : 0;
    if (saved < 0) {
        say("%s: refused: %s", what, why_vgpu);
        rc = XV_FAILED;
    } else if (rc == XV_OK && saved == 0) {
        say("%s: refused: no vGPU in it", what);
        rc = XV_FAILED;
    }
    for (unsigned i = 0; rc == XV_OK && i < (unsigned)saved; i++) {
        char text[VGPU_SECTION_SPEC_MAX + 1], err[VGPU_CFG_ERR_MAX];
        vgpu_sections_get(&sf, i, text);
        if (vgpu_entry_parse(text, &entries[i], err, sizeof(err)) < 0) {
            say("%s: refused: vGPU %u: %s", what, i, err);
            rc = XV_FAILED;
            break;
        }
        snprintf(state_files[i], sizeof(state_files[i]), "%s/restore-%d-%u.state",
                 launch_run_dir(), (int)getpid(), i);
        count = i + 1;
        if (vgpu_sections_stage(&sf, i, state_files[i], why_vgpu, sizeof(why_vgpu)) < 0) {
            say("%s: %s", what, why_vgpu);
            rc = XV_FAILED;
        }
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

int cmd_restore(const char *admin_cfg, const char *file)
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
int cmd_migrate(const char *dom, const char *host)
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
