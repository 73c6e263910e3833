#include "config.h"
#include "common/stateblob.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char magic[8] = { 'X', 'G', 'V', 'T', 'S', 'T', 'A', 'T' };

uint32_t stateblob_crc32(const void *data, size_t len)
{
    return stateblob_crc32_update(0, data, len);
}

uint32_t stateblob_crc32_update(uint32_t crc_so_far, const void *data, size_t len)
{
    /* CRC-32 (IEEE 802.3), eight bytes a step through eight tables
     * ("slicing by 8"): the register file alone is 2 MiB a save. */
    static uint32_t table[8][256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[0][i] = c;
        }
        for (uint32_t i = 0; i < 256; i++)
            for (int t = 1; t < 8; t++)
                table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
        ready = 1;
    }
    const uint8_t *p = data;
    uint32_t crc = crc_so_far ^ 0xffffffffu;
    for (; len >= 8; len -= 8, p += 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
                      (uint32_t)p[7] << 24;
        crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
              table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
              table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
    }
    while (len--)
        crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffffu;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap ? *cap : 4096;
    while (cap2 < need) {
        if (cap2 > SIZE_MAX / 2)
            return -ENOMEM;
        cap2 *= 2;
    }
    uint8_t *n = realloc(*buf, cap2);
    if (!n)
        return -ENOMEM;
    *buf = n;
    *cap = cap2;
    return 0;
}

void stateblob_writer_init(struct stateblob_writer *w)
{
    memset(w, 0, sizeof(*w));
    if (grow(&w->buf, &w->cap, STATEBLOB_HEADER_SIZE) < 0)
        w->error = -ENOMEM;
    else
        w->len = STATEBLOB_HEADER_SIZE;
}

void stateblob_add(struct stateblob_writer *w, const char *tag, uint32_t version,
                   const void *data, size_t len)
{
    if (w->error)
        return;
    size_t padded = (len + 7) & ~(size_t)7;
    if (len > UINT32_MAX || strlen(tag) > STATEBLOB_TAG_LEN ||
        w->sections >= STATEBLOB_MAX_SECTIONS) {
        w->error = -EINVAL;
        return;
    }
    if (grow(&w->buf, &w->cap, w->len + 16 + padded) < 0) {
        w->error = -ENOMEM;
        return;
    }
    uint8_t *p = w->buf + w->len;
    memset(p, 0, 16 + padded);
    memcpy(p, tag, strlen(tag));
    put_le32(p + 8, version);
    put_le32(p + 12, (uint32_t)len);
    if (len)
        memcpy(p + 16, data, len);
    w->len += 16 + padded;
    w->sections++;
}

int stateblob_finish(struct stateblob_writer *w, uint8_t **blob, size_t *len)
{
    if (w->error) {
        free(w->buf);
        w->buf = NULL;
        return w->error;
    }
    uint8_t *h = w->buf;
    memcpy(h, magic, 8);
    put_le32(h + 8, STATEBLOB_VERSION);
    put_le32(h + 12, STATEBLOB_HEADER_SIZE);
    put_le64(h + 16, w->len - STATEBLOB_HEADER_SIZE);
    put_le32(h + 24, stateblob_crc32(h + STATEBLOB_HEADER_SIZE, w->len - STATEBLOB_HEADER_SIZE));
    put_le32(h + 28, w->sections);
    *blob = w->buf;
    *len = w->len;
    w->buf = NULL;
    return 0;
}

int stateblob_parse(const uint8_t *blob, size_t len, struct stateblob *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    if (len < STATEBLOB_HEADER_SIZE || memcmp(blob, magic, 8) != 0) {
        *why = "not an xengvt device-state file";
        return -EINVAL;
    }
    if (le32(blob + 8) != STATEBLOB_VERSION) {
        *why = "written by an unknown version of the format";
        return -EINVAL;
    }
    uint64_t payload = le64(blob + 16);
    if (le32(blob + 12) != STATEBLOB_HEADER_SIZE || payload != len - STATEBLOB_HEADER_SIZE) {
        *why = "truncated, or lengths that do not add up";
        return -EINVAL;
    }
    if (stateblob_crc32(blob + STATEBLOB_HEADER_SIZE, (size_t)payload) != le32(blob + 24)) {
        *why = "checksum mismatch (corrupted)";
        return -EINVAL;
    }
    uint32_t count = le32(blob + 28);
    if (count > STATEBLOB_MAX_SECTIONS) {
        *why = "too many sections";
        return -EINVAL;
    }
    size_t off = STATEBLOB_HEADER_SIZE;
    for (uint32_t i = 0; i < count; i++) {
        if (len - off < 16) {
            *why = "a section header runs past the end";
            return -EINVAL;
        }
        const uint8_t *p = blob + off;
        struct stateblob_section *s = &out->sections[i];
        memcpy(s->tag, p, STATEBLOB_TAG_LEN);
        s->tag[STATEBLOB_TAG_LEN] = 0;
        s->version = le32(p + 8);
        s->len = le32(p + 12);
        size_t padded = ((size_t)s->len + 7) & ~(size_t)7;
        if (padded > len - off - 16) {
            *why = "a section runs past the end";
            return -EINVAL;
        }
        s->data = p + 16;
        off += 16 + padded;
        if (stateblob_find(out, s->tag) != s) {
            *why = "a section appears twice";
            return -EINVAL;
        }
        out->count = i + 1;
    }
    if (off != len) {
        *why = "bytes after the last section";
        return -EINVAL;
    }
    return 0;
}

const struct stateblob_section *stateblob_find(const struct stateblob *b, const char *tag)
{
    for (unsigned i = 0; i < STATEBLOB_MAX_SECTIONS; i++)
        if (b->sections[i].data && strncmp(b->sections[i].tag, tag, STATEBLOB_TAG_LEN) == 0)
            return &b->sections[i];
    return NULL;
}

void state_reader_init(struct state_reader *r, const struct stateblob_section *s)
{
    r->p = s ? s->data : NULL;
    r->left = s ? s->len : 0;
    r->bad = s ? 0 : 1;
}

void state_get_bytes(struct state_reader *r, void *out, size_t len)
{
    if (r->bad || len > r->left) {
        r->bad = 1;
        memset(out, 0, len);
        return;
    }
    memcpy(out, r->p, len);
    r->p += len;
    r->left -= len;
}

uint8_t state_get8(struct state_reader *r)
{
    uint8_t v;
    state_get_bytes(r, &v, 1);
    return v;
}

uint32_t state_get32(struct state_reader *r)
{
    uint8_t b[4];
    state_get_bytes(r, b, 4);
    return le32(b);
}

uint64_t state_get64(struct state_reader *r)
{
    uint8_t b[8];
    state_get_bytes(r, b, 8);
    return le64(b);
}

void state_put_bytes(struct state_buf *b, const void *data, size_t len)
{
    if (b->error)
        return;
    if (grow(&b->p, &b->cap, b->len + len) < 0) {
        b->error = -ENOMEM;
        return;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

void state_put8(struct state_buf *b, uint8_t v)
{
    state_put_bytes(b, &v, 1);
}

void state_put32(struct state_buf *b, uint32_t v)
{
    uint8_t x[4];
    put_le32(x, v);
    state_put_bytes(b, x, 4);
}

void state_put64(struct state_buf *b, uint64_t v)
{
    uint8_t x[8];
    put_le64(x, v);
    state_put_bytes(b, x, 8);
}

void state_buf_free(struct state_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}
