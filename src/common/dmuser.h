/* Whom a domain's daemons run as, as libxl picks QEMU's user under
 * dm_restrict (docs/designs/qemu-deprivilege.md): the uid of the user
 * DMUSER_RANGE_BASE plus the domid, so that no two guests' daemons share
 * a uid and one cannot signal, ptrace or open the files of another; the
 * base's own uid (domid 0 never has a vGPU) is the reaper's. Without that
 * user, every daemon runs as the dedicated DMUSER_SHARED (never `nobody`,
 * which other services use). The admin configures the range by creating
 * the base user with the uid it starts at (xengvtd(8), USERS). */
#ifndef XENGVT_COMMON_DMUSER_H
#define XENGVT_COMMON_DMUSER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DMUSER_RANGE_BASE "xengvt-range-base"
#define DMUSER_SHARED "xengvt-shared"
/* Domids are below 0x7ff0 (DOMID_FIRST_RESERVED): the range's size. */
#define DMUSER_RANGE_SIZE 0x7ff0u

struct dmuser {
    uid_t uid;
    gid_t gid;
    bool per_domain;  /* uid is the domain's alone (kill by uid is safe) */
    uid_t reaper_uid; /* per_domain only: the base's uid, owning no process */
    char name[64];    /* for messages: "xengvt-range-base+5" or the shared user */
};

/* The identity for `domid`'s daemons from the password database. 0, or
 * -ENOENT when neither user exists, -ERANGE when the base's range would
 * wrap or reach uid 0 (err says which and how to fix it). */
int dmuser_for_domain(uint32_t domid, struct dmuser *out, char *err, size_t err_len);

/* Kills every process running as `u`'s uid (SIGKILL, until none is left
 * or about 2 s passed), the way libxl reaps a device model: from a child
 * whose real uid is the reaper's and effective uid the target's, so the
 * targets cannot signal it back and nothing else is in reach. Only for a
 * per-domain user. 0, -EINVAL for a shared user, -ETIMEDOUT if some
 * remain, or -errno. Needs root. */
int dmuser_reap(const struct dmuser *u);

#endif
