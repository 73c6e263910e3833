#include "config.h"
#include "gvtg_whitelist.h"
#include "tools/common/argerr.h"
#include "common/log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Decimal only (xapi's %Ld): no sign, no hex, at most `max`. */
static const char *number(const char *p, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    const char *start = p;
    while (isdigit((unsigned char)*p)) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > max)
            return NULL;
        p++;
    }
    if (p == start)
        return NULL;
    *out = (uint32_t)v;
    return p;
}

/* `key=` then a number, then a separator (space or end). */
static const char *keyed(const char *p, const char *key, uint32_t min, uint32_t max,
                         uint32_t *out, char *err, size_t len, int *rc)
{
    size_t n = strlen(key);
    p = skip_space(p);
    if (strncmp(p, key, n) != 0 || p[n] != '=') {
        *rc = arg_error(err, len, "expected %s=", key);
        return NULL;
    }
    const char *q = number(p + n + 1, max, out);
    bool wxh = strcmp(key, "resolution") == 0; /* W, then x and H */
    if (!q || *out < min || (wxh ? *q != 'x' : *q && *q != ' ' && *q != '\t')) {
        *rc = arg_error(err, len, "%s: not a number in %u..%u", key, min, max);
        return NULL;
    }
    return q;
}

int gvtg_wl_parse_line(const char *line, struct gvtg_wl_entry *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    out->type_id = -1;
    size_t total = strnlen(line, GVTG_WL_LINE_MAX + 1);
    if (total > GVTG_WL_LINE_MAX)
        return arg_error(err, err_len, "line longer than %d bytes", GVTG_WL_LINE_MAX);
    const char *p = skip_space(line);
    if (!*p || *p == '#' || *p == '\r')
        return 1;
    for (const char *c = line; *c; c++)
        if ((unsigned char)*c < 0x20 && *c != '\t' && !(*c == '\r' && !c[1]))
            return arg_error(err, err_len, "control character in line");
    /* Device id: exactly four hex digits (xapi's %04x). */
    unsigned devid = 0;
    for (int i = 0; i < 4; i++, p++) {
        if (!isxdigit((unsigned char)*p))
            return arg_error(err, err_len, "expected a 4-digit hex device id");
        devid = devid * 16 + (unsigned)(isdigit((unsigned char)*p) ? *p - '0'
                                                                   : (*p | 0x20) - 'a' + 10);
    }
    if (*p != ' ' && *p != '\t')
        return arg_error(err, err_len, "expected a 4-digit hex device id");
    out->devid = (uint16_t)devid;
    p = skip_space(p);
    if (strncmp(p, "experimental=", 13) != 0 || !p[13] || p[13] == ' ' ||
        (p[14] && p[14] != ' ' && p[14] != '\t'))
        return arg_error(err, err_len, "expected experimental=<c>");
    out->experimental = p[13] != '0';
    p = skip_space(p + 14);
    if (strncmp(p, "name='", 6) != 0)
        return arg_error(err, err_len, "expected name='...'");
    p += 6;
    const char *q = strchr(p, '\'');
    if (!q)
        return arg_error(err, err_len, "name: no closing quote");
    if (q == p || (size_t)(q - p) >= sizeof(out->name))
        return arg_error(err, err_len, "name: empty or longer than %d bytes", GVTG_WL_NAME_MAX - 1);
    for (const char *c = p; c < q; c++)
        if (!isprint((unsigned char)*c) || *c == ',')
            return arg_error(err, err_len, "name: only printable characters, no commas");
    memcpy(out->name, p, (size_t)(q - p));
    p = q + 1;
    int rc = -EINVAL;
    if (!(p = keyed(p, "low_gm_sz", 1, 4096, &out->low_gm_mb, err, err_len, &rc)) ||
        !(p = keyed(p, "high_gm_sz", 0, 65536, &out->high_gm_mb, err, err_len, &rc)) ||
        !(p = keyed(p, "fence_sz", 0, 64, &out->fence_sz, err, err_len, &rc)) ||
        !(p = keyed(p, "framebuffer_sz", 0, 4096, &out->framebuffer_mb, err, err_len, &rc)) ||
        !(p = keyed(p, "max_heads", 1, 16, &out->max_heads, err, err_len, &rc)) ||
        !(p = keyed(p, "resolution", 1, 16384, &out->res_w, err, err_len, &rc)))
        return rc;
    if (*p != 'x' || !(q = number(p + 1, 16384, &out->res_h)) || out->res_h == 0 ||
        (*q && *q != ' ' && *q != '\t' && *q != '\r'))
        return arg_error(err, err_len, "resolution: not WxH");
    p = q;
    /* Trailing key=value tokens: ignored as xapi ignores them, but they
     * must be tokens; type_id is ours and is checked. */
    for (;;) {
        p = skip_space(p);
        if (!*p || (*p == '\r' && !p[1]))
            break;
        size_t n = strcspn(p, " \t\r");
        const char *eq = memchr(p, '=', n);
        if (!eq || eq == p)
            return arg_error(err, err_len, "trailing text '%.20s' is not key=value", p);
        if ((size_t)(eq - p) == 7 && strncmp(p, "type_id", 7) == 0) {
            uint32_t id;
            const char *e = number(eq + 1, 0x7fffffff, &id);
            if (out->type_id >= 0 || !e || e != p + n)
                return arg_error(err, err_len, "type_id: one decimal number");
            out->type_id = (long)id;
        }
        p += n;
    }
    return 0;
}

int gvtg_wl_map(struct gvtg_wl_entry *e, char *err, size_t err_len)
{
    const struct vgpu_type *named = vgpu_type_find(e->name), *t = NULL;
    for (const struct vgpu_type *const *it = vgpu_types(); *it; it++)
        if ((*it)->aperture_mb == e->low_gm_mb)
            t = *it;
    if (named && named != t) {
        arg_error(err, err_len, "name '%s' is an xengvt type with a %u MiB aperture slice, but "
                  "low_gm_sz=%u", e->name, named->aperture_mb, e->low_gm_mb);
        return -ENOENT;
    }
    if (!t) {
        char have[128] = "";
        for (const struct vgpu_type *const *it = vgpu_types(); *it; it++)
            snprintf(have + strlen(have), sizeof(have) - strlen(have), " %u",
                     (*it)->aperture_mb);
        arg_error(err, err_len, "low_gm_sz=%u matches no xengvt type (aperture slices, MiB:%s)",
                  e->low_gm_mb, have);
        return -ENOENT;
    }
    /* The type must give at least what the line promises the guest. */
    if (e->high_gm_mb > t->hidden_mb || e->fence_sz > t->fences) {
        arg_error(err, err_len, "high_gm_sz=%u fence_sz=%u: more than %s has (%u MiB, %u fences)",
                  e->high_gm_mb, e->fence_sz, t->name, t->hidden_mb, t->fences);
        return -ENOENT;
    }
    e->type = t;
    return 0;
}

int gvtg_wl_parse(const char *name, const char *data, size_t len, struct gvtg_wl *out)
{
    memset(out, 0, sizeof(*out));
    if (len > GVTG_WL_FILE_MAX)
        return -EFBIG;
    char line[GVTG_WL_LINE_MAX + 2];
    unsigned lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
        lineno++;
        char err[256];
        struct gvtg_wl_entry e;
        int rc;
        if (n > GVTG_WL_LINE_MAX || memchr(data + pos, 0, n)) {
            rc = -EINVAL;
            snprintf(err, sizeof(err), "line longer than %d bytes or with a NUL",
                     GVTG_WL_LINE_MAX);
        } else {
            memcpy(line, data + pos, n);
            line[n] = 0;
            rc = gvtg_wl_parse_line(line, &e, err, sizeof(err));
            if (rc == 0 && gvtg_wl_map(&e, err, sizeof(err)) < 0)
                rc = -ENOENT;
        }
        pos += n + (nl ? 1 : 0);
        if (rc == 1)
            continue;
        if (rc < 0) {
            log_warn("%s:%u: ignored: %s", name, lineno, err);
            continue;
        }
        if (out->count == GVTG_WL_MAX) {
            log_warn("%s:%u: ignored: more than %d types", name, lineno, GVTG_WL_MAX);
            continue;
        }
        out->e[out->count++] = e;
    }
    return 0;
}

int gvtg_wl_load(const char *path, struct gvtg_wl *out)
{
    memset(out, 0, sizeof(*out));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char *buf = malloc(GVTG_WL_FILE_MAX + 1);
    size_t len = 0;
    ssize_t n = 0;
    while (buf && len <= GVTG_WL_FILE_MAX &&
           (n = read(fd, buf + len, GVTG_WL_FILE_MAX + 1 - len)) > 0)
        len += (size_t)n;
    int saved = errno;
    close(fd);
    if (!buf)
        return -ENOMEM;
    int rc = n < 0 ? -saved : len > GVTG_WL_FILE_MAX ? -EFBIG : gvtg_wl_parse(path, buf, len, out);
    free(buf);
    return rc;
}

const struct gvtg_wl_entry *gvtg_wl_find(const struct gvtg_wl *wl, const char *type)
{
    bool digits = *type != 0;
    for (const char *c = type; *c; c++)
        digits = digits && isdigit((unsigned char)*c);
    long id = -1;
    if (digits) {
        if (strlen(type) > 9)
            return NULL;
        id = strtol(type, NULL, 10);
    }
    for (unsigned i = 0; i < wl->count; i++) {
        const struct gvtg_wl_entry *e = &wl->e[i];
        if (digits ? e->type_id == id : strcmp(e->name, type) == 0)
            return e;
    }
    return NULL;
}

const char *gvtg_wl_default_path(void)
{
    const char *p = getenv("XENGVT_GVTG_WHITELIST");
    return p && p[0] == '/' ? p : "/etc/gvt-g-whitelist";
}
