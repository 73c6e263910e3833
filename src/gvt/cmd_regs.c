/* Which registers a command may load (MI_LOAD_REGISTER_IMM/MEM/REG).
 *
 * Two sets, as the hardware and GVT-g's parser draw them: registers an
 * unprivileged (PPGTT) batch may load -- the ones Skylake leaves open to
 * user batches and those i915 whitelists for its userspace -- and the
 * wider set the kernel's ring and GGTT batches may load: context state the
 * driver programs by command (context workarounds, MOCS, page-directory
 * pointers, power-clock state). Everything else -- interrupts, display,
 * GGTT, fences, resets, forcewake, PVINFO -- only the guest's CPU may
 * write, through MMIO, where the vGPU checks it. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/cmd_regs.h"
#include "gvt/engine.h"

#include <stdlib.h>

struct reg_span {
    uint32_t start, end; /* inclusive, dword aligned */
    bool user;           /* also from unprivileged batches */
};

/* Sorted by start; spans do not overlap. */
static const struct reg_span spans[] = {
    { 0x02070, 0x0208c, false },   /* RCS page-directory pointers (legacy 32-bit) */
    { 0x020c8, 0x020c8, false },   /* R_PWR_CLK_STATE: slice/subslice/EU config */
    { 0x020d4, 0x020d4, false },   /* GEN9_CSFE_CHICKEN1_RCS */
    { 0x020e0, 0x020e0, false },   /* GEN7_FF_SLICE_CS_CHICKEN1 */
    { 0x020ec, 0x020ec, true },    /* GEN9_CS_DEBUG_MODE1 (i915 whitelist) */
    { 0x02244, 0x02244, false },   /* RCS context control */
    { 0x02248, 0x02248, true },    /* GEN8_CS_CTX_PREEMPT (i915 whitelist) */
    { 0x02270, 0x0228c, false },   /* RCS PDPs */
    { 0x02400, 0x0241c, true },    /* MI_PREDICATE source/data/result */
    { 0x02420, 0x02444, true },    /* 3DPRIM_* indirect draw parameters */
    { 0x02500, 0x02508, true },    /* GPGPU_DISPATCHDIM X/Y/Z */
    { 0x02580, 0x02580, true },    /* GEN8_CS_CHICKEN1 (i915 whitelist, ctx wa) */
    { 0x02600, 0x0267c, true },    /* CS general purpose registers */
    { 0x05200, 0x0523c, true },    /* streamout statistics */
    { 0x05280, 0x0528c, true },    /* SO_WRITE_OFFSET 0-3 */
    { 0x07000, 0x07004, true },    /* CACHE_MODE_0/1 (ctx wa; user state too) */
    { 0x07008, 0x07008, false },   /* GT_MODE (IZ hashing) */
    { 0x07014, 0x07014, false },   /* COMMON_SLICE_CHICKEN2 (ctx wa) */
    { 0x07300, 0x07300, false },   /* HDC_CHICKEN0 (ctx wa) */
    { 0x07304, 0x07304, true },    /* GEN8_HDC_CHICKEN1 (i915 whitelist) */
    { 0x0b020, 0x0b05c, false },   /* L3 control MOCS (LNCFCMOCS) */
    { 0x0c800, 0x0ccfc, false },   /* per-engine MOCS tables */
    { 0x0e180, 0x0e188, false },   /* HALF_SLICE_CHICKEN2/3/5 (ctx wa) */
    { 0x0e18c, 0x0e18c, true },    /* GEN9_SAMPLER_MODE (i915 whitelist) */
    { 0x0e194, 0x0e194, false },   /* GEN9_HALF_SLICE_CHICKEN7 (ctx wa) */
    { 0x0e4f0, 0x0e4f0, false },   /* GEN8_ROW_CHICKEN (ctx wa) */
    { 0x12270, 0x1228c, false },   /* VCS PDPs */
    { 0x1a270, 0x1a28c, false },   /* VECS PDPs */
    { 0x22270, 0x2228c, false },   /* BCS PDPs */
};

static int cmp(const void *key, const void *elem)
{
    uint32_t off = *(const uint32_t *)key;
    const struct reg_span *s = elem;
    return off < s->start ? -1 : off > s->end ? 1 : 0;
}

/* The chicken and cache-mode registers are masked on hardware (the upper
 * half enables writes to the lower): loading them by command or MMIO
 * must behave so, or the guest reads back what it never set. */
#define MASKED(off, name) { off, REG_MASKED | REG_CMD_ACCESS, 0, 0, NULL, NULL, name }
static const struct gvt_reg masked_rows[] = {
    MASKED(0x20d4, "GEN9_CSFE_CHICKEN1_RCS"),
    MASKED(0x20e0, "GEN7_FF_SLICE_CS_CHICKEN1"),
    MASKED(0x20ec, "GEN9_CS_DEBUG_MODE1"),
    MASKED(0x2248, "GEN8_CS_CTX_PREEMPT"),
    MASKED(0x2580, "GEN8_CS_CHICKEN1"),
    MASKED(0x7000, "CACHE_MODE_0_GEN7"),
    MASKED(0x7004, "CACHE_MODE_1"),
    MASKED(0x7008, "GEN7_GT_MODE"),
    MASKED(0x7014, "GEN7_COMMON_SLICE_CHICKEN2"),
    MASKED(0x7300, "HDC_CHICKEN0"),
    MASKED(0x7304, "GEN8_HDC_CHICKEN1"),
    MASKED(0xe180, "HALF_SLICE_CHICKEN2"),
    MASKED(0xe184, "HALF_SLICE_CHICKEN3"),
    MASKED(0xe188, "GEN9_HALF_SLICE_CHICKEN5"),
    MASKED(0xe18c, "GEN9_SAMPLER_MODE"),
    MASKED(0xe194, "GEN9_HALF_SLICE_CHICKEN7"),
    MASKED(0xe4f0, "GEN8_ROW_CHICKEN"),
};

int gvt_cmd_regs_init(struct vgpu *v)
{
    return gvt_regs_add(&v->regs, "cmd_regs", masked_rows,
                        sizeof(masked_rows) / sizeof(masked_rows[0]));
}

bool gvt_cmd_reg_loadable(struct vgpu *v, uint32_t off, bool privileged)
{
    if (off >= GVT_MMIO_SIZE || (off & 3))
        return false;
    const struct reg_span *s =
        bsearch(&off, spans, sizeof(spans) / sizeof(spans[0]), sizeof(spans[0]), cmp);
    if (s)
        return privileged || s->user;
    /* Rows of the register file marked for command access (engine mode
     * and interrupt-mask registers the driver sets from its ring). */
    const struct gvt_reg *row = gvt_regs_lookup(&v->regs, off);
    return privileged && row && (row->flags & REG_CMD_ACCESS);
}
