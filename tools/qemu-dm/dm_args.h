/* QEMU's command line as libxl builds it for a qemu-xen device model
 * (libxl__build_device_model_args_new, tools/libs/light/libxl_dm.c in
 * Xen 4.17), read by xengvt's device-model wrapper: its own `-vgpu SPEC`
 * pairs come out (the xl.cfg vgpu entry syntax, one parser with xl-vgpu),
 * and it learns the domain (-xen-domid), the guest's name (-name), libxl's
 * QMP socket (-chardev socket,id=libxl-cmd,path=P|fd=N,...) and a
 * restore's device state (-incoming fd:N). Pure: no files, no processes. */
#ifndef XENGVT_QEMU_DM_ARGS_H
#define XENGVT_QEMU_DM_ARGS_H

#include <stddef.h>

#include "tools/common/vgpu_cfg.h"

#define DM_ARGS_MAX 1024
#define DM_QMP_PATH_MAX 108 /* sun_path */

struct dm_args {
    /* QEMU's arguments after argv[0], the -vgpu pairs removed; pointers
     * into the caller's argv (dm_args_set_qmp_fd replaces one). */
    unsigned argc;
    const char *argv[DM_ARGS_MAX + 1];
    struct vgpu_entry vgpu[VGPU_CFG_MAX];
    unsigned vgpu_count;
    long domid;                      /* -xen-domid; -1 if absent */
    const char *name;                /* -name; NULL if absent */
    int qmp_index;                   /* argv index of libxl-cmd's -chardev value; -1 */
    char qmp_path[DM_QMP_PATH_MAX];  /* its path=, or "" */
    int qmp_fd;                      /* its fd= (libxl's pre-opened listener), or -1 */
    const char *incoming;            /* -incoming's value, any form; NULL if absent */
    int incoming_fd;                 /* -incoming fd:N; -1 otherwise */
};

/* 0, or -EINVAL with err saying which argument is wrong (a bad -vgpu
 * entry names its key, as xl-vgpu does). */
int dm_args_parse(int argc, char *const *argv, struct dm_args *out, char *err, size_t err_len);

/* libxl-cmd's `path=P` becomes `fd=FD` (the wrapper's own listener, which
 * QEMU accepts on; libxl's path is the wrapper's to serve). The new value
 * is written into buf. 0, or -EINVAL if there is no path= to replace,
 * -ENOSPC if buf is too small. */
int dm_args_set_qmp_fd(struct dm_args *a, int fd, char *buf, size_t cap);

#endif
