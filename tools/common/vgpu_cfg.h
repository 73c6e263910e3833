/* The vGPUs an xl.cfg asks for: `vgpu = [ "type=GVTg_V5_4,sbdf=0000:00:02.0", ... ]`.
 * The file is read with Xen's own parser (libxlutil); each entry's
 * comma-separated key=value list is parsed by vgpu_entry.h, strictly: an
 * unknown key, a bad value or a repeated key is an error naming the file,
 * the entry and the key. No global state; safe to call on hostile input. */
#ifndef XENGVT_TOOLS_COMMON_VGPU_CFG_H
#define XENGVT_TOOLS_COMMON_VGPU_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/common/lifecycle.h"
#include "tools/common/vgpu_entry.h"

struct vgpu_cfg {
    char name[64];              /* the guest's name (xl.cfg "name") */
    unsigned count;
    struct vgpu_entry entries[VGPU_CFG_MAX];
    /* memory, videoram, maxmem in MiB (-1: not set), vga = "none". Each
     * vGPU adds 8 MiB of its own RAM to the guest (the GGTT behind BAR0):
     * with QEMU's VGA off, xl-vgpu counts it as the guest's video RAM, as
     * libxl counts QEMU's VRAM, so that xl save/restore has room for it. */
    long memory_mb, videoram_mb, maxmem_mb;
    bool vga_none;
    /* vif entries QEMU emulates a NIC for (an HVM vif without type=vif):
     * xl starts QEMU before the daemons, and QEMU places them from the
     * first free slot on, the vGPU's 00:02.0 among them. */
    unsigned emulated_nics;
    /* on_poweroff, on_reboot, on_crash, on_watchdog, on_soft_reset. */
    struct guest_actions actions;
};
#define VGPU_RAM_MB 8

/* A whole xl.cfg. A file without `vgpu` gives count 0. -ENOENT/-EINVAL
 * with a message naming the file (and entry index, key) in err. */
int vgpu_cfg_read(const char *path, struct vgpu_cfg *out, char *err, size_t err_len);
/* The same from memory (`path` only names it in messages). */
int vgpu_cfg_parse(const char *path, const char *data, size_t len, struct vgpu_cfg *out,
                   char *err, size_t err_len);

#endif
