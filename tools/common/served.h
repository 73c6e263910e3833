/* The daemons that serve one domain, and the record of them in the run
 * directory (domN.vgpu) that every xl-vgpu command reads: which daemon,
 * socket and log serves which vGPU entry, which process supervises the
 * guest, and what state the guest is in. */
#ifndef XENGVT_TOOLS_COMMON_SERVED_H
#define XENGVT_TOOLS_COMMON_SERVED_H

#include <stdbool.h>
#include <sys/types.h>

#include "tools/common/vgpu_cfg.h"

#define SERVED_PATH_MAX 160

struct served {
    long domid;
    char name[64];
    unsigned count;
    pid_t pid[VGPU_CFG_MAX];
    char sock[VGPU_CFG_MAX][SERVED_PATH_MAX];
    char log[VGPU_CFG_MAX][SERVED_PATH_MAX];
    char spec[VGPU_CFG_MAX][512];
    pid_t monitor;  /* the guest's supervisor, 0 if none */
    char state[32]; /* running, rebooting, daemon-restarting, preserved, ... */
    /* The daemons write to our stderr, not to log[] (the device-model
     * wrapper: libxl's qemu-dm-NAME.log). Kept by served_start. */
    bool log_to_stderr;
};

/* Socket and log of vGPU i of domid. */
void served_paths(long domid, unsigned i, char *sock, char *log);
/* The checkpoint file of vGPU i of domid. */
void served_checkpoint_path(long domid, unsigned i, char *out, unsigned cap);
/* Where vGPU i's daemon keeps its register file (xengvtd --live-state). */
void served_live_path(long domid, unsigned i, char *out, unsigned cap);

int served_write(const struct served *sv);
/* 0, or -errno (-ENOENT: no record for domid). */
int served_read(long domid, struct served *sv);
/* The record of guest DOM (a name or a domid) with at least one vGPU:
 * its domid, or -1 when it has none (no such guest, or no vGPU). */
long served_of_guest(const char *dom, struct served *sv);
/* The record and every file it names go: sockets, checkpoints. */
void served_remove(long domid);

/* Starts one daemon per entry for `domid` (with --restore FILEs if given)
 * and waits until each serves; on failure everything started is stopped
 * and the reason said. Writes the record. */
int served_start(long domid, const char *name, const struct vgpu_entry *entries,
                 unsigned count, char restore[][200], struct served *sv);
/* (Re)starts vGPU i alone: from `restore` if not NULL, adopting ioreq
 * server `adopt_id` if >= 0. Waits until it serves. */
int served_start_one(struct served *sv, unsigned i, const struct vgpu_entry *e,
                     const char *restore, int adopt_id);
void served_stop_all(struct served *sv);
/* vGPU i's checkpoint ({"cmd":"checkpoint"}) written where a successor
 * finds it (served_checkpoint_path), through a temporary file; the ioreq
 * server it would adopt in *server_id. A daemon that does not answer
 * within CHECKPOINT_TIMEOUT_MS in all is stuck (or hostile: it may be its
 * guest's): no answer holds the caller longer, nor makes it keep more than
 * CHECKPOINT_MAX_BYTES. 0, or -1 with the last checkpoint left as it was. */
int served_checkpoint(const struct served *sv, unsigned i, int *server_id);
/* Each daemon's control `cmd`; 0 if all said ok. */
int served_control_all(struct served *sv, const char *cmd);

/* The daemons' keys under /local/domain/0/device-model/DOMID/xengvt, which
 * a sandboxed or killed daemon cannot remove itself. */
void served_forget_xenstore(long domid);

/* `xl A B`. */
int xl1(const char *a, const char *b);

#endif
