/* The parts of the vGPU, each behind one interface, listed once (parts.c)
 * in the order they start: vgpu.c starts, resets and releases them by
 * walking the list, and knows none of them by name. Internal to gvt/. */
#ifndef XENGVT_GVT_PARTS_H
#define XENGVT_GVT_PARTS_H

#include <stddef.h>
#include <stdint.h>

struct vgpu;
struct state_buf;
struct state_reader;

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
    /* Its state section in a save file (NULL: none of its own yet;
     * vgpu_state.c saves it). */
    void (*save)(struct vgpu *v, struct state_buf *b);
    int (*load)(struct vgpu *v, const uint8_t *data, size_t len, unsigned version);
};

/* NULL-terminated, in start order; order matters: a part's register
 * rows may override (by name, with a reason) only rows added before. */
extern const struct gvt_part *const gvt_parts[];

#endif
