/* What the tests/unit/test_gvt_<part>.c share: the harness's in-process
 * vGPU (tests/harness/vgpu_dev.h), driven as a guest drives it, through
 * BAR0 ioreqs, and the set-up of an engine as i915 leaves it before its
 * first submission. */
#ifndef XENGVT_TESTS_UNIT_GVT_UNIT_H
#define XENGVT_TESTS_UNIT_GVT_UNIT_H

#include <stdint.h>
#include <string.h>

#include "vgpu_dev.h"
#include "gvt/vgpu.h"

/* A register dword, read or written as the guest's CPU does: an MMIO
 * ioreq at BAR0 + off, through the ioreq server and the io registry. */
static inline uint32_t reg_rd(struct fuzz_dev *d, uint32_t off)
{
    return (uint32_t)fuzz_mmio(d, FUZZ_BAR0 + off, 4, 0, 0);
}

static inline void reg_wr(struct fuzz_dev *d, uint32_t off, uint32_t val)
{
    fuzz_mmio(d, FUZZ_BAR0 + off, 4, 1, val);
}

static inline uint64_t vgpu_stat_msis(struct fuzz_dev *d)
{
    struct vgpu_stats vs;
    vgpu_get_stats(d->vgpu, &vs);
    return vs.msis;
}

/* A vGPU with its BARs placed and MSI on, as after the guest's probe. */
static inline void gvt_unit_start(struct fuzz_dev *d)
{
    fuzz_dev_start(d, NULL);
    fuzz_place_bars(d);
}

/* Graphics memory for the engine tests: graphics address g is guest-physical
 * GGTT_GPA + g for the first GGTT_PAGES pages. */
#define GGTT_GPA 0x100000u
#define GGTT_PAGES 256u
#define RCS_BASE 0x2000u
#define HWSP_GA 0x0u
#define CTX_GA 0x10000u
#define RING_GA 0x20000u
#define RING_BYTES 0x4000u
#define FREE_GA 0x40000u

static inline uint32_t *gfx_at(uint32_t ga)
{
    return (uint32_t *)(fx.ram + GGTT_GPA + ga);
}

/* An engine as i915 sets it up: the GT interrupts unmasked and enabled,
 * its status page, execlist mode, master interrupt on. */
static inline void engine_setup(struct fuzz_dev *d, uint32_t base)
{
    fuzz_map_ggtt(d, GGTT_GPA, GGTT_PAGES);
    reg_wr(d, 0x44304, 0);      /* GEN8_GT_IMR(0): rcs and bcs */
    reg_wr(d, 0x4430c, ~0u);    /* GEN8_GT_IER(0) */
    reg_wr(d, base + 0x80, HWSP_GA);        /* RING_HWS_PGA */
    reg_wr(d, base + 0x29c, 0x80008000u);   /* RING_MODE_GEN7: execlists */
    reg_wr(d, 0x44200, 0x80000000u);        /* GEN8_MASTER_IRQ: enable */
}

/* A context whose ring holds `n` dwords of `cmds` (a whole number of
 * qwords), its PPGTT rooted (4-level) at guest-physical PPGTT_PML4,
 * submitted through the engine's ELSP as i915 does: element 1 (none),
 * then element 0, high dword before low. */
#define PPGTT_PML4 (GGTT_GPA + FREE_GA)
static inline void engine_submit(struct fuzz_dev *d, uint32_t base, const uint32_t *cmds,
                                 unsigned n)
{
    memset(gfx_at(CTX_GA), 0, 8192);
    memcpy(gfx_at(RING_GA), cmds, 4 * n);
    const uint64_t pdp[4] = { PPGTT_PML4, 0, 0, 0 };
    fuzz_ctx_image(gfx_at(CTX_GA + 4096), base, 0, 4 * n, RING_GA, RING_BYTES, pdp);
    uint64_t desc = (uint64_t)0x11 << 32 | CTX_GA | 3u << 3 | 1u << 8 | 1u;
    reg_wr(d, base + 0x230, 0);
    reg_wr(d, base + 0x230, 0);
    reg_wr(d, base + 0x230, (uint32_t)(desc >> 32));
    reg_wr(d, base + 0x230, (uint32_t)desc);
}

static inline void rcs_setup(struct fuzz_dev *d) { engine_setup(d, RCS_BASE); }
static inline void rcs_submit(struct fuzz_dev *d, const uint32_t *cmds, unsigned n)
{
    engine_submit(d, RCS_BASE, cmds, n);
}

/* The context's PPGTT: virtual [0, 2 MiB) onto guest-physical PPGTT_DATA
 * and on, one 4-level walk (PML4, PDP, PD, PT after PPGTT_PML4). */
#define PPGTT_DATA (GGTT_GPA + 0x80000u)
static inline void ppgtt_map_low(void)
{
    uint64_t *pml4 = (uint64_t *)(fx.ram + PPGTT_PML4);
    uint64_t *pdp = pml4 + 512, *pd = pml4 + 1024, *pt = pml4 + 1536;
    memset(pml4, 0, 4 * 4096);
    pml4[0] = (PPGTT_PML4 + 0x1000) | 3;
    pdp[0] = (PPGTT_PML4 + 0x2000) | 3;
    pd[0] = (PPGTT_PML4 + 0x3000) | 3;
    for (unsigned i = 0; i < 512; i++)
        pt[i] = (PPGTT_DATA + 4096ull * i) | 3;
}

#endif
