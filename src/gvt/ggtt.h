/* The GGTT behind BAR0 + 8 MiB: guest RAM when attached, else a daemon-side
 * table fed by trapped stores. Internal to gvt/. */
#ifndef XENGVT_GVT_GGTT_H
#define XENGVT_GVT_GGTT_H

#include <stdint.h>

struct vgpu;

void gvt_ggtt_set(struct vgpu *v, uint32_t idx, uint64_t entry);
int gvt_ggtt_init(struct vgpu *v);
void gvt_ggtt_release(struct vgpu *v);
/* The daemon-side table unmapped (before the GGTT moves into guest RAM). */
void gvt_ggtt_free_table(struct vgpu *v);
void gvt_ggtt_reset(struct vgpu *v);
int gvt_ggtt_read(struct vgpu *v, uint32_t off, unsigned size, uint64_t *val);
/* One load of entry idx (0 past the end). */
uint64_t gvt_ggtt_entry(const struct vgpu *v, uint32_t idx);
int gvt_ggtt_write(struct vgpu *v, uint32_t off, unsigned size, uint64_t val);
/* Graphics address -> guest-physical address; -EFAULT if not present or
 * outside the vGPU's ranges. */
int gvt_ggtt_translate(struct vgpu *v, uint64_t gaddr, uint64_t *gpa);

#endif
