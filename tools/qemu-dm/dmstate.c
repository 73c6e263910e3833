#include "config.h"
#include "dmstate.h"
#include "common/files.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* QEMU's migration stream (migration/savevm.c): "QEVM", version 3. */
static const uint8_t qemu_magic[8] = { 'Q', 'E', 'V', 'M', 0, 0, 0, 3 };
#define QEMU_VM_EOF 0x00
#define QEMU_VM_SECTION_FULL 0x04

#define SECTION_ID 0x58475654u /* "XGVT": far above QEMU's own, which count from 0 */
#define SECTION_IDSTR "xengvt"
#define HDR_LEN (1 + 4 + 1 + 6 + 4 + 4)
#define TRAILER_LEN 24
static const uint8_t trailer_magic[8] = { 'X', 'G', 'V', 'T', 'Q', 'D', 'M', 0 };

static void be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void header(uint8_t h[HDR_LEN])
{
    h[0] = QEMU_VM_SECTION_FULL;
    be32(h + 1, SECTION_ID);
    h[5] = 6;
    memcpy(h + 6, SECTION_IDSTR, 6);
    be32(h + 12, 0);                /* instance */
    be32(h + 16, DMSTATE_VERSION); /* QEMU's section version: ours */
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Does the file end in our trailer? 1 yes (its fields read), 0 no. */
static int read_trailer(int fd, off_t size, uint8_t t[TRAILER_LEN + 1])
{
    if (size < (off_t)(sizeof(qemu_magic) + HDR_LEN + TRAILER_LEN + 1))
        return 0;
    if (fd_pread_all(fd, t, TRAILER_LEN + 1, size - TRAILER_LEN - 1) < 0)
        return -EIO;
    return memcmp(t, trailer_magic, sizeof(trailer_magic)) == 0;
}

int dmstate_insert(int fd, const struct savefile *sf, const char **why)
{
    struct stat st;
    uint8_t head[8], last;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        *why = "the device state is not a regular file";
        return -EINVAL;
    }
    off_t size = st.st_size;
    if (size < (off_t)sizeof(head) + 1 || fd_pread_all(fd, head, sizeof(head), 0) < 0 ||
        memcmp(head, qemu_magic, sizeof(head)) != 0) {
        *why = "QEMU wrote no device state (no QEVM v3 header)";
        return -EINVAL;
    }
    if (fd_pread_all(fd, &last, 1, size - 1) < 0 || last != QEMU_VM_EOF) {
        *why = "QEMU's device state does not end with its EOF marker";
        return -EINVAL;
    }
    uint8_t t[TRAILER_LEN + 1];
    int rc = read_trailer(fd, size, t);
    if (rc != 0) {
        *why = rc < 0 ? "cannot read the device state" : "the device state has vGPU state already";
        return -EINVAL;
    }
    /* Our section takes the EOF byte's place; the EOF byte goes last. */
    uint8_t h[HDR_LEN];
    header(h);
    off_t start = size - 1 + HDR_LEN;
    if (fd_pwrite_all(fd, h, HDR_LEN, size - 1) < 0 || lseek(fd, start, SEEK_SET) != start ||
        savefile_write(fd, sf) < 0) {
        *why = "cannot write the vGPU state into the device state";
        return -EIO;
    }
    off_t end = lseek(fd, 0, SEEK_CUR);
    if (end < start) {
        *why = "cannot write the vGPU state into the device state";
        return -EIO;
    }
    uint64_t len = (uint64_t)(end - start);
    memset(t, 0, sizeof(t));
    memcpy(t, trailer_magic, sizeof(trailer_magic));
    t[8] = DMSTATE_VERSION;
    for (int b = 0; b < 8; b++)
        t[16 + b] = (uint8_t)(len >> (8 * b));
    t[TRAILER_LEN] = QEMU_VM_EOF;
    if (fd_pwrite_all(fd, t, sizeof(t), end) < 0 || ftruncate(fd, end + (off_t)sizeof(t)) < 0) {
        *why = "cannot write the vGPU state into the device state";
        return -EIO;
    }
    return 0;
}

static int copy_range(int from, int to, off_t len)
{
    uint8_t buf[65536];
    off_t at = 0;
    while (at < len) {
        size_t chunk = (size_t)(len - at < (off_t)sizeof(buf) ? len - at : (off_t)sizeof(buf));
        if (fd_pread_all(from, buf, chunk, at) < 0)
            return -EIO;
        const uint8_t *p = buf;
        size_t left = chunk;
        while (left) {
            ssize_t n = write(to, p, left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return -EIO;
            p += n;
            left -= (size_t)n;
        }
        at += (off_t)chunk;
    }
    return 0;
}

int dmstate_split(int fd, int qemu_fd, struct savefile *sf, const char **why)
{
    memset(sf, 0, sizeof(*sf));
    struct stat st;
    uint8_t head[8];
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        *why = "the saved device state is not a regular file";
        return -EINVAL;
    }
    off_t size = st.st_size;
    if (size < (off_t)sizeof(head) + 1 || fd_pread_all(fd, head, sizeof(head), 0) < 0 ||
        memcmp(head, qemu_magic, sizeof(head)) != 0) {
        *why = "the saved device state is not QEMU's (no QEVM v3 header)";
        return -EINVAL;
    }
    uint8_t t[TRAILER_LEN + 1];
    int rc = read_trailer(fd, size, t);
    if (rc < 0) {
        *why = "cannot read the saved device state";
        return -EIO;
    }
    if (rc == 0) {
        *why = "it carries no vGPU state (saved by a device model without xengvt)";
        return -ENOENT;
    }
    uint32_t version = (uint32_t)get_le(t + 8, 4);
    uint64_t len = get_le(t + 16, 8);
    if (version != DMSTATE_VERSION) {
        *why = "its vGPU state is in a format this xengvt does not know (a newer xengvt's?)";
        return -EINVAL;
    }
    if (t[TRAILER_LEN] != QEMU_VM_EOF || get_le(t + 12, 4) != 0) {
        *why = "its vGPU state's trailer is damaged";
        return -EINVAL;
    }
    off_t room = size - (off_t)(sizeof(head) + HDR_LEN + TRAILER_LEN + 1);
    if (len > (uint64_t)room) {
        *why = "its vGPU state's length is out of range";
        return -EINVAL;
    }
    off_t hdr_off = size - 1 - TRAILER_LEN - (off_t)len - HDR_LEN;
    uint8_t want[HDR_LEN], got[HDR_LEN];
    header(want);
    if (fd_pread_all(fd, got, HDR_LEN, hdr_off) < 0 || memcmp(got, want, HDR_LEN) != 0) {
        *why = "its vGPU section's header is damaged";
        return -EINVAL;
    }
    off_t start = hdr_off + HDR_LEN;
    if (lseek(fd, start, SEEK_SET) != start) {
        *why = "cannot read the saved device state";
        return -EIO;
    }
    if (savefile_read_stream(fd, sf, why) < 0)
        return -EINVAL;
    if (lseek(fd, 0, SEEK_CUR) != start + (off_t)len) {
        savefile_free(sf);
        *why = "its vGPU section's length disagrees with its content";
        return -EINVAL;
    }
    /* QEMU's stream as QEMU wrote it: everything before our section, then
     * the EOF byte. */
    static const uint8_t eof = QEMU_VM_EOF;
    if (copy_range(fd, qemu_fd, hdr_off) < 0 || write(qemu_fd, &eof, 1) != 1) {
        savefile_free(sf);
        *why = "cannot hand QEMU its device state";
        return -EIO;
    }
    return 0;
}
