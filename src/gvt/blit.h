/* The blitter's commands on linear surfaces. Internal to gvt/. */
#ifndef XENGVT_GVT_BLIT_H
#define XENGVT_GVT_BLIT_H

#include <stdint.h>

struct vgpu;
struct gvt_engine;

/* XY_COLOR_BLT, XY_SRC_COPY_BLT, XY_FAST_COPY_BLT on linear
 * surfaces. `cmd` holds the whole command. 0, or -1 after an engine error. */
int gvt_blit(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, unsigned len);

#endif
