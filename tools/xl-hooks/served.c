#include "config.h"
#include "served.h"
#include "launch.h"
#include "lifecycle.h"
#include "reply.h"
#include "xvlog.h"
#include "common/dmuser.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

void served_paths(long domid, unsigned i, char *sock, char *log)
{
    const char *dir = launch_run_dir();
    if (i == 0) {
        snprintf(sock, SERVED_PATH_MAX, "%s/dom%ld.sock", dir, domid);
        snprintf(log, SERVED_PATH_MAX, "%s/dom%ld.log", dir, domid);
    } else {
        snprintf(sock, SERVED_PATH_MAX, "%s/dom%ld-%u.sock", dir, domid, i);
        snprintf(log, SERVED_PATH_MAX, "%s/dom%ld-%u.log", dir, domid, i);
    }
}

void served_checkpoint_path(long domid, unsigned i, char *out, unsigned cap)
{
    snprintf(out, cap, "%s/dom%ld-%u.checkpoint", launch_run_dir(), domid, i);
}

void served_live_path(long domid, unsigned i, char *out, unsigned cap)
{
    snprintf(out, cap, "%s/dom%ld-%u.live", launch_run_dir(), domid, i);
}

static void record_path(long domid, char *out, size_t cap)
{
    snprintf(out, cap, "%s/dom%ld.vgpu", launch_run_dir(), domid);
}

int served_write(const struct served *sv)
{
    char path[200], tmp[210];
    record_path(sv->domid, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    fprintf(f, "name %s\n", sv->name);
    if (sv->monitor > 0)
        fprintf(f, "monitor %d\n", (int)sv->monitor);
    if (sv->state[0])
        fprintf(f, "state %s\n", sv->state);
    for (unsigned i = 0; i < sv->count; i++)
        fprintf(f, "vgpu %d %s %s %s\n", (int)sv->pid[i], sv->sock[i], sv->log[i], sv->spec[i]);
    if (fclose(f) != 0 || rename(tmp, path) < 0)
        return -errno;
    return 0;
}

int served_read(long domid, struct served *sv)
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
        char sock[SERVED_PATH_MAX], log[SERVED_PATH_MAX];
        int used = 0;
        if (strncmp(line, "name ", 5) == 0) {
            snprintf(sv->name, sizeof(sv->name), "%.63s", line + 5);
        } else if (strncmp(line, "state ", 6) == 0) {
            snprintf(sv->state, sizeof(sv->state), "%.31s", line + 6);
        } else if (sscanf(line, "monitor %d", &pid) == 1 && pid > 0) {
            sv->monitor = pid;
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

void served_remove(long domid)
{
    char path[200], sock[SERVED_PATH_MAX], log[SERVED_PATH_MAX];
    for (unsigned i = 0; i < VGPU_CFG_MAX; i++) {
        served_checkpoint_path(domid, i, path, sizeof(path));
        unlink(path);
        served_live_path(domid, i, path, sizeof(path));
        unlink(path);
        /* A daemon that was killed could not remove its socket. */
        served_paths(domid, i, sock, log);
        unlink(sock);
    }
    record_path(domid, path, sizeof(path));
    unlink(path);
    served_forget_xenstore(domid);
    /* Whatever still runs as the domain's uid goes with it, as libxl
     * reaps a device model's: the next guest to get this domid gets this
     * uid too, and must not find a process of the old one (a daemon's
     * child, one that escaped its supervisor). */
    struct dmuser u;
    char err[256];
    if (dmuser_for_domain((uint32_t)domid, &u, err, sizeof(err)) == 0 && u.per_domain) {
        int rc = dmuser_reap(&u);
        if (rc < 0)
            xv_say("warning: processes of %s (uid %u) may remain: %s", u.name, (unsigned)u.uid,
                   strerror(-rc));
    }
    /* The daemons' empty chroot (xengvtd makes it at its fixed place). */
    snprintf(path, sizeof(path), "/run/xengvt/root-dom%ld", domid);
    rmdir(path);
}

void served_stop_all(struct served *sv)
{
    for (unsigned i = 0; i < sv->count; i++)
        launch_stop(sv->pid[i], STOP_TIMEOUT_MS);
}

/* A daemon built from files (a restore, a restart) says "restoring" in
 * xenstore before it enters its sandbox, which cuts xenstore off: root,
 * which saw it answer, says when it serves. */
static void publish_running(long domid)
{
    struct xs_handle *xs = xs_open(0);
    if (!xs) {
        xv_say("warning: cannot say in xenstore that domain %ld's vGPUs serve: %s", domid,
               strerror(errno));
        return;
    }
    char path[96];
    snprintf(path, sizeof(path), "/local/domain/0/device-model/%ld/xengvt/state", domid);
    if (!xs_write(xs, XBT_NULL, path, "running", strlen("running")))
        xv_say("warning: cannot write %s: %s", path, strerror(errno));
    xs_close(xs);
}

void served_forget_xenstore(long domid)
{
    struct xs_handle *xs = xs_open(0);
    if (!xs)
        return;
    char path[96];
    snprintf(path, sizeof(path), "/local/domain/0/device-model/%ld/xengvt/state", domid);
    xs_rm(xs, XBT_NULL, path);
    snprintf(path, sizeof(path), "/local/domain/0/device-model/%ld/xengvt", domid);
    xs_rm(xs, XBT_NULL, path);
    xs_close(xs);
}

int xl1(const char *a, const char *b)
{
    const char *args[] = { a, b, NULL };
    return launch_xl(NULL, 0, args);
}

static int spawn_one(struct served *sv, unsigned i, const struct vgpu_entry *e,
                     const char *restore, int adopt_id)
{
    const char *argv[56]; /* 11 of ours, up to 40 from the entry, NULL */
    char buf[1024], domid_s[16], adopt_s[16], live[200];
    unsigned n = 0;
    snprintf(domid_s, sizeof(domid_s), "%ld", sv->domid);
    argv[n++] = "xengvtd";
    argv[n++] = "--domid";
    argv[n++] = domid_s;
    served_paths(sv->domid, i, sv->sock[i], sv->log[i]);
    argv[n++] = "--control";
    argv[n++] = sv->sock[i];
    /* The registers live in a file that outlives the daemon: a successor
     * takes them, newer than any checkpoint. */
    served_live_path(sv->domid, i, live, sizeof(live));
    argv[n++] = "--live-state";
    argv[n++] = live;
    if (restore) {
        argv[n++] = "--restore";
        argv[n++] = restore;
    }
    if (adopt_id >= 0) {
        snprintf(adopt_s, sizeof(adopt_s), "%d", adopt_id);
        argv[n++] = "--adopt-server";
        argv[n++] = adopt_s;
    }
    if (vgpu_entry_args(e, argv + n, 40, buf, sizeof(buf)) < 0) {
        xv_say("vGPU %u: too many daemon arguments", i);
        return -1;
    }
    snprintf(sv->spec[i], sizeof(sv->spec[i]), "%s", e->spec);
    sv->pid[i] = launch_daemon(argv, sv->log_to_stderr ? NULL : sv->log[i]);
    if (sv->pid[i] < 0) {
        xv_say("vGPU %u: cannot start xengvtd: %s", i, strerror(errno));
        return -1;
    }
    return 0;
}

static int wait_one(struct served *sv, unsigned i)
{
    int status = 0;
    int rc = launch_wait_ready(sv->pid[i], sv->sock[i], READY_TIMEOUT_MS, &status);
    if (rc == 0)
        return 0;
    char tail[512] = "its messages are above";
    if (!sv->log_to_stderr)
        launch_log_tail(sv->log[i], tail, sizeof(tail));
    if (rc == -ESRCH)
        xv_say("vGPU %u: xengvtd exited with status %d: %s", i,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail);
    else
        xv_say("vGPU %u: xengvtd did not become ready in %d s: %s", i, READY_TIMEOUT_MS / 1000,
               tail);
    return -1;
}

int served_start(long domid, const char *name, const struct vgpu_entry *entries,
                 unsigned count, char restore[][200], struct served *sv)
{
    pid_t monitor = sv->monitor;
    bool log_to_stderr = sv->log_to_stderr;
    memset(sv, 0, sizeof(*sv));
    sv->domid = domid;
    sv->monitor = monitor;
    sv->log_to_stderr = log_to_stderr;
    snprintf(sv->name, sizeof(sv->name), "%s", name);
    mkdir(launch_run_dir(), 0700);
    for (unsigned i = 0; i < count; i++) {
        char sock[SERVED_PATH_MAX], log[SERVED_PATH_MAX];
        served_paths(domid, i, sock, log);
        unlink(log);
        sv->count = i + 1;
        if (spawn_one(sv, i, &entries[i], restore ? restore[i] : NULL, -1) < 0) {
            sv->pid[i] = 0;
            served_stop_all(sv);
            return -1;
        }
    }
    for (unsigned i = 0; i < count; i++)
        if (wait_one(sv, i) < 0) {
            served_stop_all(sv);
            return -1;
        }
    publish_running(domid);
    snprintf(sv->state, sizeof(sv->state), "running");
    if (served_write(sv) < 0)
        xv_say("warning: cannot write the record in %s: %s", launch_run_dir(), strerror(errno));
    return 0;
}

int served_start_one(struct served *sv, unsigned i, const struct vgpu_entry *e,
                     const char *restore, int adopt_id)
{
    if (spawn_one(sv, i, e, restore, adopt_id) < 0)
        return -1;
    if (wait_one(sv, i) < 0) {
        launch_stop(sv->pid[i], STOP_TIMEOUT_MS);
        return -1;
    }
    publish_running(sv->domid);
    return 0;
}

int served_control_all(struct served *sv, const char *cmd)
{
    char req[64], line[512];
    int rc = 0;
    snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", cmd);
    for (unsigned i = 0; i < sv->count; i++)
        if (launch_control_ok(sv->sock[i], req, line, sizeof(line), NULL, NULL) < 0) {
            xv_say("vGPU %u would not %s: %s", i, cmd, line);
            rc = -1;
        }
    return rc;
}

int served_checkpoint(const struct served *sv, unsigned i, int *server_id)
{
    char line[512];
    uint8_t *blob = NULL;
    size_t len = 0;
    struct daemon_reply reply;
    if (launch_control_bounded(sv->sock[i], "{\"cmd\":\"checkpoint\"}", CHECKPOINT_TIMEOUT_MS,
                               CHECKPOINT_MAX_BYTES, line, sizeof(line), &reply, &blob,
                               &len) < 0 ||
        !reply.ok || !blob || !reply.has_server) {
        free(blob);
        return -1; /* a dying daemon: its death comes next */
    }
    char path[200], tmp[210];
    served_checkpoint_path(sv->domid, i, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, blob, len) == (ssize_t)len;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    free(blob);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    *server_id = reply.server_id;
    return 0;
}
