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

#include "gvt/vgpu_types.h"

const struct vgpu_type *vgpu_type_find(const char *name);
/* NULL-terminated list, for --help and error messages. */
const struct vgpu_type *const *vgpu_types(void);

void vgpu_get_engine_stats(const struct vgpu *v, unsigned engine, struct vgpu_engine_stats *out);
void vgpu_get_display(const struct vgpu *v, struct vgpu_display_info *out);
/* By offset in BAR0's register file: -EINVAL when not dword aligned,
 * -ERANGE beyond the register file. Reads no hook (some have effects). */
int vgpu_describe_reg(const struct vgpu *v, uint32_t offset, struct vgpu_reg_info *out);
/* By name, case-insensitive: -ENOENT when no register has it. */
int vgpu_describe_reg_named(const struct vgpu *v, const char *name, struct vgpu_reg_info *out);
/* The registers (and untracked pages) the guest trapped on most, busiest
 * first, at most `max`: how many were written to `out`. */
unsigned vgpu_top_traps(const struct vgpu *v, struct vgpu_trap_count *out, unsigned max);

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

/* The primary plane's current image (struct vgpu_frame). */
/* pixels malloc'd (width*height): the caller frees it. */
int vgpu_capture(struct vgpu *v, struct vgpu_frame *f);
/* pixels are the vGPU's, valid until its next capture or destruction:
 * for consumers that look and let go (no copy). */
int vgpu_capture_view(struct vgpu *v, struct vgpu_frame *f);
/* Whether the surface's pages are write-protected between captures now
 * (the scanout watch: an unchanged capture reads none of them). */
bool vgpu_scanout_watched(const struct vgpu *v);

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
/* A live migration copies the guest's memory (Xen's global log-dirty
 * mode): the vGPU traps no guest page meanwhile, as Xen requires. */
void vgpu_set_migrating(struct vgpu *v, bool migrating);
/* Quiesce (no vblanks, no command execution) or resume. */
void vgpu_pause(struct vgpu *v, bool paused);

/* The virtual monitor: plug or unplug it (a hotplug event for the guest),
 * or serve a given EDID (128 bytes, header and checksum checked). */
void vgpu_set_monitor(struct vgpu *v, bool connected);
int vgpu_set_edid(struct vgpu *v, const uint8_t *edid, size_t len);
/* The 128 bytes the guest reads over DDC/AUX now. */
void vgpu_get_edid(const struct vgpu *v, uint8_t out[128]);

#endif
