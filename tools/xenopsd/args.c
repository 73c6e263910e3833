#include "config.h"
#include "args.h"
#include "tools/common/argerr.h"
#include "ioreq/server.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A bounded piece of a hostile string, for messages. */
#define CLIP(n, max) ((int)((n) < (max) ? (n) : (max)))

static bool hex_run(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

static unsigned hex_val(const char *s, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0'
                                                            : (s[i] | 0x20) - 'a' + 10);
    return v;
}

int xv_parse_pci(const char *s, size_t len, uint32_t *sbdf)
{
    /* SSSS:BB:DD.F, nothing else: 12 characters. */
    if (len != 12 || !hex_run(s, 4) || s[4] != ':' || !hex_run(s + 5, 2) || s[7] != ':' ||
        !hex_run(s + 8, 2) || s[10] != '.' || !hex_run(s + 11, 1))
        return -EINVAL;
    unsigned dev = hex_val(s + 8, 2), fn = hex_val(s + 11, 1);
    if (dev > 0x1f || fn > 7)
        return -ERANGE;
    *sbdf = pci_sbdf(hex_val(s, 4), hex_val(s + 5, 2), dev, fn);
    return 0;
}

/* Positive decimal, no sign or leading junk, at most max. */
static bool parse_dec(const char *s, unsigned long max, unsigned long *out)
{
    if (!*s || strlen(s) > 10)
        return false;
    unsigned long v = 0;
    for (const char *c = s; *c; c++) {
        if (!isdigit((unsigned char)*c))
            return false;
        v = v * 10 + (unsigned long)(*c - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool uuid_ok(const char *s, size_t n)
{
    static const size_t groups[] = { 8, 4, 4, 4, 12 };
    if (n != 36)
        return false;
    for (unsigned g = 0, pos = 0; g < 5; g++) {
        if (!hex_run(s + pos, groups[g]))
            return false;
        pos += (unsigned)groups[g];
        if (g < 4 && s[pos++] != '-')
            return false;
    }
    return true;
}

static int parse_device(const char *val, struct xv_device *d, char *err, size_t len)
{
    memset(d, 0, sizeof(*d));
    const char *f[4];
    size_t n[4];
    const char *p = val;
    for (int i = 0; i < 4; i++) {
        const char *comma = strchr(p, ',');
        if (!comma && i < 3)
            return arg_error(err, len, "--device: '%.80s' has fewer than 4 fields "
                             "(pci,type,vpci,uuid)", val);
        f[i] = p;
        n[i] = comma ? (size_t)(comma - p) : strlen(p);
        p = comma ? comma + 1 : p + n[i];
        if (i == 3 && comma && !*p)
            return arg_error(err, len, "--device: trailing comma");
    }
    if (xv_parse_pci(f[0], n[0], &d->pci) < 0)
        return arg_error(err, len, "--device: pci '%.*s' is not SSSS:BB:DD.F", CLIP(n[0], 40),
                         f[0]);
    if (n[1] == 0 || n[1] >= sizeof(d->type))
        return arg_error(err, len, "--device: type empty or longer than %zu bytes",
                         sizeof(d->type) - 1);
    for (size_t i = 0; i < n[1]; i++)
        if (!isprint((unsigned char)f[1][i]) || f[1][i] == '\'' || f[1][i] == '"')
            return arg_error(err, len, "--device: type has a character that is not printable "
                             "or is a quote");
    memcpy(d->type, f[1], n[1]);
    if (xv_parse_pci(f[2], n[2], &d->vpci) < 0)
        return arg_error(err, len, "--device: vpci '%.*s' is not SSSS:BB:DD.F", CLIP(n[2], 40),
                         f[2]);
    if (!uuid_ok(f[3], n[3]))
        return arg_error(err, len, "--device: uuid '%.*s' is not 8-4-4-4-12 hex",
                         CLIP(n[3], 40), f[3]);
    memcpy(d->uuid, f[3], 36);
    /* The rest: key=value items, checked for shape here and for meaning by
     * vgpu_entry_parse, which knows our keys. */
    if (*p) {
        if (strlen(p) >= sizeof(d->extra))
            return arg_error(err, len, "--device: extra arguments longer than %zu bytes",
                             sizeof(d->extra) - 1);
        for (const char *it = p; *it;) {
            size_t m = strcspn(it, ",");
            const char *eq = memchr(it, '=', m);
            if (m == 0 || !eq || eq == it || eq == it + m - 1)
                return arg_error(err, len, "--device: extra '%.*s' is not key=value",
                                 CLIP(m, 80), it);
            if ((size_t)(eq - it) == 4 && strncmp(it, "type", 4) == 0)
                return arg_error(err, len, "--device: type is a field, not an extra key");
            if ((size_t)(eq - it) == 4 && strncmp(it, "sbdf", 4) == 0)
                return arg_error(err, len, "--device: the vpci field is the sbdf");
            /* xl-vgpu's supervisor acts on it; here xenopsd is the
             * supervisor, and a dead daemon is error-code 6. */
            if ((size_t)(eq - it) == 15 && strncmp(it, "on_daemon_death", 15) == 0)
                return arg_error(err, len, "--device: on_daemon_death is xl-vgpu's; under "
                                 "xenopsd a daemon's death is reported (error-code 6)");
            it += m;
            if (*it == ',' && !*++it)
                return arg_error(err, len, "--device: trailing comma");
        }
        strcpy(d->extra, p);
    }
    return 0;
}

static const char *value_of(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

static int copy_path(char *dst, const char *val, const char *what, char *err, size_t len)
{
    if (val[0] != '/' || strlen(val) >= XV_PATH_MAX)
        return arg_error(err, len, "%s: an absolute path shorter than %d bytes", what, XV_PATH_MAX);
    strcpy(dst, val);
    return 0;
}

int xv_args_parse(int argc, char *const *argv, struct xv_args *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    out->domid = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0)
            out->help = true;
        else if (strcmp(argv[i], "--version") == 0)
            out->version = true;
    }
    if (out->help || out->version)
        return 0;
    /* --domain= first, so that any later error names the domain. */
    for (int i = 1; i < argc; i++) {
        const char *v = value_of(argv[i], "--domain");
        unsigned long u;
        if (!v)
            continue;
        if (out->domid >= 0)
            return arg_error(err, err_len, "--domain given twice");
        if (!parse_dec(v, 0x7fef, &u) || u == 0)
            return arg_error(err, err_len, "--domain: '%.20s' is not a guest domid (1..32751)", v);
        out->domid = (long)u;
    }
    bool seen_vcpus = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        unsigned long u;
        if (value_of(a, "--domain")) {
            continue;
        } else if ((v = value_of(a, "--vcpus"))) {
            if (seen_vcpus)
                return arg_error(err, err_len, "--vcpus given twice");
            if (!parse_dec(v, 4096, &u) || u == 0)
                return arg_error(err, err_len, "--vcpus: '%.20s' is not 1..4096", v);
            out->vcpus = (unsigned)u;
            seen_vcpus = true;
        } else if ((v = value_of(a, "--suspend"))) {
            if (out->suspend[0])
                return arg_error(err, err_len, "--suspend given twice");
            if (copy_path(out->suspend, v, "--suspend", err, err_len) < 0)
                return -EINVAL;
        } else if ((v = value_of(a, "--type-list"))) {
            if (out->type_list[0])
                return arg_error(err, err_len, "--type-list given twice");
            if (copy_path(out->type_list, v, "--type-list", err, err_len) < 0)
                return -EINVAL;
        } else if ((v = value_of(a, "--device"))) {
            if (out->count == VGPU_CFG_MAX)
                return arg_error(err, err_len, "more than %d --device", VGPU_CFG_MAX);
            if (parse_device(v, &out->dev[out->count], err, err_len) < 0)
                return -EINVAL;
            for (unsigned j = 0; j < out->count; j++)
                if (out->dev[j].vpci == out->dev[out->count].vpci)
                    return arg_error(err, err_len, "--device: two vGPUs at the same vpci");
            out->count++;
        } else if (strcmp(a, "--noconsole") == 0) {
            out->noconsole = true;
        } else if (strcmp(a, "--resume") == 0) {
            out->resume = true;
        } else {
            return arg_error(err, err_len, "unknown argument '%.40s' (see --help)", a);
        }
    }
    if (out->domid < 0)
        return arg_error(err, err_len, "--domain=<domid> is required");
    if (!seen_vcpus)
        return arg_error(err, err_len, "--vcpus=<n> is required");
    if (!out->suspend[0])
        return arg_error(err, err_len, "--suspend=<file> is required");
    if (!out->count)
        return arg_error(err, err_len,
                         "at least one --device=<pci>,<type>,<vpci>,<uuid> is required");
    return 0;
}
