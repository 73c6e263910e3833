/* PVINFO (struct vgt_if) at BAR0 + 0x78000: how the guest's i915 learns it
 * runs on a GVT-g vGPU. Offsets as i915's i915_pvinfo.h. Internal to gvt/. */
#ifndef XENGVT_GVT_PVINFO_H
#define XENGVT_GVT_PVINFO_H

#include <stdbool.h>
#include <stdint.h>

struct vgpu;

#define VGT_PVINFO_PAGE 0x78000u
#define VGT_PVINFO_SIZE 0x1000u
#define VGT_PVINFO_HOST_SIZE 0x800u /* the host half is read-only */
#define VGT_MAGIC 0x4776544776544776ull
#define VGT_VERSION_MAJOR 1u
#define VGT_VERSION_MINOR 0u
#define VGT_CAPS_FULL_PPGTT (1u << 2)
#define VGT_CAPS_HWSP_EMULATION (1u << 3)
#define VGT_CAPS_HUGE_GTT (1u << 4)
#define vgtif_reg(off) (VGT_PVINFO_PAGE + (off))
#define PVINFO_MAGIC 0x00u
#define PVINFO_VERSION_MAJOR 0x08u
#define PVINFO_VERSION_MINOR 0x0au
#define PVINFO_VGT_ID 0x0cu
#define PVINFO_VGT_CAPS 0x10u
#define PVINFO_MAPPABLE_BASE 0x40u
#define PVINFO_MAPPABLE_SIZE 0x44u
#define PVINFO_NONMAPPABLE_BASE 0x48u
#define PVINFO_NONMAPPABLE_SIZE 0x4cu
#define PVINFO_FENCE_NUM 0x50u
#define PVINFO_DISPLAY_READY 0x804u
#define PVINFO_G2V_NOTIFY 0x818u
#define PVINFO_CURSOR_X_HOT 0x830u
#define PVINFO_CURSOR_Y_HOT 0x834u
#define PVINFO_PDP0_LO 0x838u
#define PVINFO_EXECLIST_DESC_LO 0x858u
#define PVINFO_EXECLIST_DESC_HI 0x85cu

int gvt_pvinfo_init(struct vgpu *v);
void gvt_pvinfo_reset(struct vgpu *v);
/* false for the host half, which the guest only reads. */
bool gvt_pvinfo_write_allowed(uint32_t off);

#endif
