/* GMBUS: the monitor's EDID over DDC, as i915 reads it. Internal to gvt/. */
#ifndef XENGVT_GVT_GMBUS_H
#define XENGVT_GVT_GMBUS_H

struct vgpu;

int gvt_gmbus_init(struct vgpu *v);
void gvt_gmbus_reset(struct vgpu *v);

struct state_buf;
struct stateblob_section;
void gvt_gmbus_save(struct vgpu *v, struct state_buf *b);
int gvt_gmbus_check(const struct stateblob_section *s, const char **why);
void gvt_gmbus_load(struct vgpu *v, const struct stateblob_section *s);

#endif
