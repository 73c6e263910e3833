/* Skylake GT2 as the guest's i915 probes it: the initial register values
 * GVT-g would copy from a real SKL host (fuses, PLLs, the virtual DP
 * monitor's plumbing), and the behaviours the driver waits on (forcewake
 * acks, reset handshakes, the pcode mailbox, power wells, PLL locks).
 * Register names as in i915; offsets checked against Linux 6.1's
 * i915_reg.h / intel_gt_regs.h unless marked otherwise. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/skl_regs.h"
#include "gvt/engine.h"
#include "gvt/execlist.h"
#include "gvt/irq.h"
#include "gvt/fence.h"
#include "gvt/pvinfo.h"
#include "gvt/ppgtt.h"
#include "common/log.h"

/* --- GT ------------------------------------------------------------------ */
#define FORCEWAKE_ACK_RENDER_GEN9 0x0d84u
#define FORCEWAKE_ACK_MEDIA_GEN9 0x0d88u
#define FORCEWAKE_ACK_BLITTER_GEN9 0x130044u
#define FORCEWAKE_RENDER_GEN9 0xa278u
#define FORCEWAKE_MEDIA_GEN9 0xa270u
#define FORCEWAKE_BLITTER_GEN9 0xa188u
#define GEN6_GDRST 0x941cu
#define GEN6_GRDOM_FULL (1u << 0)
#define GEN8_FUSE2 0x9120u
#define GEN9_EU_DISABLE0 0x9134u
#define GEN6_PCODE_MAILBOX 0x138124u
#define GEN6_PCODE_DATA 0x138128u
#define GEN6_PCODE_DATA1 0x13812cu
#define GEN6_PCODE_READY (1u << 31)
#define GEN6_PCODE_ERROR_MASK 0xffu
#define GEN6_PCODE_READ_RC6VIDS 0x5u
#define GEN9_PCODE_READ_MEM_LATENCY 0x6u
#define SKL_PCODE_CDCLK_CONTROL 0x7u
#define GEN9_PCODE_SAGV_CONTROL 0x21u
#define GEN9_SAGV_DISABLE 0x0u
#define GEN9_SAGV_IS_DISABLED 0x1u
#define SKL_CDCLK_READY_FOR_CHANGE 0x1u
#define GUC_STATUS 0xc000u
#define GS_MIA_IN_RESET (1u << 0)
#define GEN8_RTCR 0x4260u /* TLB invalidation: RCS, M1, M2, BCS, VCS */
#define GEN8_VTCR 0x4270u
#define FPGA_DBG 0x42300u
#define FPGA_DBG_RM_NOCLAIM (1u << 31)
#define INSTPM 0x20c0u

/* Per engine, relative to its base. */
#define RING_HWSTAM 0x98u
#define RING_MI_MODE 0x9cu
#define MODE_IDLE (1u << 9)
#define STOP_RING (1u << 8)
#define RING_IMR 0xa8u
#define RING_RESET_CTL 0xd0u
#define RESET_CTL_REQUEST_RESET (1u << 0)
#define RESET_CTL_READY_TO_RESET (1u << 1)
#define RING_MODE_GEN7 0x29cu
/* The engines' bases, and their execlist rows (ELSP, execlist status,
 * CSB), are execlist.h's and execlist.c's. */

/* --- display --------------------------------------------------------------- */
#define SKL_FUSE_STATUS 0x42000u
#define SKL_FUSE_DOWNLOAD_STATUS (1u << 31)
#define SKL_FUSE_PG_DIST_STATUS(pg) (1u << (27 - (pg)))
#define HSW_PWR_WELL_CTL1 0x45400u
#define HSW_PWR_WELL_CTL4 0x4540cu
#define DBUF_CTL 0x45008u
#define DBUF_POWER_REQUEST (1u << 31)
#define DBUF_POWER_STATE (1u << 30)
#define CDCLK_CTL 0x46000u
#define LCPLL1_CTL 0x46010u
#define LCPLL2_CTL 0x46014u
#define WRPLL_CTL1 0x46040u
#define WRPLL_CTL2 0x46060u
#define LCPLL_PLL_ENABLE (1u << 31)
#define LCPLL_PLL_LOCK (1u << 30)
#define SWF_ILK_18 (0x4f000u + 0x18u * 4)
#define DPLL_CTRL1 0x6c058u
#define DPLL_CTRL2 0x6c05cu
#define DPLL_STATUS 0x6c060u
#define TRANS_DDI_FUNC_CTL_A 0x60400u
#define DDI_BUF_CTL_D 0x64300u
#define DDI_BUF_CTL_ENABLE (1u << 31)
#define DDI_BUF_IS_IDLE (1u << 7)
#define DP_TP_CTL_D 0x64340u
#define DP_TP_STATUS_D 0x64344u
#define SFUSE_STRAP 0xc2014u
#define SFUSE_STRAP_DDID_DETECTED (1u << 0)

static void forcewake_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    (void)val;
    /* The power domain wakes at once: the ack mirrors the request. */
    uint32_t ack = off == FORCEWAKE_RENDER_GEN9 ? FORCEWAKE_ACK_RENDER_GEN9
                 : off == FORCEWAKE_MEDIA_GEN9  ? FORCEWAKE_ACK_MEDIA_GEN9
                                                : FORCEWAKE_ACK_BLITTER_GEN9;
    vreg_set(&v->regs, ack, vreg(&v->regs, off) & 0xffff);
}

/* A full GT reset (GDRST) as GVT-g does it: the engine and GT registers
 * below the interrupt block go back to reset values, fences are released
 * and PVINFO is repopulated; GGTT, display and config space stay. */
static void gdrst_full(struct vgpu *v)
{
    gvt_regs_reset_range(&v->regs, 0, GEN8_MASTER_IRQ);
    gvt_regs_reset_range(&v->regs, FENCE_REG_GEN6_LO(0), FENCE_REG_GEN6_LO(GVT_MAX_FENCES));
    gvt_pvinfo_reset(v);
    gvt_execlist_reset(v, ~0u);
    gvt_ppgtt_reset(v);
    v->stats.gt_resets++;
}

static void gdrst_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    if (val & GEN6_GRDOM_FULL) {
        log_info("guest requested a full GPU reset");
        gdrst_full(v);
    } else {
        uint32_t engines = 0;
        for (unsigned i = 0; i < GVT_NR_ENGINES; i++)
            if (val & gvt_engine_info[i].grdom)
                engines |= 1u << i;
        if (engines) {
            log_info("guest reset engines %#x", engines);
            gvt_execlist_reset(v, engines);
        }
    }
    /* Done at once: the driver polls for the request bits to clear. */
    vreg_set(&v->regs, off, 0);
}

static void reset_ctl_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    (void)val;
    uint32_t now = vreg(&v->regs, off);
    now = (now & RESET_CTL_REQUEST_RESET) ? now | RESET_CTL_READY_TO_RESET
                                          : now & ~RESET_CTL_READY_TO_RESET;
    vreg_set(&v->regs, off, now);
}

static void mi_mode_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    (void)val;
    uint32_t now = vreg(&v->regs, off);
    vreg_set(&v->regs, off, (now & STOP_RING) ? now | MODE_IDLE : now & ~MODE_IDLE);
}

/* MODE_IDLE is the command streamer's state, as on hardware: set while the
 * engine has no context to run, whatever STOP_RING says. i915 waits for it
 * before a reset and in intel_engines_are_idle(); IGT's exit handler
 * wedges the GT when an awake engine does not read idle within 200 ms. */
static uint32_t mi_mode_read(struct vgpu *v, uint32_t off, uint32_t stored)
{
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++) {
        if (off != gvt_engine_info[i].base + RING_MI_MODE)
            continue;
        const struct gvt_engine *e = &v->engines[i];
        /* A held completion (execlist.c) is a drained ring: nothing to
         * parse, so idle for i915's idleness checks. */
        bool idle = (!e->port[0].valid && !e->port[1].valid) || e->held;
        return idle ? stored | MODE_IDLE : stored;
    }
    return stored;
}

/* The pcode mailbox answers what SKL firmware answers i915's probe. */
static void pcode_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    if (!(val & GEN6_PCODE_READY))
        return;
    uint32_t data = vreg(&v->regs, GEN6_PCODE_DATA);
    switch (val & GEN6_PCODE_ERROR_MASK) {
    case GEN9_PCODE_READ_MEM_LATENCY:
        /* Two reads: data 0 for levels 0-3, data 1 for levels 4-7. */
        data = data == 0 ? 0x1e1a1100u : 0x61514b3du;
        break;
    case SKL_PCODE_CDCLK_CONTROL:
        data = SKL_CDCLK_READY_FOR_CHANGE;
        break;
    case GEN6_PCODE_READ_RC6VIDS:
        data |= 1;
        break;
    case GEN9_PCODE_SAGV_CONTROL:
        /* "Disable SAGV" is answered "SAGV is disabled". */
        if (data == GEN9_SAGV_DISABLE)
            data = GEN9_SAGV_IS_DISABLED;
        break;
    default:
        break; /* success, data as written */
    }
    vreg_set(&v->regs, GEN6_PCODE_DATA, data);
    vreg_set(&v->regs, off, val & ~(GEN6_PCODE_READY | GEN6_PCODE_ERROR_MASK));
}

static uint32_t guc_status_read(struct vgpu *v, uint32_t off, uint32_t stored)
{
    /* In reset once, as a GuC-less part reports after power-on. */
    vreg_set(&v->regs, off, stored & ~GS_MIA_IN_RESET);
    return stored;
}

static void self_clearing(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    (void)val;
    vreg_set(&v->regs, off, 0);
}

static void fpga_dbg_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    (void)val;
    vreg_set(&v->regs, off, vreg(&v->regs, off) & ~FPGA_DBG_RM_NOCLAIM);
}

static void power_well_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    /* Request bits are the odd ones; each state bit follows its request. */
    uint32_t req = val & 0xaaaaaaaau;
    vreg_set(&v->regs, off, req | req >> 1);
}

static void dbuf_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    vreg_set(&v->regs, off, (val & DBUF_POWER_REQUEST) ? val | DBUF_POWER_STATE
                                                       : val & ~DBUF_POWER_STATE);
}

static void update_dpll_status(struct vgpu *v)
{
    /* DPLL0..3 are LCPLL1, LCPLL2, WRPLL1, WRPLL2; lock bit 8*id. */
    static const uint32_t ctl[4] = { LCPLL1_CTL, LCPLL2_CTL, WRPLL_CTL1, WRPLL_CTL2 };
    uint32_t status = 0;
    for (unsigned id = 0; id < 4; id++)
        if (vreg(&v->regs, ctl[id]) & LCPLL_PLL_ENABLE)
            status |= 1u << (8 * id);
    vreg_set(&v->regs, DPLL_STATUS, status);
}

static void pll_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    vreg_set(&v->regs, off, (val & LCPLL_PLL_ENABLE) ? val | LCPLL_PLL_LOCK
                                                     : val & ~LCPLL_PLL_LOCK);
    update_dpll_status(v);
}

static void ddi_buf_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    vreg_set(&v->regs, off, (val & DDI_BUF_CTL_ENABLE) ? val & ~DDI_BUF_IS_IDLE
                                                       : val | DDI_BUF_IS_IDLE);
}

static void dp_tp_ctl_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    /* Training pattern 2 "succeeds": the idle-pattern-sent status. */
    if (((val >> 8) & 7) == 2)
        vreg_set(&v->regs, off + 4, vreg(&v->regs, off + 4) | (1u << 25));
}

/* The engine rows skl_regs owns, named with their engine ("RING_MI_MODE(rcs0)"). */
#define ENGINE_ROWS(base, eng)                                                  \
    { (base) + RING_HWSTAM, 0, 0xffffffffu, 0, NULL, NULL,                     \
      "RING_HWSTAM(" eng ")" },                                                 \
    { (base) + RING_IMR, REG_CMD_ACCESS, 0xffffffffu, 0, NULL, NULL,            \
      "RING_IMR(" eng ")" },                                                    \
    { (base) + RING_MI_MODE, REG_MASKED | REG_CMD_ACCESS, MODE_IDLE, MODE_IDLE,  \
      mi_mode_read, mi_mode_written, "RING_MI_MODE(" eng ")" },                 \
    { (base) + RING_RESET_CTL, REG_MASKED, 0, RESET_CTL_READY_TO_RESET, NULL,   \
      reset_ctl_written, "RING_RESET_CTL(" eng ")" },                           \
    { (base) + RING_MODE_GEN7, REG_MASKED | REG_CMD_ACCESS, 0, 0, NULL, NULL,   \
      "RING_MODE_GEN7(" eng ")" }

/* A register with only a reset value and flags. */
#define PLAIN(off, flags, reset, name) { off, flags, reset, 0, NULL, NULL, name }
/* One whose writes run `hook`. */
#define HOOKED(off, flags, reset, hook, name) { off, flags, reset, 0, NULL, hook, name }

static const struct gvt_reg skl_rows[] = {
    /* forcewake */
    HOOKED(FORCEWAKE_RENDER_GEN9, REG_MASKED, 0, forcewake_written, "FORCEWAKE_RENDER_GEN9"),
    HOOKED(FORCEWAKE_MEDIA_GEN9, REG_MASKED, 0, forcewake_written, "FORCEWAKE_MEDIA_GEN9"),
    HOOKED(FORCEWAKE_BLITTER_GEN9, REG_MASKED, 0, forcewake_written, "FORCEWAKE_BLITTER_GEN9"),
    PLAIN(FORCEWAKE_ACK_RENDER_GEN9, REG_RO, 0, "FORCEWAKE_ACK_RENDER_GEN9"),
    PLAIN(FORCEWAKE_ACK_MEDIA_GEN9, REG_RO, 0, "FORCEWAKE_ACK_MEDIA_GEN9"),
    PLAIN(FORCEWAKE_ACK_BLITTER_GEN9, REG_RO, 0, "FORCEWAKE_ACK_BLITTER_GEN9"),
    /* resets, pcode, GuC, TLBs, unclaimed-access debug */
    HOOKED(GEN6_GDRST, 0, 0, gdrst_written, "GEN6_GDRST"),
    HOOKED(GEN6_PCODE_MAILBOX, 0, 0, pcode_written, "GEN6_PCODE_MAILBOX"),
    { GUC_STATUS, 0, GS_MIA_IN_RESET, 0, guc_status_read, NULL, "GUC_STATUS" },
    HOOKED(GEN8_RTCR, 0, 0, self_clearing, "GEN8_RTCR"),
    HOOKED(GEN8_RTCR + 4, 0, 0, self_clearing, "GEN8_M1TCR"),
    HOOKED(GEN8_RTCR + 8, 0, 0, self_clearing, "GEN8_M2TCR"),
    HOOKED(GEN8_RTCR + 12, 0, 0, self_clearing, "GEN8_BTCR"),
    HOOKED(GEN8_VTCR, 0, 0, self_clearing, "GEN8_VTCR"),
    HOOKED(FPGA_DBG, 0, 0, fpga_dbg_written, "FPGA_DBG"),
    PLAIN(INSTPM, REG_MASKED | REG_CMD_ACCESS, 0, "INSTPM"),
    /* Memory controller (MCHBAR mirror): two channels of one 8 GB
     * single-rank x8 DDR4 DIMM each, for the driver's DRAM probe. */
    PLAIN(0x145000, REG_RO, 0, "SKL_MAD_INTER_CHANNEL"), /* DDR4 */
    PLAIN(0x14500c, REG_RO, 8, "SKL_MAD_DIMM_CH0"),
    PLAIN(0x145010, REG_RO, 8, "SKL_MAD_DIMM_CH1"),
    /* one slice, subslices 0-2, 24 EUs: GT2 */
    PLAIN(GEN8_FUSE2, REG_RO, 1u << 25 | 0x8u << 20, "GEN8_FUSE2"),
    PLAIN(GEN9_EU_DISABLE0, REG_RO, 0, "GEN9_EU_DISABLE0"),
    ENGINE_ROWS(RENDER_RING_BASE, "rcs0"),
    ENGINE_ROWS(BLT_RING_BASE, "bcs0"),
    ENGINE_ROWS(GEN6_BSD_RING_BASE, "vcs0"),
    ENGINE_ROWS(VEBOX_RING_BASE, "vecs0"),
    /* display power and clocks */
    PLAIN(SKL_FUSE_STATUS, REG_RO,
          SKL_FUSE_DOWNLOAD_STATUS | SKL_FUSE_PG_DIST_STATUS(0) | SKL_FUSE_PG_DIST_STATUS(1) |
              SKL_FUSE_PG_DIST_STATUS(2),
          "SKL_FUSE_STATUS"),
    HOOKED(HSW_PWR_WELL_CTL1, 0, 0, power_well_written, "HSW_PWR_WELL_CTL1"),
    HOOKED(HSW_PWR_WELL_CTL1 + 4, 0, 0, power_well_written, "HSW_PWR_WELL_CTL2"),
    HOOKED(HSW_PWR_WELL_CTL1 + 8, 0, 0, power_well_written, "HSW_PWR_WELL_CTL3"),
    HOOKED(HSW_PWR_WELL_CTL4, 0, 0, power_well_written, "HSW_PWR_WELL_CTL4"),
    HOOKED(DBUF_CTL, 0, DBUF_POWER_REQUEST | DBUF_POWER_STATE, dbuf_written, "DBUF_CTL"),
    /* 450 MHz cdclk from an 8100 MHz VCO, and the BIOS mark that says
     * it was set up (so i915 keeps it). */
    PLAIN(CDCLK_CTL, 0, 0x382u, "CDCLK_CTL"),
    PLAIN(SWF_ILK_18, 0, 0x1u, "SWF_ILK(0x18)"),
    HOOKED(LCPLL1_CTL, 0, LCPLL_PLL_ENABLE | LCPLL_PLL_LOCK, pll_written, "LCPLL1_CTL"),
    HOOKED(LCPLL2_CTL, 0, 0, pll_written, "LCPLL2_CTL"),
    HOOKED(WRPLL_CTL1, 0, 0, pll_written, "WRPLL_CTL1"),
    HOOKED(WRPLL_CTL2, 0, 0, pll_written, "WRPLL_CTL2"),
    /* DPLL0 overridden to a 1620 MHz DP link; port D clocked from it. */
    PLAIN(DPLL_CTRL1, 0, 0x1u | 3u << 1, "DPLL_CTRL1"),
    PLAIN(DPLL_CTRL2, 0, 0xb8000u | 1u << 9, "DPLL_CTRL2"),
    PLAIN(DPLL_STATUS, REG_RO, 1u << 0, "DPLL_STATUS"),
    /* Pipe A already driving the monitor's preferred mode, 1920x1080@60
     * (CEA 148.5 MHz timings) over a 4-lane 1.62 Gb/s link, so that the
     * driver's hardware-state readout finds a consistent mode. */
    PLAIN(0x60000, 0, 2199u << 16 | 1919, "TRANS_HTOTAL_A"),
    PLAIN(0x60004, 0, 2199u << 16 | 1919, "TRANS_HBLANK_A"),
    PLAIN(0x60008, 0, 2051u << 16 | 2007, "TRANS_HSYNC_A"),
    PLAIN(0x6000c, 0, 1124u << 16 | 1079, "TRANS_VTOTAL_A"),
    PLAIN(0x60010, 0, 1124u << 16 | 1079, "TRANS_VBLANK_A"),
    PLAIN(0x60014, 0, 1088u << 16 | 1083, "TRANS_VSYNC_A"),
    PLAIN(0x6001c, 0, 1919u << 16 | 1079, "PIPESRC_A"),
    /* data M/N = 148.5 MHz * 24 bpp / (4 lanes * 1.62 Gb/s), TU 64;
     * link M/N = 148.5 MHz / 162 MHz */
    PLAIN(0x60030, 0, 63u << 25 | 0x58000u, "PIPE_DATA_M1_A"),
    PLAIN(0x60034, 0, 0x80000u, "PIPE_DATA_N1_A"),
    PLAIN(0x60040, 0, 480597u, "PIPE_LINK_M1_A"),
    PLAIN(0x60044, 0, 0x80000u, "PIPE_LINK_N1_A"),
    /* transcoder A on DDI D, DP SST, 8 bpc, 4 lanes, enabled */
    PLAIN(TRANS_DDI_FUNC_CTL_A, 0, 1u << 31 | 3u << 28 | 2u << 24 | 3u << 1,
          "TRANS_DDI_FUNC_CTL_A"),
    HOOKED(DDI_BUF_CTL_D, 0, DDI_BUF_CTL_ENABLE, ddi_buf_written, "DDI_BUF_CTL_D"),
    HOOKED(DP_TP_CTL_D, 0, 0, dp_tp_ctl_written, "DP_TP_CTL_D"),
    PLAIN(SFUSE_STRAP, REG_RO, SFUSE_STRAP_DDID_DETECTED, "SFUSE_STRAP"),
    /* PSR's interrupt pair: masked at reset, IIR acknowledged by writing
     * ones (i915 clears it so and then checks it reads zero). */
    PLAIN(0x64834, 0, 0xffffffffu, "EDP_PSR_IMR"),
    PLAIN(0x64838, REG_W1C, 0, "EDP_PSR_IIR"),
    /* The south display engine's ISR: the monitor on port D is plugged in
     * from reset. The rest of the SDE interrupt block is irq.c's. */
    PLAIN(SDEISR, REG_RO, SDE_PORTD_HOTPLUG_CPT, "SDEISR"),
};

int gvt_skl_regs_init(struct vgpu *v)
{
    return gvt_regs_add(&v->regs, "skl_regs", skl_rows, sizeof(skl_rows) / sizeof(skl_rows[0]));
}
