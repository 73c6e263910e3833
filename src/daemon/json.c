#include "config.h"
#include "daemon/json.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct cursor {
    const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

static bool eat(struct cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A string without escapes other than \" \\ \/ \n \t; control characters
 * refused. */
static int parse_string(struct cursor *c, char *out, size_t cap)
{
    if (!eat(c, '"'))
        return -EINVAL;
    size_t n = 0;
    while (c->p < c->end) {
        char ch = *c->p++;
        if (ch == '"') {
            out[n] = 0;
            return 0;
        }
        if ((unsigned char)ch < 0x20)
            return -EINVAL;
        if (ch == '\\') {
            if (c->p >= c->end)
                return -EINVAL;
            char e = *c->p++;
            ch = e == 'n' ? '\n' : e == 't' ? '\t' : (e == '"' || e == '\\' || e == '/') ? e : 0;
            if (!ch)
                return -EINVAL;
        }
        if (n + 1 >= cap)
            return -EINVAL;
        out[n++] = ch;
    }
    return -EINVAL;
}

static int parse_value(struct cursor *c, struct json_field *f)
{
    skip_ws(c);
    if (c->p >= c->end)
        return -EINVAL;
    if (*c->p == '"') {
        f->is_string = true;
        return parse_string(c, f->str, sizeof(f->str));
    }
    static const char t[] = "true", fl[] = "false";
    if ((size_t)(c->end - c->p) >= 4 && memcmp(c->p, t, 4) == 0) {
        c->p += 4;
        f->num = 1;
        return 0;
    }
    if ((size_t)(c->end - c->p) >= 5 && memcmp(c->p, fl, 5) == 0) {
        c->p += 5;
        f->num = 0;
        return 0;
    }
    bool neg = false;
    if (*c->p == '-') {
        neg = true;
        c->p++;
    }
    if (c->p >= c->end || !isdigit((unsigned char)*c->p))
        return -EINVAL;
    uint64_t v = 0;
    while (c->p < c->end && isdigit((unsigned char)*c->p)) {
        unsigned d = (unsigned)(*c->p++ - '0');
        if (v > (UINT64_MAX - d) / 10 || v * 10 + d > (uint64_t)INT64_MAX)
            return -EINVAL;
        v = v * 10 + d;
    }
    f->num = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

int json_parse_flat(const char *text, size_t len, struct json_object *out)
{
    struct cursor c = { text, text + len };
    memset(out, 0, sizeof(*out));
    if (!eat(&c, '{'))
        return -EINVAL;
    if (!eat(&c, '}')) {
        do {
            if (out->count == JSON_MAX_FIELDS)
                return -EINVAL;
            struct json_field *f = &out->fields[out->count];
            if (parse_string(&c, f->key, sizeof(f->key)) < 0 || !eat(&c, ':') ||
                parse_value(&c, f) < 0)
                return -EINVAL;
            for (unsigned i = 0; i < out->count; i++)
                if (strcmp(out->fields[i].key, f->key) == 0)
                    return -EINVAL;
            out->count++;
        } while (eat(&c, ','));
        if (!eat(&c, '}'))
            return -EINVAL;
    }
    skip_ws(&c);
    return c.p == c.end ? 0 : -EINVAL;
}

const struct json_field *json_get(const struct json_object *o, const char *key)
{
    for (unsigned i = 0; i < o->count; i++)
        if (strcmp(o->fields[i].key, key) == 0)
            return &o->fields[i];
    return NULL;
}

static void put(struct json_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct json_writer *w, const char *fmt, ...)
{
    if (w->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->cap - w->len)
        w->overflow = true;
    else
        w->len += (size_t)n;
}

static void key(struct json_writer *w, const char *k)
{
    put(w, "%s\"%s\":", w->first ? "" : ",", k);
    w->first = false;
}

void json_begin(struct json_writer *w, char *buf, size_t cap)
{
    *w = (struct json_writer){ .buf = buf, .cap = cap, .first = true };
    put(w, "{");
}

void json_str(struct json_writer *w, const char *k, const char *val)
{
    key(w, k);
    put(w, "\"");
    for (const char *p = val; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\')
            put(w, "\\%c", ch);
        else if (ch < 0x20)
            put(w, "\\u%04x", ch);
        else
            put(w, "%c", ch);
    }
    put(w, "\"");
}

void json_u64(struct json_writer *w, const char *k, uint64_t val)
{
    key(w, k);
    put(w, "%" PRIu64, val);
}

void json_i64(struct json_writer *w, const char *k, int64_t val)
{
    key(w, k);
    put(w, "%" PRId64, val);
}

void json_bool(struct json_writer *w, const char *k, bool val)
{
    key(w, k);
    put(w, "%s", val ? "true" : "false");
}

int json_end(struct json_writer *w)
{
    put(w, "}\n");
    return w->overflow ? -ENOSPC : (int)w->len;
}
