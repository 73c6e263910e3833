/* xengvtd processes as both launchers (xl-vgpu, xengvt-vgpu) run them:
 * started detached, waited for until they serve, stopped. Their control
 * sockets are ctl_client.h's. */
#ifndef XENGVT_TOOLS_COMMON_LAUNCH_H
#define XENGVT_TOOLS_COMMON_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tools/common/vgpu_entry.h"

/* How long a new daemon may take to serve, and a stopped one to go. */
#define LAUNCH_READY_TIMEOUT_MS 30000
#define LAUNCH_STOP_TIMEOUT_MS 5000

/* Where daemons' sockets, logs and the launchers' records live:
 * $XENGVT_RUN_DIR, else /run/xengvt. */
const char *launch_run_dir(void);

/* One xengvtd of a domain as a launcher starts it: every option either
 * launcher passes. */
struct launch_spec {
    long domid;
    const char *control;           /* its control socket */
    const char *live_state;        /* --live-state FILE, or NULL */
    const char *restore;           /* --restore FILE, or NULL */
    int adopt_server;              /* --adopt-server ID, or -1 */
    const struct vgpu_entry *entry; /* the rest: type, sbdf, vnc, ... */
};
/* Its argv for launch_daemon: "xengvtd" first, NULL last, at most `max`
 * entries, formatted strings in buf. The count, or -E2BIG. */
int launch_daemon_args(const struct launch_spec *s, const char **argv, unsigned max,
                       char *buf, size_t buf_len);

/* Starts xengvtd detached (own session, stdout/stderr to `log_path`, or
 * our own stdout/stderr if NULL -- xengvt-vgpu's go to syslog):
 * argv[0] is replaced by $XENGVTD or the installed daemon. */
pid_t launch_daemon(const char *const *argv, const char *log_path);

/* Until `sock` answers "status" with ok, the daemon `pid` dies, or
 * timeout_ms passes. 0 ready; -ESRCH died (*status set); -ETIMEDOUT. */
int launch_wait_ready(pid_t pid, const char *sock, int timeout_ms, int *status);

/* SIGTERM, up to timeout_ms for it to go, then SIGKILL. Works for
 * daemons that are not our children (pid files) too. */
void launch_stop(pid_t pid, int timeout_ms);
bool launch_alive(pid_t pid);

/* In a child about to exec: a supervisor blocks the signals it reads from
 * a signalfd, and what it starts must not inherit that (a daemon deaf to
 * SIGTERM). */
void launch_unblock_signals(void);

/* The last line of a daemon's log, for error messages; control
 * characters shown as '?'. */
void launch_log_tail(const char *log_path, char *out, size_t cap);

#endif
