/* The vGPU instance: Intel iGPU PCI identity, BAR0 (registers, PVINFO,
 * GGTT), BAR2 (aperture through the GGTT), optional BAR4 (I/O window), and
 * the wiring of the interrupt tree and display to the event loop. */
#include "config.h"
#include "gvt/vgpu.h"
#include "gvt/device.h"
#include "gvt/parts.h"
#include "gvt/irq.h"
#include "gvt/pvinfo.h"
#include "gvt/ggtt.h"
#include "gvt/aperture.h"
#include "gvt/opregion.h"
#include "gvt/plane.h"
#include "gvt/fence.h"
#include "ioreq/guestmem.h"
#include "ioreq/server.h"
#include "ioreq/ramrange.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define INTEL_VENDOR_ID 0x8086
#define SKL_GT2_DEVICE_ID 0x1912
/* A production stepping: i915 warns about anything before SKL F0. */
#define SKL_GT2_REVISION 0x06
#define PCI_CLASS_DISPLAY_VGA 0x030000
#define SNB_GMCH_CTRL 0x50
#define BDW_GMCH_GGMS_8M (3u << 6) /* GGMS=3: 8 MiB of GTT, GMS=0: no stolen */
#define BDSM 0x5c
#define SWSCI_TRIGGER_BIT 0x1u
#define SWSCI_SELECT_BIT 0x8000u
#define PCIE_CAP_OFFSET 0x70
#define PCIE_CAP_LEN 0x3c
#define PCI_EXP_FLAGS_RCIEP 0x0092 /* version 2, root-complex integrated endpoint */
#define PCI_EXP_DEVCAP_FLR (1u << 28)
#define PCI_EXP_DEVCTL (PCIE_CAP_OFFSET + 8)
#define PCI_EXP_DEVCTL_BCR_FLR 0x8000u
#define MSI_CAP_OFFSET 0xac
#define PM_CAP_OFFSET 0xd0

/* GVT-g's own types for gen8/gen9 (aperture, hidden, fences, resolution). */
static const struct vgpu_type type_table[] = {
    { "GVTg_V5_8", 64, 384, 4, 1024, 768 },
    { "GVTg_V5_4", 128, 512, 4, 1920, 1200 },
    { "GVTg_V5_2", 256, 1024, 4, 1920, 1200 },
    { "GVTg_V5_1", 512, 2048, 4, 1920, 1200 },
};
static const struct vgpu_type *const type_list[] = {
    &type_table[0], &type_table[1], &type_table[2], &type_table[3], NULL,
};

const struct vgpu_type *const *vgpu_types(void) { return type_list; }

const struct vgpu_type *vgpu_type_find(const char *name)
{
    for (const struct vgpu_type *const *t = type_list; *t; t++)
        if (strcmp((*t)->name, name) == 0)
            return *t;
    return NULL;
}

/* --- BAR0: registers below 2 MiB, GGTT from 8 MiB ---------------------- */

static int regs_read(struct vgpu *v, uint32_t off, unsigned size, uint64_t *val)
{
    if (size == 8) {
        if ((off & 3) || off + 8 > GVT_MMIO_SIZE)
            return -EINVAL;
        *val = gvt_regs_read32(v, &v->regs, off) |
               (uint64_t)gvt_regs_read32(v, &v->regs, off + 4) << 32;
        return 0;
    }
    if (off & (size - 1))
        return -EINVAL; /* naturally aligned 1/2/4-byte only */
    uint32_t dword = gvt_regs_read32(v, &v->regs, off & ~3u);
    *val = size == 4 ? dword : (dword >> ((off & 3) * 8)) & ((1u << (size * 8)) - 1);
    return 0;
}

static void regs_write_dword(struct vgpu *v, uint32_t off, uint32_t val)
{
    if (!gvt_pvinfo_write_allowed(off)) {
        log_guest("write %#x to read-only PVINFO offset %#x dropped", val,
                  off - VGT_PVINFO_PAGE);
        return;
    }
    gvt_regs_write32(v, &v->regs, off, val);
}

static int regs_write(struct vgpu *v, uint32_t off, unsigned size, uint64_t val)
{
    if (size == 8) {
        if ((off & 3) || off + 8 > GVT_MMIO_SIZE)
            return -EINVAL;
        regs_write_dword(v, off, (uint32_t)val);
        regs_write_dword(v, off + 4, (uint32_t)(val >> 32));
        return 0;
    }
    if (off & (size - 1))
        return -EINVAL;
    uint32_t dword = (uint32_t)val;
    if (size < 4) {
        unsigned shift = (off & 3) * 8;
        uint32_t mask = ((1u << (size * 8)) - 1) << shift;
        dword = (vreg(&v->regs, off & ~3u) & ~mask) | (((uint32_t)val << shift) & mask);
    }
    regs_write_dword(v, off & ~3u, dword);
    return 0;
}

/* Trapped accesses by kind, for `xengvt status` and the e2e's report,
 * and per register, for `xengvt traps`. */
static void count_trap(struct vgpu *v, uint32_t off, bool write)
{
    if (off >= GVT_GGTT_OFFSET)
        v->stats.trap_ggtt++;
    else if (off >= VGT_PVINFO_PAGE && off < VGT_PVINFO_PAGE + VGT_PVINFO_SIZE)
        v->stats.trap_pvinfo++;
    else
        v->stats.trap_regs++;
    if (off < GVT_MMIO_SIZE)
        gvt_regs_count_trap(&v->regs, off, write);
}

static int bar0_read(void *opaque, uint64_t offset, unsigned size, uint64_t *val)
{
    struct vgpu *v = opaque;
    uint32_t off = (uint32_t)offset;
    int rc;
    v->stats.mmio_reads++;
    count_trap(v, off, false);
    if (off == GVT_RCS_RING_HEAD)
        gvt_aperture_sync(v); /* i915's flush of its GTT writes */
    if (off < GVT_MMIO_SIZE)
        rc = regs_read(v, off, size, val);
    else if (off >= GVT_GGTT_OFFSET)
        rc = gvt_ggtt_read(v, off - GVT_GGTT_OFFSET, size, val);
    else {
        *val = 0; /* the gap between registers and GGTT reads as zero */
        return 0;
    }
    if (rc < 0)
        log_guest("BAR0 read of %u bytes at %#x refused", size, off);
    return rc;
}

static int bar0_write(void *opaque, uint64_t offset, unsigned size, uint64_t val)
{
    struct vgpu *v = opaque;
    uint32_t off = (uint32_t)offset;
    int rc = 0;
    v->stats.mmio_writes++;
    count_trap(v, off, true);
    if (off < GVT_MMIO_SIZE)
        rc = regs_write(v, off, size, val);
    else if (off >= GVT_GGTT_OFFSET)
        rc = gvt_ggtt_write(v, off - GVT_GGTT_OFFSET, size, val);
    if (rc == -EINVAL)
        log_guest("BAR0 write of %u bytes at %#x refused", size, off);
    return rc;
}

static const struct io_ops bar0_ops = { bar0_read, bar0_write };

/* --- BAR2: the aperture, a CPU window onto graphics memory ------------- */

/* Unbacked aperture pages behave like the scratch page: reads return
 * zero, writes vanish. Naturally aligned accesses never cross a page. */
static int aperture_read(void *opaque, uint64_t offset, unsigned size, uint64_t *val)
{
    struct vgpu *v = opaque;
    uint64_t gpa;
    *val = 0;
    v->stats.trap_aperture++;
    if (offset & (size - 1))
        return -EINVAL;
    if (gvt_ggtt_translate(v, offset, &gpa) < 0 || gmem_read(v->gm, gpa, val, size) < 0) {
        *val = 0;
        log_guest("aperture read at %#llx hits the scratch page",
                  (unsigned long long)offset);
    }
    return 0;
}

static int aperture_write(void *opaque, uint64_t offset, unsigned size, uint64_t val)
{
    struct vgpu *v = opaque;
    uint64_t gpa;
    v->stats.trap_aperture++;
    if (offset & (size - 1))
        return -EINVAL;
    if (gvt_ggtt_translate(v, offset, &gpa) < 0 || gmem_write(v->gm, gpa, &val, size) < 0)
        log_guest("aperture write at %#llx hits the scratch page, dropped",
                  (unsigned long long)offset);
    return 0;
}

static const struct io_ops aperture_ops = { aperture_read, aperture_write };

/* --- BAR4: MMIO_INDEX (+0) / MMIO_DATA (+4), as on bare metal ----------- */

/* The two window registers as dwords; smaller accesses see or change the
 * bytes they cover, as on hardware. */
static uint32_t io_dword(struct vgpu *v, unsigned reg)
{
    uint64_t val = 0;
    if (reg == 0)
        return v->io_index;
    bar0_read(v, v->io_index & ~3u & (GVT_BAR0_SIZE - 1), 4, &val);
    return (uint32_t)val;
}

static int io_read(void *opaque, uint64_t offset, unsigned size, uint64_t *val)
{
    struct vgpu *v = opaque;
    *val = 0; /* the rest of the window is reserved */
    if (offset >= 8 || (offset & 3) + size > 4)
        return 0;
    uint32_t dword = io_dword(v, (unsigned)offset & 4);
    *val = (dword >> ((offset & 3) * 8)) & (size == 4 ? ~0u : (1u << (size * 8)) - 1);
    return 0;
}

static int io_write(void *opaque, uint64_t offset, unsigned size, uint64_t val)
{
    struct vgpu *v = opaque;
    if (offset >= 8 || (offset & 3) + size > 4)
        return 0;
    unsigned reg = (unsigned)offset & 4, shift = (offset & 3) * 8;
    uint32_t mask = (size == 4 ? ~0u : (1u << (size * 8)) - 1) << shift;
    uint32_t dword = size == 4 ? (uint32_t)val
                               : (io_dword(v, reg) & ~mask) | (((uint32_t)val << shift) & mask);
    if (reg == 0)
        v->io_index = dword;
    else
        bar0_write(v, v->io_index & ~3u & (GVT_BAR0_SIZE - 1), 4, dword);
    return 0;
}

static const struct io_ops io_bar_ops = { io_read, io_write };

/* --- config space -------------------------------------------------------- */

/* The GGTT's RAM follows BAR0: at BAR0 + 8 MiB whenever BAR0 decodes.
 * With decode off (or mid-sizing) the frames stay where they are; only a
 * new address moves them. If Xen refuses the move, the table's half of
 * BAR0 is claimed again and its stores trap into the same frames. */
static void gsm_follow_bar0(struct vgpu *v)
{
    uint64_t bar = v->pci.bars[0].mapped_addr;
    if (!v->ggtt.gsm || bar == PCI_BAR_UNMAPPED)
        return;
    int rc = ramrange_place(v->ggtt.gsm, (bar + GVT_GGTT_OFFSET) >> GVT_PAGE_SHIFT);
    gmem_invalidate(v->gm); /* the guest's physmap changed under the map cache */
    bool trap = rc < 0;
    if (trap != v->ggtt.gsm_trapped) {
        v->ggtt.gsm_trapped = trap;
        pci_func_set_bar_claim(&v->pci, 0, 0, trap ? 0 : GVT_GGTT_OFFSET, NULL);
        if (trap)
            log_warn("GGTT RAM could not follow BAR0 to %#llx (%s): its stores trap",
                     (unsigned long long)bar, strerror(-rc));
        else
            log_info("GGTT RAM at BAR0 + 8 MiB again: stores at memory speed");
    }
}

int vgpu_attach_gsm(struct vgpu *v, struct ram_range *gsm)
{
    if (v->ggtt.gsm || !gsm || ramrange_pages(gsm) != GVT_GGTT_PAGES)
        return -EINVAL;
    uint64_t *ram = ramrange_ptr(gsm);
    /* Entries a daemon-side table already holds (a state saved with a
     * trapped GGTT) move into the RAM; a restored RAM table is kept. */
    for (uint32_t i = v->ggtt.lo; i < v->ggtt.hi; i++)
        if (v->ggtt.entries[i]) {
            __atomic_store_n(&ram[i], v->ggtt.entries[i], __ATOMIC_RELAXED);
            gmem_wrote(v->gm, (ramrange_gfn(gsm) << GVT_PAGE_SHIFT) + 8ull * i, 8);
        }
    gvt_ggtt_free_table(v);
    v->ggtt.entries = ram;
    v->ggtt.gsm = gsm;
    v->ggtt.lo = GVT_GGTT_ENTRIES;
    v->ggtt.hi = 0;
    pci_func_set_bar_claim(&v->pci, 0, 0, GVT_GGTT_OFFSET, NULL);
    gsm_follow_bar0(v);
    return 0;
}

bool vgpu_gsm_restored_at(const struct vgpu *v, uint64_t *gfn, uint64_t *park)
{
    *gfn = v->ggtt.restored_gfn;
    *park = v->ggtt.restored_park;
    return v->ggtt.restored_gfn != 0;
}

size_t vgpu_gsm_pages(void) { return GVT_GGTT_PAGES; }
size_t vgpu_register_file_size(void) { return GVT_MMIO_SIZE; }
size_t vgpu_engines_state_size(void) { return sizeof(struct gvt_engine) * GVT_NR_ENGINES; }
size_t vgpu_pcicfg_size(void) { return PCI_CFG_SIZE; }

static void bar_moved(void *opaque, unsigned bar, uint64_t addr)
{
    struct vgpu *v = opaque;
    if (bar == 0)
        gsm_follow_bar0(v);
    if (bar == 2)
        gvt_aperture_follow_bar2(v);
    if (bar == 0)
        v->stats.bar0 = addr;
    else if (bar == 2)
        v->stats.bar2 = addr;
    if (addr == PCI_BAR_UNMAPPED)
        log_info("BAR%u unmapped", bar);
    else
        log_info("BAR%u at %#llx", bar, (unsigned long long)addr);
}

/* Function-level reset: the device returns to its state at creation and
 * stops decoding; the OS restores the config space it saved. */
static void function_level_reset(struct vgpu *v)
{
    log_info("function-level reset");
    vgpu_reset(v);
    struct pci_func *f = &v->pci;
    pci_cfg_set16(f, PCI_COMMAND, 0);
    f->cfg[f->msi_cap + PCI_MSI_FLAGS] &= (uint8_t)~PCI_MSI_FLAGS_ENABLE;
    pci_func_update_mappings(f);
    v->intr.msi_was_enabled = false;
}

static void cfg_written(void *opaque, unsigned reg, unsigned size, uint32_t val)
{
    struct vgpu *v = opaque;
    (void)val;
    if (reg <= PCI_EXP_DEVCTL + 1 && reg + size > PCI_EXP_DEVCTL &&
        (pci_cfg_get32(&v->pci, PCI_EXP_DEVCTL) & PCI_EXP_DEVCTL_BCR_FLR)) {
        pci_cfg_set16(&v->pci, PCI_EXP_DEVCTL,
                      (uint16_t)(pci_cfg_get32(&v->pci, PCI_EXP_DEVCTL) &
                                 ~PCI_EXP_DEVCTL_BCR_FLR)); /* reads back 0 */
        function_level_reset(v);
        return;
    }
    /* MSI switched on with an interrupt already pending: it is delivered
     * now (the new path starts from a low line), not lost. */
    bool msi = pci_func_msi_enabled(&v->pci);
    if (msi != v->intr.msi_was_enabled) {
        v->intr.msi_was_enabled = msi;
        v->intr.level = false;
        gvt_irq_update(v);
    }
    /* Act on what the register now holds, whatever the access width. */
    if (reg <= PCI_ASLS + 3 && reg + size > PCI_ASLS)
        gvt_opregion_asls_written(v, pci_cfg_get32(&v->pci, PCI_ASLS));
    if (reg <= PCI_SWSCI + 1 && reg + size > PCI_SWSCI) {
        uint16_t now = (uint16_t)pci_cfg_get32(&v->pci, PCI_SWSCI);
        gvt_opregion_swsci_written(v, v->opreg.swsci, now);
        v->opreg.swsci = now;
    }
}

static uint64_t pow2_at_least(uint64_t x)
{
    uint64_t p = 1;
    while (p < x)
        p <<= 1;
    return p;
}

static int setup_pci(struct vgpu *v)
{
    struct pci_func *f = &v->pci;
    const struct vgpu_config *c = &v->cfg;
    pci_func_init(f, c->sbdf, v->srv, v->irq, INTEL_VENDOR_ID,
                  c->device_id ? c->device_id : SKL_GT2_DEVICE_ID,
                  c->revision ? c->revision : SKL_GT2_REVISION,
                  PCI_CLASS_DISPLAY_VGA, c->subsys_vendor, c->subsys_id);
    static const struct pci_func_hooks hooks = { .cfg_write = cfg_written,
                                                 .bar_moved = bar_moved };
    pci_func_set_hooks(f, &hooks, v);
    if (c->pcicfg_storage)
        pci_func_keep_cfg_in(f, c->pcicfg_storage);
    /* GTT size for the guest's probe; no stolen memory (BDSM 0). */
    pci_cfg_set16(f, SNB_GMCH_CTRL, BDW_GMCH_GGMS_8M);
    pci_cfg_set32(f, BDSM, 0);
    /* The guest (or hvmloader) writes its OpRegion's address here, and
     * raises SWSCI requests (SCI select, trigger) here. */
    pci_cfg_set_wmask32(f, PCI_ASLS, 0xfffff000u);
    f->wmask[PCI_SWSCI] = SWSCI_TRIGGER_BIT;
    f->wmask[PCI_SWSCI + 1] = SWSCI_SELECT_BIT >> 8;

    int rc = pci_func_add_bar(f, 0, PCI_BAR_MEM64, false, GVT_BAR0_SIZE, &bar0_ops, v);
    if (rc == 0) {
        uint64_t ap = pow2_at_least((uint64_t)v->type->aperture_mb << 20);
        if (ap < GVT_APERTURE_BAR_SIZE)
            ap = GVT_APERTURE_BAR_SIZE;
        rc = pci_func_add_bar(f, 2, PCI_BAR_MEM64, true, ap, &aperture_ops, v);
    }
    if (rc == 0 && c->io_bar)
        rc = pci_func_add_bar(f, 4, PCI_BAR_IO, false, GVT_IO_BAR_SIZE, &io_bar_ops, v);
    /* PCIe: an integrated endpoint that can be reset on its own (FLR). */
    if (rc == 0)
        rc = pci_func_add_cap(f, PCI_CAP_ID_EXP, PCIE_CAP_OFFSET, PCIE_CAP_LEN);
    if (rc >= 0) {
        pci_cfg_set16(f, PCIE_CAP_OFFSET + 2, PCI_EXP_FLAGS_RCIEP);
        pci_cfg_set32(f, PCIE_CAP_OFFSET + 4, PCI_EXP_DEVCAP_FLR);
        f->wmask[PCI_EXP_DEVCTL] = 0xff;
        f->wmask[PCI_EXP_DEVCTL + 1] = 0xff;
        f->w1cmask[PCI_EXP_DEVCTL + 2] = 0x0f; /* DevSta error bits */
        rc = 0;
    }
    if (rc == 0)
        rc = pci_func_add_msi(f, MSI_CAP_OFFSET, false);
    if (rc == 0)
        rc = pci_func_add_cap(f, PCI_CAP_ID_PM, PM_CAP_OFFSET, 8);
    return rc < 0 ? rc : 0;
}

/* `guest_ram_fresh`: a GGTT in guest RAM is left as it is, the caller
 * having given the guest fresh (zero) frames (the GGTT's reset hook). */
static void reset_device(struct vgpu *v, bool guest_ram_fresh)
{
    gvt_regs_reset(&v->regs);
    v->guest_ram_fresh = guest_ram_fresh;
    for (const struct gvt_part *const *p = gvt_parts; *p; p++)
        if ((*p)->reset)
            (*p)->reset(v);
    v->guest_ram_fresh = false;
    v->io_index = 0;
    v->intr.level = false;
    v->intr.msi_was_enabled = pci_func_msi_enabled(&v->pci);
    v->stats.resets++;
}

void vgpu_reset(struct vgpu *v)
{
    reset_device(v, false);
}

/* A cold reset: config space as created (BARs unplaced, decode and MSI
 * off), the OpRegion unclaimed, the device reset, the counters zero. */
void vgpu_cold_reset(struct vgpu *v)
{
    pci_func_unmap_all(&v->pci);
    gvt_opregion_release(v);
    v->opreg.gpa = 0;
    memcpy(v->pci.cfg, v->cfg_at_creation, PCI_CFG_SIZE);
    gvt_opregion_build(v->opreg.bytes);
    /* The device's RAM back where it waited at creation. */
    if (v->ggtt.gsm && ramrange_place(v->ggtt.gsm, ramrange_park_gfn(v->ggtt.gsm)) == 0 && v->ggtt.gsm_trapped) {
        v->ggtt.gsm_trapped = false;
        pci_func_set_bar_claim(&v->pci, 0, 0, GVT_GGTT_OFFSET, NULL);
    }
    v->mon.have_custom_edid = false; /* the built-in monitor, as before --edid */
    reset_device(v, true);
    gvt_aperture_cold_reset(v);
    gvt_capture_release(v); /* no frame kept, no page watched: as created */
    v->opreg.swsci = 0;
    v->intr.msi_was_enabled = false;
    v->io_index = 0;
    memset(&v->stats, 0, sizeof(v->stats));
    v->stats.bar0 = v->stats.bar2 = PCI_BAR_UNMAPPED;
}

int vgpu_create(const struct vgpu_config *cfg, struct ioreq_server *srv,
                struct evt_irq *irq, struct gmem *gm, struct evt_loop *loop,
                struct vgpu **out)
{
    struct vgpu *v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->cfg = *cfg;
    v->type = cfg->type ? cfg->type : vgpu_type_find("GVTg_V5_4");
    if (cfg->width > v->type->max_width || cfg->height > v->type->max_height) {
        log_error("%ux%u is larger than %s allows (%ux%u)", cfg->width, cfg->height,
                  v->type->name, v->type->max_width, v->type->max_height);
        free(v);
        return -EINVAL;
    }
    /* The monitor's preferred mode: 1920x1080, or the type's largest where
     * that is smaller (GVTg_V5_8: 1024x768, as GVT-g's own EDID for it);
     * a mode the type cannot scan out would be a console nobody sees. */
    if (!v->cfg.width || !v->cfg.height) {
        bool fits = v->type->max_width >= 1920 && v->type->max_height >= 1080;
        v->cfg.width = fits ? 1920 : v->type->max_width;
        v->cfg.height = fits ? 1080 : v->type->max_height;
    }
    v->mappable_mb = cfg->aperture_mb ? cfg->aperture_mb : v->type->aperture_mb;
    if (v->mappable_mb > v->type->aperture_mb) {
        log_error("an aperture slice of %u MiB is larger than %s's %u MiB", v->mappable_mb,
                  v->type->name, v->type->aperture_mb);
        free(v);
        return -EINVAL;
    }
    v->srv = srv;
    v->irq = irq;
    v->gm = gm;
    v->loop = loop;
    v->stats.bar0 = v->stats.bar2 = PCI_BAR_UNMAPPED;
    v->opreg.claimed = PCI_BAR_UNMAPPED;

    v->engines = cfg->engines_storage ? cfg->engines_storage : v->own_engines;
    int rc = gvt_regs_init(&v->regs, cfg->regs_storage);
    for (const struct gvt_part *const *p = gvt_parts; rc == 0 && *p; p++)
        if ((*p)->init)
            rc = (*p)->init(v);
    if (rc == 0)
        rc = setup_pci(v);
    if (rc < 0)
        goto fail;
    gvt_opregion_build(v->opreg.bytes);
    vgpu_reset(v);
    v->stats.resets = 0;
    v->cfg_at_creation = malloc(PCI_CFG_SIZE);
    if (!v->cfg_at_creation) {
        rc = -ENOMEM;
        goto fail;
    }
    memcpy(v->cfg_at_creation, v->pci.cfg, PCI_CFG_SIZE);
    rc = ioreq_map_range(srv, IO_SPACE_PCI, cfg->sbdf, 1, &pci_func_cfg_ops, &v->pci);
    if (rc < 0) {
        log_error("claiming PCI %04x:%02x:%02x.%u: %s", cfg->sbdf >> 16,
                  (cfg->sbdf >> 8) & 0xff, (cfg->sbdf >> 3) & 0x1f, cfg->sbdf & 7,
                  strerror(-rc));
        goto fail;
    }
    v->pci_claimed = true;
    log_info("vGPU %s: %04x:%04x at %04x:%02x:%02x.%u, aperture %u MiB, "
             "hidden %u MiB, %u fences", v->type->name, INTEL_VENDOR_ID,
             cfg->device_id ? cfg->device_id : SKL_GT2_DEVICE_ID, cfg->sbdf >> 16,
             (cfg->sbdf >> 8) & 0xff, (cfg->sbdf >> 3) & 0x1f, cfg->sbdf & 7,
             v->mappable_mb, v->type->hidden_mb, v->type->fences);
    *out = v;
    return 0;

fail:
    vgpu_destroy(v);
    return rc;
}

void vgpu_destroy(struct vgpu *v)
{
    if (!v)
        return;
    pci_func_unmap_all(&v->pci);
    if (v->srv)
        gvt_opregion_release(v);
    if (v->pci_claimed)
        ioreq_unmap_range(v->srv, IO_SPACE_PCI, v->cfg.sbdf);
    free(v->cfg_at_creation);
    size_t n = 0;
    while (gvt_parts[n])
        n++;
    while (n--)
        if (gvt_parts[n]->release)
            gvt_parts[n]->release(v);
    ramrange_free(v->ggtt.gsm);
    gvt_regs_release(&v->regs);
    free(v);
}

void vgpu_get_stats(const struct vgpu *v, struct vgpu_stats *out)
{
    *out = v->stats;
    out->msi_enabled = pci_func_msi_enabled(&v->pci);
    if (v->ggtt.gsm) {
        struct ram_range_stats rs;
        ramrange_get_stats(v->ggtt.gsm, &rs);
        out->ggtt_in_ram = !v->ggtt.gsm_trapped;
        out->gsm_gfn = rs.gfn;
        out->gsm_relocations = rs.relocations;
    }
    out->aperture_in_ram = v->apr.ram && !v->apr.trapped;
}
