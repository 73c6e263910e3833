/* xengvtd processes as both launchers (xl-vgpu, xengvt-vgpu) run them:
 * started detached, waited for until they serve, stopped. Their control
 * sockets are ctl_client.h's. */
#ifndef XENGVT_TOOLS_COMMON_LAUNCH_H
#define XENGVT_TOOLS_COMMON_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where daemons' sockets, logs and the launchers' records live:
 * $XENGVT_RUN_DIR, else /run/xengvt. */
const char *launch_run_dir(void);

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
