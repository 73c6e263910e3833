/* PVINFO (struct vgt_if at BAR0 + 0x78000): how the guest i915 learns it
 * runs on a GVT-g vGPU and which slices of graphics memory are its own.
 * The first half is written by us and read-only to the guest; the second
 * half is the guest's to write. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/pvinfo.h"
#include "gvt/ppgtt.h"
#include "common/log.h"

#include <string.h>

static void g2v_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)off;
    (void)old;
    v->stats.g2v_last = val;
    log_debug("g2v notification %u", val);
    gvt_ppgtt_g2v(v, val);
}

static void display_ready_written(struct vgpu *v, uint32_t off, uint32_t old,
                                  uint32_t val)
{
    (void)off;
    (void)old;
    v->stats.display_ready = val;
    log_info("guest display %s", val ? "ready" : "not ready");
}

static const struct gvt_reg pvinfo_rows[] = {
    /* Named after i915's struct vgt_if fields. */
    { vgtif_reg(PVINFO_G2V_NOTIFY), 0, 0, 0, NULL, g2v_written, "vgtif_reg(g2v_notify)" },
    { vgtif_reg(PVINFO_DISPLAY_READY), 0, 0, 0, NULL, display_ready_written,
      "vgtif_reg(display_ready)" },
    { vgtif_reg(PVINFO_CURSOR_X_HOT), 0, 0xffffffffu, 0, NULL, NULL,
      "vgtif_reg(cursor_x_hot)" },
    { vgtif_reg(PVINFO_CURSOR_Y_HOT), 0, 0xffffffffu, 0, NULL, NULL,
      "vgtif_reg(cursor_y_hot)" },
};

int gvt_pvinfo_init(struct vgpu *v)
{
    return gvt_regs_add(&v->regs, "pvinfo", pvinfo_rows,
                        sizeof(pvinfo_rows) / sizeof(pvinfo_rows[0]));
}

void gvt_pvinfo_reset(struct vgpu *v)
{
    struct gvt_regs *r = &v->regs;
    const struct vgpu_type *t = v->type;
    /* All of the host half, not only the fields below: a successor takes
     * its register file from a file the dead daemon (perhaps the guest's
     * by then) wrote, and the guest must read here only what this daemon
     * says (fuzz_live found a reserved dword kept from the file). */
    memset(r->mem + VGT_PVINFO_PAGE / 4, 0, VGT_PVINFO_HOST_SIZE); /* its page: touched below */
    vreg_set(r, vgtif_reg(PVINFO_MAGIC), (uint32_t)VGT_MAGIC);
    vreg_set(r, vgtif_reg(PVINFO_MAGIC + 4), (uint32_t)(VGT_MAGIC >> 32));
    vreg_set(r, vgtif_reg(PVINFO_VERSION_MAJOR),
             VGT_VERSION_MAJOR | VGT_VERSION_MINOR << 16);
    vreg_set(r, vgtif_reg(PVINFO_VGT_ID), v->cfg.vgt_id);
    vreg_set(r, vgtif_reg(PVINFO_VGT_CAPS),
             VGT_CAPS_FULL_PPGTT | VGT_CAPS_HWSP_EMULATION | VGT_CAPS_HUGE_GTT);
    /* Single guest: its aperture slice is [0, M), its hidden slice follows. */
    vreg_set(r, vgtif_reg(PVINFO_MAPPABLE_BASE), 0);
    vreg_set(r, vgtif_reg(PVINFO_MAPPABLE_SIZE), v->mappable_mb << 20);
    /* The hidden slice starts where the aperture BAR ends: the guest refuses
     * a non-mappable base inside its mappable range. */
    vreg_set(r, vgtif_reg(PVINFO_NONMAPPABLE_BASE), (uint32_t)v->pci.bars[2].size);
    vreg_set(r, vgtif_reg(PVINFO_NONMAPPABLE_SIZE), t->hidden_mb << 20);
    vreg_set(r, vgtif_reg(PVINFO_FENCE_NUM), t->fences);
}

bool gvt_pvinfo_write_allowed(uint32_t off)
{
    return off < VGT_PVINFO_PAGE || off >= VGT_PVINFO_PAGE + VGT_PVINFO_HOST_SIZE;
}
