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

/* Pages of a live-state file at most (header, 2 MiB of registers,
 * engines, config space; live_state.c checks this build's fits). */
#define LIVE_MAX_PAGES 1024u

struct live_state {
    int fd;
    void *map;      /* the whole file, MAP_SHARED */
    size_t len;
    uint32_t *regs;  /* the register file's storage in it */
    void *engines;   /* the engines' */
    uint8_t *pcicfg; /* the config space's */
};

/* What a predecessor left: its whole file, copied (buf, len) as root
 * before the sandbox; state points into it once live_state_take has
 * checked it, in the sandbox. */
struct live_inherited {
    void *buf;
    size_t len;
    struct vgpu_live_state state;
    /* The file's 4 KiB pages that had data (the rest were holes, zero in
     * buf), and the same for the register file's pages
     * (state.regs_pages). */
    uint64_t data_pages[(LIVE_MAX_PAGES + 63) / 64];
    uint64_t regs_pages[(LIVE_MAX_PAGES + 63) / 64];
};

/* Opens `path` for dom`domid` (a regular file, created 0600 if missing,
 * never through a symlink). With `inherit`, a predecessor's file of the
 * size this build writes is first copied whole to *inherited, unread
 * (buf NULL when there is none, with the reason logged). The file then
 * starts over zero-filled and is mapped: ls->regs, ls->engines and
 * ls->pcicfg are the vGPU's storage. 0, or -errno with the reason logged. */
int live_state_open(const char *path, uint32_t domid, bool inherit, struct live_state *ls,
                    struct live_inherited *inherited);
/* The copy's header checked against what this build writes for
 * dom`domid`; then in->state points at its parts (which the vGPU checks
 * as it takes them: vgpu_follow_guest). -1 with *why (and the copy
 * freed) when it is not this domain's or this build's. Runs in the
 * sandbox: the file was written by a daemon the guest may have owned. */
int live_state_take(struct live_inherited *in, uint32_t domid, const char **why);
/* Unmaps; the file stays, for a successor (the supervisor removes it). */
void live_state_close(struct live_state *ls);

#endif
