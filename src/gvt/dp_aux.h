/* The virtual DP monitor on port D: its AUX channel and DPCD. Internal to
 * gvt/. */
#ifndef XENGVT_GVT_DP_AUX_H
#define XENGVT_GVT_DP_AUX_H

struct vgpu;

int gvt_dp_aux_init(struct vgpu *v);
void gvt_dp_reset(struct vgpu *v);

#endif
