/* Skylake GT2's initial values and probe behaviours (forcewake, pcode, PLLs,
 * power wells, GDRST). Internal to gvt/. */
#ifndef XENGVT_GVT_SKL_REGS_H
#define XENGVT_GVT_SKL_REGS_H

struct vgpu;

int gvt_skl_regs_init(struct vgpu *v);

#endif
