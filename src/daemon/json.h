/* The control protocol's JSON: requests are one flat object per line
 * ({"cmd":"status","path":"x"}), answers are built with a small writer.
 * The reader is strict and bounded: it is fed by any local client. */
#ifndef XENGVT_DAEMON_JSON_H
#define XENGVT_DAEMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_FIELDS 16
#define JSON_MAX_STR 256

struct json_field {
    char key[32];
    bool is_string;
    char str[JSON_MAX_STR];
    int64_t num;
};

struct json_object {
    struct json_field fields[JSON_MAX_FIELDS];
    unsigned count;
};

/* Parses one flat object of string, integer, true/false values. 0 or
 * -EINVAL (malformed, nested, too long, duplicate key). */
int json_parse_flat(const char *text, size_t len, struct json_object *out);
const struct json_field *json_get(const struct json_object *o, const char *key);

/* Writer into a fixed buffer; overflow is sticky and reported at the end. */
struct json_writer {
    char *buf;
    size_t cap, len;
    bool first, overflow;
};

void json_begin(struct json_writer *w, char *buf, size_t cap);
void json_str(struct json_writer *w, const char *key, const char *val);
void json_u64(struct json_writer *w, const char *key, uint64_t val);
void json_i64(struct json_writer *w, const char *key, int64_t val);
void json_bool(struct json_writer *w, const char *key, bool val);
/* Closes the object and adds "\n"; returns the length or -ENOSPC. */
int json_end(struct json_writer *w);

#endif
