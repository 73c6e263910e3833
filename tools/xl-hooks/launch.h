/* What xl-vgpu does to processes: run xl, start xengvtd detached, wait for
 * it to serve, talk to its control socket, stop it. */
#ifndef XENGVT_XL_HOOKS_LAUNCH_H
#define XENGVT_XL_HOOKS_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where daemons' sockets, logs and xl-vgpu's records live:
 * $XENGVT_RUN_DIR, else /run/xengvt. */
const char *launch_run_dir(void);

/* Runs `xl ARGS...` ($XL, else xl from PATH; never through a shell).
 * Captures at most out_len-1 bytes of its stdout into out if given.
 * Returns its exit status, or -1 if it could not run. */
int launch_xl(char *out, size_t out_len, const char *const *args);

/* The domid of a domain named or numbered `dom`; -1 if none. */
long launch_domid(const char *dom);

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

/* One control request; the answer line into line, the payload (if the
 * answer announces one) into a malloc'd *payload. 0 or -errno. */
int launch_control(const char *sock, const char *request, char *line, size_t cap,
                   uint8_t **payload, size_t *payload_len);

/* The same, within timeout_ms in all (launch_control: 60 s, a save can
 * take that long; a supervisor cannot wait so). */
int launch_control_within(const char *sock, const char *request, int timeout_ms, char *line,
                          size_t cap, uint8_t **payload, size_t *payload_len);

/* Larger payloads are refused (a --restore file is at most 64 MiB). */
#define LAUNCH_PAYLOAD_MAX (64u << 20)

/* The same with the answer parsed (reply.h) and the payload at most
 * max_payload bytes: the daemon may be the guest's, nothing it says is
 * taken on trust. 0 or -errno. */
struct daemon_reply;
int launch_control_bounded(const char *sock, const char *request, int timeout_ms,
                           size_t max_payload, char *line, size_t cap,
                           struct daemon_reply *reply, uint8_t **payload, size_t *payload_len);

/* launch_control, and -EPROTO (no payload kept) unless the answer says
 * "ok":true at its top level. */
int launch_control_ok(const char *sock, const char *request, char *line, size_t cap,
                      uint8_t **payload, size_t *payload_len);

/* The last line of a daemon's log, for error messages; control
 * characters shown as '?'. */
void launch_log_tail(const char *log_path, char *out, size_t cap);

#endif
