/* The register file as an admin sees it (xengvt reg): a register's name,
 * owning part, value and rules, by offset or by name. Never on the
 * guest's path. */
#include "config.h"
#include "gvt/vgpu.h"
#include "gvt/device.h"

#include <errno.h>
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
