/* The virtual DP monitor on port D: its AUX channel and DPCD. Internal to
 * gvt/. */
#ifndef XENGVT_GVT_DP_AUX_H
#define XENGVT_GVT_DP_AUX_H

struct vgpu;

int gvt_dp_aux_init(struct vgpu *v);
void gvt_dp_reset(struct vgpu *v);

struct state_buf;
struct stateblob_section;
void gvt_dp_save(struct vgpu *v, struct state_buf *b);
int gvt_dp_check(const struct stateblob_section *s, const char **why);
void gvt_dp_load(struct vgpu *v, const struct stateblob_section *s);

#endif
