/* The guest's physmap beyond its RAM, simulated as Xen 4.17 keeps it:
 * XENMEM_populate_physmap for the device model (charged to the guest,
 * refused over its limit, refused once xencall is restricted), the domain's
 * limit (setmaxmem) and highest gfn, and XEN_DMOP_relocate_memory (frame by
 * frame: a frame moved onto a populated one frees that one, as
 * add_to_physmap does). Frames keep their machine page (pool slot), so a
 * foreign mapping taken before a move stays valid after it. */
#include "sim_xen.h"

#include <stdio.h>
#include <string.h>
#include <xenctrl.h>
#include <xendevicemodel.h>

#define PAGE 4096u

static uint64_t ram_frames(const struct sim_shared *sh) { return sh->ram_bytes / PAGE; }

static uint64_t limit(const struct sim_shared *sh)
{
    return sh->max_pages ? sh->max_pages : ram_frames(sh) + SIM_MAXMEM_SLACK_PAGES;
}

static bool xencall_usable(void)
{
    /* xentoolcore_restrict_all puts /dev/null over privcmd's fd. */
    return sim_xen()->toolcore_restricted < 0;
}

static int alive(uint32_t domid)
{
    struct sim_shared *sh = sim_xen();
    if (domid != sh->domid || !__atomic_load_n(&sh->alive, __ATOMIC_ACQUIRE)) {
        errno = ESRCH;
        return -1;
    }
    return 0;
}

/* A privcmd hypercall about `domid`: refused once restricted, or for a
 * domain that is not there. 0 or -1 with errno. */
static int hypercall_ok(uint32_t domid)
{
    if (!xencall_usable()) {
        errno = EPERM;
        return -1;
    }
    return alive(domid);
}

int xc_domain_setmaxmem(xc_interface *xch, uint32_t domid, uint64_t max_memkb)
{
    (void)xch;
    if (hypercall_ok(domid) < 0)
        return -1;
    sim_xen()->max_pages = max_memkb / 4;
    return 0;
}

/* Xen's domain_get_maximum_gpfn: the highest gfn ever in the physmap
 * (p2m->max_mapped_pfn: it never goes down). RAM, then Xen's special pages
 * just below 4 GiB, then what was added. */
static uint64_t max_gpfn(const struct sim_shared *sh)
{
    uint64_t max = SIM_LEGACY_BUFIOREQ_GFN;
    if (ram_frames(sh) - 1 > max)
        max = ram_frames(sh) - 1;
    if (sh->max_gpfn_seen > max)
        max = sh->max_gpfn_seen;
    return max;
}

int xc_domain_maximum_gpfn(xc_interface *xch, uint32_t domid, xen_pfn_t *gpfns)
{
    (void)xch;
    if (hypercall_ok(domid) < 0)
        return -1;
    *gpfns = (xen_pfn_t)max_gpfn(sim_xen());
    return 0;
}

/* XEN_DMOP_modified_memory as Xen 4.17 takes it (xen/arch/x86/hvm/dm.c:
 * 122-200): extents from the last, each refused (-EINVAL) with a nonzero
 * pad, no pages, or an end (one past its last page) beyond the domain's
 * highest gfn -- so that gfn itself is refused. Xen stops at the first
 * refusal, having marked some pages; the record keeps the extents it got
 * past. Xen returns 0 without checking anything when the domain is not in
 * log-dirty mode (dm.c:135); the simulation always checks: a report that
 * a migration would refuse is a bug even when none runs. Linux's privcmd
 * refuses a buffer over 4 KiB (E2BIG, dm_op_buf_max_size) before Xen sees
 * it. */
int xendevicemodel_modified_memory_bulk(xendevicemodel_handle *dmod, domid_t domid,
                                        struct xen_dm_op_modified_memory_extent extents[],
                                        uint32_t nr)
{
    if (sim_dm_check(dmod, domid) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    sh->modified_calls++;
    if ((uint64_t)nr * sizeof(extents[0]) > 4096) {
        sh->modified_refused++;
        errno = E2BIG;
        return -1;
    }
    uint64_t max = sh->refuse_modified ? 0 : max_gpfn(sh);
    for (uint32_t i = nr; i-- > 0;) {
        const struct xen_dm_op_modified_memory_extent *e = &extents[i];
        uint64_t end = e->first_pfn + e->nr;
        if (e->pad || end <= e->first_pfn || end > max) {
            sh->modified_refused++;
            errno = EINVAL;
            return -1;
        }
        uint32_t at = sh->modified_count % SIM_MAX_MODIFIED;
        sh->modified[at].first = e->first_pfn;
        sh->modified[at].nr = e->nr;
        __atomic_store_n(&sh->modified_count, sh->modified_count + 1, __ATOMIC_RELEASE);
        __atomic_fetch_add(&sh->modified_pages, e->nr, __ATOMIC_RELEASE);
    }
    return 0;
}

int xendevicemodel_modified_memory(xendevicemodel_handle *dmod, domid_t domid,
                                   uint64_t first_pfn, uint32_t nr)
{
    struct xen_dm_op_modified_memory_extent e = { .first_pfn = first_pfn, .nr = nr };
    return xendevicemodel_modified_memory_bulk(dmod, domid, &e, 1);
}

int xc_domain_populate_physmap_exact(xc_interface *xch, uint32_t domid,
                                     unsigned long nr_extents, unsigned int extent_order,
                                     unsigned int mem_flags, xen_pfn_t *extent_start)
{
    (void)xch;
    (void)mem_flags;
    if (hypercall_ok(domid) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    if (extent_order != 0) {
        errno = EINVAL; /* the simulation hands out 4 KiB frames only */
        return -1;
    }
    sh->populate_calls++;
    uint64_t tot = ram_frames(sh) + sh->pool_live;
    if (sh->refuse_populate || tot + nr_extents > limit(sh) ||
        sh->pool_used + nr_extents > SIM_POOL_FRAMES) {
        fprintf(stderr, "sim: populate of %lu frames refused (tot %llu, max %llu)\n",
                nr_extents, (unsigned long long)tot, (unsigned long long)limit(sh));
        errno = ENOMEM;
        return -1;
    }
    for (unsigned long i = 0; i < nr_extents; i++) {
        uint64_t gfn = extent_start[i];
        if (gfn < ram_frames(sh) || sim_pool_find(sh, gfn) >= 0) {
            errno = EBUSY;
            return -1;
        }
    }
    for (unsigned long i = 0; i < nr_extents; i++) {
        __atomic_store_n(&sh->pool_gfn[sh->pool_used], extent_start[i], __ATOMIC_RELAXED);
        __atomic_store_n(&sh->pool_used, sh->pool_used + 1, __ATOMIC_RELEASE);
        sh->pool_live++;
        if (extent_start[i] > sh->max_gpfn_seen)
            sh->max_gpfn_seen = extent_start[i];
    }
    sim_pool_rehash(sh);
    return 0;
}

/* As hap_track_dirty_vram: a new range reports every page dirty (and
 * arms them); the same range again reports the frames the guest stored to
 * since, and re-arms them; 0 pages stops tracking. Only populated frames
 * take part (holes and MMIO never show). */
int xendevicemodel_track_dirty_vram(xendevicemodel_handle *dmod, domid_t domid,
                                    uint64_t first_pfn, uint32_t nr,
                                    unsigned long *dirty_bitmap)
{
    if (sim_dm_check(dmod, domid) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    sh->dirty_calls++;
    if (nr > (1u << 18)) {
        errno = EINVAL;
        return -1;
    }
    const unsigned bits = 8 * sizeof(unsigned long);
    if (nr == 0) {
        sh->dirty_first = 0;
        sh->dirty_nr = 0;
        return 0;
    }
    bool fresh = first_pfn != sh->dirty_first || nr != sh->dirty_nr;
    memset(dirty_bitmap, 0, (nr + bits - 1) / bits * sizeof(unsigned long));
    if (fresh)
        for (uint32_t i = 0; i < nr; i++)
            dirty_bitmap[i / bits] |= 1ul << (i % bits);
    /* Nothing stored since the last harvest: no frame to look at. */
    uint64_t marks = __atomic_load_n(&sh->pool_dirty_marks, __ATOMIC_ACQUIRE);
    bool news = fresh || marks != sh->pool_dirty_seen;
    sh->pool_dirty_seen = marks;
    for (uint32_t f = 0; news && f < sh->pool_used && f < SIM_POOL_FRAMES; f++) {
        uint64_t gfn = __atomic_load_n(&sh->pool_gfn[f], __ATOMIC_RELAXED);
        if (gfn == SIM_GFN_NONE || gfn < first_pfn || gfn - first_pfn >= nr)
            continue;
        uint64_t i = gfn - first_pfn;
        if (__atomic_exchange_n(&sh->pool_dirty[f], 0, __ATOMIC_ACQ_REL) && !fresh)
            dirty_bitmap[i / bits] |= 1ul << (i % bits);
    }
    sh->dirty_first = first_pfn;
    sh->dirty_nr = nr;
    return 0;
}

int xendevicemodel_relocate_memory(xendevicemodel_handle *dmod, domid_t domid,
                                   uint32_t size, uint64_t src_gfn, uint64_t dst_gfn)
{
    if (sim_dm_check(dmod, domid) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    if (sh->refuse_relocate) {
        errno = EPERM;
        return -1;
    }
    bool overlapping = src_gfn < dst_gfn + size && dst_gfn < src_gfn + size;
    for (uint32_t i = 0; i < size; i++) {
        int src = sim_pool_find(sh, src_gfn + i);
        if (src < 0) {
            /* Xen: the source must be mapped (else -EXDEV/-EINVAL). Moving
             * the guest's own RAM is not modelled. */
            errno = src_gfn + i < ram_frames(sh) ? EOPNOTSUPP : EINVAL;
            return -1;
        }
        uint64_t dst = dst_gfn + i;
        if (dst < ram_frames(sh)) {
            fprintf(stderr, "sim: relocating onto guest RAM (gfn %#llx) is not modelled\n",
                    (unsigned long long)dst);
            errno = EOPNOTSUPP;
            return -1;
        }
        int victim = sim_pool_find(sh, dst);
        if (victim >= 0 && victim != src) {
            __atomic_store_n(&sh->pool_gfn[victim], SIM_GFN_NONE, __ATOMIC_RELAXED);
            sh->pool_live--;
        }
        __atomic_store_n(&sh->pool_gfn[src], dst, __ATOMIC_RELEASE);
        if (dst > sh->max_gpfn_seen)
            sh->max_gpfn_seen = dst;
        sh->relocated_frames++;
        if (overlapping)
            sim_pool_rehash(sh); /* frame by frame, as Xen moves them */
    }
    sim_pool_rehash(sh);
    sh->relocations++;
    return 0;
}
