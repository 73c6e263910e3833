/* xengvt top (see xengvt(1)): the live view of one daemon (socket_path)
 * or of every daemon in the run directory (NULL). argv[0] is "top".
 * Returns the exit status. */
#ifndef XENGVT_DAEMON_TOP_H
#define XENGVT_DAEMON_TOP_H

#include <stddef.h>

int cli_top(const char *socket_path, int argc, char **argv);

/* One reply line of the control socket (read a byte at a time, so that a
 * payload after it stays unread); -EPIPE if the daemon went away. Shared
 * by the one-shot commands (cli.c) and top. */
int ctl_read_line(int fd, char *buf, size_t cap);

#endif
