/* An in-process hypervisor for the fuzz targets and the gvt unit tests: the libxen* calls the
 * daemon's modules make, answered from this process, so a fuzz input runs
 * the daemon's own ioreq, vGPU and guest-memory code without a simulator
 * process or a real Xen.
 *
 * Guest RAM is a memfd; a foreign mapping is a reservation with RAM pages
 * mapped over it MAP_SHARED (the daemon's view and the harness's alias), and
 * a page outside RAM is refused as Xen refuses it. Event channels are one
 * eventfd with a queue of pending ports. The ioreq pages are plain memory
 * the harness writes requests into. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "fake_xen.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>

#define PAGE 4096u

struct fuzz_xen fx;

static char handle_token;

void fuzz_xen_init(void)
{
    if (fx.ram)
        return;
    fx.ram_fd = memfd_create("fuzz-guest-ram", MFD_CLOEXEC);
    if (fx.ram_fd < 0 || ftruncate(fx.ram_fd, FUZZ_RAM_BYTES + FUZZ_POOL_FRAMES * PAGE) < 0)
        abort();
    fx.ram = mmap(NULL, FUZZ_RAM_BYTES + FUZZ_POOL_FRAMES * PAGE, PROT_READ | PROT_WRITE,
                  MAP_SHARED, fx.ram_fd, 0);
    fx.ioreq_pages = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                          -1, 0);
    fx.evt_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fx.ram == MAP_FAILED || fx.ioreq_pages == MAP_FAILED || fx.evt_fd < 0)
        abort();
}

void fuzz_xen_reset(void)
{
    /* Fresh RAM and device-model frames (punched to zero: the cost is the
     * pages the last input touched, not the 80 MiB) and ioreq pages for the
     * next input; the frames stay where they were populated (a cold reset
     * parks them), as the vGPU that owns them lives on. The event-channel
     * ports Xen wrote into the slots stay (the server that bound them
     * lives on). */
    fallocate(fx.ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
              FUZZ_RAM_BYTES + (uint64_t)FUZZ_POOL_FRAMES * PAGE);
    fx.refuse_relocate = false;
    shared_iopage_t *iop = (shared_iopage_t *)((uint8_t *)fx.ioreq_pages + PAGE);
    uint32_t eports[FUZZ_VCPUS];
    for (unsigned i = 0; i < FUZZ_VCPUS; i++)
        eports[i] = iop->vcpu_ioreq[i].vp_eport;
    memset(fx.ioreq_pages, 0, 2 * PAGE);
    for (unsigned i = 0; i < FUZZ_VCPUS; i++)
        iop->vcpu_ioreq[i].vp_eport = eports[i];
    fx.npending = 0;
    fx.msis = 0;
    fx.notifies = 0;
    uint64_t drain;
    while (read(fx.evt_fd, &drain, sizeof(drain)) == sizeof(drain))
        ;
}

void fuzz_xen_raise(uint32_t local_port)
{
    if (fx.npending < FUZZ_MAX_PENDING)
        fx.pending[fx.npending++] = local_port;
    uint64_t one = 1;
    if (write(fx.evt_fd, &one, sizeof(one)) < 0)
        abort();
}

/* --- libxenforeignmemory ---------------------------------------------- */

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *l, unsigned f)
{
    (void)l, (void)f;
    return (xenforeignmemory_handle *)&handle_token;
}

int xenforeignmemory_close(xenforeignmemory_handle *h)
{
    (void)h;
    return 0;
}

void *xenforeignmemory_map(xenforeignmemory_handle *h, uint32_t dom, int prot, size_t pages,
                           const xen_pfn_t arr[], int err[])
{
    (void)h, (void)dom;
    if (pages == 0 || pages > (1u << 20)) {
        errno = EINVAL;
        return NULL;
    }
    uint8_t *va = mmap(NULL, pages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (va == MAP_FAILED)
        return NULL;
    bool any_bad = false;
    for (size_t i = 0; i < pages;) {
        int f = arr[i] < FUZZ_RAM_BYTES / PAGE ? -1 : fuzz_xen_pool_find(arr[i]);
        bool ok = arr[i] < FUZZ_RAM_BYTES / PAGE || f >= 0;
        off_t at = f >= 0 ? (off_t)(FUZZ_RAM_BYTES + (uint64_t)f * PAGE) : (off_t)(arr[i] * PAGE);
        /* A run of consecutive frames is one mapping (a bucket is 64; the
         * device's 2048-frame GGTT is one run, not 2048 mmaps). */
        size_t run = 1;
        while (ok && i + run < pages && arr[i + run] == arr[i] + run &&
               (f < 0 ? arr[i + run] < FUZZ_RAM_BYTES / PAGE
                      : fuzz_xen_pool_find(arr[i + run]) == f + (int)run))
            run++;
        if (ok && mmap(va + i * PAGE, run * PAGE, prot, MAP_SHARED | MAP_FIXED, fx.ram_fd, at) ==
                      MAP_FAILED)
            abort();
        for (size_t k = 0; k < run; k++) {
            if (err)
                err[i + k] = ok ? 0 : -EINVAL;
        }
        any_bad |= !ok;
        i += run;
    }
    if (any_bad && !err) {
        munmap(va, pages * PAGE);
        errno = EINVAL;
        return NULL;
    }
    fx.maps++;
    return va;
}

int xenforeignmemory_unmap(xenforeignmemory_handle *h, void *addr, size_t pages)
{
    (void)h;
    return munmap(addr, pages * PAGE);
}

struct xenforeignmemory_resource_handle {
    void *addr;
};

xenforeignmemory_resource_handle *xenforeignmemory_map_resource(
    xenforeignmemory_handle *fmem, domid_t domid, unsigned int type, unsigned int id,
    unsigned long frame, unsigned long nr_frames, void **paddr, int prot, int flags)
{
    (void)fmem, (void)domid, (void)type, (void)id, (void)prot, (void)flags;
    if (frame != 0 || nr_frames != 2) {
        errno = EOPNOTSUPP;
        return NULL;
    }
    static struct xenforeignmemory_resource_handle res;
    res.addr = fx.ioreq_pages;
    *paddr = fx.ioreq_pages;
    /* Xen fills in each vCPU's port when the server is created. */
    shared_iopage_t *iop = (shared_iopage_t *)((uint8_t *)fx.ioreq_pages + PAGE);
    for (unsigned i = 0; i < FUZZ_VCPUS; i++)
        iop->vcpu_ioreq[i].vp_eport = FUZZ_VCPU_PORT + i;
    return &res;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *fmem,
                                    xenforeignmemory_resource_handle *fres)
{
    (void)fmem, (void)fres;
    return 0;
}

/* --- libxendevicemodel ------------------------------------------------- */

xendevicemodel_handle *xendevicemodel_open(struct xentoollog_logger *l, unsigned f)
{
    (void)l, (void)f;
    return (xendevicemodel_handle *)&handle_token;
}

int xendevicemodel_close(xendevicemodel_handle *h)
{
    (void)h;
    return 0;
}

int xendevicemodel_nr_vcpus(xendevicemodel_handle *h, domid_t d, unsigned int *vcpus)
{
    (void)h, (void)d;
    *vcpus = FUZZ_VCPUS;
    return 0;
}

int xendevicemodel_create_ioreq_server(xendevicemodel_handle *h, domid_t d, int handle_bufioreq,
                                       ioservid_t *id)
{
    (void)h, (void)d, (void)handle_bufioreq;
    *id = 1;
    return 0;
}

int xendevicemodel_get_ioreq_server_info(xendevicemodel_handle *h, domid_t d, ioservid_t id,
                                         xen_pfn_t *ioreq_gfn, xen_pfn_t *bufioreq_gfn,
                                         evtchn_port_t *bufioreq_port)
{
    (void)h, (void)d, (void)id;
    if (ioreq_gfn || bufioreq_gfn) {
        errno = EOPNOTSUPP;
        return -1;
    }
    if (bufioreq_port)
        *bufioreq_port = FUZZ_BUF_PORT;
    return 0;
}

int xendevicemodel_set_ioreq_server_state(xendevicemodel_handle *h, domid_t d, ioservid_t id,
                                          int enabled)
{
    (void)h, (void)d, (void)id, (void)enabled;
    return 0;
}

int xendevicemodel_destroy_ioreq_server(xendevicemodel_handle *h, domid_t d, ioservid_t id)
{
    (void)h, (void)d, (void)id;
    return 0;
}

int xendevicemodel_map_io_range_to_ioreq_server(xendevicemodel_handle *h, domid_t d,
                                                ioservid_t id, int is_mmio, uint64_t start,
                                                uint64_t end)
{
    (void)h, (void)d, (void)id, (void)is_mmio, (void)start, (void)end;
    return 0;
}

int xendevicemodel_unmap_io_range_from_ioreq_server(xendevicemodel_handle *h, domid_t d,
                                                    ioservid_t id, int is_mmio, uint64_t start,
                                                    uint64_t end)
{
    (void)h, (void)d, (void)id, (void)is_mmio, (void)start, (void)end;
    return 0;
}

int xendevicemodel_map_pcidev_to_ioreq_server(xendevicemodel_handle *h, domid_t d,
                                              ioservid_t id, uint16_t seg, uint8_t bus,
                                              uint8_t dev, uint8_t fn)
{
    (void)h, (void)d, (void)id, (void)seg, (void)bus, (void)dev, (void)fn;
    return 0;
}

int xendevicemodel_unmap_pcidev_from_ioreq_server(xendevicemodel_handle *h, domid_t d,
                                                  ioservid_t id, uint16_t seg, uint8_t bus,
                                                  uint8_t dev, uint8_t fn)
{
    (void)h, (void)d, (void)id, (void)seg, (void)bus, (void)dev, (void)fn;
    return 0;
}

int xendevicemodel_map_mem_type_to_ioreq_server(xendevicemodel_handle *h, domid_t d,
                                                ioservid_t id, uint16_t type, uint32_t flags)
{
    (void)h, (void)d, (void)id, (void)type, (void)flags;
    return 0;
}

int xendevicemodel_set_mem_type(xendevicemodel_handle *h, domid_t d, hvmmem_type_t mem_type,
                                uint64_t first_pfn, uint32_t nr)
{
    (void)h, (void)d;
    /* Xen refuses types on frames the guest does not have. */
    if (first_pfn >= FUZZ_RAM_BYTES / PAGE || nr > FUZZ_RAM_BYTES / PAGE - first_pfn) {
        errno = EINVAL;
        return -1;
    }
    for (uint64_t pfn = first_pfn; pfn < first_pfn + nr; pfn++) {
        if (mem_type == HVMMEM_ioreq_server)
            fx.memtype[pfn / 64] |= 1ull << (pfn % 64);
        else
            fx.memtype[pfn / 64] &= ~(1ull << (pfn % 64));
    }
    return 0;
}

bool fuzz_xen_write_protected(uint64_t gpa)
{
    uint64_t pfn = gpa / PAGE;
    return pfn < FUZZ_RAM_BYTES / PAGE && (fx.memtype[pfn / 64] >> (pfn % 64)) & 1;
}

int xendevicemodel_inject_msi(xendevicemodel_handle *h, domid_t d, uint64_t addr, uint32_t data)
{
    (void)h, (void)d, (void)addr, (void)data;
    fx.msis++;
    return 0;
}

/* Xen 4.17's checks (xen/arch/x86/hvm/dm.c:153-160); the pages are not
 * tracked: no fuzz target migrates. */
int xendevicemodel_modified_memory_bulk(xendevicemodel_handle *h, domid_t d,
                                        struct xen_dm_op_modified_memory_extent *ext,
                                        uint32_t nr)
{
    (void)h, (void)d;
    for (uint32_t i = 0; i < nr; i++) {
        uint64_t end = ext[i].first_pfn + ext[i].nr;
        if (ext[i].pad || end <= ext[i].first_pfn) {
            errno = EINVAL;
            return -1;
        }
    }
    return 0;
}

int xendevicemodel_modified_memory(xendevicemodel_handle *h, domid_t d, uint64_t first_pfn,
                                   uint32_t nr)
{
    struct xen_dm_op_modified_memory_extent e = { .first_pfn = first_pfn, .nr = nr };
    return xendevicemodel_modified_memory_bulk(h, d, &e, 1);
}

int xendevicemodel_set_pci_intx_level(xendevicemodel_handle *h, domid_t d, uint16_t seg,
                                      uint8_t bus, uint8_t dev, uint8_t intx, unsigned int level)
{
    (void)h, (void)d, (void)seg, (void)bus, (void)dev, (void)intx, (void)level;
    return 0;
}

/* --- libxenevtchn ------------------------------------------------------ */

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *l, unsigned f)
{
    (void)l, (void)f;
    return (xenevtchn_handle *)&handle_token;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    (void)xce;
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    (void)xce;
    return fx.evt_fd;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    (void)xce, (void)domid;
    return (xenevtchn_port_or_error_t)(remote_port + FUZZ_LOCAL_OFFSET);
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce, (void)port;
    return 0;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce, (void)port;
    fx.notifies++;
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    (void)xce;
    if (fx.npending == 0) {
        errno = EAGAIN;
        return -1;
    }
    evtchn_port_t p = fx.pending[0];
    memmove(fx.pending, fx.pending + 1, --fx.npending * sizeof(fx.pending[0]));
    if (fx.npending == 0) {
        uint64_t drain;
        if (read(fx.evt_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
            abort();
    }
    return (xenevtchn_port_or_error_t)p;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce, (void)port;
    return 0;
}

/* --- the physmap beyond RAM -------------------------------------------- */
/* As Xen 4.17 keeps it for a device model (see tests/sim/sim_physmap.c):
 * populated frames charged to nothing here, moved frame by frame, a move
 * onto a populated frame frees it, one dirty-tracked range. Only for
 * targets that ask (fx.physmap); the others keep a trapped GGTT. */

static unsigned pool_slot(uint64_t gfn)
{
    return (unsigned)(gfn * 0x9e3779b97f4a7c15ull >> 51) & (2 * FUZZ_POOL_FRAMES - 1);
}

/* After pool_gfn changed wholesale: the index again (open addressing,
 * linear probing). */
static void pool_reindex(void)
{
    memset(fx.pool_index, 0, sizeof(fx.pool_index));
    for (unsigned i = 0; i < fx.pool_used; i++) {
        if (fx.pool_gfn[i] == UINT64_MAX)
            continue;
        unsigned h = pool_slot(fx.pool_gfn[i]);
        while (fx.pool_index[h])
            h = (h + 1) & (2 * FUZZ_POOL_FRAMES - 1);
        fx.pool_index[h] = (uint16_t)(i + 1);
    }
}

int fuzz_xen_pool_find(uint64_t gfn)
{
    for (unsigned h = pool_slot(gfn), n = 0; n < 2 * FUZZ_POOL_FRAMES;
         n++, h = (h + 1) & (2 * FUZZ_POOL_FRAMES - 1)) {
        uint16_t v = fx.pool_index[h];
        if (!v)
            return -1;
        if (fx.pool_gfn[v - 1] == gfn)
            return v - 1;
    }
    return -1;
}

/* Frame f leaves the index (it is about to move or be freed): its slot is
 * emptied and the probe run after it shifted back (Knuth's algorithm R),
 * so a move costs two probes, not a rebuild of all 3072 frames' index. */
static void pool_index_remove(int f)
{
    const unsigned mask = 2 * FUZZ_POOL_FRAMES - 1;
    unsigned i = pool_slot(fx.pool_gfn[f]);
    while (fx.pool_index[i] != f + 1) {
        if (!fx.pool_index[i])
            return;
        i = (i + 1) & mask;
    }
    for (unsigned j = i;;) {
        fx.pool_index[i] = 0;
        for (;;) {
            j = (j + 1) & mask;
            uint16_t v = fx.pool_index[j];
            if (!v)
                return;
            unsigned home = pool_slot(fx.pool_gfn[v - 1]);
            /* v may fill the hole at i unless its home lies cyclically in (i, j]. */
            bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                fx.pool_index[i] = v;
                i = j;
                break;
            }
        }
    }
}

static void pool_index_add(int f)
{
    unsigned h = pool_slot(fx.pool_gfn[f]);
    while (fx.pool_index[h])
        h = (h + 1) & (2 * FUZZ_POOL_FRAMES - 1);
    fx.pool_index[h] = (uint16_t)(f + 1);
}

void fuzz_xen_pool_mark_dirty(int i)
{
    if (!fx.pool_dirty[i])
        fx.dirty_list[fx.ndirty++] = (uint16_t)i;
    fx.pool_dirty[i] = 1;
}

void fuzz_xen_pool_clean(void)
{
    for (unsigned k = 0; k < fx.ndirty; k++)
        fx.pool_dirty[fx.dirty_list[k]] = 0;
    fx.ndirty = 0;
}

uint8_t *fuzz_xen_pool_frame(int i)
{
    return fx.ram + FUZZ_RAM_BYTES + (size_t)i * PAGE;
}

xc_interface *xc_interface_open(xentoollog_logger *l, xentoollog_logger *dl, unsigned f)
{
    (void)l, (void)dl, (void)f;
    return (xc_interface *)&handle_token;
}

int xc_interface_close(xc_interface *xch)
{
    (void)xch;
    return 0;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first, unsigned n, xc_domaininfo_t *info)
{
    (void)xch;
    if (n == 0 || first > 7u)
        return 0;
    memset(info, 0, sizeof(*info));
    info->domain = 7;
    info->tot_pages = FUZZ_RAM_BYTES / PAGE + fx.pool_used;
    info->max_pages = FUZZ_RAM_BYTES / PAGE + FUZZ_POOL_FRAMES;
    return 1;
}

int xc_domain_maximum_gpfn(xc_interface *xch, uint32_t domid, xen_pfn_t *gpfns)
{
    (void)xch, (void)domid;
    *gpfns = FUZZ_RAM_BYTES / PAGE - 1;
    for (unsigned i = 0; i < fx.pool_used; i++)
        if (fx.pool_gfn[i] != UINT64_MAX && fx.pool_gfn[i] > *gpfns)
            *gpfns = (xen_pfn_t)fx.pool_gfn[i];
    return 0;
}

int xc_domain_setmaxmem(xc_interface *xch, uint32_t domid, uint64_t kb)
{
    (void)xch, (void)domid, (void)kb;
    return 0;
}

int xc_domain_populate_physmap_exact(xc_interface *xch, uint32_t domid, unsigned long nr,
                                     unsigned int order, unsigned int flags, xen_pfn_t *pfns)
{
    (void)xch, (void)domid, (void)flags;
    if (!fx.physmap || order != 0 || fx.pool_used + nr > FUZZ_POOL_FRAMES) {
        errno = ENOMEM;
        return -1;
    }
    for (unsigned long i = 0; i < nr; i++)
        fx.pool_gfn[fx.pool_used++] = pfns[i];
    pool_reindex();
    return 0;
}

int xendevicemodel_relocate_memory(xendevicemodel_handle *h, domid_t d, uint32_t size,
                                   uint64_t src, uint64_t dst)
{
    (void)h, (void)d;
    if (fx.refuse_relocate) {
        errno = EPERM;
        return -1;
    }
    for (uint32_t i = 0; i < size; i++) { /* frame by frame, as Xen moves them */
        int f = fuzz_xen_pool_find(src + i);
        if (f < 0 || dst + i < FUZZ_RAM_BYTES / PAGE) {
            errno = EINVAL;
            return -1;
        }
        int victim = fuzz_xen_pool_find(dst + i);
        if (victim == f)
            continue;
        if (victim >= 0) {
            pool_index_remove(victim);
            fx.pool_gfn[victim] = UINT64_MAX;
        }
        pool_index_remove(f);
        fx.pool_gfn[f] = dst + i;
        pool_index_add(f);
    }
    return 0;
}

int xendevicemodel_track_dirty_vram(xendevicemodel_handle *h, domid_t d, uint64_t first,
                                    uint32_t nr, unsigned long *bitmap)
{
    (void)h, (void)d;
    const unsigned bits = 8 * sizeof(unsigned long);
    if (nr > (1u << 18)) {
        errno = EINVAL;
        return -1;
    }
    bool fresh = first != fx.dirty_first || nr != fx.dirty_nr;
    memset(bitmap, fresh ? 0xff : 0, (nr + bits - 1) / bits * sizeof(unsigned long));
    /* Only the dirty frames are visited (the list, not all 3072); those in
     * the range are reported and become clean, the others stay dirty. */
    unsigned kept = 0;
    for (unsigned k = 0; k < fx.ndirty; k++) {
        int f = fx.dirty_list[k];
        uint64_t g = fx.pool_gfn[f];
        if (g == UINT64_MAX || g < first || g - first >= nr) {
            fx.dirty_list[kept++] = (uint16_t)f;
            continue;
        }
        if (!fresh)
            bitmap[(g - first) / bits] |= 1ul << ((g - first) % bits);
        fx.pool_dirty[f] = 0;
    }
    fx.ndirty = kept;
    fx.dirty_first = first;
    fx.dirty_nr = nr;
    return 0;
}
