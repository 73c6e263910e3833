/* struct vgpu: the state the gvt parts share, and BAR0's layout.
 *
 * Types and constants only, so no .c file owns this header: a part
 * includes it and the headers of the parts it uses, never vgpu.c's. A part
 * reaches another only through that part's header or a hook in this
 * struct, which keeps the parts free of circles (scripts/include-graph).
 * Internal to gvt/. */
#ifndef XENGVT_GVT_DEVICE_H
#define XENGVT_GVT_DEVICE_H

#include "gvt/vgpu_types.h"
#include "gvt/regs.h"
#include "gvt/engine.h"
#include "gvt/aperture_gpu.h"
#include "gvt/opregion.h"
#include "pci/pcidev.h"

/* BAR0 ("GTTMMIO") layout on gen8+: registers, then the GGTT at 8 MiB. */
#define GVT_BAR0_SIZE (16u << 20)
#define GVT_GGTT_OFFSET (8u << 20)
#define GVT_GGTT_ENTRIES (1u << 20) /* 8 MiB of 8-byte entries: 4 GiB GGTT */
#define GVT_GGTT_PAGES (GVT_GGTT_ENTRIES * 8u / 4096u)
#define GVT_APERTURE_BAR_SIZE (256u << 20)
#define GVT_IO_BAR_SIZE 64u
#define GVT_PAGE_SHIFT 12

struct evt_timer;
struct gvt_ppgtt;
struct ram_range;
struct vgpu;
struct gvt_capture;

/* Each part's own fields: only its file touches them (save and load are
 * the part's too, parts.c), the others ask through its header. */

/* ggtt.c: the GGTT. The guest's own RAM behind BAR0 + 8 MiB once `gsm` is
 * attached (the guest stores at memory speed, we load at use), else a
 * daemon-side table fed by trapped stores. */
struct vgpu_ggtt {
    uint64_t *entries;
    struct ram_range *gsm;
    bool gsm_trapped;          /* the RAM could not be placed: stores trap */
    uint64_t restored_gfn, restored_park; /* from a saved state; 0: none */
    /* Daemon-side table: entries [lo, hi) may be non-zero: a reset clears
     * only them, so an untouched table stays zero pages that cost no memory. */
    uint32_t lo, hi;
};

/* aperture.c, aperture_gpu.c: the aperture in guest RAM, or trapped. */
struct vgpu_aperture {
    struct ram_range *ram;     /* NULL: trapped */
    uint64_t *bound;           /* per slice page: the entry its frame mirrors */
    unsigned long *dirty;      /* Xen's dirty bitmap, per harvest */
    uint32_t bound_count;      /* frames mirroring a present entry */
    bool trapped;              /* the frames could not follow BAR2 */
    bool gpu_wrote;            /* the GPU wrote more than gpu_pfn holds: reload
                                  every clean bound frame at the sync */
    /* The guest pages the GPU wrote since the last sync (pfn + 1, open
     * addressing): the frames bound to them are reloaded there. */
    uint64_t gpu_pfn[APR_GPU_PAGES];
    uint32_t gpu_count;
    bool gpu_hit;              /* the GPU wrote a page bound in the slice */
    bool cpu_may_have_stored;  /* the guest ran since the last harvest */
    uint64_t *pfn_set;         /* pages the slice is bound to (aperture_gpu.c) */
    uint32_t pfn_slots;
    uint64_t restored_gfn, restored_park;
};

/* display.c, plane.c: the pipe's clock and the last frame. */
struct vgpu_display {
    struct evt_timer *vblank_timer;
    unsigned refresh_hz;
    uint64_t frame_epoch_ns;   /* CLOCK_MONOTONIC of a vblank start */
    uint64_t frames_counted;   /* vblanks in PIPE_FRMCOUNT since the epoch */
    bool frames_running;       /* the pipe is on: frames count from the epoch */
    struct gvt_capture *capture; /* the last frame, kept (plane.c) */
    bool flip_pending;
};

/* opregion.c: the OpRegion and its SWSCI doorbell. */
struct vgpu_opreg {
    uint8_t bytes[GVT_OPREGION_SIZE];
    uint64_t gpa;              /* 0: none */
    uint64_t claimed;          /* claimed MMIO base, or PCI_BAR_UNMAPPED */
    uint16_t swsci;            /* last SWSCI value, for 0->1 triggers */
};

/* dp_aux.c, gmbus.c: the virtual monitor behind DP AUX and GMBUS. */
struct vgpu_monitor {
    uint8_t dpcd[0x1000];      /* the monitor's DPCD (0x000-0xfff) */
    uint8_t edid[128];
    uint8_t edid_offset;       /* the DDC pointer, wraps in the block */
    uint8_t custom_edid[128];  /* --edid: served instead of the built-in */
    bool have_custom_edid;
    unsigned gmbus_left;       /* bytes of the current GMBUS read to come */
};

/* irq.c: the interrupt output and MSI delivery. */
struct vgpu_intr {
    bool level;                /* the master interrupt output, for edges */
    /* Set by the display: an interrupt mask the display watches changed
     * (irq.c calls it; display.c is above irq.c, not below). */
    void (*mask_changed)(struct vgpu *v, unsigned block);
    struct evt_timer *retry_timer; /* an MSI Xen refused, tried again */
    bool msi_was_enabled;
};

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
    struct vgpu_ggtt ggtt;
    struct vgpu_aperture apr;
    uint32_t io_index; /* BAR4 MMIO_INDEX */
    struct vgpu_display disp;
    struct vgpu_opreg opreg;
    struct vgpu_monitor mon;
    struct vgpu_intr intr;
    /* GVT_NR_ENGINES: own_engines, or the caller's storage that outlives
     * the daemon (vgpu_config.engines_storage) */
    struct gvt_engine *engines;
    struct gvt_engine own_engines[GVT_NR_ENGINES];
    struct evt_timer *exec_timer; /* runs the command streamer in slices */
    struct evt_timer *hold_timer; /* posts the completions engines hold */
    bool exec_paused;             /* quiesced for a save */
    bool paused;                  /* vgpu_pause: no timers run */
    struct gvt_ppgtt *ppgtt;      /* translation cache + trapped table pages */
    struct vgpu_stats stats;
    /* During a cold reset: the guest was given fresh (zero) RAM, so the
     * GGTT's reset leaves a table in guest RAM alone. */
    bool guest_ram_fresh;
};

#endif
