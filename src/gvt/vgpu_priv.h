/* The vGPU's state, shared by the files of gvt/ only. */
#ifndef XENGVT_GVT_VGPU_PRIV_H
#define XENGVT_GVT_VGPU_PRIV_H

#include "gvt/vgpu.h"
#include "gvt/regs.h"
#include "pci/pcidev.h"
#include "gvt/execlist.h"

/* BAR0 ("GTTMMIO") layout on gen8+: registers, then the GGTT at 8 MiB. */
#define GVT_BAR0_SIZE (16u << 20)
#define GVT_GGTT_OFFSET (8u << 20)
#define GVT_GGTT_ENTRIES (1u << 20) /* 8 MiB of 8-byte entries: 4 GiB GGTT */
#define GVT_GGTT_PAGES (GVT_GGTT_ENTRIES * 8u / 4096u)
#define GVT_APERTURE_BAR_SIZE (256u << 20)
#define GVT_IO_BAR_SIZE 64u
#define GVT_PAGE_SHIFT 12
/* Pages the GPU may write between two aperture syncs and still be tracked
 * one by one (a breadcrumb, CSB and context writes, a blit's rows). */
#define APR_GPU_PAGES 1024u

/* PVINFO (struct vgt_if) at BAR0 + 0x78000. */
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

#define GVT_OPREGION_SIZE 0x2000u
#define PCI_ASLS 0xfcu
#define PCI_SWSCI 0xe8u

/* Fences: 16 x 64-bit at 0x100000, the guest owns the first fence_num. */
#define FENCE_REG_GEN6_LO(i) (0x100000u + 8u * (i))
#define GVT_MAX_FENCES 16u

struct evt_timer;
struct gvt_ppgtt;
struct ram_range;

struct vgpu {
    struct vgpu_config cfg;
    const struct vgpu_type *type;
    uint32_t mappable_mb;      /* the guest's aperture slice [0, this) */
    uint8_t *cfg_at_creation;  /* config space as created, for a cold reset */
    struct ioreq_server *srv;
    struct evt_irq *irq;
    struct gmem *gm;
    struct evt_loop *loop;
    struct pci_func pci;
    bool pci_claimed;
    struct gvt_regs regs;
    /* The GGTT: the guest's own RAM behind BAR0 + 8 MiB once `gsm` is
     * attached (the guest stores at memory speed, we load at use), else a
     * daemon-side table fed by trapped stores. */
    uint64_t *ggtt;
    struct ram_range *gsm;
    bool gsm_trapped;          /* the RAM could not be placed: stores trap */
    uint64_t restored_gsm_gfn, restored_gsm_park; /* from a saved state; 0: none */
    /* The aperture in guest RAM (aperture.c), or NULL: trapped. */
    struct ram_range *apr;
    uint64_t *apr_bound;       /* per slice page: the entry its frame mirrors */
    unsigned long *apr_dirty;  /* Xen's dirty bitmap, per harvest */
    uint32_t apr_bound_count;  /* frames mirroring a present entry */
    bool apr_trapped;          /* the frames could not follow BAR2 */
    bool apr_gpu_wrote;        /* the GPU wrote more than apr_gpu_pfn holds: reload
                                  every clean bound frame at the sync */
    /* The guest pages the GPU wrote since the last sync (pfn + 1, open
     * addressing): the frames bound to them are reloaded there. */
    uint64_t apr_gpu_pfn[APR_GPU_PAGES];
    uint32_t apr_gpu_count;
    bool apr_gpu_hit;             /* the GPU wrote a page bound in the slice */
    bool apr_cpu_may_have_stored; /* the guest ran since the last harvest */
    uint64_t *apr_pfn_set;        /* pages the slice is bound to (aperture_gpu.c) */
    uint32_t apr_pfn_slots;
    uint64_t restored_apr_gfn, restored_apr_park;
    /* Daemon-side table: entries [lo, hi) may be non-zero: a reset clears
     * only them, so an untouched table stays zero pages that cost no memory. */
    uint32_t ggtt_lo, ggtt_hi;
    uint32_t io_index; /* BAR4 MMIO_INDEX */
    struct evt_timer *vblank_timer;
    unsigned refresh_hz;
    uint64_t frame_epoch_ns;   /* CLOCK_MONOTONIC of a vblank start */
    uint64_t frames_counted;   /* vblanks in PIPE_FRMCOUNT since the epoch */
    bool frames_running;       /* the pipe is on: frames count from the epoch */
    struct gvt_capture *capture; /* the last frame, kept (plane.c) */
    bool flip_pending;
    uint8_t opregion[GVT_OPREGION_SIZE];
    uint64_t opregion_gpa;     /* 0: none */
    uint64_t opregion_claimed; /* claimed MMIO base, or PCI_BAR_UNMAPPED */
    uint16_t swsci;            /* last SWSCI value, for 0->1 triggers */
    uint8_t dpcd[0x1000];      /* the monitor's DPCD (0x000-0xfff) */
    uint8_t edid[128];
    uint8_t edid_offset;       /* the DDC pointer, wraps in the block */
    uint8_t custom_edid[128];  /* --edid: served instead of the built-in */
    bool have_custom_edid;
    unsigned gmbus_left;       /* bytes of the current GMBUS read to come */
    bool irq_level;            /* the master interrupt output, for edges */
    struct evt_timer *irq_retry_timer; /* an MSI Xen refused, tried again */
    bool msi_was_enabled;
    /* GVT_NR_ENGINES: own_engines, or the caller's storage that outlives
     * the daemon (vgpu_config.engines_storage) */
    struct gvt_engine *engines;
    struct gvt_engine own_engines[GVT_NR_ENGINES];
    struct evt_timer *exec_timer; /* runs the command streamer in slices */
    bool exec_paused;             /* quiesced for a save */
    bool paused;                  /* vgpu_pause: no timers run */
    struct gvt_ppgtt *ppgtt;      /* translation cache + trapped table pages */
    struct vgpu_stats stats;
};

/* opregion.c */
void gvt_opregion_build(uint8_t *buf);
void gvt_opregion_asls_written(struct vgpu *v, uint32_t asls);
void gvt_opregion_swsci_written(struct vgpu *v, uint16_t old, uint16_t val);
void gvt_opregion_release(struct vgpu *v);
/* After a restore: the OpRegion at `gpa`, served from the MMIO hole or not. */
void gvt_opregion_restore(struct vgpu *v, uint64_t gpa, bool served);

/* edid.c, dp_aux.c: the virtual DP monitor on port D */
void gvt_edid_build(uint8_t out[128], unsigned width, unsigned height);
int gvt_dp_aux_init(struct vgpu *v);
int gvt_gmbus_init(struct vgpu *v);
void gvt_dp_reset(struct vgpu *v);

/* vgpu.c */
void gvt_gdrst_full(struct vgpu *v);

/* skl_regs.c: Skylake GT2 initial values and probe behaviours. Added
 * after the interrupt tree so its rows (e.g. SDEISR's value) win. */
int gvt_skl_regs_init(struct vgpu *v);

/* fence.c */
int gvt_fence_init(struct vgpu *v);

/* irq.c: the gen8 interrupt tree. */
enum gvt_irq_block {
    IRQ_GT0, IRQ_GT1, IRQ_GT2, IRQ_GT3,
    IRQ_PIPE_A, IRQ_PIPE_B, IRQ_PIPE_C,
    IRQ_DE_PORT, IRQ_DE_MISC, IRQ_PCU, IRQ_PCH,
    IRQ_BLOCKS
};
#define GEN8_MASTER_IRQ 0x44200u
#define GEN8_MASTER_IRQ_CONTROL (1u << 31)
#define GEN8_GT_ISR(n) (0x44300u + 0x10u * (n))
#define GEN8_DE_PIPE_ISR(p) (0x44400u + 0x10u * (p))
#define GEN8_DE_PORT_ISR 0x44440u
#define GEN8_DE_MISC_ISR 0x44460u
#define GEN8_PCU_ISR 0x444e0u
#define SDEISR 0xc4000u
#define SDE_PORTD_HOTPLUG_CPT (1u << 23) /* the monitor on port D */
#define GEN8_PIPE_VBLANK (1u << 0)
int gvt_irq_init(struct vgpu *v);
void gvt_irq_release(struct vgpu *v);
/* An event: sets IIR (if unmasked) and re-evaluates the MSI/INTx line. */
void gvt_irq_raise(struct vgpu *v, enum gvt_irq_block block, uint32_t bit);
void gvt_irq_update(struct vgpu *v);
uint32_t gvt_irq_master_summary(struct vgpu *v);

/* pvinfo.c */
int gvt_pvinfo_init(struct vgpu *v);
void gvt_pvinfo_reset(struct vgpu *v);
bool gvt_pvinfo_write_allowed(uint32_t off);

/* display.c */
#define TRANSCONF_A 0x70008u
#define TRANSCONF_ENABLE (1u << 31)
#define TRANSCONF_STATE (1u << 30)
#define PIPE_FRMCOUNT_A 0x70040u
#define PLANE_CTL_1_A 0x70180u      /* decoded by plane.c */
#define PLANE_SURFLIVE_1_A 0x701acu /* what is scanned out now */
int gvt_display_init(struct vgpu *v);
void gvt_display_release(struct vgpu *v);
void gvt_display_reset(struct vgpu *v);
/* After a restore: timers follow the restored registers. */
void gvt_display_resync(struct vgpu *v);
/* The same after the registers were replaced by a dead daemon's (adoption):
 * a surface armed but not latched is a flip still to complete. */
void gvt_display_follow(struct vgpu *v);

/* aperture.c: the aperture in guest RAM, kept coherent at sync points. */
int gvt_aperture_init(struct vgpu *v);
void gvt_aperture_release(struct vgpu *v);
void gvt_aperture_sync(struct vgpu *v);
void gvt_capture_release(struct vgpu *v);
/* Pipe A's interrupt mask changed: the vblank timer runs only while the
 * guest can see a vblank (display.c). */
void gvt_display_watch(struct vgpu *v);
/* aperture_gpu.c: where the GPU meets the RAM-backed aperture. A run of
 * the command streamer is bracketed by begin/end; every page it reads or
 * writes is reported (gfxmem.c): a read of a page bound in the slice syncs
 * the CPU's aperture stores out first, a write makes the run's end sync its
 * frames. */
int gvt_aperture_gpu_init(struct vgpu *v, uint32_t pages);
void gvt_aperture_gpu_release(struct vgpu *v);
void gvt_aperture_bound_changed(struct vgpu *v, uint32_t pages);
void gvt_aperture_gpu_begin(struct vgpu *v);
void gvt_aperture_gpu_end(struct vgpu *v);
void gvt_aperture_gpu_read(struct vgpu *v, uint64_t gpa);
void gvt_aperture_gpu_wrote(struct vgpu *v, uint64_t gpa);
bool gvt_aperture_gpu_wrote_page(const struct vgpu *v, uint64_t entry);
void gvt_aperture_gpu_forget(struct vgpu *v);
void gvt_aperture_follow_bar2(struct vgpu *v);
/* As attached: frames parked and zero, bound to nothing. */
void gvt_aperture_cold_reset(struct vgpu *v);
#define GVT_RCS_RING_HEAD 0x2034u /* i915's posting read after GTT writes */

/* ggtt.c */
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
