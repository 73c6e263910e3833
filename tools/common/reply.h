/* A daemon's answer on its control socket, as the root tools read it: one
 * JSON line, then the payload the line announces ("bytes"). The daemon may
 * be the guest's by now, so everything here is bounded: the line's length,
 * the payload's size (by the caller's need, not the daemon's claim: memory
 * grows only as bytes arrive), and the total time, whatever the pace. */
#ifndef XENGVT_TOOLS_COMMON_REPLY_H
#define XENGVT_TOOLS_COMMON_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longer answer lines are refused (the daemon's are at most 4 KiB). */
#define REPLY_LINE_MAX 16384

struct daemon_reply {
    bool ok;              /* "ok":true at the top level */
    bool has_bytes;
    uint64_t bytes;       /* "bytes": the payload's announced size */
    bool has_server;
    uint16_t server_id;   /* "ioreq_server": 0..65535 */
};

/* Parses one answer line (a flat JSON object; strings may hold anything,
 * escaped). 0, or -EINVAL if it is not such an object, a known key is
 * repeated or its value has the wrong type or range. */
int reply_parse(const char *line, size_t len, struct daemon_reply *out);

/* Reads an answer from `fd` until `deadline_ms` (CLOCK_MONOTONIC, ms): the
 * line into line (NUL-terminated, truncated to cap-1 bytes), and, when
 * `payload` is given and the line announces bytes, the payload into a
 * malloc'd *payload (at most max_payload bytes: a larger claim is
 * refused). 0, -ETIMEDOUT, -EFBIG, -EPIPE (closed early), -EINVAL
 * (malformed line) or -ENOMEM. */
int reply_read(int fd, uint64_t deadline_ms, char *line, size_t cap, size_t max_payload,
               struct daemon_reply *out, uint8_t **payload, size_t *payload_len);

/* CLOCK_MONOTONIC in ms, for deadlines. */
uint64_t reply_now_ms(void);

#endif
