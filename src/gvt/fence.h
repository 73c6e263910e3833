/* Fence registers: 16 x 64-bit at 0x100000 (gen6+); the guest owns the
 * first fence_num (PVINFO). Internal to gvt/. */
#ifndef XENGVT_GVT_FENCE_H
#define XENGVT_GVT_FENCE_H

struct vgpu;

#define FENCE_REG_GEN6_LO(i) (0x100000u + 8u * (i))
#define FENCE_REG_GEN6_HI(i) (0x100004u + 8u * (i))
#define GVT_MAX_FENCES 16u

int gvt_fence_init(struct vgpu *v);

#endif
