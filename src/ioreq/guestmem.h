/* Guest memory through foreign mappings, behind a map cache.
 *
 * Guest-physical space is cut into buckets of GMEM_BUCKET_PAGES pages; a
 * bucket is mapped whole with xenforeignmemory_map() on first use and kept
 * in an LRU of at most `max_buckets`. Pages the hypervisor refused to map
 * (per-page err[]) are never touched: an access to them, or to any address
 * that cannot be mapped, is an error (-EFAULT), not a fault in the daemon;
 * it also drops their bucket, so the next access asks Xen again. INVALIDATE ioreqs (the guest's memory map changed) drop
 * every mapping. */
#ifndef XENGVT_IOREQ_GUESTMEM_H
#define XENGVT_IOREQ_GUESTMEM_H

#include <stddef.h>
#include <stdint.h>
#include <xenforeignmemory.h>

#define GMEM_PAGE_SHIFT 12
#define GMEM_PAGE_SIZE (1u << GMEM_PAGE_SHIFT)
#define GMEM_BUCKET_SHIFT 6 /* 64 pages = 256 KiB per bucket */
#define GMEM_BUCKET_PAGES (1u << GMEM_BUCKET_SHIFT)
#define GMEM_DEFAULT_MAX_BUCKETS 256 /* 64 MiB of mappings at most */
/* Guest-physical addresses at or above this are refused outright (x86-64
 * physical addresses are at most 52 bits). */
#define GMEM_MAX_GPA (1ull << 52)

struct gmem;

struct gmem_stats {
    uint64_t hits;      /* lookups served by a cached bucket */
    uint64_t maps;      /* xenforeignmemory_map calls */
    uint64_t map_failures;
    uint64_t evictions; /* buckets unmapped to stay under the bound */
    uint64_t invalidations;
    uint64_t faults;    /* accesses refused (unmappable page or address) */
    unsigned mapped_buckets;
};

int gmem_new(xenforeignmemory_handle *fmem, uint32_t domid,
             unsigned max_buckets, struct gmem **out);
void gmem_free(struct gmem *gm);

/* Copy between guest-physical memory and a daemon buffer. Any length, any
 * alignment, across pages and buckets. On error nothing is guaranteed about
 * partial progress; the return is 0 or -EFAULT. Not thread-safe: the event
 * loop's thread only. */
int gmem_read(struct gmem *gm, uint64_t gpa, void *buf, size_t len);
int gmem_write(struct gmem *gm, uint64_t gpa, const void *buf, size_t len);

/* gmem_write where the caller does not know whether [gpa, gpa + len) is
 * guest RAM and has another way if it is not (the OpRegion's pages may be
 * left unpopulated in the MMIO hole): -EFAULT without a warning and without
 * counting a fault. */
int gmem_probe_write(struct gmem *gm, uint64_t gpa, const void *buf, size_t len);

/* A direct pointer to guest memory valid until the next gmem call that may
 * map or unmap (any gmem_* call but gmem_get_stats). `len` must not cross a
 * bucket boundary, else -EINVAL. For hot paths that copy many small items
 * from one page (ring walks, frame capture rows). Read-only: every write
 * must be announced (below), and a write through a pointer would not be. */
int gmem_peek(struct gmem *gm, uint64_t gpa, size_t len, const void **ptr);

/* Every write the daemon makes to guest memory is announced to the hooks:
 * gmem_write and gmem_probe_write announce each bucket-sized piece right
 * after writing it, and code that stores through its own mapping of guest
 * frames (the RAM ranges behind the vGPU's BARs, ramrange.h) announces its
 * stores with gmem_wrote. What listens: Xen's log-dirty reporting during a
 * live migration (dirtylog.h), and each vGPU's scanout watch (the pages a
 * capture must read again, scanout_watch.h). At most GMEM_MAX_WRITE_HOOKS:
 * -ENOSPC beyond. A hook must not call back into gmem. */
#define GMEM_MAX_WRITE_HOOKS 8
typedef void (*gmem_write_hook)(void *opaque, uint64_t gpa, size_t len);
int gmem_add_write_hook(struct gmem *gm, gmem_write_hook fn, void *opaque);
void gmem_remove_write_hook(struct gmem *gm, gmem_write_hook fn, void *opaque);
void gmem_wrote(struct gmem *gm, uint64_t gpa, size_t len);

/* Drop every mapping (INVALIDATE ioreq, domain memory map changed). */
void gmem_invalidate(struct gmem *gm);
void gmem_get_stats(const struct gmem *gm, struct gmem_stats *out);

#endif
