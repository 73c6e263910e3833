/* The vGPU's MMIO register file: 2 MiB of dword storage with a table of
 * tracked registers (flags, read-only masks, hooks). Untracked offsets are
 * plain read/write storage. Internal to gvt/.
 *
 * Every tracked register has one owner: the part (a gvt/ file) that added
 * its row. A second row for the same offset is refused, so which part
 * answers for a register never depends on the order the parts start in;
 * a part that must replace another's row says so, and why (overrides). */
#ifndef XENGVT_GVT_REGS_H
#define XENGVT_GVT_REGS_H

#include <stdbool.h>
#include <stdint.h>

#define GVT_MMIO_SIZE (2u << 20)

struct vgpu;

enum gvt_reg_flags {
    REG_MASKED = 1u << 0,     /* upper 16 bits enable writes to the lower 16 */
    REG_CMD_ACCESS = 1u << 1, /* MI_LOAD_REGISTER_IMM may write it */
    REG_W1C = 1u << 2,        /* writing 1 clears (IIR) */
    REG_RO = 1u << 3,         /* guest writes ignored entirely */
};

/* Hooks see the vGPU and the register's offset. A write hook runs after
 * the stored value was updated by the generic rules and may adjust it. */
typedef uint32_t (*gvt_reg_read_fn)(struct vgpu *v, uint32_t off, uint32_t stored);
typedef void (*gvt_reg_write_fn)(struct vgpu *v, uint32_t off, uint32_t old,
                                 uint32_t val);

struct gvt_reg {
    uint32_t offset;
    uint32_t flags;
    uint32_t reset;
    uint32_t ro_mask; /* bits guest writes cannot change */
    gvt_reg_read_fn read;
    gvt_reg_write_fn write;
    /* As i915 names it; a per-engine row names its engine, as in
     * "RING_ELSP(rcs0)". `xengvt reg NAME` finds the row by it. */
    const char *name;
    /* NULL, or why this row replaces the row another part added for the
     * same offset before it. Such a row is refused when it replaces
     * nothing: its part would then depend on an init order that changed. */
    const char *overrides;
};

/* A tracked register: its row and the part that added it. */
struct gvt_reg_entry {
    const struct gvt_reg *row;
    const char *owner;          /* "execlist", "display", "irq", ... */
    const char *replaced_owner; /* the part whose row `row` overrides, or NULL */
    uint64_t reads, writes;     /* the guest's trapped accesses (xengvt traps) */
};

struct gvt_regs {
    uint32_t *mem;      /* GVT_MMIO_SIZE bytes, the vreg storage */
    bool external;      /* mem is the caller's (a shared mapping), not freed */
    uint16_t *index;    /* per dword: 0 untracked, else table index + 1 */
    struct gvt_reg_entry *table;
    unsigned count, capacity;
    /* The 4 KiB pages of mem that may hold a non-zero dword (every store
     * sets its page's bit): a reset zeroes and a save reads only those,
     * some 20 of 512. */
    uint64_t touched[GVT_MMIO_SIZE / 4096 / 64];
    /* The guest's trapped accesses to storage no row tracks, per 4 KiB
     * page: which untracked registers a guest keeps touching, at page
     * grain (a counter per dword would be 4 MiB). */
    uint64_t untracked_reads[GVT_MMIO_SIZE / 4096], untracked_writes[GVT_MMIO_SIZE / 4096];
};

/* `storage`: GVT_MMIO_SIZE zero-filled bytes the caller keeps (the daemon's
 * --live-state mapping, which outlives it); NULL: allocated here. */
int gvt_regs_init(struct gvt_regs *r, uint32_t *storage);
void gvt_regs_release(struct gvt_regs *r);
/* Add the rows (a table of `n`, which must outlive `r`) of part `owner`.
 * -EINVAL for a misplaced offset or a row without a name, -EEXIST for an
 * offset another row holds (unless the row overrides it), -ENOENT for an
 * override of nothing; each is logged with both rows' names and owners.
 * On error the rows before the bad one stay: the caller gives up on the
 * register file (vgpu_create fails). */
int gvt_regs_add(struct gvt_regs *r, const char *owner, const struct gvt_reg *rows,
                 unsigned n);
/* Storage back to every row's reset value (untracked storage to zero). */
void gvt_regs_reset(struct gvt_regs *r);
/* The same for [start, end) only. */
void gvt_regs_reset_range(struct gvt_regs *r, uint32_t start, uint32_t end);
/* The whole register file replaced by `image` (GVT_MMIO_SIZE bytes: a
 * saved state's raw file, a dead daemon's live one). `maybe_pages`: NULL,
 * or a bit per 4 KiB page, clear where the image's page is known to be
 * zero. No hook runs; what derives from registers is the caller's. */
void gvt_regs_load_image(struct gvt_regs *r, const void *image, const uint64_t *maybe_pages);
const struct gvt_reg *gvt_regs_lookup(const struct gvt_regs *r, uint32_t off);
/* The entry of the register at `off`, or NULL for untracked storage. */
const struct gvt_reg_entry *gvt_regs_entry(const struct gvt_regs *r, uint32_t off);
/* The entry whose row is named `name` (case-insensitive), or NULL. */
const struct gvt_reg_entry *gvt_regs_find_name(const struct gvt_regs *r, const char *name);

/* A guest dword access at a 4-aligned offset < GVT_MMIO_SIZE. */
uint32_t gvt_regs_read32(struct vgpu *v, struct gvt_regs *r, uint32_t off);
void gvt_regs_write32(struct vgpu *v, struct gvt_regs *r, uint32_t off, uint32_t val);

/* One trapped guest access at `off` (< GVT_MMIO_SIZE), for xengvt traps:
 * what a guest's trap rate is made of. Not counted for the command
 * streamer's register loads, which cost no trap. */
static inline void gvt_regs_count_trap(struct gvt_regs *r, uint32_t off, bool write)
{
    uint16_t idx = r->index[off >> 2];
    if (idx)
        ++*(write ? &r->table[idx - 1].writes : &r->table[idx - 1].reads);
    else
        ++*(write ? &r->untracked_writes[off >> 12] : &r->untracked_reads[off >> 12]);
}

static inline void gvt_regs_touch(struct gvt_regs *r, uint32_t off)
{
    r->touched[off >> 18] |= 1ull << ((off >> 12) & 63);
}
static inline bool gvt_regs_page_touched(const struct gvt_regs *r, uint32_t page)
{
    return r->touched[page >> 6] >> (page & 63) & 1;
}
static inline uint32_t vreg(const struct gvt_regs *r, uint32_t off)
{
    return r->mem[off >> 2];
}
static inline void vreg_set(struct gvt_regs *r, uint32_t off, uint32_t val)
{
    r->mem[off >> 2] = val;
    gvt_regs_touch(r, off);
}

#endif
