/* Deprivileging after set-up, as QEMU is under xl's dm_restrict and
 * beyond: every Xen handle restricted to the served domain
 * (xentoolcore_restrict_all), new mount and IPC namespaces, a chroot into
 * an empty directory, libxl's resource limits and a memory cap, the
 * domain's own uid (common/dmuser.h), no new privileges, and a seccomp
 * filter allowing only what serving needs. */
#ifndef XENGVT_DAEMON_SANDBOX_H
#define XENGVT_DAEMON_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The data segment (heap, private anonymous maps) a serving daemon may
 * have. Measured under the simulator: 13.4 MiB of data (16.5 MiB
 * resident) for GVTg_V5_1 at 1920x1200 with --aperture-ram and the live
 * view, after screenshots, frames and checkpoints; guest memory and the
 * live-state file are shared mappings and do not count. Eight times that
 * leaves room for a viewer's buffers and a trapped GGTT. */
#define SANDBOX_DATA_MAX (128u << 20)
/* libxl's for QEMU: room for the log, not for filling dom0's tmpfs. */
#define SANDBOX_FSIZE_MAX (256u << 10)

struct sandbox_ids {
    bool change;   /* false: not root, nothing to drop */
    bool per_domain; /* the domain's own uid, not a shared user */
    uid_t uid;
    gid_t gid;
    char name[64];
};

/* Resolve --runas USER[:GROUP], or the domain's own user (dmuser.h) when
 * running as root without it, while /etc is still reachable. 0, or
 * -errno with a message logged. */
int sandbox_resolve(const char *runas, uint32_t domid, struct sandbox_ids *out);

/* The default chroot, DIR/root-domN: created (or found) empty, owned by
 * root, mode 0000, never through a symlink. 0 with the path in out, or
 * -errno with a message logged. */
int sandbox_prepare_root(const char *run_dir, uint32_t domid, char *out, size_t cap);

/* Enter the sandbox. Afterwards nothing may open files, create sockets,
 * send to an address or use xenstore; the daemon's own process is the
 * only one it may signal. 0, or -errno with a message logged (the daemon
 * must then exit). */
int sandbox_enter(uint32_t domid, const struct sandbox_ids *ids, const char *chroot_dir);

#endif
