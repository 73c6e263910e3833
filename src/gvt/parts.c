/* The list of the vGPU's parts, in the order they start. The order is the
 * contract: irq before skl_regs (SDEISR is the platform's, the rest of the
 * interrupt tree irq's), execlist after skl_regs (the per-engine rows), the
 * GGTT before the aperture that reads it. Resets run in this order, after
 * the register file's; releases in the reverse. */
#include "config.h"
#include "gvt/parts.h"
#include "gvt/device.h"
#include "gvt/irq.h"
#include "gvt/pvinfo.h"
#include "gvt/display.h"
#include "gvt/plane.h"
#include "gvt/fence.h"
#include "gvt/skl_regs.h"
#include "gvt/execlist.h"
#include "gvt/cmd_regs.h"
#include "gvt/ppgtt.h"
#include "gvt/dp_aux.h"
#include "gvt/gmbus.h"
#include "gvt/ggtt.h"
#include "gvt/aperture.h"
#include "gvt/opregion.h"

static void execlist_reset_all(struct vgpu *v) { gvt_execlist_reset(v, ~0u); }

/* A cold reset gives the guest fresh RAM: a GGTT in it is zero already,
 * and zeroing 8 MiB again would be most of the reset's cost. */
static void ggtt_reset(struct vgpu *v)
{
    if (!v->ggtt.gsm || !v->guest_ram_fresh)
        gvt_ggtt_reset(v);
}

static const struct gvt_part irq = { "irq", gvt_irq_init, NULL, gvt_irq_release,
                                     "irq", 1, gvt_irq_save, gvt_irq_check, gvt_irq_load };
static const struct gvt_part pvinfo = { "pvinfo", gvt_pvinfo_init, gvt_pvinfo_reset, NULL };
static const struct gvt_part display = { "display", gvt_display_init, gvt_display_reset,
                                         gvt_display_release, "display", 1, gvt_display_save,
                                         gvt_display_check, gvt_display_load };
/* The last captured frame, kept for the next capture's comparison. */
static const struct gvt_part plane = { "plane", NULL, NULL, gvt_capture_release };
static const struct gvt_part fence = { "fence", gvt_fence_init, NULL, NULL };
static const struct gvt_part skl_regs = { "skl_regs", gvt_skl_regs_init, NULL, NULL };
static const struct gvt_part execlist = { "execlist", gvt_execlist_init, execlist_reset_all,
                                          gvt_execlist_release, "engines", 1,
                                          gvt_execlist_save, gvt_execlist_check,
                                          gvt_execlist_load };
static const struct gvt_part cmd_regs = { "cmd_regs", gvt_cmd_regs_init, NULL, NULL };
static const struct gvt_part ppgtt = { "ppgtt", gvt_ppgtt_init, gvt_ppgtt_reset,
                                       gvt_ppgtt_release };
static const struct gvt_part dp_aux = { "dp_aux", gvt_dp_aux_init, gvt_dp_reset, NULL,
                                        "dp_aux", 1, gvt_dp_save, gvt_dp_check, gvt_dp_load };
static const struct gvt_part gmbus = { "gmbus", gvt_gmbus_init, gvt_gmbus_reset, NULL,
                                       "gmbus", 1, gvt_gmbus_save, gvt_gmbus_check,
                                       gvt_gmbus_load };
static const struct gvt_part ggtt = { "ggtt", gvt_ggtt_init, ggtt_reset, gvt_ggtt_release };
static const struct gvt_part aperture = { "aperture", gvt_aperture_init, NULL,
                                          gvt_aperture_release };
/* Started by the guest (ASLS), released by vgpu.c before its PCI claim
 * goes; here for its state, restored after config space (its claim
 * follows where the guest put it). */
static const struct gvt_part opregion = { "opregion", NULL, NULL, NULL,
                                          "opregion", 1, gvt_opregion_save,
                                          gvt_opregion_check, gvt_opregion_load };

const struct gvt_part *const gvt_parts[] = {
    &irq, &pvinfo, &display, &plane, &fence, &skl_regs, &execlist, &cmd_regs,
    &ppgtt, &dp_aux, &gmbus, &ggtt, &aperture, &opregion, NULL,
};
_Static_assert(sizeof(gvt_parts) / sizeof(gvt_parts[0]) <= GVT_MAX_PARTS + 1,
               "vgpu_state.c keeps a section per part: raise GVT_MAX_PARTS");
