/* The aperture (BAR2) in guest RAM: frames of its own behind the vGPU's
 * slice, so that the guest's stores through the aperture cost no trap.
 *
 * Stock Xen maps a frame at one gfn only, so these frames are a copy of the
 * pages the GGTT names, kept coherent at the moments i915 relies on (see
 * doc/ggtt-and-aperture.md):
 *  - what the guest stored through the aperture reaches the page its GGTT
 *    entry named (Xen's dirty tracking of the range says which frames);
 *  - a page newly bound into the slice, or one the GPU may have written,
 *    reads through the aperture what the page holds.
 * Sync points: i915's flush of GTT writes (a posting read of the render
 * ring's head), the GGTT invalidate (GFX_FLSH_CNTL), a capture, a save, and
 * the GPU touching a page bound in the slice (aperture_gpu.c). Between them the two copies may differ;
 * the hardware's aperture never does, and i915 never looks in between.
 *
 * Every entry is loaded once and judged at the sync (inside the slice,
 * present, a frame the guest owns: gmem refuses any other); a frame whose
 * entry is not valid reads as the scratch page (zero), and what the guest
 * stored to it goes nowhere. */
#include "config.h"
#include "gvt/vgpu.h"
#include "gvt/device.h"
#include "gvt/aperture.h"
#include "gvt/aperture_gpu.h"
#include "gvt/ggtt.h"
#include "ioreq/guestmem.h"
#include "ioreq/ramrange.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PTE_PRESENT 1ull
#define PTE_ADDR_MASK 0x00003ffffffff000ull
#define GFX_FLSH_CNTL_GEN6 0x101008u
#define LONG_BITS (8u * sizeof(unsigned long))

static uint32_t slice_pages(const struct vgpu *v)
{
    return v->mappable_mb << (20 - GVT_PAGE_SHIFT);
}

static uint8_t *frame(struct vgpu *v, uint32_t i)
{
    return (uint8_t *)ramrange_ptr(v->apr.ram) + ((size_t)i << GVT_PAGE_SHIFT);
}

/* Out: the aperture frame's stores to the page its entry named. */
static void flush_out(struct vgpu *v, uint32_t i)
{
    uint64_t e = v->apr.bound[i];
    if (!(e & PTE_PRESENT) ||
        gmem_write(v->gm, e & PTE_ADDR_MASK, frame(v, i), 1u << GVT_PAGE_SHIFT) < 0) {
        log_guest("aperture page %#x: stores to an unbound or foreign page dropped", i);
        return;
    }
    v->stats.aperture_out++;
}

static void set_bound(struct vgpu *v, uint32_t i, uint64_t e)
{
    v->apr.bound_count += (e & PTE_PRESENT ? 1 : 0) - (v->apr.bound[i] & PTE_PRESENT ? 1 : 0);
    v->apr.bound[i] = e;
}

/* In: the aperture frame shows the page entry `e` names (zero: scratch).
 * The frame is guest memory (behind BAR2, or parked): the store is
 * announced like any other (gmem_wrote), for a live migration's sake. */
static void load_in(struct vgpu *v, uint32_t i, uint64_t e)
{
    if (!(e & PTE_PRESENT) ||
        gmem_read(v->gm, e & PTE_ADDR_MASK, frame(v, i), 1u << GVT_PAGE_SHIFT) < 0)
        memset(frame(v, i), 0, 1u << GVT_PAGE_SHIFT);
    gmem_wrote(v->gm, (ramrange_gfn(v->apr.ram) + i) << GVT_PAGE_SHIFT, 1u << GVT_PAGE_SHIFT);
    set_bound(v, i, e);
    v->stats.aperture_in++;
}

/* Nothing in the slice was bound at the last sync and nothing is now: no
 * store can have a page to go to, and none needs reloading. Xen's harvest
 * walks every frame of the range (a p2m type change each, under a domain
 * pause): skipping it is what keeps a guest with a large, still empty
 * slice (firmware, early boot) at full speed. */
static bool any_dirty(const unsigned long *bits, uint32_t n)
{
    for (uint32_t w = 0; w < (n + LONG_BITS - 1) / LONG_BITS; w++)
        if (bits[w])
            return true;
    return false;
}

static bool slice_idle(struct vgpu *v, uint32_t n)
{
    if (v->apr.bound_count)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (gvt_ggtt_entry(v, i) & PTE_PRESENT)
            return false;
    return true;
}

void gvt_aperture_sync(struct vgpu *v)
{
    if (!v->apr.ram || v->apr.trapped)
        return;
    uint32_t n = slice_pages(v);
    if (slice_idle(v, n)) {
        gvt_aperture_gpu_forget(v);
        return;
    }
    bool armed = false;
    int rc = ramrange_dirty(v->apr.ram, v->apr.dirty, &armed);
    if (rc < 0) {
        /* Without Xen's word nothing is known to be dirty: nothing is
         * flushed (flushing all would undo the GPU's writes). */
        log_warn("aperture: dirty tracking refused (%s)", strerror(-rc));
        memset(v->apr.dirty, 0, (n + LONG_BITS - 1) / LONG_BITS * sizeof(unsigned long));
    }
    v->stats.aperture_syncs++;
    /* The common case at a capture, nothing to do: no page stored to
     * through BAR2, no entry moved, nothing the GPU wrote. One compare of
     * the slice's entries with what the frames mirror (the guest may be
     * storing an entry meanwhile: that is found by the next sync, as a
     * store just after this one would be). */
    if (!v->apr.gpu_wrote && !v->apr.gpu_count && !any_dirty(v->apr.dirty, n) &&
        memcmp(v->ggtt.entries, v->apr.bound, (size_t)n * sizeof(uint64_t)) == 0) {
        gvt_aperture_gpu_forget(v);
        return;
    }
    bool changed = false;
    for (uint32_t i = 0; i < n; i++) {
        bool dirty = v->apr.dirty[i / LONG_BITS] >> (i % LONG_BITS) & 1;
        if (dirty)
            flush_out(v, i);
        uint64_t e = gvt_ggtt_entry(v, i);
        if (e != v->apr.bound[i]) {
            load_in(v, i, e);
            changed = true;
        } else if (!dirty && (v->apr.gpu_wrote || gvt_aperture_gpu_wrote_page(v, e))) {
            load_in(v, i, e);
        }
    }
    if (changed)
        gvt_aperture_bound_changed(v, n);
    gvt_aperture_gpu_forget(v);
}

void gvt_aperture_gpu_read(struct vgpu *v, uint64_t gpa)
{
    if (v->apr.cpu_may_have_stored && gvt_aperture_gpu_bound(v, gpa))
        gvt_aperture_sync(v); /* the CPU's stores through the aperture, first */
}

void gvt_aperture_gpu_end(struct vgpu *v)
{
    if (v->apr.gpu_hit)
        gvt_aperture_sync(v); /* the frames show what the GPU wrote */
}

/* Beyond the slice, BAR2 is not the guest's: the scratch page, trapped. */
static int beyond_read(void *opaque, uint64_t offset, unsigned size, uint64_t *val)
{
    struct vgpu *v = opaque;
    (void)offset;
    (void)size;
    v->stats.trap_aperture++;
    *val = 0;
    return 0;
}

static int beyond_write(void *opaque, uint64_t offset, unsigned size, uint64_t val)
{
    struct vgpu *v = opaque;
    (void)size;
    (void)val;
    v->stats.trap_aperture++;
    log_guest("aperture write beyond the vGPU's slice (+%#llx) dropped",
              (unsigned long long)offset);
    return 0;
}

static const struct io_ops beyond_ops = { beyond_read, beyond_write };

static void claim_beyond(struct vgpu *v, bool trapped)
{
    uint64_t slice = (uint64_t)v->mappable_mb << 20, size = v->pci.bars[2].size;
    if (trapped)
        pci_func_set_bar_claim(&v->pci, 2, 0, 0, NULL); /* all of it, through the GGTT */
    else
        pci_func_set_bar_claim(&v->pci, 2, slice, size - slice, slice < size ? &beyond_ops : NULL);
}

/* The frames follow BAR2 as the GGTT's follow BAR0. Before they move,
 * what the guest stored in them goes out; after, Xen's tracking is armed at
 * the new place. If Xen refuses, the aperture is trapped again (through
 * the GGTT to the pages themselves), and reloaded when a move succeeds. */
void gvt_aperture_follow_bar2(struct vgpu *v)
{
    uint64_t bar = v->pci.bars[2].mapped_addr;
    if (!v->apr.ram || bar == PCI_BAR_UNMAPPED)
        return;
    gvt_aperture_sync(v);
    int rc = ramrange_place(v->apr.ram, bar >> GVT_PAGE_SHIFT);
    gmem_invalidate(v->gm);
    bool trap = rc < 0;
    if (trap != v->apr.trapped) {
        v->apr.trapped = trap;
        claim_beyond(v, trap);
        if (trap) {
            log_warn("aperture RAM could not follow BAR2 to %#llx (%s): its stores trap",
                     (unsigned long long)bar, strerror(-rc));
        } else {
            for (uint32_t i = 0; i < slice_pages(v); i++)
                load_in(v, i, gvt_ggtt_entry(v, i));
            log_info("aperture RAM at BAR2 again");
        }
    }
    gvt_aperture_sync(v); /* arms the tracking where the frames are now */
}

static void flsh_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)off;
    (void)old;
    (void)val;
    gvt_aperture_sync(v);
}

static const struct gvt_reg aperture_rows[] = {
    /* The GGTT invalidate i915 writes after binding: a sync point. */
    { GFX_FLSH_CNTL_GEN6, 0, 0, 0, NULL, flsh_written, "GFX_FLSH_CNTL_GEN6" },
};

int gvt_aperture_init(struct vgpu *v)
{
    return gvt_regs_add(&v->regs, "aperture", aperture_rows,
                        sizeof(aperture_rows) / sizeof(aperture_rows[0]));
}

int vgpu_attach_aperture(struct vgpu *v, struct ram_range *apr, bool restored)
{
    uint32_t n = slice_pages(v);
    if (v->apr.ram || !apr || ramrange_pages(apr) != n)
        return -EINVAL;
    v->apr.bound = calloc(n, sizeof(*v->apr.bound));
    v->apr.dirty = calloc((n + LONG_BITS - 1) / LONG_BITS, sizeof(unsigned long));
    if (!v->apr.bound || !v->apr.dirty) {
        free(v->apr.bound);
        free(v->apr.dirty);
        v->apr.bound = NULL;
        v->apr.dirty = NULL;
        return -ENOMEM;
    }
    if (gvt_aperture_gpu_init(v, n) < 0) {
        free(v->apr.bound);
        free(v->apr.dirty);
        v->apr.bound = NULL;
        v->apr.dirty = NULL;
        return -ENOMEM;
    }
    v->apr.ram = apr;
    /* A restored guest's frames hold what they held at the save (synced
     * then): they are bound to the entries as they are. A new one's frames
     * are loaded from the pages the entries name. */
    for (uint32_t i = 0; i < n; i++) {
        uint64_t e = gvt_ggtt_entry(v, i);
        if (restored)
            set_bound(v, i, e);
        else
            load_in(v, i, e);
    }
    gvt_aperture_bound_changed(v, n);
    claim_beyond(v, false);
    gvt_aperture_follow_bar2(v);
    return 0;
}

bool vgpu_aperture_restored_at(const struct vgpu *v, uint64_t *gfn, uint64_t *park)
{
    *gfn = v->apr.restored_gfn;
    *park = v->apr.restored_park;
    return v->apr.restored_gfn != 0;
}

size_t vgpu_aperture_pages(const struct vgpu *v)
{
    return slice_pages(v);
}

void gvt_aperture_cold_reset(struct vgpu *v)
{
    if (!v->apr.ram)
        return;
    if (ramrange_place(v->apr.ram, ramrange_park_gfn(v->apr.ram)) == 0 && v->apr.trapped) {
        v->apr.trapped = false;
        claim_beyond(v, false);
    }
    memset(v->apr.bound, 0, slice_pages(v) * sizeof(*v->apr.bound));
    v->apr.bound_count = 0;
    gvt_aperture_bound_changed(v, slice_pages(v));
    gvt_aperture_gpu_forget(v);
}

void gvt_aperture_release(struct vgpu *v)
{
    ramrange_free(v->apr.ram);
    v->apr.ram = NULL;
    free(v->apr.bound);
    free(v->apr.dirty);
    v->apr.bound = NULL;
    v->apr.dirty = NULL;
    gvt_aperture_gpu_release(v);
}
