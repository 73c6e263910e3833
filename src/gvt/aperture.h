/* The aperture (BAR2) in guest RAM, kept coherent with the GGTT at sync
 * points. Internal to gvt/. */
#ifndef XENGVT_GVT_APERTURE_H
#define XENGVT_GVT_APERTURE_H

#include <stdint.h>

struct vgpu;

#define GVT_RCS_RING_HEAD 0x2034u /* i915's posting read after GTT writes */

int gvt_aperture_init(struct vgpu *v);
void gvt_aperture_release(struct vgpu *v);
void gvt_aperture_sync(struct vgpu *v);
void gvt_aperture_follow_bar2(struct vgpu *v);
/* As attached: frames parked and zero, bound to nothing. */
void gvt_aperture_cold_reset(struct vgpu *v);
/* The GPU is about to read page `gpa`: if it is bound in the slice and the
 * guest ran since the last sync, the CPU's stores go out to it first. */
void gvt_aperture_gpu_read(struct vgpu *v, uint64_t gpa);
/* A run of the command streamer ended: if it wrote a page bound in the
 * slice, the frames are synced to show it. */
void gvt_aperture_gpu_end(struct vgpu *v);

#endif
