/* The device-state file: a versioned, self-describing, checksummed
 * container of named sections, for save, restore and migration.
 *
 *   header (32 bytes, little endian):
 *     char magic[8] = "XGVTSTAT"; u32 version; u32 header_size (32);
 *     u64 payload_len; u32 payload_crc32; u32 section_count
 *   payload: section_count times
 *     char tag[8] (NUL-padded); u32 section_version; u32 len; len bytes;
 *     zero padding to 8 bytes
 *
 * A reader checks everything (magic, version, lengths, CRC-32 over the
 * payload, every section inside the payload) before a caller sees any
 * section, so a truncated or altered file is refused whole. */
#ifndef XENGVT_COMMON_STATEBLOB_H
#define XENGVT_COMMON_STATEBLOB_H

#include <stddef.h>
#include <stdint.h>

#define STATEBLOB_VERSION 1u
#define STATEBLOB_TAG_LEN 8u
#define STATEBLOB_HEADER_SIZE 32u
#define STATEBLOB_MAX_SECTIONS 64u

struct stateblob_writer {
    uint8_t *buf;
    size_t len, cap;
    uint32_t sections;
    int error; /* first allocation failure, sticky */
};

void stateblob_writer_init(struct stateblob_writer *w);
/* Appends one section; errors are sticky and reported by finish. */
void stateblob_add(struct stateblob_writer *w, const char *tag, uint32_t version,
                   const void *data, size_t len);
/* The finished blob (header filled in), owned by the caller; or -errno. */
int stateblob_finish(struct stateblob_writer *w, uint8_t **blob, size_t *len);

struct stateblob_section {
    char tag[STATEBLOB_TAG_LEN + 1];
    uint32_t version;
    const uint8_t *data;
    uint32_t len;
};

struct stateblob {
    struct stateblob_section sections[STATEBLOB_MAX_SECTIONS];
    unsigned count;
};

/* Validates `blob` whole and indexes its sections (pointing into blob).
 * 0, or -EINVAL with a reason in `why` (a static string). */
int stateblob_parse(const uint8_t *blob, size_t len, struct stateblob *out,
                    const char **why);
const struct stateblob_section *stateblob_find(const struct stateblob *b, const char *tag);

uint32_t stateblob_crc32(const void *data, size_t len);
/* Incrementally: start from 0, feed the pieces in order. */
uint32_t stateblob_crc32_update(uint32_t crc_so_far, const void *data, size_t len);

/* A cursor for reading a section's fields in order, bounds-checked: a read
 * past the end sets `bad` and yields zeros. */
struct state_reader {
    const uint8_t *p;
    size_t left;
    int bad;
};
void state_reader_init(struct state_reader *r, const struct stateblob_section *s);
uint8_t state_get8(struct state_reader *r);
uint32_t state_get32(struct state_reader *r);
uint64_t state_get64(struct state_reader *r);
void state_get_bytes(struct state_reader *r, void *out, size_t len);

/* The matching writer helpers on a growable scratch buffer. */
struct state_buf {
    uint8_t *p;
    size_t len, cap;
    int error;
};
void state_put8(struct state_buf *b, uint8_t v);
void state_put32(struct state_buf *b, uint32_t v);
void state_put64(struct state_buf *b, uint64_t v);
void state_put_bytes(struct state_buf *b, const void *data, size_t len);
void state_buf_free(struct state_buf *b);

#endif
