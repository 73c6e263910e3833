#include "config.h"
#include "dm_args.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A decimal in [min, max] and nothing else. */
static bool number(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* QEMU's option syntax: comma-separated, ",," a literal comma. libxl
 * never writes ",," into the QMP chardev; one that has it is not
 * libxl's and is refused rather than misread. */
static int read_qmp_chardev(struct dm_args *out, const char *val, char *err, size_t err_len)
{
    if (strstr(val, ",,")) {
        snprintf(err, err_len, "-chardev %s: an escaped comma in libxl's QMP socket", val);
        return -EINVAL;
    }
    const char *p = val;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n > 5 && strncmp(p, "path=", 5) == 0) {
            if (n - 5 >= sizeof(out->qmp_path)) {
                snprintf(err, err_len, "-chardev: the QMP socket's path is too long");
                return -EINVAL;
            }
            memcpy(out->qmp_path, p + 5, n - 5);
            out->qmp_path[n - 5] = 0;
        } else if (n > 3 && strncmp(p, "fd=", 3) == 0) {
            char num[16];
            long fd;
            snprintf(num, sizeof(num), "%.*s", (int)(n - 3 < 15 ? n - 3 : 15), p + 3);
            if (n - 3 >= 15 || !number(num, 0, 65535, &fd)) {
                snprintf(err, err_len, "-chardev: the QMP socket's fd= is not a number");
                return -EINVAL;
            }
            out->qmp_fd = (int)fd;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    bool has_path = out->qmp_path[0] != 0, has_fd = out->qmp_fd >= 0;
    if (has_path == has_fd) {
        snprintf(err, err_len, "-chardev %s: libxl's QMP socket needs path= or fd=, not both",
                 val);
        return -EINVAL;
    }
    return 0;
}

static bool is_qmp_chardev(const char *val)
{
    if (strncmp(val, "socket,", 7) != 0)
        return false;
    for (const char *p = val; (p = strstr(p, "id=libxl-cmd")); p++)
        if (p[-1] == ',' && (p[12] == ',' || p[12] == 0))
            return true;
    return false;
}

int dm_args_parse(int argc, char *const *argv, struct dm_args *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    out->domid = -1;
    out->qmp_index = -1;
    out->qmp_fd = -1;
    out->incoming_fd = -1;
    err[0] = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-vgpu") == 0) {
            if (!val) {
                snprintf(err, err_len, "-vgpu needs an entry (type=...,sbdf=...)");
                return -EINVAL;
            }
            if (out->vgpu_count == VGPU_CFG_MAX) {
                snprintf(err, err_len, "at most %d -vgpu entries", VGPU_CFG_MAX);
                return -EINVAL;
            }
            char why[VGPU_CFG_ERR_MAX];
            if (vgpu_entry_parse(val, &out->vgpu[out->vgpu_count], why, sizeof(why)) < 0) {
                snprintf(err, err_len, "-vgpu %u: %s", out->vgpu_count, why);
                return -EINVAL;
            }
            out->vgpu_count++;
            i++; /* the pair is ours: QEMU never sees it */
            continue;
        }
        if (out->argc + 2 > DM_ARGS_MAX) {
            snprintf(err, err_len, "more than %d arguments", DM_ARGS_MAX);
            return -EINVAL;
        }
        out->argv[out->argc++] = a;
        if (!val)
            continue;
        /* Options whose values matter here; every other one passes as is. */
        if (strcmp(a, "-xen-domid") == 0) {
            if (!number(val, 1, 0x7fef, &out->domid)) {
                snprintf(err, err_len, "-xen-domid %s: not a guest's domid", val);
                return -EINVAL;
            }
        } else if (strcmp(a, "-name") == 0) {
            out->name = val;
        } else if (strcmp(a, "-chardev") == 0 && is_qmp_chardev(val)) {
            if (out->qmp_index >= 0) {
                snprintf(err, err_len, "-chardev: libxl's QMP socket given twice");
                return -EINVAL;
            }
            int rc = read_qmp_chardev(out, val, err, err_len);
            if (rc < 0)
                return rc;
            out->qmp_index = (int)out->argc;
        } else if (strcmp(a, "-incoming") == 0) {
            long fd;
            out->incoming = val;
            if (strncmp(val, "fd:", 3) == 0 && number(val + 3, 0, 65535, &fd))
                out->incoming_fd = (int)fd;
        } else {
            continue;
        }
        out->argv[out->argc++] = val;
        i++;
    }
    out->argv[out->argc] = NULL;
    return 0;
}

int dm_args_set_qmp_fd(struct dm_args *a, int fd, char *buf, size_t cap)
{
    if (a->qmp_index < 0 || !a->qmp_path[0])
        return -EINVAL;
    const char *val = a->argv[a->qmp_index];
    size_t w = 0;
    const char *p = val;
    bool first = true;
    while (*p) {
        size_t n = strcspn(p, ",");
        int r = strncmp(p, "path=", 5) == 0
                    ? snprintf(buf + w, cap - w, "%sfd=%d", first ? "" : ",", fd)
                    : snprintf(buf + w, cap - w, "%s%.*s", first ? "" : ",", (int)n, p);
        if (r < 0 || (size_t)r >= cap - w)
            return -ENOSPC;
        w += (size_t)r;
        first = false;
        p += n;
        if (*p == ',')
            p++;
    }
    a->argv[a->qmp_index] = buf;
    return 0;
}
