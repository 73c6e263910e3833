/* Keeping QEMU's own PCI devices off the vGPUs' slots.
 *
 * QEMU places a PCI device given no addr= in the first free slot of bus
 * 0, and its xenfv machine (xen_platform_pci = 1, the default, and all
 * libvirt offers) adds the Xen platform device that way before any
 * -device. QEMU does not know the vGPUs are there, so with vga = "none" the
 * platform device, a guest's first emulated NIC or a USB controller lands
 * on 00:02.0. Xen then asks QEMU's ioreq server first (it was created after
 * the daemons', and Xen tries the newest first): the guest finds QEMU's
 * device where its vGPU should be, and no vGPU.
 *
 * The wrapper plans QEMU's placement as QEMU will do it and moves only
 * what would land on a vGPU's slot: the machine becomes "pc,accel=xen"
 * (what libxl itself runs when xen_platform_pci = 0) with the platform
 * device added at a free slot, and a device it knows to be PCI gets an
 * explicit addr=. A -device it cannot tell is PCI is left as it is, with
 * a warning if it would take a vGPU's slot. Pure: no files, no processes. */
#ifndef XENGVT_QEMU_DM_SLOTS_H
#define XENGVT_QEMU_DM_SLOTS_H

#include <stddef.h>

#include "dm_args.h"

#define DM_SLOTS_NOTES 8
#define DM_SLOTS_NOTE_MAX 200

struct dm_slots {
    char arena[4096];                 /* the rewritten argument values */
    size_t used;
    char notes[DM_SLOTS_NOTES][DM_SLOTS_NOTE_MAX]; /* what moved and why, for the log;
                                                      a warning starts "warning: " */
    unsigned n_notes;
    unsigned n_warnings;
};

/* Rewrites a->argv in place (a->qmp_index follows an insertion). 0, or
 * -ENOSPC (no free slot, or no room for the new arguments) with err
 * saying why; a->argv is then unchanged. */
int dm_slots_apply(struct dm_args *a, struct dm_slots *s, char *err, size_t err_len);

#endif
