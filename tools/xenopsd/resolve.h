/* From a --device to the vgpu entry xengvtd is started with: the type
 * (ours by name, else through the GVT-g type list), the vpci as sbdf, and
 * the extra key=value items as vgpu entry keys (vgpu_entry_parse). */
#ifndef XENGVT_XENOPSD_RESOLVE_H
#define XENGVT_XENOPSD_RESOLVE_H

#include <stddef.h>

#include "args.h"
#include "tools/common/vgpu_entry.h"

/* 0, or an enum xv_error (XV_ERR_TYPE, XV_ERR_ARGS) with the reason in
 * err. The type list at `list_path` is read only if a type needs it. */
int xv_resolve(const struct xv_args *a, const char *list_path, struct vgpu_entry *out,
               char *err, size_t err_len);

#endif
