/* Which registers a command (LRI/LRM/LRR) may load. Internal to gvt/. */
#ifndef XENGVT_GVT_CMD_REGS_H
#define XENGVT_GVT_CMD_REGS_H

#include <stdbool.h>
#include <stdint.h>

struct vgpu;

/* From a privileged (ring, GGTT batch) or unprivileged (PPGTT batch)
 * context? */
bool gvt_cmd_reg_loadable(struct vgpu *v, uint32_t off, bool privileged);
int gvt_cmd_regs_init(struct vgpu *v);

#endif
