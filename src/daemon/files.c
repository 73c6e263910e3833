/* The daemon's state files, through common/files.c. These two names are
 * the seam the control fuzzer replaces (it never writes a file). */
#include "config.h"
#include "daemon/daemon.h"
#include "common/files.h"

int daemon_write_file(const char *path, const void *data, size_t len)
{
    return file_write_atomic(path, data, len, 0600);
}

int daemon_read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
    return file_read_whole(path, max, data, len);
}
