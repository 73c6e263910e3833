#include "config.h"
#include "common/files.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fd_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One loop for both directions: `out` writes buf (which it never
 * changes), otherwise it is read into. */
static int fd_positioned_all(int fd, uint8_t *p, size_t len, off_t at, bool out)
{
    while (len) {
        ssize_t n = out ? pwrite(fd, p, len, at) : pread(fd, p, len, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
        at += n;
    }
    return 0;
}

int fd_pread_all(int fd, void *buf, size_t len, off_t at)
{
    return fd_positioned_all(fd, buf, len, at, false);
}

int fd_pwrite_all(int fd, const void *buf, size_t len, off_t at)
{
    return fd_positioned_all(fd, (uint8_t *)buf, len, at, true);
}

int file_atomic_open(struct file_atomic *f, const char *path, mode_t mode)
{
    f->fd = -1;
    if (snprintf(f->path, sizeof(f->path), "%s", path) >= (int)sizeof(f->path) ||
        snprintf(f->tmp, sizeof(f->tmp), "%s.tmp.%d", path, (int)getpid()) >=
            (int)sizeof(f->tmp))
        return -ENAMETOOLONG;
    /* In the target's directory, so the rename is atomic; O_EXCL: never
     * through a file or link someone left under that name. */
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    return f->fd < 0 ? -errno : 0;
}

int file_atomic_commit(struct file_atomic *f)
{
    int rc = 0;
    /* Synced before the rename: after a crash the name holds the old
     * file or the whole new one. */
    if (fsync(f->fd) < 0)
        rc = -errno;
    if (close(f->fd) < 0 && rc == 0)
        rc = -errno;
    f->fd = -1;
    if (rc == 0 && rename(f->tmp, f->path) < 0)
        rc = -errno;
    if (rc < 0)
        unlink(f->tmp);
    return rc;
}

void file_atomic_abort(struct file_atomic *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    unlink(f->tmp);
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    struct file_atomic f;
    int rc = file_atomic_open(&f, path, mode);
    if (rc < 0)
        return rc;
    rc = fd_write_all(f.fd, data, len);
    if (rc < 0) {
        file_atomic_abort(&f);
        return rc;
    }
    return file_atomic_commit(&f);
}

int file_read_whole(const char *path, size_t max, uint8_t **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    int err = 0;
    if (fstat(fd, &st) < 0)
        err = errno;
    else if (!S_ISREG(st.st_mode))
        err = EINVAL;
    else if ((uint64_t)st.st_size > max)
        err = EFBIG;
    if (err) {
        close(fd);
        return -err;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != size) {
        free(buf);
        return -EIO;
    }
    *data = buf;
    *len = size;
    return 0;
}
