/* The vGPUs' sections of a save file (savefile.h): "vgpuN.spec", the
 * entry vGPU N was created with, and "vgpuN.state", its xengvtd's state.
 * xl-vgpu, xengvt-vgpu and the qemu-dm wrapper all carry them; here they
 * are written once and read once, with one set of checks: a save file
 * may be a hostile guest's (its daemon wrote the state), so what comes
 * back is checked before any daemon is started from it. */
#ifndef XENGVT_TOOLS_COMMON_VGPU_SECTIONS_H
#define XENGVT_TOOLS_COMMON_VGPU_SECTIONS_H

#include <stddef.h>

#include "tools/common/savefile.h"
#include "tools/common/vgpu_entry.h"

/* Tags hold a one-digit index; two sections per vGPU leave room in a file
 * for the launchers' own sections. */
_Static_assert(VGPU_CFG_MAX <= 10 && 2 * VGPU_CFG_MAX + 6 <= SAVEFILE_MAX_SECTIONS,
               "vGPU sections: one-digit tags, room for the others");

/* Longest entry a spec section may hold (an xl.cfg vgpu entry is far
 * shorter), its NUL excluded. */
#define VGPU_SECTION_SPEC_MAX 511

/* Asks each of `count` daemons (control sockets socks[i]) for its state
 * and appends vGPU i's two sections: specs[i] and the daemon's state. The
 * sections own their bytes (savefile_free frees them). 0, or -1 with what
 * failed in msg; sf then holds only what it held before. */
int vgpu_sections_save(struct savefile *sf, unsigned count, const char *const socks[],
                       const char *const specs[], char *msg, size_t cap);

/* The vGPUs `sf` carries: vgpu0.. up to the first index with neither
 * section. Each has both, a spec that is one line of text no longer than
 * VGPU_SECTION_SPEC_MAX and a non-empty state, and nothing lies beyond.
 * The count, or -1 with why. */
int vgpu_sections_count(const struct savefile *sf, char *why, size_t cap);

/* vGPU i's spec, NUL-terminated into spec (VGPU_SECTION_SPEC_MAX + 1
 * bytes), and its state section. Only after vgpu_sections_count said i is
 * there. */
const struct savefile_section *vgpu_sections_get(const struct savefile *sf, unsigned i,
                                                 char spec[VGPU_SECTION_SPEC_MAX + 1]);

/* Writes vGPU i's state where `xengvtd --restore FILE` reads it (whole or
 * not at all, 0600). 0, or -1 with why. */
int vgpu_sections_stage(const struct savefile *sf, unsigned i, const char *file, char *why,
                        size_t cap);

#endif
