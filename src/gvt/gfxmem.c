/* Graphics memory as the command streamer sees it: an address in the GGTT
 * or in the running context's PPGTT, resolved page by page to guest
 * memory. Every page must be the vGPU's (GGTT slices) or the guest's
 * (PPGTT); nothing else is ever touched. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/gfxmem.h"
#include "gvt/engine.h"
#include "gvt/ggtt.h"
#include "gvt/ppgtt.h"
#include "gvt/aperture.h"
#include "gvt/aperture_gpu.h"
#include "ioreq/guestmem.h"

#include <errno.h>

static int translate(struct vgpu *v, const struct gvt_cs *cs, bool ppgtt, uint64_t addr,
                     uint64_t *gpa)
{
    if (!ppgtt)
        return addr > UINT32_MAX ? -EFAULT : gvt_ggtt_translate(v, addr, gpa);
    if (!cs)
        return -EFAULT;
    return gvt_ppgtt_translate(v, &cs->root, addr, gpa);
}

static int access(struct vgpu *v, const struct gvt_cs *cs, bool ppgtt, uint64_t addr,
                  void *buf, uint32_t len, bool write)
{
    uint8_t *p = buf;
    while (len) {
        uint32_t chunk = 4096u - (uint32_t)(addr & 4095u);
        if (chunk > len)
            chunk = len;
        uint64_t gpa;
        if (translate(v, cs, ppgtt, addr, &gpa) < 0)
            return -EFAULT;
        if (!write) /* the CPU's stores through the aperture reach it first */
            gvt_aperture_gpu_read(v, gpa);
        int rc = write ? gmem_write(v->gm, gpa, p, chunk) : gmem_read(v->gm, gpa, p, chunk);
        if (rc < 0)
            return -EFAULT;
        if (write) /* the aperture's frames bound to this page must show it */
            gvt_aperture_gpu_wrote(v, gpa);
        p += chunk;
        addr += chunk;
        len -= chunk;
    }
    return 0;
}

int gvt_gfx_read(struct vgpu *v, const struct gvt_cs *cs, bool ppgtt, uint64_t addr,
                 void *buf, uint32_t len)
{
    return access(v, cs, ppgtt, addr, buf, len, false);
}

int gvt_gfx_write(struct vgpu *v, const struct gvt_cs *cs, bool ppgtt, uint64_t addr,
                  const void *buf, uint32_t len)
{
    return access(v, cs, ppgtt, addr, (void *)buf, len, true);
}
