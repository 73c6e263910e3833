/* RAM-backed device ranges: populate, map once, relocate (see ramrange.h). */
#include "config.h"
#include "ioreq/ramrange.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenctrl.h>

#define PAGE_KB 4u
#define PARK_ALIGN_PAGES 512u /* 2 MiB: a superpage boundary */

struct ram_range {
    xendevicemodel_handle *dmod;
    xenforeignmemory_handle *fmem;
    uint32_t domid;
    size_t pages;
    void *map;
    uint64_t tracked_gfn;  /* where dirty tracking is armed, or UINT64_MAX */
    struct ram_range_stats st;
};

/* Above every frame the guest has: guest RAM, the special pages, what
 * QEMU populated for its own blocks. hvmloader never moves RAM up there
 * with QEMU as the device model (libxl forbids memory relocation then). */
static int park_above_guest(xc_interface *xch, uint32_t domid, uint64_t *gfn)
{
    xen_pfn_t max_gpfn = 0;
    if (xc_domain_maximum_gpfn(xch, domid, &max_gpfn) < 0)
        return -errno;
    *gfn = ((uint64_t)max_gpfn + PARK_ALIGN_PAGES) & ~(uint64_t)(PARK_ALIGN_PAGES - 1);
    return 0;
}

static int map_frames(struct ram_range *r, uint64_t gfn)
{
    xen_pfn_t *pfns = calloc(r->pages, sizeof(*pfns));
    int *err = calloc(r->pages, sizeof(*err));
    int rc = 0;
    if (!pfns || !err) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < r->pages; i++)
        pfns[i] = (xen_pfn_t)(gfn + i);
    r->map = xenforeignmemory_map(r->fmem, r->domid, PROT_READ | PROT_WRITE, r->pages, pfns,
                                  err);
    if (!r->map) {
        rc = -errno;
        goto out;
    }
    for (size_t i = 0; i < r->pages; i++) {
        if (err[i]) {
            log_error("dom%u: frame %#llx of the device's RAM cannot be mapped: %s",
                      r->domid, (unsigned long long)(gfn + i), strerror(-err[i]));
            xenforeignmemory_unmap(r->fmem, r->map, r->pages);
            r->map = NULL;
            rc = -EFAULT;
            break;
        }
    }
out:
    free(pfns);
    free(err);
    return rc;
}

static struct ram_range *range_new(xendevicemodel_handle *dmod, xenforeignmemory_handle *fmem,
                                   uint32_t domid, size_t pages)
{
    if (pages == 0 || pages > UINT32_MAX)
        return NULL;
    struct ram_range *r = calloc(1, sizeof(*r));
    if (r) {
        r->dmod = dmod;
        r->fmem = fmem;
        r->domid = domid;
        r->pages = pages;
        r->st.pages = pages;
        r->tracked_gfn = UINT64_MAX;
    }
    return r;
}

/* Room for `pages` more frames under the domain's limit, raising the limit
 * by what is missing. *raised_kb says by how much (0: there was room). */
static int make_room(xc_interface *xch, uint32_t domid, size_t pages, uint64_t *raised_kb)
{
    xc_domaininfo_t info;
    *raised_kb = 0;
    if (xc_domain_getinfolist(xch, domid, 1, &info) != 1 || info.domain != domid)
        return -ESRCH;
    uint64_t room = info.max_pages > info.tot_pages ? info.max_pages - info.tot_pages : 0;
    if (room >= pages)
        return 0;
    uint64_t add = pages - room;
    if (xc_domain_setmaxmem(xch, domid, (info.max_pages + add) * PAGE_KB) < 0)
        return -errno;
    *raised_kb = add * PAGE_KB;
    log_info("dom%u: memory limit raised by %llu KiB for the vGPU's own RAM (give the guest "
             "videoram= for it in its config to keep save/restore working)",
             domid, (unsigned long long)*raised_kb);
    return 0;
}

int ramrange_populate(xendevicemodel_handle *dmod, xenforeignmemory_handle *fmem,
                      uint32_t domid, size_t pages, struct ram_range **out)
{
    struct ram_range *r = range_new(dmod, fmem, domid, pages);
    if (!r)
        return -EINVAL;
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    xen_pfn_t *pfns = calloc(pages, sizeof(*pfns));
    int rc = xch && pfns ? 0 : -ENOMEM;
    if (!xch)
        rc = -errno;
    uint64_t park = 0;
    if (rc == 0)
        rc = park_above_guest(xch, domid, &park);
    if (rc == 0)
        rc = make_room(xch, domid, pages, &r->st.raised_kb);
    if (rc == 0) {
        for (size_t i = 0; i < pages; i++)
            pfns[i] = (xen_pfn_t)(park + i);
        if (xc_domain_populate_physmap_exact(xch, domid, pages, 0, 0, pfns) < 0) {
            rc = -errno;
            log_error("dom%u: populating %zu frames at gfn %#llx: %s", domid, pages,
                      (unsigned long long)park, strerror(-rc));
            if (r->st.raised_kb) {
                xc_domaininfo_t info;
                if (xc_domain_getinfolist(xch, domid, 1, &info) == 1)
                    xc_domain_setmaxmem(xch, domid,
                                        info.max_pages * PAGE_KB - r->st.raised_kb);
            }
        }
    }
    free(pfns);
    if (xch)
        xc_interface_close(xch);
    if (rc == 0)
        rc = map_frames(r, park);
    if (rc < 0) {
        /* Populated frames we could not map stay the guest's, at the
         * parking place, freed with the domain. */
        free(r);
        return rc;
    }
    r->st.gfn = r->st.park_gfn = park;
    log_info("dom%u: %zu frames of device RAM at gfn %#llx", domid, pages,
             (unsigned long long)park);
    *out = r;
    return 0;
}

int ramrange_adopt(xendevicemodel_handle *dmod, xenforeignmemory_handle *fmem,
                   uint32_t domid, uint64_t gfn, uint64_t park_gfn, size_t pages,
                   struct ram_range **out)
{
    struct ram_range *r = range_new(dmod, fmem, domid, pages);
    if (!r)
        return -EINVAL;
    int rc = map_frames(r, gfn);
    if (rc < 0) {
        free(r);
        return rc;
    }
    if (park_gfn == 0) {
        xc_interface *xch = xc_interface_open(NULL, NULL, 0);
        rc = xch ? park_above_guest(xch, domid, &park_gfn) : -errno;
        if (xch)
            xc_interface_close(xch);
        if (rc < 0) {
            ramrange_free(r);
            return rc;
        }
    }
    r->st.gfn = gfn;
    r->st.park_gfn = park_gfn;
    *out = r;
    return 0;
}

void ramrange_free(struct ram_range *r)
{
    if (!r)
        return;
    if (r->map)
        xenforeignmemory_unmap(r->fmem, r->map, r->pages);
    free(r);
}

/* Xen 4.17 takes the count as 16 bits (struct xen_add_to_physmap.size):
 * larger moves go in chunks. */
#define RELOCATE_CHUNK 32768u

static int relocate_chunks(struct ram_range *r, uint64_t src, uint64_t dst, size_t pages,
                           size_t *moved)
{
    for (*moved = 0; *moved < pages;) {
        uint32_t n = (uint32_t)(pages - *moved < RELOCATE_CHUNK ? pages - *moved : RELOCATE_CHUNK);
        if (xendevicemodel_relocate_memory(r->dmod, r->domid, n, src + *moved, dst + *moved) < 0)
            return -errno;
        *moved += n;
    }
    return 0;
}

static int relocate(struct ram_range *r, uint64_t dst)
{
    size_t moved;
    int rc = relocate_chunks(r, r->st.gfn, dst, r->pages, &moved);
    if (rc < 0) {
        r->st.relocate_failures++;
        log_warn("dom%u: moving device RAM %#llx -> %#llx: %s", r->domid,
                 (unsigned long long)r->st.gfn, (unsigned long long)dst, strerror(-rc));
        /* Chunks already moved go back, so the frames stay in one piece. */
        size_t back;
        if (moved && relocate_chunks(r, dst, r->st.gfn, moved, &back) < 0)
            log_error("dom%u: device RAM split between %#llx and %#llx", r->domid,
                      (unsigned long long)r->st.gfn, (unsigned long long)dst);
        return rc;
    }
    r->st.gfn = dst;
    r->st.relocations++;
    return 0;
}

static bool overlaps(uint64_t a, uint64_t b, uint64_t n)
{
    return a < b + n && b < a + n;
}

int ramrange_place(struct ram_range *r, uint64_t gfn)
{
    if (gfn == r->st.gfn)
        return 0;
    if (overlaps(gfn, r->st.gfn, r->pages)) {
        /* Step aside first: to the parking place, or, where the frames
         * are parked and the new place overlaps it (a 64-bit BAR that
         * hvmloader put at 4 GiB, right where a large slice waits), right
         * above both: higher than the guest's memory and than the BAR. */
        uint64_t aside = r->st.park_gfn;
        if (overlaps(aside, gfn, r->pages) || overlaps(aside, r->st.gfn, r->pages)) {
            uint64_t top = (gfn > r->st.gfn ? gfn : r->st.gfn) + r->pages;
            aside = (top + PARK_ALIGN_PAGES - 1) & ~(uint64_t)(PARK_ALIGN_PAGES - 1);
        }
        int rc = relocate(r, aside);
        if (rc < 0)
            return rc;
    }
    return relocate(r, gfn);
}

int ramrange_dirty(struct ram_range *r, unsigned long *bitmap, bool *armed)
{
    const size_t bits = 8 * sizeof(unsigned long);
    *armed = r->tracked_gfn != r->st.gfn;
    if (xendevicemodel_track_dirty_vram(r->dmod, r->domid, r->st.gfn, (uint32_t)r->pages,
                                        bitmap) < 0) {
        int rc = -errno;
        r->tracked_gfn = UINT64_MAX;
        return rc;
    }
    r->tracked_gfn = r->st.gfn;
    r->st.dirty_harvests++;
    if (*armed)
        memset(bitmap, 0, (r->pages + bits - 1) / bits * sizeof(unsigned long));
    return 0;
}

uint64_t ramrange_gfn(const struct ram_range *r) { return r->st.gfn; }
uint64_t ramrange_park_gfn(const struct ram_range *r) { return r->st.park_gfn; }
size_t ramrange_pages(const struct ram_range *r) { return r->pages; }
void *ramrange_ptr(const struct ram_range *r) { return r->map; }
void ramrange_get_stats(const struct ram_range *r, struct ram_range_stats *out) { *out = r->st; }
