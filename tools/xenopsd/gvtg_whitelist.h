/* XenServer's GVT-g type list, /etc/gvt-g-whitelist, one type a line:
 *
 *   <devid-hex4> experimental=<c> name='<text>' low_gm_sz=<MiB> high_gm_sz=<MiB>
 *       fence_sz=<n> framebuffer_sz=<MiB> max_heads=<n> resolution=<W>x<H> [key=value...]
 *
 * as xapi reads it (Vendor_intel.read_whitelist_line). Each line is mapped
 * onto the xengvt vGPU type that serves it: the name if it is one of ours,
 * else the type whose aperture slice is low_gm_sz. Trailing key=value
 * tokens are ignored as xapi ignores them, except our `type_id=<n>`: the
 * number xenopsd passes as a --device type when the vGPU type is declared
 * NVIDIA-style in xapi. Every line is hostile: bounded, checked, and a bad
 * line is reported and skipped, never fatal to the others. */
#ifndef XENGVT_XENOPSD_GVTG_WHITELIST_H
#define XENGVT_XENOPSD_GVTG_WHITELIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gvt/vgpu.h"

#define GVTG_WL_MAX 64            /* types kept from one file */
#define GVTG_WL_LINE_MAX 1024     /* longer lines are refused */
#define GVTG_WL_NAME_MAX 64
#define GVTG_WL_FILE_MAX (1u << 20)

struct gvtg_wl_entry {
    uint16_t devid;
    bool experimental;
    char name[GVTG_WL_NAME_MAX];
    uint32_t low_gm_mb, high_gm_mb, fence_sz, framebuffer_mb, max_heads;
    uint32_t res_w, res_h;
    long type_id;                 /* -1: none given */
    const struct vgpu_type *type; /* set by gvtg_wl_map */
};

struct gvtg_wl {
    unsigned count;
    struct gvtg_wl_entry e[GVTG_WL_MAX];
};

/* One line (without its newline). 0 parsed; 1 blank or a '#' comment;
 * -EINVAL with the reason in err. */
int gvtg_wl_parse_line(const char *line, struct gvtg_wl_entry *out, char *err, size_t err_len);

/* Which xengvt type serves `e` (sets e->type). 0, or -ENOENT with why. */
int gvtg_wl_map(struct gvtg_wl_entry *e, char *err, size_t err_len);

/* A whole file: bad or unmappable lines are logged (with their number)
 * and skipped. 0, or -errno if the file cannot be read at all. */
int gvtg_wl_load(const char *path, struct gvtg_wl *out);
/* The same from memory (`name` only names it in log lines). */
int gvtg_wl_parse(const char *name, const char *data, size_t len, struct gvtg_wl *out);

/* A --device type: all digits, the entry with that type_id; otherwise
 * the entry with that name. NULL if none. */
const struct gvtg_wl_entry *gvtg_wl_find(const struct gvtg_wl *wl, const char *type);

/* Where the list is: --type-list, else $XENGVT_GVTG_WHITELIST, else
 * /etc/gvt-g-whitelist. */
const char *gvtg_wl_default_path(void);

#endif
