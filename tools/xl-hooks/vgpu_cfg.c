#include "config.h"
#include "vgpu_cfg.h"
#include "gvt/vgpu.h"
#include "daemon/options.h"
#include "ioreq/server.h"

#include <errno.h>
#include <libxlutil.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -EINVAL;
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
            return fail(err, len, "type: unknown vGPU type '%s'", val);
        copy(e->type, sizeof(e->type), val, n);
        return 0;
    case K_SBDF:
        if (options_parse_sbdf(val, &e->sbdf) < 0)
            return fail(err, len, "sbdf: '%s' is not SSSS:BB:DD.F", val);
        return 0;
    case K_DEVICE_ID:
        if (!parse_u(val, 0xffff, &u) || u == 0)
            return fail(err, len, "device_id: '%s' is not a 16-bit PCI device id", val);
        e->device_id = (uint16_t)u;
        return 0;
    case K_EDID:
        if (val[0] != '/' || !copy(e->edid, sizeof(e->edid), val, n))
            return fail(err, len, "edid: an absolute path is expected");
        return 0;
    case K_RESOLUTION: {
        unsigned w, h;
        char tail;
        if (sscanf(val, "%ux%u%c", &w, &h, &tail) != 2 || w < 640 || h < 480 || w > 4096 ||
            h > 2160)
            return fail(err, len, "resolution: '%s' is not WxH in 640x480..4096x2160", val);
        e->width = w;
        e->height = h;
        return 0;
    }
    case K_VNC: {
        const char *colon = strrchr(val, ':');
        if (!colon || colon == val || !parse_u(colon + 1, 65535, &u) || u == 0 ||
            !copy(e->vnc, sizeof(e->vnc), val, n))
            return fail(err, len, "vnc: '%s' is not ADDR:PORT", val);
        return 0;
    }
    case K_KMS:
        if (val[0] != '/' || !copy(e->kms, sizeof(e->kms), val, n))
            return fail(err, len, "kms: DEVICE[:CONNECTOR] with an absolute device path");
        return 0;
    case K_IO_BAR:
        if (strcmp(val, "0") && strcmp(val, "1"))
            return fail(err, len, "io_bar: 0 or 1");
        e->io_bar = val[0] == '1';
        return 0;
    case K_LOG_LEVEL: {
        enum log_level l;
        if (log_parse_level(val, &l) < 0)
            return fail(err, len, "log_level: error, warn, info or debug");
        copy(e->log_level, sizeof(e->log_level), val, n);
        return 0;
    }
    case K_APERTURE_RAM:
        if (strcmp(val, "0") && strcmp(val, "1"))
            return fail(err, len, "aperture_ram: 0 or 1");
        e->aperture_ram = val[0] == '1';
        return 0;
    case K_APERTURE:
        if (!parse_u(val, 4096, &u) || u == 0)
            return fail(err, len, "aperture: '%s' is not a slice in MiB", val);
        e->aperture_mb = (uint32_t)u;
        return 0;
    case K_ON_DAEMON_DEATH:
        if (daemon_death_parse(val, &e->on_daemon_death) < 0)
            return fail(err, len, "on_daemon_death: restart, crash or preserve");
        return 0;
    default:
        return fail(err, len, "internal: key %d", (int)k);
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
        return fail(err, err_len, "entry longer than %zu bytes", sizeof(out->spec) - 1);
    bool seen[K_COUNT] = { false };
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[VGPU_CFG_PATH_MAX + 16];
        if (n == 0)
            return fail(err, err_len, "empty item (two commas, or a trailing comma)");
        if (!copy(item, sizeof(item), p, n))
            return fail(err, err_len, "item '%.20s...' too long", p);
        char *eq = strchr(item, '=');
        if (!eq || eq == item || !eq[1])
            return fail(err, err_len, "'%s' is not key=value", item);
        *eq = 0;
        unsigned k;
        for (k = 0; k < K_COUNT && strcmp(item, key_names[k]); k++)
            ;
        if (k == K_COUNT)
            return fail(err, err_len, "unknown key '%s' (known: type, sbdf, device_id, edid, "
                        "resolution, vnc, kms, io_bar, log_level, aperture, aperture_ram, "
                        "on_daemon_death)", item);
        if (seen[k])
            return fail(err, err_len, "key '%s' given twice", item);
        seen[k] = true;
        char msg[VGPU_CFG_ERR_MAX / 2];
        if (set_key(out, (enum key)k, eq + 1, msg, sizeof(msg)) < 0)
            return fail(err, err_len, "%s", msg);
        p += n + (end ? 1 : 0);
        if (end && !*p)
            return fail(err, err_len, "trailing comma");
    }
    struct vgpu_config vc = { .type = vgpu_type_find(out->type) };
    if ((out->width > vc.type->max_width || out->height > vc.type->max_height))
        return fail(err, err_len, "resolution: %ux%u is larger than %s allows (%ux%u)",
                    out->width, out->height, vc.type->name, vc.type->max_width,
                    vc.type->max_height);
    if (out->aperture_mb > vc.type->aperture_mb)
        return fail(err, err_len, "aperture: %u MiB is larger than %s's slice (%u MiB)",
                    out->aperture_mb, vc.type->name, vc.type->aperture_mb);
    return 0;
}

static int from_config(const char *path, XLU_Config *cfg, struct vgpu_cfg *out, char *err,
                       size_t err_len)
{
    const char *name = NULL;
    if (xlu_cfg_get_string(cfg, "name", &name, 1) == 0 && name) {
        if (!copy(out->name, sizeof(out->name), name, strlen(name)))
            return fail(err, err_len, "%s: name longer than %zu bytes", path,
                        sizeof(out->name) - 1);
    }
    /* The memory keys, for the vGPU's own RAM budget (see vgpu_cfg.h). */
    long l;
    out->memory_mb = xlu_cfg_get_long(cfg, "memory", &l, 1) == 0 ? l : -1;
    out->videoram_mb = xlu_cfg_get_long(cfg, "videoram", &l, 1) == 0 ? l : -1;
    out->maxmem_mb = xlu_cfg_get_long(cfg, "maxmem", &l, 1) == 0 ? l : -1;
    guest_actions_default(&out->actions);
    for (unsigned e = 0; e < EVENT_COUNT; e++) {
        const char *key = guest_event_key((enum guest_event)e), *word = NULL;
        if (!key || xlu_cfg_get_string(cfg, key, &word, 1) != 0 || !word)
            continue;
        if (guest_action_parse(word, &out->actions.on[e]) < 0)
            return fail(err, err_len, "%s: %s: '%s' is not an action (destroy, restart, "
                        "rename-restart, preserve, coredump-destroy, coredump-restart, "
                        "soft-reset)", path, key, word);
    }
    const char *vga = NULL;
    out->vga_none = xlu_cfg_get_string(cfg, "vga", &vga, 1) == 0 && vga &&
                    strcmp(vga, "none") == 0;
    XLU_ConfigList *list = NULL;
    int n = 0;
    int rc = xlu_cfg_get_list(cfg, "vgpu", &list, &n, 1);
    if (rc == ESRCH)
        return 0; /* no vgpu key: no vGPU */
    if (rc)
        return fail(err, err_len, "%s: vgpu must be a list of strings, e.g. "
                    "vgpu = [ \"type=GVTg_V5_4\" ]", path);
    if (n > VGPU_CFG_MAX)
        return fail(err, err_len, "%s: %d vGPUs; at most %d per guest", path, n, VGPU_CFG_MAX);
    for (int i = 0; i < n; i++) {
        const char *spec = xlu_cfg_get_listitem(list, i);
        char msg[VGPU_CFG_ERR_MAX / 2];
        if (!spec)
            return fail(err, err_len, "%s: vgpu entry %d is not a string", path, i);
        if (vgpu_entry_parse(spec, &out->entries[i], msg, sizeof(msg)) < 0)
            return fail(err, err_len, "%s: vgpu entry %d: %s", path, i, msg);
        for (int j = 0; j < i; j++)
            if (out->entries[j].sbdf == out->entries[i].sbdf)
                return fail(err, err_len, "%s: vgpu entry %d: sbdf: the same PCI address "
                            "as entry %d", path, i, j);
        out->count = (unsigned)i + 1;
    }
    if (out->count && !out->name[0])
        return fail(err, err_len, "%s: the guest has no name (xl.cfg \"name\")", path);
    return 0;
}

static int parse_with(const char *path, const char *data, size_t len, bool from_file,
                      struct vgpu_cfg *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    /* libxlutil reports its own parse errors on a stream: keep them for
     * our message rather than letting them go to stderr unattributed. */
    char *report_buf = NULL;
    size_t report_len = 0;
    FILE *report = open_memstream(&report_buf, &report_len);
    if (!report)
        return fail(err, err_len, "%s: out of memory", path);
    XLU_Config *cfg = xlu_cfg_init(report, path);
    int rc;
    if (!cfg) {
        rc = fail(err, err_len, "%s: out of memory", path);
    } else if ((from_file ? xlu_cfg_readfile(cfg, path)
                          : xlu_cfg_readdata(cfg, data, (int)len)) != 0) {
        fflush(report);
        if (from_file && access(path, R_OK) != 0) {
            fail(err, err_len, "%s: %s", path, strerror(errno));
            rc = -ENOENT;
        } else {
            rc = fail(err, err_len, "%s: not a valid xl.cfg: %s", path,
                      report_buf && report_len ? report_buf : "syntax error");
        }
    } else {
        rc = from_config(path, cfg, out, err, err_len);
    }
    if (cfg)
        xlu_cfg_destroy(cfg);
    fclose(report);
    free(report_buf);
    if (err_len)
        err[strcspn(err, "\n")] = 0; /* one line */
    return rc;
}

int vgpu_cfg_read(const char *path, struct vgpu_cfg *out, char *err, size_t err_len)
{
    return parse_with(path, NULL, 0, true, out, err, err_len);
}

int vgpu_cfg_parse(const char *path, const char *data, size_t len, struct vgpu_cfg *out,
                   char *err, size_t err_len)
{
    if (len > (1u << 20))
        return fail(err, err_len, "%s: larger than 1 MiB", path);
    return parse_with(path, data, len, false, out, err, err_len);
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
