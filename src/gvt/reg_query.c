/* The register file as an admin sees it (xengvt reg): a register's name,
 * owning part, value and rules, by offset or by name; and which registers
 * the guest traps on (xengvt traps). Never on the guest's path. */
#include "config.h"
#include "gvt/vgpu.h"
#include "gvt/device.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static void describe(const struct vgpu *v, uint32_t off, const struct gvt_reg_entry *e,
                     struct vgpu_reg_info *out)
{
    memset(out, 0, sizeof(*out));
    out->offset = off;
    /* The stored dword, not a guest read: read hooks may change state
     * (GUC_STATUS leaves reset once read). */
    out->value = vreg(&v->regs, off);
    if (!e)
        return;
    const struct gvt_reg *row = e->row;
    out->tracked = true;
    out->name = row->name;
    out->owner = e->owner;
    out->override_of = e->replaced_owner;
    out->override_why = row->overrides;
    out->reset = row->reset;
    out->ro_mask = row->ro_mask;
    out->masked = row->flags & REG_MASKED;
    out->cmd_access = row->flags & REG_CMD_ACCESS;
    out->w1c = row->flags & REG_W1C;
    out->read_only = row->flags & REG_RO;
    out->read_hook = row->read != NULL;
    out->write_hook = row->write != NULL;
}

int vgpu_describe_reg(const struct vgpu *v, uint32_t offset, struct vgpu_reg_info *out)
{
    if (offset & 3)
        return -EINVAL;
    if (offset >= GVT_MMIO_SIZE)
        return -ERANGE;
    describe(v, offset, gvt_regs_entry(&v->regs, offset), out);
    return 0;
}

int vgpu_describe_reg_named(const struct vgpu *v, const char *name, struct vgpu_reg_info *out)
{
    const struct gvt_reg_entry *e = gvt_regs_find_name(&v->regs, name);
    if (!e)
        return -ENOENT;
    describe(v, e->row->offset, e, out);
    return 0;
}

/* Whether `a` ranks before `b`: more accesses, then the lower offset. */
static bool busier(const struct vgpu_trap_count *a, const struct vgpu_trap_count *b)
{
    uint64_t na = a->reads + a->writes, nb = b->reads + b->writes;
    return na != nb ? na > nb : a->offset < b->offset;
}

/* `c` into the ranked `out` of `*n` (at most `max`): an insertion, as the
 * daemon's sandbox has no room for qsort (glibc's asks sysinfo(2) for the
 * machine's memory before sorting more than 1 KiB: SIGSYS, seen in the
 * e2e). At most 64 ranked of a few hundred rows: a handful of moves. */
static void rank(struct vgpu_trap_count *out, unsigned *n, unsigned max,
                 struct vgpu_trap_count c)
{
    unsigned at = *n;
    while (at > 0 && busier(&c, &out[at - 1]))
        at--;
    if (at >= max)
        return;
    unsigned last = *n < max ? *n : max - 1;
    memmove(&out[at + 1], &out[at], (last - at) * sizeof(*out));
    out[at] = c;
    if (*n < max)
        (*n)++;
}

unsigned vgpu_top_traps(const struct vgpu *v, struct vgpu_trap_count *out, unsigned max)
{
    const struct gvt_regs *r = &v->regs;
    unsigned n = 0;
    if (max == 0)
        return 0;
    for (unsigned i = 0; i < r->count; i++) {
        const struct gvt_reg_entry *e = &r->table[i];
        if (e->reads || e->writes)
            rank(out, &n, max, (struct vgpu_trap_count){ e->row->offset, e->row->name,
                                                         e->reads, e->writes });
    }
    for (uint32_t page = 0; page < GVT_MMIO_SIZE / 4096; page++)
        if (r->untracked_reads[page] || r->untracked_writes[page])
            rank(out, &n, max, (struct vgpu_trap_count){ page << 12, NULL,
                                                         r->untracked_reads[page],
                                                         r->untracked_writes[page] });
    return n;
}
