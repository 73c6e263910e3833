/* Where the GPU meets the RAM-backed aperture (aperture.c): the page sets.
 *
 * The aperture's frames are a copy of the pages their GGTT entries name,
 * synced at i915's sync points. The GPU (the command streamer, blits, CSB
 * and context writes, all through gfxmem.c) reads and writes the pages
 * themselves, so two things must hold:
 *  - before the GPU reads a page bound in the slice, what the CPU stored to
 *    its frame has gone out to it;
 *  - after the GPU wrote a page bound in the slice, its frames show it.
 * A sync does both, but costs a harvest of Xen's dirty bitmap, which walks
 * every frame of the slice under a domain pause. Doing it at every ELSP
 * write made each nop batch cost a whole-slice walk. Instead the pages the
 * slice is bound to are kept in a set (rebuilt when a sync finds entries
 * changed), and a sync happens only when the GPU actually touches one: at
 * its first read of such a page since the guest last ran, and at the end
 * of a run that wrote one. Rings, contexts, the HWSP and PPGTT batches live
 * outside the mappable slice, so ordinary GPU work never syncs at all.
 *
 * The two sets live here; the syncs they call for (gvt_aperture_gpu_read
 * and _end) are aperture.c's, so that this file never calls back into it.
 *
 * i915 fills every unused entry with its scratch page: that page is in the
 * set too, and the GPU does not read or write it. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/aperture_gpu.h"

#include <stdlib.h>
#include <string.h>

#define PTE_PRESENT 1ull
#define PTE_ADDR_MASK 0x00003ffffffff000ull

static uint32_t slot_of(uint64_t key, uint32_t slots)
{
    return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (slots - 1);
}

/* Open addressing over pfn + 1 (0 is an empty slot). */
static bool set_has(const uint64_t *set, uint32_t slots, uint64_t key)
{
    for (uint32_t h = slot_of(key, slots), n = 0; n < slots && set[h];
         h = (h + 1) & (slots - 1), n++)
        if (set[h] == key)
            return true;
    return false;
}

/* false when full (the caller's sizing keeps it at most half full). */
static bool set_add(uint64_t *set, uint32_t slots, uint64_t key)
{
    for (uint32_t h = slot_of(key, slots), n = 0; n < slots; h = (h + 1) & (slots - 1), n++) {
        if (set[h] == key)
            return true;
        if (!set[h]) {
            set[h] = key;
            return true;
        }
    }
    return false;
}

static uint64_t key_of_gpa(uint64_t gpa) { return (gpa >> GVT_PAGE_SHIFT) + 1; }

int gvt_aperture_gpu_init(struct vgpu *v, uint32_t pages)
{
    uint32_t slots = 2;
    while (slots < 2 * pages)
        slots <<= 1;
    v->apr.pfn_set = calloc(slots, sizeof(*v->apr.pfn_set));
    if (!v->apr.pfn_set)
        return -1;
    v->apr.pfn_slots = slots;
    return 0;
}

void gvt_aperture_gpu_release(struct vgpu *v)
{
    free(v->apr.pfn_set);
    v->apr.pfn_set = NULL;
    v->apr.pfn_slots = 0;
}

void gvt_aperture_bound_changed(struct vgpu *v, uint32_t pages)
{
    if (!v->apr.pfn_set)
        return;
    memset(v->apr.pfn_set, 0, v->apr.pfn_slots * sizeof(*v->apr.pfn_set));
    for (uint32_t i = 0; i < pages; i++) {
        uint64_t e = v->apr.bound[i];
        if (e & PTE_PRESENT)
            set_add(v->apr.pfn_set, v->apr.pfn_slots, key_of_gpa(e & PTE_ADDR_MASK));
    }
}

bool gvt_aperture_gpu_bound(const struct vgpu *v, uint64_t gpa)
{
    return v->apr.ram && !v->apr.trapped && v->apr.pfn_set &&
           set_has(v->apr.pfn_set, v->apr.pfn_slots, key_of_gpa(gpa));
}

void gvt_aperture_gpu_begin(struct vgpu *v)
{
    v->apr.cpu_may_have_stored = true; /* the guest ran since the last harvest */
}

/* The pages the GPU wrote that are bound in the slice, for the sync that
 * reloads their frames (open addressing over a fixed table; past three
 * quarters full, every clean bound frame is reloaded instead). */
static uint32_t gpu_slot(uint64_t key)
{
    return slot_of(key, APR_GPU_PAGES);
}

bool gvt_aperture_gpu_wrote_page(const struct vgpu *v, uint64_t entry)
{
    if (!v->apr.gpu_count || !(entry & PTE_PRESENT))
        return false;
    uint64_t key = key_of_gpa(entry & PTE_ADDR_MASK);
    for (uint32_t h = gpu_slot(key), n = 0; n < APR_GPU_PAGES && v->apr.gpu_pfn[h];
         h = (h + 1) & (APR_GPU_PAGES - 1), n++)
        if (v->apr.gpu_pfn[h] == key)
            return true;
    return false;
}

void gvt_aperture_gpu_forget(struct vgpu *v)
{
    if (v->apr.gpu_count)
        memset(v->apr.gpu_pfn, 0, sizeof(v->apr.gpu_pfn));
    v->apr.gpu_count = 0;
    v->apr.gpu_wrote = false;
    v->apr.gpu_hit = false;
    v->apr.cpu_may_have_stored = false;
}

void gvt_aperture_gpu_wrote(struct vgpu *v, uint64_t gpa)
{
    if (!gvt_aperture_gpu_bound(v, gpa))
        return;
    v->apr.gpu_hit = true;
    if (v->apr.gpu_wrote)
        return;
    uint64_t key = key_of_gpa(gpa);
    uint32_t h = gpu_slot(key);
    while (v->apr.gpu_pfn[h]) {
        if (v->apr.gpu_pfn[h] == key)
            return;
        h = (h + 1) & (APR_GPU_PAGES - 1);
    }
    if (v->apr.gpu_count + 1 > APR_GPU_PAGES / 4 * 3) {
        v->apr.gpu_wrote = true;
        return;
    }
    v->apr.gpu_pfn[h] = key;
    v->apr.gpu_count++;
}
