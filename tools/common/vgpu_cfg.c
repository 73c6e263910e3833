#include "config.h"
#include "tools/common/vgpu_cfg.h"
#include "tools/common/argerr.h"

#include <errno.h>
#include <libxlutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int from_config(const char *path, XLU_Config *cfg, struct vgpu_cfg *out, char *err,
                       size_t err_len)
{
    const char *name = NULL;
    if (xlu_cfg_get_string(cfg, "name", &name, 1) == 0 && name) {
        if (strlen(name) >= sizeof(out->name))
            return arg_error(err, err_len, "%s: name longer than %zu bytes", path,
                             sizeof(out->name) - 1);
        strcpy(out->name, name);
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
            return arg_error(err, err_len, "%s: %s: '%s' is not an action (destroy, restart, "
                             "rename-restart, preserve, coredump-destroy, coredump-restart, "
                             "soft-reset)", path, key, word);
    }
    const char *vga = NULL;
    out->vga_none = xlu_cfg_get_string(cfg, "vga", &vga, 1) == 0 && vga &&
                    strcmp(vga, "none") == 0;
    XLU_ConfigList *list = NULL;
    int n = 0;
    if (xlu_cfg_get_list(cfg, "vif", &list, &n, 1) == 0)
        for (int i = 0; i < n; i++) {
            const char *vif = xlu_cfg_get_listitem(list, i);
            if (vif && !strstr(vif, "type=vif"))
                out->emulated_nics++;
        }
    list = NULL;
    n = 0;
    int rc = xlu_cfg_get_list(cfg, "vgpu", &list, &n, 1);
    if (rc == ESRCH)
        return 0; /* no vgpu key: no vGPU */
    if (rc)
        return arg_error(err, err_len, "%s: vgpu must be a list of strings, e.g. "
                         "vgpu = [ \"type=GVTg_V5_4\" ]", path);
    if (n > VGPU_CFG_MAX)
        return arg_error(err, err_len, "%s: %d vGPUs; at most %d per guest", path, n, VGPU_CFG_MAX);
    for (int i = 0; i < n; i++) {
        const char *spec = xlu_cfg_get_listitem(list, i);
        char msg[VGPU_CFG_ERR_MAX / 2];
        if (!spec)
            return arg_error(err, err_len, "%s: vgpu entry %d is not a string", path, i);
        if (vgpu_entry_parse(spec, &out->entries[i], msg, sizeof(msg)) < 0)
            return arg_error(err, err_len, "%s: vgpu entry %d: %s", path, i, msg);
        for (int j = 0; j < i; j++)
            if (out->entries[j].sbdf == out->entries[i].sbdf)
                return arg_error(err, err_len, "%s: vgpu entry %d: sbdf: the same PCI address "
                                 "as entry %d", path, i, j);
        out->count = (unsigned)i + 1;
    }
    if (out->count && !out->name[0])
        return arg_error(err, err_len, "%s: the guest has no name (xl.cfg \"name\")", path);
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
        return arg_error(err, err_len, "%s: out of memory", path);
    XLU_Config *cfg = xlu_cfg_init(report, path);
    int rc;
    if (!cfg) {
        rc = arg_error(err, err_len, "%s: out of memory", path);
    } else if ((from_file ? xlu_cfg_readfile(cfg, path)
                          : xlu_cfg_readdata(cfg, data, (int)len)) != 0) {
        fflush(report);
        if (from_file && access(path, R_OK) != 0) {
            arg_error(err, err_len, "%s: %s", path, strerror(errno));
            rc = -ENOENT;
        } else {
            rc = arg_error(err, err_len, "%s: not a valid xl.cfg: %s", path,
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
        return arg_error(err, err_len, "%s: larger than 1 MiB", path);
    return parse_with(path, data, len, false, out, err, err_len);
}
