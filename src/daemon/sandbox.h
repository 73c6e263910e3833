/* Deprivileging after set-up, as QEMU does under xl's dm_restrict: every
 * Xen handle restricted to the served domain (xentoolcore_restrict_all),
 * an optional chroot, an unprivileged user and group, no new privileges,
 * and a seccomp filter allowing only what serving needs. */
#ifndef XENGVT_DAEMON_SANDBOX_H
#define XENGVT_DAEMON_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SANDBOX_DEFAULT_USER "nobody"

struct sandbox_ids {
    bool change;   /* false: not root, nothing to drop */
    uid_t uid;
    gid_t gid;
    char name[64];
};

/* Resolve --runas USER[:GROUP] (or the default when running as root)
 * while /etc is still reachable. 0, or -errno with a message logged. */
int sandbox_resolve(const char *runas, struct sandbox_ids *out);

/* Enter the sandbox. Call last in set-up: afterwards nothing may open
 * files, create sockets other than AF_UNIX datagrams, or use xenstore.
 * 0, or -errno with a message logged (the daemon must then exit). */
int sandbox_enter(uint32_t domid, const struct sandbox_ids *ids, const char *chroot_dir);

#endif
