/* Who is at the other end of an accepted UNIX socket: the check both
 * control sockets make (xengvtd's, and xengvt-vgpu's EMP socket) before a
 * client may say anything, whatever the socket file's mode. */
#ifndef XENGVT_COMMON_PEERCRED_H
#define XENGVT_COMMON_PEERCRED_H

#include <stdbool.h>
#include <sys/types.h>

/* True if the peer of `fd` is root or runs as `allowed`. *peer_uid gets
 * its uid for messages, -1 when the kernel did not say. */
bool peer_is_root_or(int fd, uid_t allowed, int *peer_uid);

#endif
