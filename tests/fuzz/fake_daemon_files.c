/* The daemon's file access (src/daemon/files.c) as a sandboxed daemon
 * sees it, for fuzz_control: nothing is written or read, and a call with
 * impossible arguments is a finding. In a file of its own so that
 * commands.c (which calls these) and the target (which calls commands.c)
 * do not depend on each other. */
#include "daemon/daemon.h"

#include <errno.h>
#include <stdlib.h>

int daemon_write_file(const char *path, const void *data, size_t len)
{
    if (!path || (!data && len))
        abort();
    return -EROFS; /* as a sandboxed daemon's chroot would refuse it */
}

int daemon_read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
    (void)path, (void)max, (void)data, (void)len;
    return -ENOENT;
}
