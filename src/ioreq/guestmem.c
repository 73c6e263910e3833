#include "config.h"
#include "ioreq/guestmem.h"
#include "common/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BUCKET_SHIFT (GMEM_PAGE_SHIFT + GMEM_BUCKET_SHIFT)
#define BUCKET_SIZE (1ull << BUCKET_SHIFT)
#define BAD_WORDS ((GMEM_BUCKET_PAGES + 63) / 64)

/* Range checks against GMEM_MAX_GPA then also keep every bucket whole. */
_Static_assert(GMEM_MAX_GPA % BUCKET_SIZE == 0,
               "GMEM_MAX_GPA must be bucket aligned");

struct bucket {
    uint64_t index; /* gpa >> BUCKET_SHIFT */
    uint8_t *va;
    struct bucket *hnext;       /* hash chain; free list when unused */
    struct bucket *prev, *next; /* LRU, most recently used first */
    unsigned nbad;              /* lets the common all-good bucket skip bad[] */
    uint64_t bad[BAD_WORDS];    /* pages the hypervisor refused: never touch */
};

struct gmem {
    xenforeignmemory_handle *fmem;
    uint32_t domid;
    unsigned max_buckets;
    /* Every entry is allocated up front so that an access never allocates:
     * a full cache recycles its least recently used entry. */
    struct bucket *pool;
    struct bucket *free;
    struct bucket **hash;
    unsigned hash_bits;
    struct bucket *lru_head, *lru_tail;
    struct gmem_stats stats;
    bool probing; /* gmem_probe_write: a refusal is an answer, not a fault */
    struct {
        gmem_write_hook fn;
        void *opaque;
    } hooks[GMEM_MAX_WRITE_HOOKS];
    unsigned nr_hooks;
};

static size_t hash_slot(const struct gmem *gm, uint64_t index)
{
    /* Fibonacci hashing: strided access patterns (one bucket in every 2^k)
     * would all collide under a plain mask. */
    return (size_t)((index * 0x9e3779b97f4a7c15ull) >> (64 - gm->hash_bits));
}

static void lru_unlink(struct gmem *gm, struct bucket *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        gm->lru_head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    else
        gm->lru_tail = b->prev;
    b->prev = b->next = NULL;
}

static void lru_push(struct gmem *gm, struct bucket *b)
{
    b->prev = NULL;
    b->next = gm->lru_head;
    if (gm->lru_head)
        gm->lru_head->prev = b;
    else
        gm->lru_tail = b;
    gm->lru_head = b;
}

static void hash_remove(struct gmem *gm, struct bucket *b)
{
    struct bucket **pp = &gm->hash[hash_slot(gm, b->index)];
    while (*pp != b)
        pp = &(*pp)->hnext;
    *pp = b->hnext;
    b->hnext = NULL;
}

static void bucket_unmap(struct gmem *gm, struct bucket *b)
{
    if (xenforeignmemory_unmap(gm->fmem, b->va, GMEM_BUCKET_PAGES) < 0)
        log_warn("dom%u: unmapping guest memory at gpa %#llx: %s", gm->domid,
                 (unsigned long long)(b->index << BUCKET_SHIFT),
                 strerror(errno));
    b->va = NULL;
    gm->stats.mapped_buckets--;
}

/* An unused entry, evicting the least recently used bucket if need be. */
static struct bucket *bucket_take(struct gmem *gm)
{
    struct bucket *b = gm->free;
    if (b) {
        gm->free = b->hnext;
        b->hnext = NULL;
        return b;
    }
    b = gm->lru_tail;
    lru_unlink(gm, b);
    hash_remove(gm, b);
    bucket_unmap(gm, b);
    gm->stats.evictions++;
    return b;
}

static struct bucket *bucket_map(struct gmem *gm, uint64_t index)
{
    xen_pfn_t pfns[GMEM_BUCKET_PAGES];
    int err[GMEM_BUCKET_PAGES];
    for (unsigned i = 0; i < GMEM_BUCKET_PAGES; i++)
        pfns[i] = (xen_pfn_t)((index << GMEM_BUCKET_SHIFT) + i);

    /* Evict before mapping so the bound holds at every instant. */
    struct bucket *b = bucket_take(gm);
    gm->stats.maps++;
    void *va = xenforeignmemory_map(gm->fmem, gm->domid,
                                    PROT_READ | PROT_WRITE, GMEM_BUCKET_PAGES,
                                    pfns, err);
    if (!va) {
        int e = errno;
        gm->stats.map_failures++;
        b->hnext = gm->free;
        gm->free = b;
        /* Not the guest's doing, but every guest access retries the map:
         * rate limited all the same. */
        if (!gm->probing)
            log_guest("dom%u: mapping guest memory at gpa %#llx: %s", gm->domid,
                      (unsigned long long)(index << BUCKET_SHIFT), strerror(e));
        return NULL;
    }

    b->index = index;
    b->va = va;
    b->nbad = 0;
    memset(b->bad, 0, sizeof(b->bad));
    for (unsigned i = 0; i < GMEM_BUCKET_PAGES; i++) {
        if (err[i]) {
            b->bad[i / 64] |= 1ull << (i % 64);
            b->nbad++;
        }
    }
    if (b->nbad)
        log_debug("dom%u: %u of %u pages at gpa %#llx are not mappable",
                  gm->domid, b->nbad, GMEM_BUCKET_PAGES,
                  (unsigned long long)(index << BUCKET_SHIFT));

    size_t slot = hash_slot(gm, index);
    b->hnext = gm->hash[slot];
    gm->hash[slot] = b;
    lru_push(gm, b);
    gm->stats.mapped_buckets++;
    return b;
}

static struct bucket *bucket_get(struct gmem *gm, uint64_t index)
{
    /* The LRU head is the last bucket used: runs of accesses to one bucket,
     * the common case, skip the hash. */
    struct bucket *b = gm->lru_head;
    if (b && b->index == index) {
        gm->stats.hits++;
        return b;
    }
    for (b = gm->hash[hash_slot(gm, index)]; b; b = b->hnext) {
        if (b->index == index) {
            gm->stats.hits++;
            lru_unlink(gm, b);
            lru_push(gm, b);
            return b;
        }
    }
    return bucket_map(gm, index);
}

static bool range_bad(const struct bucket *b, size_t off, size_t len)
{
    for (size_t pg = off >> GMEM_PAGE_SHIFT;
         pg <= (off + len - 1) >> GMEM_PAGE_SHIFT; pg++)
        if (b->bad[pg / 64] & (1ull << (pg % 64)))
            return true;
    return false;
}

static bool in_space(uint64_t gpa, size_t len)
{
    return gpa < GMEM_MAX_GPA && len <= GMEM_MAX_GPA - gpa;
}

/* Every -EFAULT is counted once, whatever its cause, so that `faults` is
 * the number of refused accesses. */
static int fault(struct gmem *gm, uint64_t gpa, size_t len, const char *why)
{
    if (gm->probing)
        return -EFAULT;
    gm->stats.faults++;
    if (why)
        log_guest("dom%u: guest memory access gpa %#llx+%zu refused: %s",
                  gm->domid, (unsigned long long)gpa, len, why);
    return -EFAULT;
}

/* [gpa, gpa + len) is non-empty, in space and within one bucket. */
static int resolve(struct gmem *gm, uint64_t gpa, size_t len, uint8_t **ptr)
{
    struct bucket *b = bucket_get(gm, gpa >> BUCKET_SHIFT);
    if (!b)
        return fault(gm, gpa, len, NULL); /* bucket_map has said why */
    size_t off = (size_t)(gpa & (BUCKET_SIZE - 1));
    if (b->nbad && range_bad(b, off, len)) {
        /* The guest may have populated the page since (Xen sends no
         * INVALIDATE for that): forget the bucket so the next access asks
         * the hypervisor again, as QEMU's map cache does. */
        lru_unlink(gm, b);
        hash_remove(gm, b);
        bucket_unmap(gm, b);
        b->hnext = gm->free;
        gm->free = b;
        return fault(gm, gpa, len, "unmappable page");
    }
    *ptr = b->va + off;
    return 0;
}

/* Exactly one of `to` (a read) and `from` (a write) is set. */
static int copy(struct gmem *gm, uint64_t gpa, uint8_t *to,
                const uint8_t *from, size_t len)
{
    if (!in_space(gpa, len))
        return fault(gm, gpa, len, "beyond guest-physical space");
    while (len) {
        size_t room = (size_t)(BUCKET_SIZE - (gpa & (BUCKET_SIZE - 1)));
        size_t n = len < room ? len : room;
        uint8_t *p;
        int rc = resolve(gm, gpa, n, &p);
        if (rc < 0)
            return rc;
        if (to) {
            memcpy(to, p, n);
            to += n;
        } else {
            memcpy(p, from, n);
            from += n;
            gmem_wrote(gm, gpa, n); /* after the store: see dirtylog.h */
        }
        gpa += n;
        len -= n;
    }
    return 0;
}

int gmem_read(struct gmem *gm, uint64_t gpa, void *buf, size_t len)
{
    return copy(gm, gpa, buf, NULL, len);
}

int gmem_write(struct gmem *gm, uint64_t gpa, const void *buf, size_t len)
{
    return copy(gm, gpa, NULL, buf, len);
}

int gmem_probe_write(struct gmem *gm, uint64_t gpa, const void *buf, size_t len)
{
    gm->probing = true;
    int rc = copy(gm, gpa, NULL, buf, len);
    gm->probing = false;
    return rc;
}

int gmem_peek(struct gmem *gm, uint64_t gpa, size_t len, const void **ptr)
{
    if (len == 0)
        return -EINVAL;
    if (!in_space(gpa, len))
        return fault(gm, gpa, len, "beyond guest-physical space");
    if (len > BUCKET_SIZE - (gpa & (BUCKET_SIZE - 1)))
        return -EINVAL;
    uint8_t *p;
    int rc = resolve(gm, gpa, len, &p);
    if (rc < 0)
        return rc;
    *ptr = p;
    return 0;
}

static void unmap_all(struct gmem *gm)
{
    for (struct bucket *b = gm->lru_head; b; b = b->next)
        bucket_unmap(gm, b);
    gm->lru_head = gm->lru_tail = NULL;
    memset(gm->hash, 0, ((size_t)1 << gm->hash_bits) * sizeof(gm->hash[0]));
    gm->free = NULL;
    for (unsigned i = 0; i < gm->max_buckets; i++) {
        gm->pool[i] = (struct bucket){ .hnext = gm->free };
        gm->free = &gm->pool[i];
    }
}

int gmem_new(xenforeignmemory_handle *fmem, uint32_t domid,
             unsigned max_buckets, struct gmem **out)
{
    if (max_buckets == 0)
        max_buckets = GMEM_DEFAULT_MAX_BUCKETS;
    struct gmem *gm = calloc(1, sizeof(*gm));
    if (!gm)
        return -ENOMEM;
    gm->fmem = fmem;
    gm->domid = domid;
    gm->max_buckets = max_buckets;
    /* At least as many slots as entries keeps chains short; at least two
     * keeps hash_slot's shift below 64. */
    gm->hash_bits = 1;
    while (((size_t)1 << gm->hash_bits) < max_buckets)
        gm->hash_bits++;
    gm->hash = calloc((size_t)1 << gm->hash_bits, sizeof(gm->hash[0]));
    gm->pool = calloc(max_buckets, sizeof(gm->pool[0]));
    if (!gm->hash || !gm->pool) {
        free(gm->hash);
        free(gm->pool);
        free(gm);
        return -ENOMEM;
    }
    unmap_all(gm); /* nothing to unmap yet: this threads the free list */
    *out = gm;
    return 0;
}

void gmem_free(struct gmem *gm)
{
    if (!gm)
        return;
    unmap_all(gm);
    free(gm->hash);
    free(gm->pool);
    free(gm);
}

void gmem_invalidate(struct gmem *gm)
{
    gm->stats.invalidations++;
    unmap_all(gm);
}

int gmem_add_write_hook(struct gmem *gm, gmem_write_hook fn, void *opaque)
{
    if (gm->nr_hooks == GMEM_MAX_WRITE_HOOKS)
        return -ENOSPC;
    gm->hooks[gm->nr_hooks].fn = fn;
    gm->hooks[gm->nr_hooks++].opaque = opaque;
    return 0;
}

void gmem_remove_write_hook(struct gmem *gm, gmem_write_hook fn, void *opaque)
{
    for (unsigned i = 0; i < gm->nr_hooks; i++) {
        if (gm->hooks[i].fn == fn && gm->hooks[i].opaque == opaque) {
            memmove(&gm->hooks[i], &gm->hooks[i + 1],
                    (gm->nr_hooks - i - 1) * sizeof(gm->hooks[0]));
            gm->nr_hooks--;
            return;
        }
    }
}

void gmem_wrote(struct gmem *gm, uint64_t gpa, size_t len)
{
    for (unsigned i = 0; i < gm->nr_hooks; i++)
        gm->hooks[i].fn(gm->hooks[i].opaque, gpa, len);
}

void gmem_get_stats(const struct gmem *gm, struct gmem_stats *out)
{
    *out = gm->stats;
}
