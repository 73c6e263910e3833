#include "config.h"
#include "gvt/regs.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int gvt_regs_init(struct gvt_regs *r, uint32_t *storage)
{
    memset(r, 0, sizeof(*r));
    r->external = storage != NULL;
    r->mem = storage ? storage : calloc(GVT_MMIO_SIZE / 4, sizeof(uint32_t));
    r->index = calloc(GVT_MMIO_SIZE / 4, sizeof(uint16_t));
    if (!r->mem || !r->index) {
        gvt_regs_release(r);
        return -ENOMEM;
    }
    return 0; /* zero-filled: nothing touched */
}

void gvt_regs_release(struct gvt_regs *r)
{
    if (!r->external)
        free(r->mem);
    free(r->index);
    free(r->table);
    memset(r, 0, sizeof(*r));
}

static int grow_table(struct gvt_regs *r)
{
    unsigned cap = r->capacity ? r->capacity * 2 : 256;
    if (cap > UINT16_MAX)
        return -ENOSPC;
    struct gvt_reg_entry *t = realloc(r->table, cap * sizeof(*t));
    if (!t)
        return -ENOMEM;
    r->table = t;
    r->capacity = cap;
    return 0;
}

static int add_row(struct gvt_regs *r, const char *owner, const struct gvt_reg *row)
{
    uint32_t off = row->offset;
    if ((off & 3) || off >= GVT_MMIO_SIZE || !row->name || !row->name[0]) {
        log_error("register row %#x (%s) of %s: not a dword offset in BAR0, or no name",
                  off, row->name ? row->name : "unnamed", owner);
        return -EINVAL;
    }
    uint16_t idx = r->index[off >> 2];
    if (idx) {
        struct gvt_reg_entry *e = &r->table[idx - 1];
        if (!row->overrides) {
            log_error("register %#x: %s adds %s, but %s already added %s; a part that "
                      "replaces another's row must say why (gvt_reg.overrides)",
                      off, owner, row->name, e->owner, e->row->name);
            return -EEXIST;
        }
        /* In place: the entry keeps its index, the row and owner change. */
        e->replaced_owner = e->owner;
        e->row = row;
        e->owner = owner;
        return 0;
    }
    if (row->overrides) {
        log_error("register %#x: %s's %s overrides a row nobody added (%s); the parts "
                  "started in another order", off, owner, row->name, row->overrides);
        return -ENOENT;
    }
    if (r->count == r->capacity) {
        int rc = grow_table(r);
        if (rc < 0)
            return rc;
    }
    r->table[r->count++] = (struct gvt_reg_entry){ .row = row, .owner = owner };
    r->index[off >> 2] = (uint16_t)r->count;
    return 0;
}

int gvt_regs_add(struct gvt_regs *r, const char *owner, const struct gvt_reg *rows,
                 unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        int rc = add_row(r, owner, &rows[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void gvt_regs_reset(struct gvt_regs *r)
{
    gvt_regs_reset_range(r, 0, GVT_MMIO_SIZE);
}

void gvt_regs_reset_range(struct gvt_regs *r, uint32_t start, uint32_t end)
{
    if (end > GVT_MMIO_SIZE)
        end = GVT_MMIO_SIZE;
    if (start >= end)
        return;
    /* Only pages something stored to can hold non-zero dwords: the others
     * need not be zeroed (nor made resident). A page wholly in the range
     * is untouched after, until a reset value lands in it. */
    for (uint32_t page = start >> 12; page <= (end - 1) >> 12; page++) {
        if (!gvt_regs_page_touched(r, page))
            continue;
        uint32_t lo = page << 12 > start ? page << 12 : start;
        uint32_t hi = (page + 1) << 12 < end ? (page + 1) << 12 : end;
        memset(&r->mem[lo >> 2], 0, hi - lo);
        if (lo == page << 12 && hi == (page + 1) << 12)
            r->touched[page >> 6] &= ~(1ull << (page & 63));
    }
    for (unsigned i = 0; i < r->count; i++) {
        const struct gvt_reg *row = r->table[i].row;
        if (row->offset >= start && row->offset < end && row->reset)
            vreg_set(r, row->offset, row->reset);
    }
}

void gvt_regs_load_image(struct gvt_regs *r, const void *image, const uint64_t *maybe_pages)
{
    /* A page at a time: most of the 512 pages are zero in both and stay
     * unwritten (a dword-by-dword copy and scan cost a restore and a
     * successor, and the fuzzer, 512 Ki compares and every page faulted
     * in; a --live-state mapping is not faulted in whole). */
    static const uint32_t zero_page[1024];
    for (uint32_t page = 0; page < GVT_MMIO_SIZE / 4096; page++) {
        const uint8_t *from = (const uint8_t *)image + page * 4096; /* any alignment */
        uint32_t *to = r->mem + page * 1024;
        bool had = gvt_regs_page_touched(r, page);
        bool maybe = !maybe_pages || (maybe_pages[page >> 6] >> (page & 63) & 1);
        r->touched[page >> 6] &= ~(1ull << (page & 63));
        if (maybe && memcmp(from, zero_page, sizeof(zero_page)) != 0) {
            memcpy(to, from, sizeof(zero_page));
            gvt_regs_touch(r, page * 4096);
        } else if (had) {
            memset(to, 0, sizeof(zero_page));
        }
    }
}

const struct gvt_reg_entry *gvt_regs_entry(const struct gvt_regs *r, uint32_t off)
{
    uint16_t idx = r->index[off >> 2];
    return idx ? &r->table[idx - 1] : NULL;
}

const struct gvt_reg *gvt_regs_lookup(const struct gvt_regs *r, uint32_t off)
{
    uint16_t idx = r->index[off >> 2];
    return idx ? r->table[idx - 1].row : NULL;
}

/* A linear scan: an admin's question, a few hundred rows, never the
 * guest's path. */
const struct gvt_reg_entry *gvt_regs_find_name(const struct gvt_regs *r, const char *name)
{
    for (unsigned i = 0; i < r->count; i++)
        if (strcasecmp(r->table[i].row->name, name) == 0)
            return &r->table[i];
    return NULL;
}

uint32_t gvt_regs_read32(struct vgpu *v, struct gvt_regs *r, uint32_t off)
{
    const struct gvt_reg *reg = gvt_regs_lookup(r, off);
    uint32_t stored = r->mem[off >> 2];
    if (reg && reg->read)
        return reg->read(v, off, stored);
    return stored;
}

void gvt_regs_write32(struct vgpu *v, struct gvt_regs *r, uint32_t off, uint32_t val)
{
    const struct gvt_reg *reg = gvt_regs_lookup(r, off);
    uint32_t old = r->mem[off >> 2];
    if (!reg) {
        vreg_set(r, off, val);
        return;
    }
    if (reg->flags & REG_RO)
        return;
    uint32_t next = val;
    if (reg->flags & REG_MASKED) {
        uint32_t enable = val >> 16;
        next = (old & 0xffff0000u) | (((old & ~enable) | (val & enable)) & 0xffffu);
    } else if (reg->flags & REG_W1C) {
        next = old & ~val;
    }
    next = (old & reg->ro_mask) | (next & ~reg->ro_mask);
    vreg_set(r, off, next);
    if (reg->write)
        reg->write(v, off, old, val);
}
