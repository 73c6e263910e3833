/* A guest's supervisor, as xl's own monitor process is for xl: one
 * process per guest with vGPUs, the parent of its daemons. It
 *  - starts the daemons, unpauses the guest once they serve, and says so
 *    on `ready_fd` (a byte: 0 serving, 1 failed and cleaned up);
 *  - follows the domain (@releaseDomain, domain info) and applies the
 *    guest's on_poweroff/on_reboot/on_crash/on_watchdog as xl would: a
 *    restart re-creates the domain paused, gives it fresh daemons from the
 *    same vgpu entries, and only then unpauses it;
 *  - sees a daemon die at once (it is its child), logs how, and applies
 *    the entry's on_daemon_death: restart from the last checkpoint
 *    (adopting the dead daemon's ioreq server), crash, or preserve;
 *  - takes those checkpoints every CHECKPOINT_INTERVAL_MS;
 *  - logs every event to its log file and syslog, and keeps the record
 *    (`xl-vgpu list`) current. It ends with the domain, taking its
 *    daemons, record and files with it; SIGTERM makes it stand down and
 *    leave guest and daemons as they are (xl-vgpu destroy/save do that
 *    before they take the guest away). */
#ifndef XENGVT_XL_HOOKS_MONITOR_H
#define XENGVT_XL_HOOKS_MONITOR_H

#include <stdbool.h>
#include <sys/types.h>

#include "tools/common/vgpu_cfg.h"

#define MONITOR_ARGS_MAX 32

struct monitor_args {
    long domid;
    struct vgpu_cfg cfg;           /* name, entries, actions */
    /* `xl ARGS` that re-creates the guest paused (create -p -e CFG
     * KEY=VALUE...); argc 0: it cannot be re-created (a restart destroys). */
    char create_argv[MONITOR_ARGS_MAX][256];
    unsigned create_argc;
    char (*restore)[200];          /* the daemons' first --restore files, or NULL */
    int ready_fd;
};

/* Runs the supervisor in this process (detached by the caller); returns
 * its exit status when the guest is gone. */
int monitor_run(struct monitor_args *a);

/* Forks the supervisor off (its own session, stdio to the guest's log
 * under XENGVT_LOG_DIR, default /var/log/xen/xl-vgpu-NAME.log) and waits
 * for its word: 0 the guest runs with its vGPUs, -1 it failed (said). */
int monitor_spawn(struct monitor_args *a);

/* Tells a guest's supervisor to stand down and waits until it has. */
void monitor_stand_down(pid_t monitor);

#endif
