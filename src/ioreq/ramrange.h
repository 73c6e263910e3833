/* Guest RAM that the device model owns and places behind one of its BARs,
 * the way QEMU backs VGA VRAM on stock Xen: frames populated in the guest's
 * physmap (charged to the guest), mapped once into the daemon, and moved
 * with XEN_DMOP_relocate_memory when the guest moves the BAR. The guest
 * then reads and writes them at memory speed, with no ioreq.
 *
 * Populating needs an unrestricted privcmd (xencall): it happens at
 * creation, before the daemon confines itself. Relocation is a dm_op, which
 * a restricted handle may still issue for its own domain. A foreign mapping
 * names machine frames, so the daemon's mapping stays valid wherever the
 * frames sit in the guest's physmap. */
#ifndef XENGVT_IOREQ_RAMRANGE_H
#define XENGVT_IOREQ_RAMRANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xendevicemodel.h>
#include <xenforeignmemory.h>

struct ram_range;

struct ram_range_stats {
    uint64_t gfn;          /* where the frames are now */
    uint64_t park_gfn;     /* where they wait when no BAR holds them */
    uint64_t pages;
    uint64_t relocations;  /* dm_op calls that moved them */
    uint64_t raised_kb;    /* by how much the guest's memory limit was raised */
    uint64_t relocate_failures;
    uint64_t dirty_harvests;   /* track_dirty_vram calls */
};

/* Populate `pages` new frames for `domid` at a parking place above every
 * frame the guest has (aligned to 2 MiB), raising the domain's memory
 * limit first if it has no room for them (then a save/restore needs the
 * same room in the guest's config: see xl-vgpu(8)). Then map them. */
int ramrange_populate(xendevicemodel_handle *dmod, xenforeignmemory_handle *fmem,
                      uint32_t domid, size_t pages, struct ram_range **out);
/* Frames that already exist at `gfn` (restored with the guest's memory):
 * map them, populate nothing. `park_gfn` is where they go if the BAR
 * holding them is switched off for good (0: above every frame). */
int ramrange_adopt(xendevicemodel_handle *dmod, xenforeignmemory_handle *fmem,
                   uint32_t domid, uint64_t gfn, uint64_t park_gfn, size_t pages,
                   struct ram_range **out);
/* Unmap; the frames stay the guest's (freed with the domain). */
void ramrange_free(struct ram_range *r);

/* Move the frames so that the first is at `gfn`. Overlapping moves go
 * through the parking place (relocation is page by page, and a frame
 * moved onto one not yet moved would free it). 0 or -errno; on failure the
 * frames are wherever the last successful step left them (ramrange_gfn). */
int ramrange_place(struct ram_range *r, uint64_t gfn);
/* Xen's dirty tracking of the frames where they are now (one range per
 * domain): bit i of `bitmap` (pages bits, zeroed here) says the guest
 * stored to frame i since the last call. The first call for a place, and
 * the first after a move, arms the tracking and reports nothing: *armed
 * says so (Xen then says "all dirty", which is no information). */
int ramrange_dirty(struct ram_range *r, unsigned long *bitmap, bool *armed);
uint64_t ramrange_gfn(const struct ram_range *r);
uint64_t ramrange_park_gfn(const struct ram_range *r);
size_t ramrange_pages(const struct ram_range *r);
/* The daemon's mapping of the frames, pages * 4 KiB. */
void *ramrange_ptr(const struct ram_range *r);
void ramrange_get_stats(const struct ram_range *r, struct ram_range_stats *out);

#endif
