/* GMBUS: the monitor's EDID over DDC, as i915 reads it. Internal to gvt/. */
#ifndef XENGVT_GVT_GMBUS_H
#define XENGVT_GVT_GMBUS_H

struct vgpu;

int gvt_gmbus_init(struct vgpu *v);
void gvt_gmbus_reset(struct vgpu *v);

#endif
