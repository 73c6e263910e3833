#include "config.h"
#include "ioreq/dirtylog.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SHIFT 12
#define FIRST_SLOTS 1024u
/* Past this many pending pages the set stops growing and is flushed
 * instead: 4 GiB of writes between two loop rounds is not a workload. */
#define MAX_SLOTS (1u << 21)
#define SHRINK_SLOTS (16u * FIRST_SLOTS)

struct dirtylog {
    xendevicemodel_handle *dmod;
    uint32_t domid;
    bool on;
    /* Open addressing over gfn + 1 (0: an empty slot), at most half full. */
    uint64_t *slot;
    uint32_t nslots, count;
    /* Room for every extent a full set can make, taken with the set so
     * that a flush never allocates. */
    struct xen_dm_op_modified_memory_extent *ext;
    struct dirtylog_stats st;
};

static uint32_t hash(uint64_t key, uint32_t nslots)
{
    return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (nslots - 1);
}

static void put(uint64_t *slot, uint32_t nslots, uint64_t key, uint32_t *count)
{
    uint32_t h = hash(key, nslots);
    while (slot[h]) {
        if (slot[h] == key)
            return;
        h = (h + 1) & (nslots - 1);
    }
    slot[h] = key;
    (*count)++;
}

static int grow(struct dirtylog *dl)
{
    uint32_t n = dl->nslots ? dl->nslots * 2 : FIRST_SLOTS;
    if (n > MAX_SLOTS)
        return -ENOSPC;
    uint64_t *slot = calloc(n, sizeof(*slot));
    struct xen_dm_op_modified_memory_extent *ext = calloc(n / 2, sizeof(*ext));
    if (!slot || !ext) {
        free(slot);
        free(ext);
        return -ENOMEM;
    }
    uint32_t count = 0;
    for (uint32_t i = 0; i < dl->nslots; i++)
        if (dl->slot[i])
            put(slot, n, dl->slot[i], &count);
    free(dl->slot);
    free(dl->ext);
    dl->slot = slot;
    dl->ext = ext;
    dl->nslots = n;
    return 0;
}

int dirtylog_new(xendevicemodel_handle *dmod, uint32_t domid, struct dirtylog **out)
{
    struct dirtylog *dl = calloc(1, sizeof(*dl));
    if (!dl)
        return -ENOMEM;
    dl->dmod = dmod;
    dl->domid = domid;
    *out = dl;
    return 0;
}

void dirtylog_free(struct dirtylog *dl)
{
    if (!dl)
        return;
    free(dl->slot);
    free(dl->ext);
    free(dl);
}

static void drop_pending(struct dirtylog *dl)
{
    if (dl->count)
        memset(dl->slot, 0, dl->nslots * sizeof(*dl->slot));
    dl->count = 0;
    dl->st.pending = 0;
}

void dirtylog_enable(struct dirtylog *dl, bool on)
{
    if (on && !dl->on)
        dl->st.lost = 0;
    if (!on)
        drop_pending(dl);
    dl->on = on;
    dl->st.enabled = on;
}

bool dirtylog_enabled(const struct dirtylog *dl)
{
    return dl->on;
}

static void mark_page(struct dirtylog *dl, uint64_t gfn)
{
    if ((dl->count + 1) * 2 > dl->nslots && grow(dl) < 0) {
        /* No room: report what we have now (later than the writes, as
         * required) and start again. */
        dirtylog_flush(dl);
        if (!dl->nslots) { /* never had a table: nowhere to keep it */
            dl->st.lost++;
            return;
        }
    }
    put(dl->slot, dl->nslots, gfn + 1, &dl->count);
    dl->st.pending = dl->count;
}

void dirtylog_mark(struct dirtylog *dl, uint64_t gpa, size_t len)
{
    if (!dl || !dl->on || len == 0)
        return;
    uint64_t last = (gpa + len - 1) >> PAGE_SHIFT;
    for (uint64_t gfn = gpa >> PAGE_SHIFT; gfn <= last; gfn++)
        mark_page(dl, gfn);
}

/* Heapsort, in place. Not qsort: glibc's asks sysinfo(2) how much memory
 * the machine has before sorting more than a few hundred bytes, and the
 * daemon's seccomp filter ends a process that makes that call. */
static void sift_down(uint64_t *a, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && a[child + 1] > a[child])
            child++;
        if (a[root] >= a[child])
            return;
        uint64_t t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

static void sort_u64(uint64_t *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n; end > 1; end--) {
        uint64_t t = a[0];
        a[0] = a[end - 1];
        a[end - 1] = t;
        sift_down(a, 0, end - 1);
    }
}

/* One extent Xen refused in a batch, alone. Xen 4.17 checks every extent
 * with `end_pfn > domain_get_maximum_gpfn(d)` where end_pfn is one past
 * the extent (xen/arch/x86/hvm/dm.c:158-160): the domain's highest gfn
 * itself is refused (-EINVAL). The rest of such an extent is reported. */
static uint64_t report_alone(struct dirtylog *dl, const struct xen_dm_op_modified_memory_extent *e)
{
    if (xendevicemodel_modified_memory(dl->dmod, (domid_t)dl->domid, e->first_pfn, e->nr) == 0) {
        dl->st.reported += e->nr;
        return 0;
    }
    if (errno == EINVAL && e->nr > 1 &&
        xendevicemodel_modified_memory(dl->dmod, (domid_t)dl->domid, e->first_pfn,
                                       e->nr - 1) == 0) {
        dl->st.reported += e->nr - 1;
        return 1;
    }
    return e->nr;
}

int dirtylog_flush(struct dirtylog *dl)
{
    if (!dl || !dl->count)
        return 0;
    /* The keys to the front, sorted: the pages in order. */
    uint32_t used = 0;
    for (uint32_t i = 0; i < dl->nslots; i++)
        if (dl->slot[i])
            dl->slot[used++] = dl->slot[i];
    sort_u64(dl->slot, used);
    uint32_t n = 0;
    for (uint32_t i = 0; i < used; i++) {
        uint64_t gfn = dl->slot[i] - 1;
        if (n && dl->ext[n - 1].first_pfn + dl->ext[n - 1].nr == gfn &&
            dl->ext[n - 1].nr < UINT32_MAX)
            dl->ext[n - 1].nr++;
        else
            dl->ext[n++] = (struct xen_dm_op_modified_memory_extent){ .first_pfn = gfn,
                                                                      .nr = 1 };
    }
    uint64_t lost = 0;
    int err = 0;
    for (uint32_t i = 0; i < n; i += DIRTYLOG_EXTENTS_PER_OP) {
        uint32_t k = n - i < DIRTYLOG_EXTENTS_PER_OP ? n - i : DIRTYLOG_EXTENTS_PER_OP;
        uint64_t pages = 0;
        for (uint32_t j = 0; j < k; j++)
            pages += dl->ext[i + j].nr;
        dl->st.dm_ops++;
        if (xendevicemodel_modified_memory_bulk(dl->dmod, (domid_t)dl->domid, dl->ext + i,
                                                k) == 0) {
            dl->st.reported += pages;
            continue;
        }
        /* Xen stops at the first extent it refuses, having marked an
         * undefined part of the rest (dm_op.h): each again, alone. */
        err = errno;
        for (uint32_t j = 0; j < k; j++) {
            dl->st.dm_ops++;
            lost += report_alone(dl, &dl->ext[i + j]);
        }
    }
    drop_pending(dl);
    if (dl->nslots > SHRINK_SLOTS) {
        /* A burst (an aperture reload) grew the set: the next flushes
         * would scan all of it for a few pages. */
        free(dl->slot);
        free(dl->ext);
        dl->slot = NULL;
        dl->ext = NULL;
        dl->nslots = 0;
    }
    if (!lost)
        return 0;
    dl->st.lost += lost;
    static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
    log_ratelimited(&rl,
                    "dom%u: %llu page%s the daemon wrote could not be reported to Xen's "
                    "log-dirty mode (%s): a migration now would carry them stale, and the "
                    "save will refuse", dl->domid, (unsigned long long)lost,
                    lost > 1 ? "s" : "", strerror(err));
    return -(err ? err : EIO);
}

void dirtylog_get_stats(const struct dirtylog *dl, struct dirtylog_stats *out)
{
    if (dl)
        *out = dl->st;
    else
        *out = (struct dirtylog_stats){ 0 };
}
