#include "config.h"
#include "emp_json.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define MAX_DEPTH 8

enum { OK = 0, MORE = 1, BAD = 2 };

struct cur {
    const char *p, *end;
};

static void ws(struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* A string; its contents (escapes kept as written, bounded) into out. */
static int string(struct cur *c, char *out, size_t cap)
{
    size_t n = 0;
    c->p++; /* the opening quote */
    while (c->p < c->end) {
        char ch = *c->p++;
        if (ch == '"') {
            if (out)
                out[n < cap ? n : cap - 1] = 0;
            return OK;
        }
        if ((unsigned char)ch < 0x20)
            return BAD;
        if (ch == '\\') {
            if (c->p >= c->end)
                return MORE;
            if (!strchr("\"\\/bfnrtu", *c->p))
                return BAD;
            c->p++;
        }
        if (out && n + 1 < cap)
            out[n++] = ch;
        else if (out)
            n = cap; /* too long for out: marked, truncated */
    }
    return MORE;
}

static int literal(struct cur *c, const char *word)
{
    size_t n = strlen(word), have = (size_t)(c->end - c->p);
    if (strncmp(c->p, word, have < n ? have : n) != 0)
        return BAD;
    if (have < n)
        return MORE;
    c->p += n;
    return OK;
}

static int number(struct cur *c)
{
    const char *start = c->p;
    while (c->p < c->end && strchr("0123456789+-.eE", *c->p))
        c->p++;
    if (c->p == start)
        return BAD;
    return c->p == c->end ? MORE : OK; /* a number may go on in the next read */
}

static int value(struct cur *c, int depth, char *execute, size_t cap);

static int object(struct cur *c, int depth, char *execute, size_t cap)
{
    if (depth > MAX_DEPTH)
        return BAD;
    c->p++; /* { */
    ws(c);
    if (c->p >= c->end)
        return MORE;
    if (*c->p == '}') {
        c->p++;
        return OK;
    }
    for (;;) {
        ws(c);
        if (c->p >= c->end)
            return MORE;
        if (*c->p != '"')
            return BAD;
        char key[EMP_EXECUTE_MAX + 2];
        int rc = string(c, key, sizeof(key));
        if (rc)
            return rc;
        ws(c);
        if (c->p >= c->end)
            return MORE;
        if (*c->p++ != ':')
            return BAD;
        ws(c);
        if (c->p >= c->end)
            return MORE;
        bool want = depth == 1 && strcmp(key, "execute") == 0 && *c->p == '"';
        if (want) {
            char v[EMP_EXECUTE_MAX + 2];
            if ((rc = string(c, v, sizeof(v))))
                return rc;
            if (strlen(v) < cap && strlen(v) < EMP_EXECUTE_MAX)
                strcpy(execute, v);
            else
                strcpy(execute, "?"); /* too long: no command has that name */
        } else if ((rc = value(c, depth, NULL, 0))) {
            return rc;
        }
        ws(c);
        if (c->p >= c->end)
            return MORE;
        char sep = *c->p++;
        if (sep == '}')
            return OK;
        if (sep != ',')
            return BAD;
    }
}

static int array(struct cur *c, int depth)
{
    if (depth > MAX_DEPTH)
        return BAD;
    c->p++; /* [ */
    ws(c);
    if (c->p >= c->end)
        return MORE;
    if (*c->p == ']') {
        c->p++;
        return OK;
    }
    for (;;) {
        ws(c);
        int rc = value(c, depth, NULL, 0);
        if (rc)
            return rc;
        ws(c);
        if (c->p >= c->end)
            return MORE;
        char sep = *c->p++;
        if (sep == ']')
            return OK;
        if (sep != ',')
            return BAD;
    }
}

static int value(struct cur *c, int depth, char *execute, size_t cap)
{
    if (c->p >= c->end)
        return MORE;
    switch (*c->p) {
    case '{':
        return object(c, depth + 1, execute, cap);
    case '[':
        return array(c, depth + 1);
    case '"':
        return string(c, NULL, 0);
    case 't':
        return literal(c, "true");
    case 'f':
        return literal(c, "false");
    case 'n':
        return literal(c, "null");
    default:
        return number(c);
    }
}

int emp_json_scan(const char *buf, size_t len, size_t *consumed, char *execute, size_t cap)
{
    struct cur c = { buf, buf + len };
    ws(&c);
    *consumed = (size_t)(c.p - buf);
    if (cap)
        execute[0] = 0;
    if (c.p >= c.end)
        return 0;
    if (*c.p != '{')
        return -EINVAL;
    int rc = object(&c, 1, execute, cap);
    if (rc == BAD)
        return -EINVAL;
    if (rc == MORE)
        return 0;
    *consumed = (size_t)(c.p - buf);
    return 1;
}
