/* Fence registers: 16 64-bit registers at 0x100000 on gen6+. The guest owns
 * the first fence_num (PVINFO); the rest are another vGPU's on a shared host
 * and read as zero here, writes dropped. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/fence.h"
#include "common/log.h"

static uint32_t fence_read(struct vgpu *v, uint32_t off, uint32_t stored)
{
    uint32_t idx = (off - FENCE_REG_GEN6_LO(0)) / 8;
    return idx < v->type->fences ? stored : 0;
}

static void fence_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    uint32_t idx = (off - FENCE_REG_GEN6_LO(0)) / 8;
    if (idx < v->type->fences)
        return;
    vreg_set(&v->regs, off, old);
    log_guest("write %#x to fence %u beyond the vGPU's %u dropped", val, idx,
              v->type->fences);
}

#define FENCE_ROWS(i)                                                          \
    { FENCE_REG_GEN6_LO(i), 0, 0, 0, fence_read, fence_written,                \
      "FENCE_REG_GEN6_LO(" #i ")" },                                           \
    { FENCE_REG_GEN6_LO(i) + 4, 0, 0, 0, fence_read, fence_written,            \
      "FENCE_REG_GEN6_HI(" #i ")" }

static const struct gvt_reg fence_rows[] = {
    FENCE_ROWS(0), FENCE_ROWS(1), FENCE_ROWS(2), FENCE_ROWS(3),
    FENCE_ROWS(4), FENCE_ROWS(5), FENCE_ROWS(6), FENCE_ROWS(7),
    FENCE_ROWS(8), FENCE_ROWS(9), FENCE_ROWS(10), FENCE_ROWS(11),
    FENCE_ROWS(12), FENCE_ROWS(13), FENCE_ROWS(14), FENCE_ROWS(15),
};

int gvt_fence_init(struct vgpu *v)
{
    return gvt_regs_add(&v->regs, "fence", fence_rows, sizeof(fence_rows) / sizeof(fence_rows[0]));
}
