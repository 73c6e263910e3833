/* xengvt top (see xengvt(1)): the live view of one daemon (socket_path)
 * or of every daemon in the run directory (NULL). argv[0] is "top".
 * Returns the exit status. */
#ifndef XENGVT_DAEMON_TOP_H
#define XENGVT_DAEMON_TOP_H

#include <stddef.h>

int cli_top(const char *socket_path, int argc, char **argv);

#endif
