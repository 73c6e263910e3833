/* The vGPU's public data types: its configuration, counters and what an
 * admin asks of it. Types only, no functions: the gvt parts that fill them
 * in use them without depending on vgpu.c (gvt/vgpu.h is its API). */
#ifndef XENGVT_GVT_VGPU_TYPES_H
#define XENGVT_GVT_VGPU_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A vGPU type fixes the guest's slices of graphics memory and fences. */
struct vgpu_type {
    const char *name;
    uint32_t aperture_mb;    /* mappable slice, guest sees [0, this) */
    uint32_t hidden_mb;      /* non-mappable slice after the aperture */
    uint32_t fences;
    uint32_t max_width, max_height;
};

struct vgpu_config {
    uint32_t sbdf;
    const struct vgpu_type *type;
    uint16_t device_id;     /* 0: Skylake GT2 (0x1912) */
    uint16_t subsys_vendor, subsys_id;
    uint8_t revision;
    bool io_bar;            /* BAR4 MMIO index/data I/O window (bare-metal iGPUs have it) */
    uint32_t vgt_id;
    uint32_t aperture_mb;   /* the mappable slice; 0: the type's. Smaller than
                             * the console's framebuffer, it moves i915's fbdev
                             * off the (trapped) aperture onto plain RAM */
    unsigned width, height; /* the monitor's preferred mode; 0: 1920x1080 */
    unsigned cs_slice_dwords; /* command-streamer work between ioreqs; 0: 16384
                               * (a harness that wants short inputs sets less) */
    /* Where the state that changes with every access lives, kept by the
     * caller (a mapping that outlives the daemon); NULL: the vGPU's own.
     * Zero-filled, of vgpu_register_file_size() and
     * vgpu_engines_state_size() bytes. */
    uint32_t *regs_storage;  /* the register file */
    void *engines_storage;   /* the engines' execlist and command-streamer state */
    uint8_t *pcicfg_storage; /* the PCI config space (vgpu_pcicfg_size()) */
};

struct vgpu_stats {
    uint64_t mmio_reads, mmio_writes;
    uint64_t msis, vblanks, irq_events, msi_retries;
    uint64_t ggtt_writes;
    uint64_t ggtt_invalid;     /* present entries naming no guest page */
    uint64_t ggtt_dropped;     /* writes outside the vGPU's slices */
    uint64_t swsci_requests;
    uint64_t resets, gt_resets;
    uint64_t captures, flips;
    uint64_t captures_unchanged; /* captures whose frame was the previous one */
    /* The scanout watch (scanout_watch.h): surface pages captures read,
     * captures that read none, guest stores it trapped. */
    uint64_t capture_pages_read, captures_unread, scanout_write_traps;
    uint64_t aux_transactions;
    uint32_t display_ready;
    uint32_t g2v_last;
    uint64_t bar0, bar2;   /* where the guest put them, or ~0 */
    /* execlists and the command streamer, all engines */
    uint64_t elsp_submissions, ctx_completions, csb_events, engine_errors;
    /* Of the submissions: the running context again with a new tail (a
     * lite restore), and element 0 another context than the engine's last
     * submission named (how often i915 switches contexts: with a nop per
     * batch, its kernel context between every two is the engine parking). */
    uint64_t elsp_lite_restores, elsp_context_switches;
    /* Engines that ran out of work and held the completion event
     * (execlist.c); those the guest's next submission found still held
     * are the lite restores and preemptions above, those that ran out
     * posted the completion (expired). */
    uint64_t ctx_holds, ctx_holds_expired;
    uint64_t cs_dwords, cs_skipped, blits;
    uint64_t ppgtt_walks, ppgtt_tlb_hits, wp_pages, wp_writes;
    uint64_t wp_released; /* table pages the guest unhooked, trapped no more */
    bool msi_enabled;
    /* Trapped accesses by kind (config space is the ioreq layer's count). */
    uint64_t trap_regs, trap_pvinfo, trap_ggtt, trap_aperture;
    /* The GGTT's RAM: in use (stores at memory speed), where, moves. */
    bool ggtt_in_ram;
    uint64_t gsm_gfn, gsm_relocations;
    /* The aperture in RAM: sync points, frames flushed out, frames loaded. */
    bool aperture_in_ram;
    uint64_t aperture_syncs, aperture_out, aperture_in;
};

/* One engine's work as an admin sees it (xengvt top): time it had work
 * (from the submission that woke it to its going idle, the running
 * stretch included), first-level batches it started. */
#define VGPU_ENGINES 4
struct vgpu_engine_stats {
    const char *name; /* i915's: rcs0, bcs0, vcs0, vecs0 */
    uint64_t busy_ns, batches, submissions, completions;
    bool busy;
};

/* Pipe A as the guest set it (size from PIPESRC, refresh from its timings). */
struct vgpu_display_info {
    uint32_t width, height, refresh_hz;
    bool pipe_on, plane_on;
};

/* One MMIO register as an admin asks after it (xengvt reg): who answers
 * for it and what it holds. */
struct vgpu_reg_info {
    uint32_t offset;
    bool tracked;               /* false: plain storage no part owns */
    const char *name;           /* as i915 names it; NULL when untracked */
    const char *owner;          /* the gvt part that added its row */
    const char *override_of;    /* the part whose row it replaced, or NULL */
    const char *override_why;
    uint32_t value;             /* stored; a read hook may answer the guest otherwise */
    uint32_t reset, ro_mask;
    bool masked, cmd_access, w1c, read_only, read_hook, write_hook;
};

/* A register the guest traps on, and how often since the daemon started
 * (xengvt traps). An untracked one is counted with its 4 KiB page. */
struct vgpu_trap_count {
    uint32_t offset;   /* the register's; for an untracked page, the page's */
    const char *name;  /* as i915 names it; NULL for an untracked page */
    uint64_t reads, writes;
};

/* The primary plane's current image as XRGB8888 (0x00RRGGBB), cursor
 * blended; a refused or disabled plane gives a black frame with `blank`
 * set and the reason. 0 or -ENOMEM.
 * `seq` moves exactly when a pixel differs from the previous capture's
 * (whoever asked for it); rows [damage_y0, damage_y1) hold every pixel
 * that differs between frame seq - 1 and frame seq. A consumer that last
 * saw seq - 1 needs only those rows, one that saw seq nothing. */
struct vgpu_frame {
    uint32_t width, height;
    uint32_t *pixels;
    bool blank;
    const char *reason;
    unsigned format, tiling;
    bool rgbx;
    uint64_t seq;
    uint32_t damage_y0, damage_y1;
};

/* A dead daemon's live state: its vgpu_config storage as it left it
 * (any part NULL: not there). */
struct vgpu_live_state {
    const uint32_t *regs;
    const void *engines;
    const uint8_t *pcicfg;
    /* Optional: a bit per 4 KiB page of regs, clear where the page is
     * known to be zero (a hole of the file it was read from); NULL: any
     * page may hold something. Only saves looking. */
    const uint64_t *regs_pages;
};

#endif
