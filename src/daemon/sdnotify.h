/* systemd's readiness protocol without libsystemd: one datagram to
 * $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@').
 * The socket is connected before the sandbox closes (the path is out of
 * reach after the chroot, and the sandbox creates no sockets); the
 * datagram goes once set-up is done. Nothing happens when the variable is
 * unset (not under systemd). */
#ifndef XENGVT_DAEMON_SDNOTIFY_H
#define XENGVT_DAEMON_SDNOTIFY_H

/* A datagram socket connected to $NOTIFY_SOCKET; -1 when there is none
 * (*err 0) or it failed (*err the -errno). */
int sd_notify_connect(int *err);
/* `state` is e.g. "READY=1\nSTATUS=serving dom5"; the socket is closed
 * (one message is all the daemon sends). 0, or -errno. */
int sd_notify_send(int fd, const char *state);

#endif
