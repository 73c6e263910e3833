/* The register file as an admin sees it (xengvt reg): a register's name,
 * owning part, value and rules, by offset or by name; and which registers
 * the guest traps on (xengvt traps). Never on the guest's path. */
#include "config.h"
#include "gvt/vgpu.h"
#include "gvt/device.h"

#include <errno.h>
#include <stdlib.h>
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

static int busier_first(const void *a, const void *b)
{
    const struct vgpu_trap_count *x = a, *y = b;
    uint64_t nx = x->reads + x->writes, ny = y->reads + y->writes;
    if (nx != ny)
        return nx > ny ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

unsigned vgpu_top_traps(const struct vgpu *v, struct vgpu_trap_count *out, unsigned max)
{
    const struct gvt_regs *r = &v->regs;
    enum { PAGES = GVT_MMIO_SIZE / 4096 };
    struct vgpu_trap_count *all = calloc(r->count + PAGES, sizeof(*all));
    if (!all)
        return 0;
    unsigned n = 0;
    for (unsigned i = 0; i < r->count; i++) {
        const struct gvt_reg_entry *e = &r->table[i];
        if (e->reads || e->writes)
            all[n++] = (struct vgpu_trap_count){ e->row->offset, e->row->name, e->reads,
                                                 e->writes };
    }
    for (uint32_t page = 0; page < PAGES; page++)
        if (r->untracked_reads[page] || r->untracked_writes[page])
            all[n++] = (struct vgpu_trap_count){ page << 12, NULL, r->untracked_reads[page],
                                                 r->untracked_writes[page] };
    qsort(all, n, sizeof(*all), busier_first);
    if (n > max)
        n = max;
    if (n)
        memcpy(out, all, n * sizeof(*out));
    free(all);
    return n;
}
