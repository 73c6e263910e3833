/* Graphics memory as the GPU sees it: graphics address -> guest memory,
 * page by page, through the GGTT or a context's PPGTT. Internal to gvt/. */
#ifndef XENGVT_GVT_GFXMEM_H
#define XENGVT_GVT_GFXMEM_H

#include <stdbool.h>
#include <stdint.h>

struct vgpu;
struct gvt_cs;

/* 0 or -EFAULT. */
int gvt_gfx_read(struct vgpu *v, const struct gvt_cs *cs, bool ppgtt, uint64_t addr,
                 void *buf, uint32_t len);
int gvt_gfx_write(struct vgpu *v, const struct gvt_cs *cs, bool ppgtt, uint64_t addr,
                  const void *buf, uint32_t len);

#endif
