/* The parts of the vGPU, each behind one interface, listed once (parts.c)
 * in the order they start: vgpu.c starts, resets and releases them by
 * walking the list, and knows none of them by name. Internal to gvt/. */
#ifndef XENGVT_GVT_PARTS_H
#define XENGVT_GVT_PARTS_H

#include <stddef.h>
#include <stdint.h>

struct vgpu;
struct state_buf;
struct stateblob_section;

struct gvt_part {
    const char *name;        /* as its register rows' owner ("irq", ...) */
    /* Adds its register rows, allocates, arms timers: 0 or -errno. After
     * the register file exists, before config space is set up. */
    int (*init)(struct vgpu *v);
    /* A device-level reset, after the register file went back to its
     * reset values; in list order. */
    void (*reset)(struct vgpu *v);
    /* Frees what init took; in reverse list order, also after an init
     * that failed part-way (each copes with what it never set up). */
    void (*release)(struct vgpu *v);
    /* Its section of a device-state file (common/stateblob.h), tagged
     * state_tag, version state_version; NULL save: nothing of its own.
     * check sees only the section (vgpu_state_check has no vGPU) and says
     * why it is refused; load runs only after every section passed, after
     * config space, registers and the GGTT are in, in list order, and
     * cannot fail. A part with a new layout bumps its version and keeps
     * reading the old one. */
    const char *state_tag;
    unsigned state_version;
    void (*save)(struct vgpu *v, struct state_buf *b);
    int (*check)(const struct stateblob_section *s, const char **why);
    void (*load)(struct vgpu *v, const struct stateblob_section *s);
};

/* Parts in gvt_parts, at most (vgpu_state.c keeps one section each). */
#define GVT_MAX_PARTS 32

/* NULL-terminated, in start order; order matters: a part's register
 * rows may override (by name, with a reason) only rows added before. */
extern const struct gvt_part *const gvt_parts[];

#endif
