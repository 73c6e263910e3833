/* One vgpu entry ("type=GVTg_V5_4,sbdf=0000:00:02.0,..."), parsed
 * strictly, and the daemon arguments it stands for. Shared by xl-vgpu
 * (xl.cfg's vgpu list) and xengvt-vgpu (xenopsd's --device). */
#include "config.h"
#include "tools/common/vgpu_entry.h"
#include "tools/common/argerr.h"
#include "gvt/vgpu.h"
#include "daemon/options.h"
#include "ioreq/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const death_names[DEATH_COUNT] = {
    [DEATH_RESTART] = "restart",
    [DEATH_CRASH] = "crash",
    [DEATH_PRESERVE] = "preserve",
};

int daemon_death_parse(const char *word, enum daemon_death_policy *out)
{
    for (unsigned p = 0; p < DEATH_COUNT; p++)
        if (strcmp(word, death_names[p]) == 0) {
            *out = (enum daemon_death_policy)p;
            return 0;
        }
    return -1;
}

const char *daemon_death_name(enum daemon_death_policy p)
{
    return (unsigned)p < DEATH_COUNT ? death_names[p] : "?";
}

static bool copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, src, n);
    dst[n] = 0;
    return true;
}

static bool parse_u(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || end == s || *end || v > max || *s == '-')
        return false;
    *out = v;
    return true;
}

enum key { K_TYPE, K_SBDF, K_DEVICE_ID, K_EDID, K_RESOLUTION, K_VNC, K_KMS, K_IO_BAR,
           K_LOG_LEVEL, K_APERTURE, K_APERTURE_RAM, K_ON_DAEMON_DEATH, K_COUNT };
static const char *const key_names[K_COUNT] = {
    "type", "sbdf", "device_id", "edid", "resolution", "vnc", "kms", "io_bar", "log_level",
    "aperture", "aperture_ram", "on_daemon_death",
};

static int set_key(struct vgpu_entry *e, enum key k, const char *val, char *err, size_t len)
{
    unsigned long u;
    size_t n = strlen(val);
    switch (k) {
    case K_TYPE:
        if (!vgpu_type_find(val))
            return arg_error(err, len, "type: unknown vGPU type '%s'", val);
        copy(e->type, sizeof(e->type), val, n);
        return 0;
    case K_SBDF:
        if (options_parse_sbdf(val, &e->sbdf) < 0)
            return arg_error(err, len, "sbdf: '%s' is not SSSS:BB:DD.F", val);
        return 0;
    case K_DEVICE_ID:
        if (!parse_u(val, 0xffff, &u) || u == 0)
            return arg_error(err, len, "device_id: '%s' is not a 16-bit PCI device id", val);
        e->device_id = (uint16_t)u;
        return 0;
    case K_EDID:
        if (val[0] != '/' || !copy(e->edid, sizeof(e->edid), val, n))
            return arg_error(err, len, "edid: an absolute path is expected");
        return 0;
    case K_RESOLUTION: {
        unsigned w, h;
        char tail;
        if (sscanf(val, "%ux%u%c", &w, &h, &tail) != 2 || w < 640 || h < 480 || w > 4096 ||
            h > 2160)
            return arg_error(err, len, "resolution: '%s' is not WxH in 640x480..4096x2160", val);
        e->width = w;
        e->height = h;
        return 0;
    }
    case K_VNC: {
        const char *colon = strrchr(val, ':');
        if (!colon || colon == val || !parse_u(colon + 1, 65535, &u) || u == 0 ||
            !copy(e->vnc, sizeof(e->vnc), val, n))
            return arg_error(err, len, "vnc: '%s' is not ADDR:PORT", val);
        return 0;
    }
    case K_KMS:
        if (val[0] != '/' || !copy(e->kms, sizeof(e->kms), val, n))
            return arg_error(err, len, "kms: DEVICE[:CONNECTOR] with an absolute device path");
        return 0;
    case K_IO_BAR:
        if (strcmp(val, "0") && strcmp(val, "1"))
            return arg_error(err, len, "io_bar: 0 or 1");
        e->io_bar = val[0] == '1';
        return 0;
    case K_LOG_LEVEL: {
        enum log_level l;
        if (log_parse_level(val, &l) < 0)
            return arg_error(err, len, "log_level: error, warn, info or debug");
        copy(e->log_level, sizeof(e->log_level), val, n);
        return 0;
    }
    case K_APERTURE_RAM:
        if (strcmp(val, "0") && strcmp(val, "1"))
            return arg_error(err, len, "aperture_ram: 0 or 1");
        e->aperture_ram = val[0] == '1';
        return 0;
    case K_APERTURE:
        if (!parse_u(val, 4096, &u) || u == 0)
            return arg_error(err, len, "aperture: '%s' is not a slice in MiB", val);
        e->aperture_mb = (uint32_t)u;
        return 0;
    case K_ON_DAEMON_DEATH:
        if (daemon_death_parse(val, &e->on_daemon_death) < 0)
            return arg_error(err, len, "on_daemon_death: restart, crash or preserve");
        return 0;
    default:
        return arg_error(err, len, "internal: key %d", (int)k);
    }
}

int vgpu_entry_parse(const char *spec, struct vgpu_entry *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    strcpy(out->type, "GVTg_V5_4");
    out->sbdf = pci_sbdf(0, 0, 2, 0);
    out->on_daemon_death = DEATH_DEFAULT;
    out->aperture_ram = true; /* as xengvtd's default */
    size_t total = strlen(spec);
    if (!copy(out->spec, sizeof(out->spec), spec, total))
        return arg_error(err, err_len, "entry longer than %zu bytes", sizeof(out->spec) - 1);
    bool seen[K_COUNT] = { false };
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[VGPU_CFG_PATH_MAX + 16];
        if (n == 0)
            return arg_error(err, err_len, "empty item (two commas, or a trailing comma)");
        if (!copy(item, sizeof(item), p, n))
            return arg_error(err, err_len, "item '%.20s...' too long", p);
        char *eq = strchr(item, '=');
        if (!eq || eq == item || !eq[1])
            return arg_error(err, err_len, "'%s' is not key=value", item);
        *eq = 0;
        unsigned k;
        for (k = 0; k < K_COUNT && strcmp(item, key_names[k]); k++)
            ;
        if (k == K_COUNT)
            return arg_error(err, err_len, "unknown key '%s' (known: type, sbdf, device_id, edid, "
                             "resolution, vnc, kms, io_bar, log_level, aperture, aperture_ram, "
                             "on_daemon_death)", item);
        if (seen[k])
            return arg_error(err, err_len, "key '%s' given twice", item);
        seen[k] = true;
        char msg[VGPU_CFG_ERR_MAX / 2];
        if (set_key(out, (enum key)k, eq + 1, msg, sizeof(msg)) < 0)
            return arg_error(err, err_len, "%s", msg);
        p += n + (end ? 1 : 0);
        if (end && !*p)
            return arg_error(err, err_len, "trailing comma");
    }
    struct vgpu_config vc = { .type = vgpu_type_find(out->type) };
    if ((out->width > vc.type->max_width || out->height > vc.type->max_height))
        return arg_error(err, err_len, "resolution: %ux%u is larger than %s allows (%ux%u)",
                         out->width, out->height, vc.type->name, vc.type->max_width,
                         vc.type->max_height);
    if (out->aperture_mb > vc.type->aperture_mb)
        return arg_error(err, err_len, "aperture: %u MiB is larger than %s's slice (%u MiB)",
                         out->aperture_mb, vc.type->name, vc.type->aperture_mb);
    return 0;
}

int vgpu_entry_args(const struct vgpu_entry *e, const char **argv, unsigned max, char *buf,
                    size_t buf_len)
{
    unsigned n = 0;
    size_t used = 0;
#define ARG(s)                                                                     \
    do {                                                                           \
        if (n + 2 > max)                                                           \
            return -E2BIG;                                                         \
        argv[n++] = (s);                                                           \
    } while (0)
#define FMT(...)                                                                   \
    do {                                                                           \
        int w_ = snprintf(buf + used, buf_len - used, __VA_ARGS__);                \
        if (w_ < 0 || (size_t)w_ >= buf_len - used)                                \
            return -E2BIG;                                                         \
        ARG(buf + used);                                                           \
        used += (size_t)w_ + 1;                                                    \
    } while (0)
    ARG("--type");
    ARG(e->type);
    ARG("--sbdf");
    FMT("%04x:%02x:%02x.%x", e->sbdf >> 16, (e->sbdf >> 8) & 0xff, (e->sbdf >> 3) & 0x1f,
        e->sbdf & 7);
    if (e->device_id) {
        ARG("--device-id");
        FMT("%#x", e->device_id);
    }
    if (e->edid[0]) {
        ARG("--edid");
        ARG(e->edid);
    }
    if (e->width) {
        ARG("--resolution");
        FMT("%ux%u", e->width, e->height);
    }
    if (e->vnc[0]) {
        ARG("--vnc");
        ARG(e->vnc);
    }
    if (e->kms[0]) {
        ARG("--kms");
        ARG(e->kms);
    }
    if (e->io_bar)
        ARG("--io-bar");
    if (e->aperture_mb) {
        ARG("--aperture");
        FMT("%u", e->aperture_mb);
    }
    if (!e->aperture_ram)
        ARG("--aperture-ram=0");
    if (e->log_level[0]) {
        ARG("--log-level");
        ARG(e->log_level);
    }
    argv[n] = NULL;
    return (int)n;
#undef ARG
#undef FMT
}
