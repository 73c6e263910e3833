#include "config.h"
#include "fleet.h"
#include "tools/common/launch.h"
#include "tools/common/ctl_client.h"
#include "tools/common/vgpu_sections.h"
#include "common/dmuser.h"
#include "common/files.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void fleet_init(struct xv_fleet *f, unsigned domid, const struct vgpu_entry *e,
                unsigned count)
{
    memset(f, 0, sizeof(*f));
    f->domid = domid;
    f->entries = e;
    f->count = count;
    for (unsigned i = 0; i < count; i++) {
        snprintf(f->sock[i], sizeof(f->sock[i]), "%s/xenopsd-dom%u-%u.sock", launch_run_dir(),
                 domid, i);
        snprintf(f->staged[i], sizeof(f->staged[i]), "%s/xenopsd-dom%u-%u.state",
                 launch_run_dir(), domid, i);
    }
}

bool fleet_running(const struct xv_fleet *f)
{
    for (unsigned i = 0; i < f->count; i++)
        if (f->pid[i] > 0)
            return true;
    return false;
}

void fleet_stop(struct xv_fleet *f)
{
    for (unsigned i = 0; i < f->count; i++)
        if (f->pid[i] > 0)
            kill(f->pid[i], SIGTERM);
    uint64_t deadline = now_ms() + LAUNCH_STOP_TIMEOUT_MS;
    for (;;) {
        bool left = false;
        for (unsigned i = 0; i < f->count; i++) {
            int st;
            if (f->pid[i] > 0 && waitpid(f->pid[i], &st, WNOHANG) != 0)
                f->pid[i] = 0; /* ended (or not ours: nothing to wait for) */
            left = left || f->pid[i] > 0;
        }
        if (!left)
            break;
        if (now_ms() > deadline) {
            for (unsigned i = 0; i < f->count; i++)
                if (f->pid[i] > 0) {
                    log_warn("vGPU %u: xengvtd %d ignored SIGTERM: killed", i, (int)f->pid[i]);
                    kill(f->pid[i], SIGKILL);
                    waitpid(f->pid[i], NULL, 0);
                    f->pid[i] = 0;
                }
            break;
        }
        usleep(10 * 1000);
    }
    for (unsigned i = 0; i < f->count; i++)
        unlink(f->sock[i]);
    /* Whatever still runs as the domain's uid goes too (a daemon's child
     * that escaped us), as libxl reaps a device model and xl-vgpu does:
     * the next domain with this domid gets this uid. */
    struct dmuser u;
    char err[256];
    if (dmuser_for_domain(f->domid, &u, err, sizeof(err)) == 0 && u.per_domain) {
        int rc = dmuser_reap(&u);
        if (rc < 0)
            log_warn("processes of %s (uid %u) may remain: %s", u.name, (unsigned)u.uid,
                     strerror(-rc));
    }
}

static bool stop_pending(const sigset_t *stop)
{
    sigset_t pending;
    if (!stop || sigpending(&pending) < 0)
        return false;
    for (int s = 1; s < NSIG; s++)
        if (sigismember(stop, s) == 1 && sigismember(&pending, s) == 1)
            return true;
    return false;
}

int fleet_start(struct xv_fleet *f, const sigset_t *stop)
{
    mkdir(launch_run_dir(), 0700);
    for (unsigned i = 0; i < f->count; i++) {
        const char *argv[52];
        char buf[1024];
        /* No --live-state nor --adopt-server: nothing here restarts a
         * daemon (one that dies fails the helper; xenopsd decides). */
        const struct launch_spec spec = {
            .domid = f->domid, .control = f->sock[i],
            .restore = f->have_staged ? f->staged[i] : NULL, .adopt_server = -1,
            .entry = &f->entries[i],
        };
        if (launch_daemon_args(&spec, argv, 52, buf, sizeof(buf)) < 0) {
            log_error("vGPU %u: too many daemon arguments", i);
            fleet_stop(f);
            return -1;
        }
        unlink(f->sock[i]);
        f->pid[i] = launch_daemon(argv, NULL);
        if (f->pid[i] < 0) {
            log_error("vGPU %u: cannot start xengvtd: %s", i, strerror(errno));
            f->pid[i] = 0;
            fleet_stop(f);
            return -1;
        }
        log_info("vGPU %u: xengvtd %d%s", i, (int)f->pid[i],
                 f->have_staged ? " from saved state" : "");
    }
    /* Short waits, so that xenopsd's SIGTERM is not kept waiting for a
     * daemon that is slow to come up. */
    uint64_t deadline = now_ms() + LAUNCH_READY_TIMEOUT_MS;
    for (unsigned i = 0; i < f->count; i++) {
        for (;;) {
            int status = 0;
            int rc = launch_wait_ready(f->pid[i], f->sock[i], 200, &status);
            if (rc == 0)
                break;
            if (rc == -ESRCH) {
                log_error("vGPU %u: xengvtd exited with status %d during set-up (its "
                          "reason is logged above)", i,
                          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                f->pid[i] = 0;
                fleet_stop(f);
                return -1;
            }
            if (stop_pending(stop)) {
                fleet_stop(f);
                return -EINTR;
            }
            if (now_ms() > deadline) {
                log_error("vGPU %u: xengvtd did not serve within %d s", i,
                          LAUNCH_READY_TIMEOUT_MS / 1000);
                fleet_stop(f);
                return -1;
            }
        }
    }
    return 0;
}

static void refused(void *opaque, unsigned i, const char *cmd, const char *line)
{
    (void)opaque;
    log_error("vGPU %u would not %s: %s", i, cmd, line[0] ? line : "no answer");
}

int fleet_control(struct xv_fleet *f, const char *cmd)
{
    const char *socks[VGPU_CFG_MAX];
    for (unsigned i = 0; i < f->count; i++)
        socks[i] = f->sock[i];
    return ctl_command_all(socks, f->count, cmd, refused, NULL);
}

int fleet_save(struct xv_fleet *f, struct savefile *sf)
{
    memset(sf, 0, sizeof(*sf));
    const char *socks[VGPU_CFG_MAX], *specs[VGPU_CFG_MAX];
    for (unsigned i = 0; i < f->count; i++) {
        socks[i] = f->sock[i];
        specs[i] = f->entries[i].spec;
    }
    char msg[512];
    if (vgpu_sections_save(sf, f->count, socks, specs, msg, sizeof(msg)) < 0) {
        log_error("%s", msg);
        return -1;
    }
    return 0;
}

void fleet_save_free(struct savefile *sf)
{
    savefile_free(sf);
}

/* "type=NAME,..." -> NAME's length, for comparing types of two specs. */
static size_t type_of(const char *spec, const char **name)
{
    const char *t = strncmp(spec, "type=", 5) == 0 ? spec + 5 : strstr(spec, ",type=");
    if (!t)
        return 0;
    if (t != spec + 5)
        t += 6;
    *name = t;
    return strcspn(t, ",");
}

int fleet_stage(struct xv_fleet *f, const struct savefile *sf, char *why, size_t cap)
{
    int saved_count = vgpu_sections_count(sf, why, cap);
    if (saved_count < 0)
        return -1;
    if ((unsigned)saved_count != f->count) {
        snprintf(why, cap, "the saved state has %d vGPU%s, this domain %u --device", saved_count,
                 saved_count == 1 ? "" : "s", f->count);
        return -1;
    }
    mkdir(launch_run_dir(), 0700);
    for (unsigned i = 0; i < f->count; i++) {
        char saved[VGPU_SECTION_SPEC_MAX + 1];
        vgpu_sections_get(sf, i, saved);
        const char *a = NULL, *b = NULL;
        size_t la = type_of(saved, &a), lb = type_of(f->entries[i].spec, &b);
        if (!la || la != lb || memcmp(a, b, la) != 0) {
            snprintf(why, cap, "vGPU %u: saved as '%.40s', now '%.40s': the types differ", i,
                     saved, f->entries[i].spec);
            fleet_unstage(f);
            return -1;
        }
        if (vgpu_sections_stage(sf, i, f->staged[i], why, cap) < 0) {
            fleet_unstage(f);
            return -1;
        }
    }
    f->have_staged = true;
    return 0;
}

void fleet_unstage(struct xv_fleet *f)
{
    for (unsigned i = 0; i < f->count; i++)
        unlink(f->staged[i]);
    f->have_staged = false;
}

int fleet_reap(struct xv_fleet *f, unsigned *index, int *status)
{
    for (unsigned i = 0; i < f->count; i++) {
        if (f->pid[i] <= 0)
            continue;
        if (waitpid(f->pid[i], status, WNOHANG) == f->pid[i]) {
            f->pid[i] = 0;
            *index = i;
            return 1;
        }
    }
    return 0;
}
