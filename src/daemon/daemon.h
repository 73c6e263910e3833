/* The daemon's parts, shared by main.c (set-up, loop, teardown) and
 * commands.c (the control socket's commands). */
#ifndef XENGVT_DAEMON_DAEMON_H
#define XENGVT_DAEMON_DAEMON_H

#include <xendevicemodel.h>
#include <xenforeignmemory.h>

#include "daemon/options.h"
#include "evtchn/irq.h"
#include "daemon/control.h"
#include "daemon/sandbox.h"
#include "daemon/live_state.h"

struct evt_loop;
struct evt_ports;
struct gmem;
struct dirtylog;
struct ioreq_server;
struct vgpu;
struct domain_watch;
struct domain_liveness;
struct control;
struct host_vnc;
struct host_kms;


struct daemon {
    struct xengvtd_options opt;
    struct evt_loop *loop;
    xendevicemodel_handle *dmod;
    xenforeignmemory_handle *fmem;
    struct evt_ports *ports;
    struct evt_irq irq;
    struct gmem *gm;
    struct dirtylog *dl;      /* the guest pages we wrote, for a live migration */
    struct ioreq_server *srv;
    struct vgpu *vgpu;
    struct domain_watch *watch;
    struct domain_liveness *liveness;
    struct control *control;
    struct host_vnc *vnc;
    struct host_kms *kms;
    struct sandbox_ids ids; /* whom to become after set-up */
    char chroot_dir[128];   /* the default chroot, when no --chroot */
    uint8_t edid[256];      /* --edid FILE's bytes, read before the sandbox */
    size_t edid_len;
    uint8_t *restore_blob; /* --restore, checked, until applied */
    size_t restore_len;
    struct live_state live;   /* --live-state: where the registers live */
    struct live_inherited inherited; /* a dead predecessor's, until followed */
    uint64_t capture_ns;      /* time spent capturing frames */
    void *png;                /* the last screenshot, of frame png_seq */
    size_t png_len;
    uint64_t png_seq;
};

/* Writes `data` to `path` through a temporary file in the same directory
 * and a rename, so readers never see half a file. 0 or -errno. */
int daemon_write_file(const char *path, const void *data, size_t len);
/* Reads a whole file of at most `max` bytes; *data malloc'd. 0 or -errno. */
int daemon_read_file(const char *path, size_t max, uint8_t **data, size_t *len);

/* restore.c, in set-up's order. --restore: the file read into
 * d->restore_blob (as root, unread), then, in the sandbox, checked whole
 * against `vc` before the vGPU is built from it; EXIT_OK or the exit code
 * (EXIT_BAD_STATE). */
struct vgpu_config;
int daemon_restore_read(struct daemon *d);
int daemon_restore_check(struct daemon *d, const struct vgpu_config *vc);
/* The vGPU on d's server and loop: created, restored from d->restore_blob
 * if there is one, its GGTT (and aperture, --aperture-ram) in guest RAM --
 * adopted where a restored guest has it. EXIT_OK or the exit code. */
int daemon_vgpu_build(struct daemon *d, const struct vgpu_config *vc);
/* All of the above from the check on: d->restore_blob checked, a dead
 * predecessor's live state (d->inherited) taken, the vGPU built, the
 * live state followed over the checkpoint (--adopt-server with
 * --restore), --edid applied, the server enabled. With files a daemon
 * wrote, main.c calls it in the sandbox. EXIT_OK or the exit code. */
int daemon_build_and_enable(struct daemon *d, struct vgpu_config *vc);

/* NULL-name terminated. */
extern const struct control_command daemon_commands[];
/* What the commands keep between calls (the last screenshot). */
void daemon_commands_release(struct daemon *d);

/* The host views' frame source (VNC, KMS). */
struct host_frame;
int daemon_capture_frame(void *opaque, struct host_frame *f);

#endif
