/* Execlist submission on the vGPU's four engines (gen9): ELSP writes, the
 * two-element port, context images read through the GGTT, CSB events in the
 * registers and the guest's HWSP, and the runner that gives the command
 * streamer its slices. Internal to gvt/. */
#ifndef XENGVT_GVT_EXECLIST_H
#define XENGVT_GVT_EXECLIST_H

#include <stdbool.h>
#include <stdint.h>

struct vgpu;

int gvt_execlist_init(struct vgpu *v);
void gvt_execlist_release(struct vgpu *v);
void gvt_execlist_reset(struct vgpu *v, uint32_t engine_mask);
/* After a restart from a checkpoint: the guest's HWSP (its memory, which
 * outlived the dead daemon) holds the newest context-status events the
 * dead daemon wrote; take them, so the CSB pointer never goes backwards
 * under the guest's feet ("invalid CSB event" in i915). */
void gvt_execlist_follow_guest_csb(struct vgpu *v);
/* Stop or restart the runner (quiesce for save; resume). */
void gvt_execlist_pause(struct vgpu *v, bool paused);

struct state_buf;
struct stateblob_section;
void gvt_execlist_save(struct vgpu *v, struct state_buf *b);
int gvt_execlist_check(const struct stateblob_section *s, const char **why);
void gvt_execlist_load(struct vgpu *v, const struct stateblob_section *s);

#endif
