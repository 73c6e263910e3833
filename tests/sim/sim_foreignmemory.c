/* libxenforeignmemory, simulated: guest frames are pages of the RAM memfd;
 * the legacy ioreq gfns and the ioreq-server resource are pages of the
 * shared state. Frames that do not exist are left unmapped (PROT_NONE),
 * as privcmd leaves them, and reported per page in err[]. */
#include "sim_xen.h"

#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xenforeignmemory.h>
#include <xen/memory.h>

#define PAGE 4096u

struct xenforeignmemory_handle {
    int32_t restricted;
};

struct xenforeignmemory_resource_handle {
    void *addr;
    size_t pages;
};

xenforeignmemory_handle *sim_last_fmem;

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger,
                                               unsigned int open_flags)
{
    (void)logger;
    (void)open_flags;
    xenforeignmemory_handle *h = calloc(1, sizeof(*h));
    if (h)
        h->restricted = -1;
    sim_last_fmem = h;
    return h;
}

int xenforeignmemory_close(xenforeignmemory_handle *fmem)
{
    free(fmem);
    return 0;
}

int xenforeignmemory_restrict(xenforeignmemory_handle *fmem, domid_t domid)
{
    fmem->restricted = domid;
    sim_xen()->fm_restricted = domid;
    return 0;
}

static int map_frame(void *at, xen_pfn_t pfn, int prot)
{
    struct sim_shared *sh = sim_xen();
    int fd;
    off_t off;
    if (pfn < sh->ram_bytes / PAGE) {
        fd = sh->ram_fd;
        off = (off_t)pfn * PAGE;
    } else if (sim_pool_find(sh, pfn) >= 0) {
        /* The frame, not the gfn: it stays mapped wherever it moves. */
        fd = sh->ram_fd;
        off = (off_t)sh->ram_bytes + (off_t)sim_pool_find(sh, pfn) * PAGE;
    } else if (pfn == SIM_LEGACY_IOREQ_GFN && sh->server_created) {
        fd = sh->shm_fd;
        off = (off_t)offsetof(struct sim_shared, ioreq_page);
    } else if (pfn == SIM_LEGACY_BUFIOREQ_GFN && sh->server_created) {
        fd = sh->shm_fd;
        off = (off_t)offsetof(struct sim_shared, bufioreq_page);
    } else {
        return -EINVAL;
    }
    if (mmap(at, PAGE, prot, MAP_SHARED | MAP_FIXED, fd, off) == MAP_FAILED)
        return -errno;
    return 0;
}

void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom,
                           int prot, size_t pages, const xen_pfn_t arr[],
                           int err[])
{
    if (sim_check_domain(fmem->restricted, dom) < 0)
        return NULL;
    if (pages == 0) {
        errno = EINVAL;
        return NULL;
    }
    struct sim_shared *sh = sim_xen();
    if (sh->fail_map_count) {
        sh->fail_map_count--;
        errno = ENOMEM;
        return NULL;
    }
    void *base = mmap(NULL, pages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    bool any_bad = false;
    for (size_t i = 0; i < pages; i++) {
        int rc = map_frame((char *)base + i * PAGE, arr[i], prot);
        if (err)
            err[i] = rc;
        any_bad |= rc != 0;
    }
    /* Without err[] the caller asked for all or nothing. */
    if (any_bad && !err) {
        munmap(base, pages * PAGE);
        errno = EINVAL;
        return NULL;
    }
    return base;
}

void *xenforeignmemory_map2(xenforeignmemory_handle *fmem, uint32_t dom,
                            void *addr, int prot, int flags, size_t pages,
                            const xen_pfn_t arr[], int err[])
{
    (void)flags;
    if (addr) {
        errno = EOPNOTSUPP;
        return NULL;
    }
    return xenforeignmemory_map(fmem, dom, prot, pages, arr, err);
}

int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr,
                           size_t pages)
{
    (void)fmem;
    return munmap(addr, pages * PAGE);
}

xenforeignmemory_resource_handle *xenforeignmemory_map_resource(
    xenforeignmemory_handle *fmem, domid_t domid, unsigned int type,
    unsigned int id, unsigned long frame, unsigned long nr_frames,
    void **paddr, int prot, int flags)
{
    (void)flags;
    if (sim_check_domain(fmem->restricted, domid) < 0)
        return NULL;
    struct sim_shared *sh = sim_xen();
    if (sh->refuse_resource_api) {
        errno = EOPNOTSUPP;
        return NULL;
    }
    if (type != XENMEM_resource_ioreq_server || id != SIM_SERVER_ID ||
        !sh->server_created || frame + nr_frames > 2 || nr_frames == 0) {
        errno = EINVAL;
        return NULL;
    }
    /* Frame 0 is the buffered page, frame 1 the ioreq page: adjacent in
     * the shared state, so one mapping serves both. */
    off_t off = (off_t)offsetof(struct sim_shared, bufioreq_page) +
                (off_t)frame * PAGE;
    void *p = mmap(*paddr, nr_frames * PAGE, prot,
                   MAP_SHARED | (*paddr ? MAP_FIXED : 0), sh->shm_fd, off);
    if (p == MAP_FAILED)
        return NULL;
    xenforeignmemory_resource_handle *r = malloc(sizeof(*r));
    if (!r) {
        munmap(p, nr_frames * PAGE);
        errno = ENOMEM;
        return NULL;
    }
    r->addr = p;
    r->pages = nr_frames;
    *paddr = p;
    return r;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *fmem,
                                    xenforeignmemory_resource_handle *fres)
{
    (void)fmem;
    if (!fres)
        return 0;
    munmap(fres->addr, fres->pages * PAGE);
    free(fres);
    return 0;
}
