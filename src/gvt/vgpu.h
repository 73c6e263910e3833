/* The vGPU: one emulated Intel GVT-g guest interface, served to one guest. */
#ifndef XENGVT_GVT_VGPU_H
#define XENGVT_GVT_VGPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ioreq_server;
struct evt_irq;
struct evt_loop;
struct gmem;
struct vgpu;

/* A vGPU type fixes the guest's slices of graphics memory and fences. */
struct vgpu_type {
    const char *name;
    uint32_t aperture_mb;    /* mappable slice, guest sees [0, this) */
    uint32_t hidden_mb;      /* non-mappable slice after the aperture */
    uint32_t fences;
    uint32_t max_width, max_height;
};

const struct vgpu_type *vgpu_type_find(const char *name);
/* NULL-terminated list, for --help and error messages. */
const struct vgpu_type *const *vgpu_types(void);

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
    uint64_t aux_transactions;
    uint32_t display_ready;
    uint32_t g2v_last;
    uint64_t bar0, bar2;   /* where the guest put them, or ~0 */
    /* execlists and the command streamer, all engines */
    uint64_t elsp_submissions, ctx_completions, csb_events, engine_errors;
    uint64_t cs_dwords, cs_skipped, blits;
    uint64_t ppgtt_walks, ppgtt_tlb_hits, wp_pages, wp_writes;
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
void vgpu_get_engine_stats(const struct vgpu *v, unsigned engine, struct vgpu_engine_stats *out);
/* Pipe A as the guest set it (size from PIPESRC, refresh from its timings). */
struct vgpu_display_info {
    uint32_t width, height, refresh_hz;
    bool pipe_on, plane_on;
};
void vgpu_get_display(const struct vgpu *v, struct vgpu_display_info *out);
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
/* By offset in BAR0's register file: -EINVAL when not dword aligned,
 * -ERANGE beyond the register file. Reads no hook (some have effects). */
int vgpu_describe_reg(const struct vgpu *v, uint32_t offset, struct vgpu_reg_info *out);
/* By name, case-insensitive: -ENOENT when no register has it. */
int vgpu_describe_reg_named(const struct vgpu *v, const char *name, struct vgpu_reg_info *out);

int vgpu_create(const struct vgpu_config *cfg, struct ioreq_server *srv,
                struct evt_irq *irq, struct gmem *gm, struct evt_loop *loop,
                struct vgpu **out);
void vgpu_destroy(struct vgpu *v);

/* The GGTT in guest RAM (see ramrange.h): `gsm` holds vgpu_gsm_pages()
 * frames; the vGPU takes it over, claims only BAR0's register half and
 * keeps the frames at BAR0 + 8 MiB as the guest moves BAR0. Entries are
 * read when used, never trusted before. */
struct ram_range;
int vgpu_attach_gsm(struct vgpu *v, struct ram_range *gsm);
size_t vgpu_gsm_pages(void);
/* Bytes of the register file (vgpu_config.regs_storage) and of the
 * engines' state (vgpu_config.engines_storage; this build's layout). */
size_t vgpu_register_file_size(void);
size_t vgpu_engines_state_size(void);
size_t vgpu_pcicfg_size(void);
/* The aperture in guest RAM (aperture.c): `apr` holds
 * vgpu_aperture_pages() frames, the vGPU's aperture slice, placed at BAR2.
 * `restored`: the frames came with a restored guest's memory. */
int vgpu_attach_aperture(struct vgpu *v, struct ram_range *apr, bool restored);
size_t vgpu_aperture_pages(const struct vgpu *v);
bool vgpu_aperture_restored_at(const struct vgpu *v, uint64_t *gfn, uint64_t *park);
/* After vgpu_restore: where the saved guest had the GGTT's RAM (first
 * frame, parking place). false: the state had a daemon-side GGTT. */
bool vgpu_gsm_restored_at(const struct vgpu *v, uint64_t *gfn, uint64_t *park);
void vgpu_get_stats(const struct vgpu *v, struct vgpu_stats *out);
/* Back to the state at creation (GGTT, registers, PVINFO, display), as a
 * device-level reset does; config space keeps the BARs the firmware set. */
void vgpu_reset(struct vgpu *v);
/* As at creation: config space too (BARs unplaced, decode off), the
 * built-in EDID, counters zero. For harnesses that reuse one vGPU for many
 * guests' worth of input. The GGTT and aperture in guest RAM (attached
 * ranges) go back to their parking place but keep their bytes: they are
 * the guest's memory, and the harness gives the next guest fresh frames
 * as Xen gives a new domain (the fuzz hypervisor punches them). */
void vgpu_cold_reset(struct vgpu *v);

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
/* pixels malloc'd (width*height): the caller frees it. */
int vgpu_capture(struct vgpu *v, struct vgpu_frame *f);
/* pixels are the vGPU's, valid until its next capture or destruction:
 * for consumers that look and let go (no copy). */
int vgpu_capture_view(struct vgpu *v, struct vgpu_frame *f);

/* Device state for save/restore/migration: the whole vGPU as a versioned,
 * checksummed blob (common/stateblob.h). Restore checks all of it before
 * applying any; on refusal *why says why and the vGPU is unchanged. The
 * restoring vGPU must have the same type, PCI address and device id. */
int vgpu_save(struct vgpu *v, uint8_t **blob, size_t *len);
int vgpu_restore(struct vgpu *v, const uint8_t *blob, size_t len, const char **why);
/* The same checks without a vGPU: whether a blob would restore into one
 * configured so (before anything touches the domain). */
int vgpu_state_check(const struct vgpu_config *cfg, const uint8_t *blob, size_t len,
                     const char **why);
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
/* Restored from a checkpoint into the guest it was taken from (a dead
 * daemon's successor): take what happened after the checkpoint from where
 * it outlived the dead daemon. `live` (or NULL) is its storage as it died:
 * the vGPU takes the registers, the config space when it is this device's,
 * and the engines when they pass the checks a checkpoint's do; what
 * derives from them follows (BAR claims, a flip the guest armed, the
 * vblank timer, the engines' runner). Without live engines the
 * context-status events come from guest memory. Then anything pending and
 * enabled interrupts the guest: an MSI the dead daemon may have sent is
 * cheaper sent twice than never. */
void vgpu_follow_guest(struct vgpu *v, const struct vgpu_live_state *live);
/* Quiesce (no vblanks, no command execution) or resume. */
void vgpu_pause(struct vgpu *v, bool paused);

/* The virtual monitor: plug or unplug it (a hotplug event for the guest),
 * or serve a given EDID (128 bytes, header and checksum checked). */
void vgpu_set_monitor(struct vgpu *v, bool connected);
int vgpu_set_edid(struct vgpu *v, const uint8_t *edid, size_t len);
/* The 128 bytes the guest reads over DDC/AUX now. */
void vgpu_get_edid(const struct vgpu *v, uint8_t out[128]);

#endif
