/* --live-state FILE: the vGPU's register file, engine state and config
 * space kept in a file (on tmpfs, in the run directory) that outlives the
 * daemon. A
 * checkpoint is up to its interval old; this is as new as the last access
 * the daemon handled. A successor that adopts the dead daemon's ioreq
 * server restores the checkpoint and then takes these from here: the
 * interrupt masks, the surface a flip armed, everything the guest wrote
 * since, how far each engine got with its work, the MSI the guest last
 * programmed. */
#ifndef XENGVT_DAEMON_LIVE_STATE_H
#define XENGVT_DAEMON_LIVE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gvt/vgpu.h"

struct live_state {
    int fd;
    void *map;      /* the whole file, MAP_SHARED */
    size_t len;
    uint32_t *regs;  /* the register file's storage in it */
    void *engines;   /* the engines' */
    uint8_t *pcicfg; /* the config space's */
};

/* What a predecessor left: one malloc'd copy (buf) of all parts. */
struct live_inherited {
    void *buf;
    struct vgpu_live_state state;
};

/* Opens `path` for dom`domid` (a regular file, created 0600 if missing,
 * never through a symlink). With `inherit`, what a predecessor of this
 * build left there for the same domain is first copied to *inherited
 * (buf NULL when there is nothing usable, with the reason logged). The
 * file then starts over zero-filled and is mapped: ls->regs, ls->engines
 * and ls->pcicfg are the vGPU's storage. 0, or -errno with the reason logged. */
int live_state_open(const char *path, uint32_t domid, bool inherit, struct live_state *ls,
                    struct live_inherited *inherited);
/* Unmaps; the file stays, for a successor (the supervisor removes it). */
void live_state_close(struct live_state *ls);

#endif
