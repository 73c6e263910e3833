#include "config.h"
#include "resolve.h"
#include "gvtg_whitelist.h"
#include "common/log.h"

#include <stdio.h>
#include <string.h>

int xv_resolve(const struct xv_args *a, const char *list_path, struct vgpu_entry *out,
               char *err, size_t err_len)
{
    struct gvtg_wl wl;
    int loaded = 0; /* 0 not yet, 1 read, <0 -errno */
    for (unsigned i = 0; i < a->count; i++) {
        const struct xv_device *d = &a->dev[i];
        const struct vgpu_type *t = vgpu_type_find(d->type);
        if (!t) {
            if (!loaded) {
                int rc = gvtg_wl_load(list_path, &wl);
                loaded = rc < 0 ? rc : 1;
                if (rc < 0)
                    log_error("type list %s: %s", list_path, strerror(-rc));
            }
            const struct gvtg_wl_entry *e = loaded > 0 ? gvtg_wl_find(&wl, d->type) : NULL;
            if (!e) {
                snprintf(err, err_len, "vGPU %u: type '%s' is neither an xengvt type "
                         "(GVTg_V5_8, _4, _2, _1) nor a type in %s%s", i, d->type, list_path,
                         loaded < 0 ? " (unreadable)" : "");
                return XV_ERR_TYPE;
            }
            t = e->type;
            log_info("vGPU %u: type '%s' from %s is %s", i, d->type, list_path, t->name);
        }
        char spec[sizeof(out[i].spec)];
        int w = snprintf(spec, sizeof(spec), "type=%s,sbdf=%04x:%02x:%02x.%x%s%s", t->name,
                         d->vpci >> 16, (d->vpci >> 8) & 0xff, (d->vpci >> 3) & 0x1f,
                         d->vpci & 7, d->extra[0] ? "," : "", d->extra);
        char msg[VGPU_CFG_ERR_MAX];
        if (w < 0 || (size_t)w >= sizeof(spec)) {
            snprintf(err, err_len, "vGPU %u: arguments too long", i);
            return XV_ERR_ARGS;
        }
        if (vgpu_entry_parse(spec, &out[i], msg, sizeof(msg)) < 0) {
            snprintf(err, err_len, "vGPU %u: %s", i, msg);
            return XV_ERR_ARGS;
        }
        log_info("vGPU %u: uuid %s, host %04x:%02x:%02x.%x, as %s", i, d->uuid,
                 d->pci >> 16, (d->pci >> 8) & 0xff, (d->pci >> 3) & 0x1f, d->pci & 7, spec);
    }
    return 0;
}
