/* The live state in a file that outlives the daemon (live_state.h).
 * Layout: one 4 KiB header page (magic, version, this build, domain,
 * where each part is), the registers, the engines (a raw struct array:
 * hence the build in the header), the config space. A predecessor's file is read only when
 * every header field matches what this daemon would write. */
#include "config.h"
#include "daemon/live_state.h"
#include "common/files.h"
#include "common/log.h"
#include "gvt/vgpu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIVE_MAGIC "XGVTLIVE"
#define LIVE_VERSION 1u
#define LIVE_HEADER_SIZE 4096u

struct live_header {
    char magic[8];
    uint32_t version;
    uint32_t domid;
    char build[32]; /* PACKAGE_VERSION: the engines' layout is this build's */
    uint64_t regs_offset, regs_size;
    uint64_t engines_offset, engines_size;
    uint64_t pcicfg_offset, pcicfg_size;
};

static void header_for(uint32_t domid, struct live_header *h)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->magic, LIVE_MAGIC, sizeof(h->magic));
    h->version = LIVE_VERSION;
    h->domid = domid;
    strncpy(h->build, PACKAGE_VERSION, sizeof(h->build) - 1);
    h->regs_offset = LIVE_HEADER_SIZE;
    h->regs_size = vgpu_register_file_size();
    h->engines_offset = h->regs_offset + h->regs_size;
    h->engines_size = vgpu_engines_state_size();
    h->pcicfg_offset = h->engines_offset + h->engines_size;
    h->pcicfg_size = vgpu_pcicfg_size();
}

static size_t file_size(const struct live_header *h)
{
    return (size_t)(h->pcicfg_offset + h->pcicfg_size);
}

/* The file's bytes into zeroed `buf`: only where it has data. A daemon
 * writes its file through a mapping of a sparse file, a few dozen of its
 * 500-odd pages; reading the holes as well cost a successor (and the
 * fuzzer) most of a copy. A file system without SEEK_DATA is read whole. */
static void mark_pages(uint64_t *map, size_t from, size_t to)
{
    for (size_t page = from / 4096; page * 4096 < to && page < LIVE_MAX_PAGES; page++)
        map[page / 64] |= 1ull << (page % 64);
}

static int read_data(int fd, uint8_t *buf, size_t len, uint64_t *pages)
{
    off_t at = 0;
    while ((size_t)at < len) {
        off_t data = lseek(fd, at, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            return 0; /* a hole to the end */
        if (data < 0) {
            mark_pages(pages, (size_t)at, len);
            return fd_pread_all(fd, buf + at, len - (size_t)at, at);
        }
        if ((size_t)data >= len)
            return 0;
        off_t hole = lseek(fd, data, SEEK_HOLE);
        size_t end = hole < 0 || (size_t)hole > len ? len : (size_t)hole;
        if (end <= (size_t)data || fd_pread_all(fd, buf + data, end - (size_t)data, data) < 0)
            return -1;
        mark_pages(pages, (size_t)data, end);
        at = (off_t)end;
    }
    return 0;
}

/* The predecessor's file as it is, header and all, when it has the size
 * this build writes; nothing in it is looked at here (live_state_take
 * does, in the sandbox). NULL and why not otherwise. */
static void *copy_raw(int fd, size_t want, size_t file_len, uint64_t *pages, const char **why)
{
    if (file_len == 0) {
        *why = "the file is empty";
        return NULL;
    }
    if (file_len != want) {
        *why = "the file has the wrong size";
        return NULL;
    }
    uint8_t *raw = calloc(1, want);
    if (!raw) {
        *why = "out of memory";
        return NULL;
    }
    if (read_data(fd, raw, want, pages) < 0) {
        free(raw);
        *why = "it cannot be read";
        return NULL;
    }
    return raw;
}

int live_state_take(struct live_inherited *in, uint32_t domid, const char **why)
{
    struct live_header want, got;
    header_for(domid, &want);
    if (!in->buf || in->len != file_size(&want)) {
        *why = "there is none";
        return -1;
    }
    memcpy(&got, in->buf, sizeof(got));
    if (memcmp(&got, &want, sizeof(got)) != 0) {
        *why = got.domid != domid ? "it is another domain's" : "its header is not this build's";
        free(in->buf);
        memset(in, 0, sizeof(*in));
        return -1;
    }
    uint8_t *body = in->buf;
    in->state.regs = (const uint32_t *)(body + want.regs_offset);
    in->state.engines = body + want.engines_offset;
    in->state.pcicfg = body + want.pcicfg_offset;
    /* The register file's pages that had data (it starts on a page). */
    memset(in->regs_pages, 0, sizeof(in->regs_pages));
    for (size_t page = 0; page < want.regs_size / 4096; page++) {
        size_t at = want.regs_offset / 4096 + page;
        if (at >= LIVE_MAX_PAGES || (in->data_pages[at / 64] >> (at % 64) & 1))
            in->regs_pages[page / 64] |= 1ull << (page % 64);
    }
    in->state.regs_pages = in->regs_pages;
    return 0;
}

int live_state_open(const char *path, uint32_t domid, bool inherit, struct live_state *ls,
                    struct live_inherited *inherited)
{
    memset(ls, 0, sizeof(*ls));
    ls->fd = -1;
    memset(inherited, 0, sizeof(*inherited));
    struct live_header h;
    header_for(domid, &h);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    struct stat st;
    int err = 0;
    if (fd < 0)
        err = errno;
    else if (fstat(fd, &st) < 0)
        err = errno;
    else if (!S_ISREG(st.st_mode))
        err = EINVAL; /* never a device or a FIFO, whatever the path names */
    if (err) {
        log_error("--live-state %s: %s", path, err == EINVAL ? "not a regular file"
                                                             : strerror(err));
        if (fd >= 0)
            close(fd);
        return -err;
    }
    if (inherit) {
        const char *why = "?";
        void *raw = copy_raw(fd, file_size(&h), (size_t)st.st_size, inherited->data_pages,
                             &why);
        if (raw) {
            inherited->buf = raw;
            inherited->len = file_size(&h);
        } else {
            log_warn("--live-state %s: no state of a predecessor to take (%s): the "
                     "checkpoint alone is restored", path, why);
        }
    }
    size_t len = file_size(&h);
    /* Start over zero-filled: the register file expects zeroed storage. */
    if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)len) < 0 ||
        pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
        err = errno;
        goto fail;
    }
    void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        err = errno;
        goto fail;
    }
    ls->fd = fd;
    ls->map = map;
    ls->len = len;
    ls->regs = (uint32_t *)((uint8_t *)map + h.regs_offset);
    ls->engines = (uint8_t *)map + h.engines_offset;
    ls->pcicfg = (uint8_t *)map + h.pcicfg_offset;
    return 0;
fail:
    log_error("--live-state %s: %s", path, strerror(err));
    free(inherited->buf);
    memset(inherited, 0, sizeof(*inherited));
    close(fd);
    return -err;
}

void live_state_close(struct live_state *ls)
{
    if (ls->map) {
        munmap(ls->map, ls->len);
        close(ls->fd);
    }
    memset(ls, 0, sizeof(*ls));
    ls->fd = -1;
}
