/* The config a guest was created with, kept in the run directory for the
 * supervisor's re-creations and for save files (xl-vgpu's create, restore
 * and migrate share it). */
#include "config.h"
#include "guest_config.h"
#include "tools/common/launch.h"
#include "common/files.h"
#include "tools/common/xvlog.h"
#include "gvt/vgpu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define say xv_say

int read_whole(const char *path, char **out, size_t *len)
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

void guest_file(const char *name, const char *ext, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s.%s", launch_run_dir(), name, ext);
}

void monitor_arg(struct monitor_args *ma, const char *arg)
{
    size_t len = strlen(arg);
    if (ma->create_argc >= MONITOR_ARGS_MAX || len >= sizeof(ma->create_argv[0])) {
        say("the re-creation drops an argument: %.60s", arg);
        return;
    }
    memcpy(ma->create_argv[ma->create_argc++], arg, len + 1);
}

/* RUN_DIR/NAME.cfg holds the config; the re-creation is
 * `xl create -p -e RUN_DIR/NAME.cfg KEY=VALUE...`. */
int keep_config(const struct vgpu_cfg *cfg, const char *text, size_t len,
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
void keep_create_args(const struct monitor_args *ma)
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

void forget_config(const char *name)
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
int action_override(const char *kv, struct guest_actions *a)
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
int ram_budget(const struct vgpu_cfg *cfg, int n_overrides, char **overrides,
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

