/* The guest's per-process GTTs (PPGTT): walks of its page tables, a
 * translation cache, and the table pages write-protected while cached.
 * Internal to gvt/. */
#ifndef XENGVT_GVT_PPGTT_H
#define XENGVT_GVT_PPGTT_H

#include <stdbool.h>
#include <stdint.h>

struct vgpu;

/* A context's PPGTT root, from its image. */
struct gvt_ppgtt_root {
    bool four_level;
    uint64_t pdp[4]; /* four_level: pdp[0] is the PML4's guest-physical address */
};

int gvt_ppgtt_init(struct vgpu *v);
void gvt_ppgtt_release(struct vgpu *v);
/* Forget every cached translation and stop trapping page-table pages. */
void gvt_ppgtt_reset(struct vgpu *v);
int gvt_ppgtt_translate(struct vgpu *v, const struct gvt_ppgtt_root *root, uint64_t va,
                        uint64_t *gpa);
/* false: no write-protected page table (all released), no cached
 * translation, until allowed again (for Xen's global log-dirty mode). */
void gvt_ppgtt_allow_traps(struct vgpu *v, bool allow);
void gvt_ppgtt_g2v(struct vgpu *v, uint32_t msg);

#endif
