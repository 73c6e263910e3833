/* One vGPU as a toolstack asks for it: a comma-separated key=value entry
 * ("type=GVTg_V5_4,sbdf=0000:00:02.0,vnc=127.0.0.1:5901"), parsed
 * strictly (an unknown key, a bad value or a repeated key is an error
 * naming the key; safe on hostile input), and the xengvtd arguments it
 * stands for. xl.cfg's vgpu list (xl-vgpu) and xenopsd's --device
 * (xengvt-vgpu) are both made of these. */
#ifndef XENGVT_TOOLS_COMMON_VGPU_ENTRY_H
#define XENGVT_TOOLS_COMMON_VGPU_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A vGPU daemon died while its guest ran (the entry's on_daemon_death). */
enum daemon_death_policy {
    DEATH_RESTART,  /* a new daemon from the last checkpoint, adopting the old server */
    DEATH_CRASH,    /* the guest is treated as crashed: its on_crash */
    DEATH_PRESERVE, /* the guest is paused and left for inspection */
    DEATH_COUNT
};
#define DEATH_DEFAULT DEATH_RESTART
int daemon_death_parse(const char *word, enum daemon_death_policy *out);
const char *daemon_death_name(enum daemon_death_policy p);

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

/* One entry string. 0, or -EINVAL with a message in err naming the key. */
int vgpu_entry_parse(const char *spec, struct vgpu_entry *out, char *err, size_t err_len);

/* The daemon's arguments for an entry (after --domid and --control),
 * into argv (NULL-terminated, at most max entries, strings in buf). */
int vgpu_entry_args(const struct vgpu_entry *e, const char **argv, unsigned max, char *buf,
                    size_t buf_len);

#endif
