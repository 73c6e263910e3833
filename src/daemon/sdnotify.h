/* systemd's readiness protocol without libsystemd: one datagram to
 * $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@').
 * Does nothing when the variable is unset (not under systemd). */
#ifndef XENGVT_DAEMON_SDNOTIFY_H
#define XENGVT_DAEMON_SDNOTIFY_H

/* `state` is e.g. "READY=1\nSTATUS=serving dom5". 0, or -errno. */
int sd_notify_send(const char *state);

#endif
