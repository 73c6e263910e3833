/* Pipe A, its primary plane and the vblank clock: the registers i915
 * programs for a mode and a flip. Internal to gvt/. */
#ifndef XENGVT_GVT_DISPLAY_H
#define XENGVT_GVT_DISPLAY_H

struct vgpu;

/* i915's older name is PIPECONF(PIPE_A), its newer TRANSCONF(TRANSCODER_A):
 * the pipe's enable and its state. */
#define TRANSCONF_A 0x70008u
#define TRANSCONF_ENABLE (1u << 31)
#define TRANSCONF_STATE (1u << 30)
#define PIPESRC_A 0x6001cu
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

struct state_buf;
struct stateblob_section;
void gvt_display_save(struct vgpu *v, struct state_buf *b);
int gvt_display_check(const struct stateblob_section *s, const char **why);
void gvt_display_load(struct vgpu *v, const struct stateblob_section *s);

#endif
