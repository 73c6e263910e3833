/* The vGPUs an xl.cfg asks for: `vgpu = [ "type=GVTg_V5_4,sbdf=0000:00:02.0", ... ]`.
 * The file is read with Xen's own parser (libxlutil); each entry's
 * comma-separated key=value list is parsed here, strictly: an unknown key,
 * a bad value or a repeated key is an error naming the file, the entry and
 * the key. No global state; safe to call on hostile input. */
#ifndef XENGVT_XL_HOOKS_VGPU_CFG_H
#define XENGVT_XL_HOOKS_VGPU_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lifecycle.h"

#define VGPU_CFG_MAX 4          /* vGPUs per guest */
#define VGPU_CFG_PATH_MAX 256
#define VGPU_CFG_ERR_MAX 512

struct vgpu_entry {
    char type[16];              /* a vGPU type name; default GVTg_V5_4 */
    uint32_t sbdf;              /* default 0000:00:02.0 */
    uint16_t device_id;         /* 0: the daemon's default */
    char edid[VGPU_CFG_PATH_MAX];
    unsigned width, height;     /* resolution; 0: default */
    char vnc[64];               /* ADDR:PORT */
    char kms[VGPU_CFG_PATH_MAX];
    bool io_bar;
    uint32_t aperture_mb;       /* 0: the type's slice */
    bool aperture_ram;          /* the slice as guest RAM (costs its size) */
    char log_level[8];
    enum daemon_death_policy on_daemon_death; /* the supervisor's, not the daemon's */
    char spec[512];             /* the entry as written, for save files */
};

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
    /* on_poweroff, on_reboot, on_crash, on_watchdog, on_soft_reset. */
    struct guest_actions actions;
};
#define VGPU_RAM_MB 8

/* One entry string. 0, or -EINVAL with a message in err naming the key. */
int vgpu_entry_parse(const char *spec, struct vgpu_entry *out, char *err, size_t err_len);

/* A whole xl.cfg. A file without `vgpu` gives count 0. -ENOENT/-EINVAL
 * with a message naming the file (and entry index, key) in err. */
int vgpu_cfg_read(const char *path, struct vgpu_cfg *out, char *err, size_t err_len);
/* The same from memory (`path` only names it in messages). */
int vgpu_cfg_parse(const char *path, const char *data, size_t len, struct vgpu_cfg *out,
                   char *err, size_t err_len);

/* The daemon's arguments for an entry (after --domid and --control),
 * into argv (NULL-terminated, at most max entries, strings in buf). */
int vgpu_entry_args(const struct vgpu_entry *e, const char **argv, unsigned max, char *buf,
                    size_t buf_len);

#endif
