/* The guest's GGTT: 8-byte entries at BAR0 + 8 MiB. An entry maps one 4 KiB
 * page of graphics address space to a guest frame (bits 45:12, bit 0
 * present). Entries outside the vGPU's slices are not the guest's to set. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/ggtt.h"
#include "ioreq/guestmem.h"
#include "ioreq/ramrange.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define GEN8_PTE_PRESENT 1ull
#define GEN8_PTE_ADDR_MASK 0x00003ffffffff000ull /* bits 45:12 */

static uint64_t owned_end(const struct vgpu *v)
{
    /* The hidden slice starts right after the aperture BAR. */
    return (uint64_t)v->pci.bars[2].size + ((uint64_t)v->type->hidden_mb << 20);
}

static bool index_owned(const struct vgpu *v, uint32_t idx)
{
    uint64_t gaddr = (uint64_t)idx << GVT_PAGE_SHIFT;
    uint64_t ap = (uint64_t)v->mappable_mb << 20;
    return gaddr < ap || (gaddr >= v->pci.bars[2].size && gaddr < owned_end(v));
}

static bool frame_is_guest_ram(struct vgpu *v, uint64_t entry)
{
    const void *p;
    return gmem_peek(v->gm, entry & GEN8_PTE_ADDR_MASK, 1, &p) == 0;
}

/* The daemon-side table: 8 MiB of which a guest writes a few pages. Its
 * own anonymous mapping, so that only those pages ever cost memory,
 * whatever the allocator's state (calloc may serve it from a heap it
 * must clear first: half the time of a vGPU built per fuzz input). */
int gvt_ggtt_init(struct vgpu *v)
{
    void *p = mmap(NULL, GVT_GGTT_ENTRIES * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    v->ggtt.entries = p == MAP_FAILED ? NULL : p;
    return v->ggtt.entries ? 0 : -ENOMEM;
}

void gvt_ggtt_free_table(struct vgpu *v)
{
    if (!v->ggtt.gsm && v->ggtt.entries)
        munmap(v->ggtt.entries, GVT_GGTT_ENTRIES * sizeof(uint64_t));
    v->ggtt.entries = NULL;
}

void gvt_ggtt_release(struct vgpu *v)
{
    gvt_ggtt_free_table(v);
}

/* The guest may store to the table at any moment (it is its RAM): every
 * entry is loaded once, whole, and only that value is judged and used. */
static uint64_t entry_load(const struct vgpu *v, uint32_t idx)
{
    return __atomic_load_n(&v->ggtt.entries[idx], __ATOMIC_RELAXED);
}

/* A table in guest RAM (v->ggtt.gsm) is guest memory like any other: the
 * daemon's stores to it are announced (gmem_wrote: a live migration must
 * copy the page again). */
static void gsm_wrote(struct vgpu *v, size_t off, size_t len)
{
    if (v->ggtt.gsm)
        gmem_wrote(v->gm, (ramrange_gfn(v->ggtt.gsm) << GVT_PAGE_SHIFT) + off, len);
}

static void entry_store(struct vgpu *v, uint32_t idx, uint64_t e)
{
    __atomic_store_n(&v->ggtt.entries[idx], e, __ATOMIC_RELAXED);
    gsm_wrote(v, (size_t)idx * sizeof(uint64_t), sizeof(uint64_t));
}

/* Zero the table in guest RAM page by page, writing only the pages that
 * are not zero already: a reset of a mostly empty table then reads memory
 * instead of dirtying all of it (and a migration copies only those). */
static void zero_gsm_pages(struct vgpu *v)
{
    static const uint8_t zero[4096];
    uint8_t *p = (uint8_t *)v->ggtt.entries;
    for (size_t off = 0; off < (size_t)GVT_GGTT_ENTRIES * sizeof(uint64_t); off += sizeof(zero))
        if (memcmp(p + off, zero, sizeof(zero)) != 0) {
            memset(p + off, 0, sizeof(zero));
            gsm_wrote(v, off, sizeof(zero));
        }
}

void gvt_ggtt_reset(struct vgpu *v)
{
    if (v->ggtt.gsm) {
        zero_gsm_pages(v);
        return;
    }
    if (v->ggtt.hi > v->ggtt.lo)
        memset(v->ggtt.entries + v->ggtt.lo, 0, (v->ggtt.hi - v->ggtt.lo) * sizeof(uint64_t));
    v->ggtt.lo = GVT_GGTT_ENTRIES;
    v->ggtt.hi = 0;
}

/* The only writer of the table besides the guest: keeps the touched range
 * of a daemon-side table. idx is checked by the caller. */
void gvt_ggtt_set(struct vgpu *v, uint32_t idx, uint64_t entry)
{
    entry_store(v, idx, entry);
    if (idx < v->ggtt.lo)
        v->ggtt.lo = idx;
    if (idx >= v->ggtt.hi)
        v->ggtt.hi = idx + 1;
}

uint64_t gvt_ggtt_entry(const struct vgpu *v, uint32_t idx)
{
    return idx < GVT_GGTT_ENTRIES ? entry_load(v, idx) : 0;
}

/* Trapped accesses: the table is not RAM-backed (or its relocation
 * failed), so the guest's stores arrive here one by one. */
int gvt_ggtt_read(struct vgpu *v, uint32_t off, unsigned size, uint64_t *val)
{
    uint32_t idx = off >> 3;
    if (idx >= GVT_GGTT_ENTRIES || (size != 4 && size != 8) || (off & (size - 1)))
        return -EINVAL;
    uint64_t e = entry_load(v, idx);
    *val = size == 8 ? e : (off & 4) ? e >> 32 : (uint32_t)e;
    return 0;
}

int gvt_ggtt_write(struct vgpu *v, uint32_t off, unsigned size, uint64_t val)
{
    uint32_t idx = off >> 3;
    if (idx >= GVT_GGTT_ENTRIES || (size != 4 && size != 8) || (off & (size - 1)))
        return -EINVAL;
    if (!index_owned(v, idx)) {
        /* i915 clears the ballooned ranges too (a whole-GGTT scratch fill
         * when it believes VT-d is on): expected, so counted, not warned. */
        v->stats.ggtt_dropped++;
        log_debug("GGTT write to entry %#x outside the vGPU's slices dropped", idx);
        return -EPERM;
    }
    uint64_t e = entry_load(v, idx);
    if (size == 8)
        e = val;
    else if (off & 4)
        e = (e & 0xffffffffull) | val << 32;
    else
        e = (e & ~0xffffffffull) | (uint32_t)val;
    gvt_ggtt_set(v, idx, e);
    v->stats.ggtt_writes++;
    /* Judge an entry once it is whole: an 8-byte write, or the high half
     * (the low half comes first when a 64-bit write is split). */
    if ((size == 8 || (off & 4)) && (e & GEN8_PTE_PRESENT) && !frame_is_guest_ram(v, e)) {
        v->stats.ggtt_invalid++;
        log_guest("GGTT entry %#x -> gpa %#llx is not guest memory: scratch page",
                  idx, (unsigned long long)(e & GEN8_PTE_ADDR_MASK));
    }
    return 0;
}

/* What an entry maps to is decided here, at use, from one load of it:
 * anything that is not a present entry inside the vGPU's slices is the
 * scratch page, and so is a frame the guest does not have (gmem refuses
 * it when the caller touches it: the guest can only name its own
 * memory). */
int gvt_ggtt_translate(struct vgpu *v, uint64_t gaddr, uint64_t *gpa)
{
    uint64_t idx = gaddr >> GVT_PAGE_SHIFT;
    if (idx >= GVT_GGTT_ENTRIES || !index_owned(v, (uint32_t)idx))
        return -EFAULT;
    uint64_t e = entry_load(v, (uint32_t)idx);
    if (!(e & GEN8_PTE_PRESENT))
        return -EFAULT;
    *gpa = (e & GEN8_PTE_ADDR_MASK) | (gaddr & ((1u << GVT_PAGE_SHIFT) - 1));
    return 0;
}
