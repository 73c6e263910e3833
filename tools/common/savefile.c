#include "config.h"
#include "tools/common/savefile.h"
#include "common/files.h"
#include "common/stateblob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char magic[8] = { 'X', 'G', 'V', 'T', 'S', 'A', 'V', 'E' };

/* Any write error is the container's -EIO, as before the write was shared. */
static int write_all(int fd, const void *buf, size_t len)
{
    return fd_write_all(fd, buf, len) < 0 ? -EIO : 0;
}

/* 1 for a full read, 0 for a clean end of file before any byte. */
static int read_all(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -EIO;
        if (n == 0)
            return got ? -EIO : 0;
        got += (size_t)n;
    }
    return 1;
}

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The CRC of a file's bytes, and its length. */
static int file_crc(const char *path, uint32_t start, uint64_t *len, uint32_t *crc)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    uint8_t buf[65536];
    ssize_t n;
    *len = 0;
    *crc = start;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        *crc = stateblob_crc32_update(*crc, buf, (size_t)n);
        *len += (uint64_t)n;
    }
    close(fd);
    return n < 0 ? -EIO : 0;
}

int savefile_write(int fd, const struct savefile *sf)
{
    uint8_t h[16];
    memcpy(h, magic, 8);
    le32(h + 8, 1);
    le32(h + 12, sf->count);
    if (write_all(fd, h, sizeof(h)) < 0)
        return -EIO;
    for (unsigned i = 0; i < sf->count; i++) {
        const struct savefile_section *s = &sf->s[i];
        uint64_t len = s->len;
        if (s->path) {
            uint32_t ignored;
            int rc = file_crc(s->path, 0, &len, &ignored);
            if (rc < 0)
                return rc;
        }
        uint8_t sh[SAVEFILE_TAG_LEN + 16] = { 0 };
        memcpy(sh, s->tag, strnlen(s->tag, SAVEFILE_TAG_LEN));
        for (int b = 0; b < 8; b++)
            sh[SAVEFILE_TAG_LEN + b] = (uint8_t)(len >> (8 * b));
        /* The checksum covers the section's tag and length, then its bytes. */
        uint32_t crc = stateblob_crc32(sh, SAVEFILE_TAG_LEN + 8);
        if (s->path) {
            int rc = file_crc(s->path, crc, &len, &crc);
            if (rc < 0)
                return rc;
        } else {
            crc = stateblob_crc32_update(crc, s->data, (size_t)len);
        }
        le32(sh + SAVEFILE_TAG_LEN + 8, crc);
        if (write_all(fd, sh, sizeof(sh)) < 0)
            return -EIO;
        if (!s->path) {
            if (write_all(fd, s->data, (size_t)len) < 0)
                return -EIO;
            continue;
        }
        int in = open(s->path, O_RDONLY | O_CLOEXEC);
        if (in < 0)
            return -errno;
        uint8_t buf[65536];
        ssize_t n;
        uint64_t copied = 0;
        while ((n = read(in, buf, sizeof(buf))) > 0 && copied < len) {
            if (write_all(fd, buf, (size_t)n) < 0) {
                close(in);
                return -EIO;
            }
            copied += (uint64_t)n;
        }
        close(in);
        if (copied != len)
            return -EIO; /* the file changed under us */
    }
    return 0;
}

static int read_sections(int fd, const char *xl_path, bool whole, struct savefile *out,
                         const char **why)
{
    memset(out, 0, sizeof(*out));
    uint8_t h[16];
    if (read_all(fd, h, sizeof(h)) != 1 || memcmp(h, magic, 8) != 0) {
        *why = "not an xl-vgpu save file";
        return -EINVAL;
    }
    if (get32(h + 8) != 1) {
        *why = "written by an unknown version of xl-vgpu";
        return -EINVAL;
    }
    uint32_t count = get32(h + 12);
    if (count == 0 || count > SAVEFILE_MAX_SECTIONS) {
        *why = "section count out of range";
        return -EINVAL;
    }
    for (uint32_t i = 0; i < count; i++) {
        uint8_t sh[SAVEFILE_TAG_LEN + 16];
        if (read_all(fd, sh, sizeof(sh)) != 1) {
            *why = "truncated";
            goto bad;
        }
        struct savefile_section *s = &out->s[i];
        memcpy(s->tag, sh, SAVEFILE_TAG_LEN);
        s->tag[SAVEFILE_TAG_LEN] = 0;
        for (int b = 0; b < 8; b++)
            s->len |= (uint64_t)sh[SAVEFILE_TAG_LEN + b] << (8 * b);
        uint32_t want = get32(sh + SAVEFILE_TAG_LEN + 8);
        out->count = i + 1;
        if (savefile_find(out, s->tag) != s) {
            *why = "a section appears twice";
            goto bad;
        }
        uint32_t crc = stateblob_crc32(sh, SAVEFILE_TAG_LEN + 8);
        if (strcmp(s->tag, "xl") == 0) {
            if (!xl_path) {
                *why = "an xl image where none belongs";
                goto bad;
            }
            int xfd = open(xl_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            if (xfd < 0) {
                *why = "cannot write the xl image";
                goto bad;
            }
            uint8_t buf[65536];
            uint64_t left = s->len;
            while (left) {
                size_t chunk = left < sizeof(buf) ? (size_t)left : sizeof(buf);
                if (read_all(fd, buf, chunk) != 1 || write_all(xfd, buf, chunk) < 0) {
                    close(xfd);
                    *why = "truncated";
                    goto bad;
                }
                crc = stateblob_crc32_update(crc, buf, chunk);
                left -= chunk;
            }
            if (close(xfd) < 0) {
                *why = "cannot write the xl image";
                goto bad;
            }
        } else {
            if (s->len > SAVEFILE_SMALL_MAX) {
                *why = "a section is implausibly large";
                goto bad;
            }
            s->data = malloc(s->len ? (size_t)s->len : 1);
            if (!s->data || (s->len && read_all(fd, s->data, (size_t)s->len) != 1)) {
                *why = "truncated";
                goto bad;
            }
            crc = stateblob_crc32_update(crc, s->data, (size_t)s->len);
        }
        if (crc != want) {
            *why = "checksum mismatch (corrupted)";
            goto bad;
        }
    }
    uint8_t extra;
    if (whole && read_all(fd, &extra, 1) != 0) {
        *why = "bytes after the last section";
        goto bad;
    }
    return 0;
bad:
    savefile_free(out);
    return -EINVAL;
}

int savefile_read(int fd, const char *xl_path, struct savefile *out, const char **why)
{
    return read_sections(fd, xl_path, true, out, why);
}

int savefile_read_stream(int fd, struct savefile *out, const char **why)
{
    return read_sections(fd, NULL, false, out, why);
}

const struct savefile_section *savefile_find(const struct savefile *sf, const char *tag)
{
    for (unsigned i = 0; i < sf->count; i++)
        if (strncmp(sf->s[i].tag, tag, SAVEFILE_TAG_LEN) == 0)
            return &sf->s[i];
    return NULL;
}

void savefile_free(struct savefile *sf)
{
    for (unsigned i = 0; i < sf->count; i++)
        free(sf->s[i].data);
    memset(sf, 0, sizeof(*sf));
}
