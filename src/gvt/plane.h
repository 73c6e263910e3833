/* The primary plane and cursor decoded into a frame (vgpu_capture). Internal
 * to gvt/. */
#ifndef XENGVT_GVT_PLANE_H
#define XENGVT_GVT_PLANE_H

#include <stdbool.h>

struct vgpu;

/* The last frame kept for the next capture's comparison, freed. */
void gvt_capture_release(struct vgpu *v);
/* Off while a live migration copies memory: the scanout's pages are
 * protected no more (scanout_watch.h). */
void gvt_capture_allow_traps(struct vgpu *v, bool allow);

#endif
