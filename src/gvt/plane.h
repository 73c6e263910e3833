/* The primary plane and cursor decoded into a frame (vgpu_capture). Internal
 * to gvt/. */
#ifndef XENGVT_GVT_PLANE_H
#define XENGVT_GVT_PLANE_H

struct vgpu;

/* The last frame kept for the next capture's comparison, freed. */
void gvt_capture_release(struct vgpu *v);

#endif
