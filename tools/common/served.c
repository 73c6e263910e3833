#include "config.h"
#include "tools/common/served.h"
#include "tools/common/launch.h"
#include "tools/common/ctl_client.h"
#include "tools/common/xl_cmd.h"
#include "tools/common/lifecycle.h"
#include "tools/common/xvlog.h"
#include "common/files.h"
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
    char path[200];
    record_path(sv->domid, path, sizeof(path));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return -ENOMEM;
    fprintf(f, "name %s\n", sv->name);
    if (sv->monitor > 0)
        fprintf(f, "monitor %d\n", (int)sv->monitor);
    if (sv->state[0])
        fprintf(f, "state %s\n", sv->state);
    for (unsigned i = 0; i < sv->count; i++)
        fprintf(f, "vgpu %d %s %s %s\n", (int)sv->pid[i], sv->sock[i], sv->log[i], sv->spec[i]);
    int rc = fclose(f) != 0 ? -ENOMEM : file_write_atomic(path, text, len, 0666);
    free(text);
    return rc;
}

long served_of_guest(const char *dom, struct served *sv)
{
    long domid = launch_domid(dom);
    if (domid < 0 || served_read(domid, sv) < 0 || sv->count == 0)
        return -1;
    return domid;
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
        launch_stop(sv->pid[i], LAUNCH_STOP_TIMEOUT_MS);
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
    const char *argv[52]; /* 11 of ours, up to 40 from the entry, NULL */
    char buf[1024], live[200];
    served_paths(sv->domid, i, sv->sock[i], sv->log[i]);
    served_live_path(sv->domid, i, live, sizeof(live));
    const struct launch_spec spec = {
        .domid = sv->domid, .control = sv->sock[i], .live_state = live,
        .restore = restore, .adopt_server = adopt_id, .entry = e,
    };
    if (launch_daemon_args(&spec, argv, 52, buf, sizeof(buf)) < 0) {
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
    int rc = launch_wait_ready(sv->pid[i], sv->sock[i], LAUNCH_READY_TIMEOUT_MS, &status);
    if (rc == 0)
        return 0;
    char tail[512] = "its messages are above";
    if (!sv->log_to_stderr)
        launch_log_tail(sv->log[i], tail, sizeof(tail));
    if (rc == -ESRCH)
        xv_say("vGPU %u: xengvtd exited with status %d: %s", i,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail);
    else
        xv_say("vGPU %u: xengvtd did not become ready in %d s: %s", i, LAUNCH_READY_TIMEOUT_MS / 1000,
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
        launch_stop(sv->pid[i], LAUNCH_STOP_TIMEOUT_MS);
        return -1;
    }
    publish_running(sv->domid);
    return 0;
}

static void refused(void *opaque, unsigned i, const char *cmd, const char *line)
{
    (void)opaque;
    xv_say("vGPU %u would not %s: %s", i, cmd, line);
}

int served_control_all(struct served *sv, const char *cmd)
{
    const char *socks[VGPU_CFG_MAX];
    for (unsigned i = 0; i < sv->count; i++)
        socks[i] = sv->sock[i];
    return ctl_command_all(socks, sv->count, cmd, refused, NULL);
}

int served_checkpoint(const struct served *sv, unsigned i, int *server_id)
{
    char line[512];
    uint8_t *blob = NULL;
    size_t len = 0;
    struct daemon_reply reply;
    /* A daemon that does not answer within 2 s in all is stuck (or
     * hostile: it may be its guest's): its checkpoint ages, and if it
     * dies it is not restarted from one. No answer can hold the
     * supervisor longer, nor make it keep more than a checkpoint can be. */
    if (ctl_request(sv->sock[i], "{\"cmd\":\"checkpoint\"}", CHECKPOINT_TIMEOUT_MS,
                    CHECKPOINT_MAX_BYTES, line, sizeof(line), &reply, &blob, &len) < 0 ||
        !reply.ok || !blob || !reply.has_server) {
        free(blob);
        return -1; /* a dying daemon: its death comes next */
    }
    char path[200];
    served_checkpoint_path(sv->domid, i, path, sizeof(path));
    int rc = file_write_atomic(path, blob, len, 0600);
    free(blob);
    if (rc < 0)
        return -1;
    *server_id = reply.server_id;
    return 0;
}
