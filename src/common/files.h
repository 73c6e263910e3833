/* Whole files, written so that a reader (or a crash) never sees half of
 * one: the bytes go to a temporary file in the same directory, are synced,
 * and the temporary is renamed over the target. One implementation for
 * the daemon's state files and the tools' records, checkpoints and save
 * files. 0 or -errno everywhere. */
#ifndef XENGVT_COMMON_FILES_H
#define XENGVT_COMMON_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A file being written: its bytes go to `fd`, the temporary. */
struct file_atomic {
    int fd;
    char path[4096];
    char tmp[4096 + 24];
};

/* Creates PATH.tmp.PID (never an existing file: O_EXCL) with `mode`
 * (less the umask). */
int file_atomic_open(struct file_atomic *f, const char *path, mode_t mode);
/* Syncs, closes and renames it into place; on failure the temporary goes
 * and the target is untouched. */
int file_atomic_commit(struct file_atomic *f);
/* Gives up: the temporary goes, the target is untouched. */
void file_atomic_abort(struct file_atomic *f);

/* The same for bytes in memory. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Every byte of `buf` to `fd`, through short writes and EINTR. */
int fd_write_all(int fd, const void *buf, size_t len);

/* `len` bytes at offset `at`, through short transfers and EINTR; -EIO
 * at the end of the file. */
int fd_pread_all(int fd, void *buf, size_t len, off_t at);
int fd_pwrite_all(int fd, const void *buf, size_t len, off_t at);

/* A whole regular file of at most `max` bytes; *data malloc'd. */
int file_read_whole(const char *path, size_t max, uint8_t **data, size_t *len);

#endif
