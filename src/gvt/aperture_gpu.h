/* What the aperture (aperture.c) knows of the GPU's pages: the set of pages
 * the slice is bound to and the set the GPU wrote since the last sync.
 * Data only; the syncs they call for are aperture.c's. Internal to gvt/. */
#ifndef XENGVT_GVT_APERTURE_GPU_H
#define XENGVT_GVT_APERTURE_GPU_H

#include <stdbool.h>
#include <stdint.h>

struct vgpu;

/* Pages the GPU may write between two aperture syncs and still be tracked
 * one by one (a breadcrumb, CSB and context writes, a blit's rows). */
#define APR_GPU_PAGES 1024u

int gvt_aperture_gpu_init(struct vgpu *v, uint32_t pages);
void gvt_aperture_gpu_release(struct vgpu *v);
void gvt_aperture_bound_changed(struct vgpu *v, uint32_t pages);
/* Is guest page `gpa` bound in the slice (and the slice in RAM)? */
bool gvt_aperture_gpu_bound(const struct vgpu *v, uint64_t gpa);
void gvt_aperture_gpu_begin(struct vgpu *v);
void gvt_aperture_gpu_wrote(struct vgpu *v, uint64_t gpa);
bool gvt_aperture_gpu_wrote_page(const struct vgpu *v, uint64_t entry);
void gvt_aperture_gpu_forget(struct vgpu *v);

#endif
