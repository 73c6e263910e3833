#include "config.h"
#include "tools/common/reply.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t reply_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct cursor {
    const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
        c->p++;
}

/* A string; the key's first bytes (unescaped as-is) into key if given. */
static int take_string(struct cursor *c, char *key, size_t cap)
{
    if (c->p >= c->end || *c->p != '"')
        return -EINVAL;
    c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != '"') {
        char ch = *c->p++;
        if ((unsigned char)ch < 0x20)
            return -EINVAL;
        if (ch == '\\') {
            if (c->p >= c->end)
                return -EINVAL;
            ch = *c->p++;
        }
        if (key && n + 1 < cap)
            key[n++] = ch;
    }
    if (c->p >= c->end)
        return -EINVAL;
    c->p++;
    if (key)
        key[n] = 0;
    return 0;
}

/* A value: string, unsigned or negative integer, true, false or null.
 * *num is set for a non-negative integer that fits (is_num), *truth for
 * true/false (is_bool). */
static int take_value(struct cursor *c, bool *is_num, uint64_t *num, bool *is_bool, bool *truth)
{
    *is_num = *is_bool = false;
    if (c->p >= c->end)
        return -EINVAL;
    if (*c->p == '"')
        return take_string(c, NULL, 0);
    static const struct {
        const char *word;
        int kind; /* 1 true, 0 false, -1 null */
    } words[] = { { "true", 1 }, { "false", 0 }, { "null", -1 } };
    for (unsigned i = 0; i < 3; i++) {
        size_t wl = strlen(words[i].word);
        if ((size_t)(c->end - c->p) >= wl && memcmp(c->p, words[i].word, wl) == 0) {
            c->p += wl;
            if (words[i].kind >= 0) {
                *is_bool = true;
                *truth = words[i].kind == 1;
            }
            return 0;
        }
    }
    bool neg = *c->p == '-';
    if (neg)
        c->p++;
    uint64_t v = 0;
    bool overflow = false;
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned)(*c->p++ - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = true;
        v = v * 10 + d;
    }
    if (c->p == start)
        return -EINVAL;
    if (!neg && !overflow) {
        *is_num = true;
        *num = v;
    }
    return 0;
}

int reply_parse(const char *line, size_t len, struct daemon_reply *out)
{
    memset(out, 0, sizeof(*out));
    struct cursor c = { line, line + len };
    bool seen_ok = false;
    skip_ws(&c);
    if (c.p >= c.end || *c.p++ != '{')
        return -EINVAL;
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
    } else {
        for (;;) {
            char key[32];
            bool is_num, is_bool, truth = false;
            uint64_t num = 0;
            skip_ws(&c);
            if (take_string(&c, key, sizeof(key)) < 0)
                return -EINVAL;
            skip_ws(&c);
            if (c.p >= c.end || *c.p++ != ':')
                return -EINVAL;
            skip_ws(&c);
            if (take_value(&c, &is_num, &num, &is_bool, &truth) < 0)
                return -EINVAL;
            if (strcmp(key, "ok") == 0) {
                if (seen_ok || !is_bool)
                    return -EINVAL;
                seen_ok = true;
                out->ok = truth;
            } else if (strcmp(key, "bytes") == 0) {
                if (out->has_bytes || !is_num)
                    return -EINVAL;
                out->has_bytes = true;
                out->bytes = num;
            } else if (strcmp(key, "ioreq_server") == 0) {
                if (out->has_server || !is_num || num > UINT16_MAX)
                    return -EINVAL;
                out->has_server = true;
                out->server_id = (uint16_t)num;
            }
            skip_ws(&c);
            if (c.p < c.end && *c.p == ',') {
                c.p++;
                continue;
            }
            if (c.p < c.end && *c.p == '}') {
                c.p++;
                break;
            }
            return -EINVAL;
        }
    }
    skip_ws(&c);
    return c.p == c.end ? 0 : -EINVAL;
}

/* Up to `len` bytes, waiting at most until the deadline. >0, 0 at end of
 * stream, -ETIMEDOUT or -errno. */
static ssize_t read_until(int fd, void *buf, size_t len, uint64_t deadline_ms)
{
    for (;;) {
        uint64_t now = reply_now_ms();
        if (now >= deadline_ms)
            return -ETIMEDOUT;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        uint64_t left = deadline_ms - now;
        int n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n <= 0)
            continue;
        ssize_t r = read(fd, buf, len);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        return r < 0 ? -errno : r;
    }
}

int reply_read(int fd, uint64_t deadline_ms, char *line, size_t cap, size_t max_payload,
               struct daemon_reply *out, uint8_t **payload, size_t *payload_len)
{
    if (payload) {
        *payload = NULL;
        *payload_len = 0;
    }
    /* The line, a chunk at a time (not a byte per read: a slow daemon
     * costs time bounded by the deadline, not a read per byte). */
    char buf[REPLY_LINE_MAX];
    size_t have = 0;
    char *nl = NULL;
    while (!nl) {
        if (have == sizeof(buf))
            return -EINVAL;
        ssize_t r = read_until(fd, buf + have, sizeof(buf) - have, deadline_ms);
        if (r < 0)
            return (int)r;
        if (r == 0)
            return -EPIPE;
        nl = memchr(buf + have, '\n', (size_t)r);
        have += (size_t)r;
    }
    size_t line_len = (size_t)(nl - buf);
    size_t keep = line_len < cap ? line_len : cap - 1;
    memcpy(line, buf, keep);
    line[keep] = 0;
    if (reply_parse(buf, line_len, out) < 0)
        return -EINVAL;
    if (!payload || !out->has_bytes || out->bytes == 0)
        return 0;
    if (out->bytes > max_payload)
        return -EFBIG;
    /* Memory follows what arrives, not what was announced. */
    size_t want = (size_t)out->bytes, got = have - line_len - 1, alloc = 0;
    uint8_t *p = NULL;
    if (got > want)
        return -EINVAL; /* more than announced */
    for (;;) {
        if (got > alloc || (got == alloc && got < want)) {
            size_t next = alloc ? alloc * 2 : 65536;
            if (next > want)
                next = want;
            if (next < got)
                next = got;
            uint8_t *np = realloc(p, next);
            if (!np) {
                free(p);
                return -ENOMEM;
            }
            if (!p)
                memcpy(np, nl + 1, got);
            p = np;
            alloc = next;
        }
        if (got == want)
            break;
        ssize_t r = read_until(fd, p + got, alloc - got, deadline_ms);
        if (r <= 0) {
            free(p);
            return r == 0 ? -EPIPE : (int)r;
        }
        got += (size_t)r;
    }
    *payload = p;
    *payload_len = want;
    return 0;
}
