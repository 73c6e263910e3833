/* The xengvtd daemons of one domain, one per --device: started with
 * launch_daemon (their stderr is ours, so syslog under xenopsd), waited
 * for until their control sockets answer, paused, saved, stopped. The
 * sockets and staged state files live in launch_run_dir() as
 * xenopsd-dom<d>-<i>.sock/.state (xl-vgpu's are dom<d>*.sock). */
#ifndef XENGVT_XENOPSD_FLEET_H
#define XENGVT_XENOPSD_FLEET_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tools/common/savefile.h"
#include "tools/common/vgpu_entry.h"

struct xv_fleet {
    unsigned domid, count;
    const struct vgpu_entry *entries;
    pid_t pid[VGPU_CFG_MAX];
    char sock[VGPU_CFG_MAX][200];
    char staged[VGPU_CFG_MAX][200];
    bool have_staged;
};

void fleet_init(struct xv_fleet *f, unsigned domid, const struct vgpu_entry *e,
                unsigned count);
/* Starts every daemon (from the staged state if fleet_stage succeeded)
 * and waits until each serves. 0; -EINTR if one of `stop` became pending
 * (nothing left running); -1 on failure (logged, nothing left running). */
int fleet_start(struct xv_fleet *f, const sigset_t *stop);
/* SIGTERM to all at once, up to 5 s in all, then SIGKILL. */
void fleet_stop(struct xv_fleet *f);
bool fleet_running(const struct xv_fleet *f);
/* A control command to each daemon; 0 if all said ok (else logged). */
int fleet_control(struct xv_fleet *f, const char *cmd);
/* Each daemon's state (it stays paused) into sf: "vgpuN.spec" (the entry)
 * and "vgpuN.state". The state blobs are malloc'd into sf; free with
 * fleet_save_free. 0 or -1 (logged). */
int fleet_save(struct xv_fleet *f, struct savefile *sf);
void fleet_save_free(struct savefile *sf);
/* Checks a saved container against our devices (count, types) and writes
 * each state where the daemons will --restore it. 0, or -1 with why. */
int fleet_stage(struct xv_fleet *f, const struct savefile *sf, char *why, size_t cap);
void fleet_unstage(struct xv_fleet *f);
/* A daemon that ended: 1 with its index and wait status; 0 if none. */
int fleet_reap(struct xv_fleet *f, unsigned *index, int *status);

#endif
