/* The vGPU's complete state as sections of a device-state file (see
 * common/stateblob.h): identity, config space, register file, GGTT and the
 * RAM ranges, BAR4's index ("device"), then one section per part that has
 * state of its own, written and read by the part (parts.h: irq, display,
 * engines, dp_aux, gmbus, opregion). Restoring checks every section first
 * and applies only when all of it is good: a refused file leaves the vGPU
 * exactly as it was.
 *
 * Today's layout until the parts took their state: "device" version 1
 * held all of theirs, one field after the other; legacy_device() cuts it
 * into the parts' sections (their version 1 is those bytes), so such a
 * file restores through the same code (tests/data/vgpu-state-v1.bin). */
#include "config.h"
#include "gvt/vgpu.h"
#include "gvt/device.h"
#include "gvt/parts.h"
#include "gvt/engine.h"
#include "gvt/cmd_exec.h"
#include "gvt/ggtt.h"
#include "gvt/ppgtt.h"
#include "gvt/plane.h"
#include "gvt/opregion.h"
#include "gvt/display.h"
#include "gvt/execlist.h"
#include "gvt/irq.h"
#include "gvt/pvinfo.h"
#include "gvt/aperture.h"
#include "gvt/fence.h"
#include "common/stateblob.h"
#include "common/log.h"
#include "ioreq/ramrange.h"
#include "evtchn/loop.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTION_VERSION 1u
/* "regs" version 2: the register file sparsely, (dword index, value) for
 * each non-zero dword (a few KiB instead of 2 MiB); version 1, the whole
 * file raw, is still read. */
#define REGS_SPARSE_VERSION 2u
/* "device": version 1 the whole device (today's layout, still read);
 * version 2 BAR4's index only, the rest in the parts' sections. */
#define DEVICE_LEGACY_VERSION 1u
#define DEVICE_VERSION 2u

static void save_identity(struct vgpu *v, struct state_buf *b)
{
    char type[16] = { 0 };
    strncpy(type, v->type->name, sizeof(type) - 1);
    state_put_bytes(b, type, sizeof(type));
    state_put32(b, v->cfg.sbdf);
    state_put32(b, v->cfg.device_id);
    state_put32(b, v->cfg.io_bar);
    state_put32(b, v->mappable_mb);
}

/* The register file as (index, value) pairs of its non-zero dwords, in
 * one pass with the count patched in after. Only pages something stored
 * to are read (gvt_regs.touched: some 20 of 512), their zero 64-byte
 * blocks skipped whole. */
static void save_regs_sparse(struct vgpu *v, struct state_buf *b)
{
    static const uint32_t zero[16];
    const uint32_t *mem = v->regs.mem;
    uint32_t nonzero = 0;
    size_t count_at = b->len;
    state_put32(b, 0);
    for (uint32_t page = 0; page < GVT_MMIO_SIZE / 4096; page++) {
        if (!gvt_regs_page_touched(&v->regs, page))
            continue;
        for (uint32_t blk = page * 1024; blk < (page + 1) * 1024; blk += 16) {
            if (memcmp(mem + blk, zero, sizeof(zero)) == 0)
                continue;
            for (uint32_t i = blk; i < blk + 16; i++) {
                if (mem[i]) {
                    state_put32(b, i);
                    state_put32(b, mem[i]);
                    nonzero++;
                }
            }
        }
    }
    if (!b->error)
        for (unsigned i = 0; i < 4; i++)
            b->p[count_at + i] = (uint8_t)(nonzero >> (8 * i)); /* little-endian */
}

int vgpu_save(struct vgpu *v, uint8_t **blob, size_t *len)
{
    struct stateblob_writer w;
    gvt_aperture_sync(v); /* the pages hold what the aperture was given */
    stateblob_writer_init(&w);
    struct state_buf b = { 0 };

    save_identity(v, &b);
    stateblob_add(&w, "identity", SECTION_VERSION, b.p, b.len);
    b.len = 0;
    stateblob_add(&w, "pcicfg", SECTION_VERSION, v->pci.cfg, PCI_CFG_SIZE);
    save_regs_sparse(v, &b);
    stateblob_add(&w, "regs", REGS_SPARSE_VERSION, b.p, b.len);
    b.len = 0;
    /* The GGTT sparsely: most of 4 GiB is never mapped. A table in guest
     * RAM travels with the guest's memory: only where it is goes here. */
    uint32_t n = 0;
    if (!v->ggtt.gsm)
        for (uint32_t i = v->ggtt.lo; i < v->ggtt.hi; i++)
            n += gvt_ggtt_entry(v, i) != 0;
    state_put32(&b, n);
    for (uint32_t i = v->ggtt.lo; n && i < v->ggtt.hi; i++) {
        uint64_t e = gvt_ggtt_entry(v, i);
        if (e) {
            state_put32(&b, i);
            state_put64(&b, e);
        }
    }
    stateblob_add(&w, "ggtt", SECTION_VERSION, b.p, b.len);
    b.len = 0;
    if (v->ggtt.gsm) {
        state_put64(&b, ramrange_gfn(v->ggtt.gsm));
        state_put64(&b, ramrange_park_gfn(v->ggtt.gsm));
        state_put32(&b, (uint32_t)ramrange_pages(v->ggtt.gsm));
        stateblob_add(&w, "gsm", SECTION_VERSION, b.p, b.len);
        b.len = 0;
    }
    if (v->apr.ram) {
        state_put64(&b, ramrange_gfn(v->apr.ram));
        state_put64(&b, ramrange_park_gfn(v->apr.ram));
        state_put32(&b, (uint32_t)ramrange_pages(v->apr.ram));
        stateblob_add(&w, "aperture", SECTION_VERSION, b.p, b.len);
        b.len = 0;
    }
    state_put32(&b, v->io_index);
    stateblob_add(&w, "device", DEVICE_VERSION, b.p, b.len);
    for (const struct gvt_part *const *p = gvt_parts; *p; p++) {
        if (!(*p)->save)
            continue;
        b.len = 0;
        (*p)->save(v, &b);
        stateblob_add(&w, (*p)->state_tag, (*p)->state_version, b.p, b.len);
    }
    int err = b.error;
    state_buf_free(&b);
    if (err) {
        free(w.buf);
        return err;
    }
    return stateblob_finish(&w, blob, len);
}

/* --- restore ------------------------------------------------------------ */

struct staged {
    const uint8_t *cfg, *regs; /* regs: the raw file (version 1), or NULL */
    uint32_t regs_count;       /* version 2: pairs in regs_sparse */
    struct state_reader regs_sparse;
    uint32_t ggtt_count;
    struct state_reader ggtt;
    uint64_t gsm_gfn, gsm_park; /* 0: no GGTT RAM in the saved guest */
    uint64_t apr_gfn, apr_park; /* 0: no aperture RAM */
    uint32_t io_index;
    /* Each stateful part's section, checked (pointing into the file). */
    struct stateblob_section part[GVT_MAX_PARTS];
};

static const struct stateblob_section *section(const struct stateblob *sb, const char *tag,
                                               const char **why)
{
    const struct stateblob_section *s = stateblob_find(sb, tag);
    if (!s)
        *why = "a required section is missing";
    else if (s->version != SECTION_VERSION)
        *why = "a section has an unknown version";
    return s && s->version == SECTION_VERSION ? s : NULL;
}

static int stage_identity(const struct vgpu_config *cfg, const struct vgpu_type *type,
                          const struct stateblob_section *s, const char **why)
{
    struct state_reader r;
    state_reader_init(&r, s);
    char type_name[17] = { 0 };
    state_get_bytes(&r, type_name, 16);
    uint32_t sbdf = state_get32(&r), device_id = state_get32(&r), io_bar = state_get32(&r);
    /* The slice came later: a state without it had the type's. */
    uint32_t mappable = r.left ? state_get32(&r) : type->aperture_mb;
    uint32_t want = cfg->aperture_mb ? cfg->aperture_mb : type->aperture_mb;
    if (r.bad || r.left) {
        *why = "identity section malformed";
        return -EINVAL;
    }
    if (strcmp(type_name, type->name) != 0) {
        *why = "saved from a vGPU of another type";
        return -EINVAL;
    }
    if (sbdf != cfg->sbdf || device_id != cfg->device_id || io_bar != (uint32_t)cfg->io_bar) {
        *why = "saved from a vGPU with another PCI address, device id or BAR layout";
        return -EINVAL;
    }
    if (mappable != want) {
        *why = "saved from a vGPU with another aperture slice";
        return -EINVAL;
    }
    return 0;
}

static const struct stateblob_section *section_of(const struct stateblob *sb,
                                                  const struct gvt_part *p, const char **why)
{
    const struct stateblob_section *s = stateblob_find(sb, p->state_tag);
    if (!s)
        *why = "a required section is missing";
    else if (s->version != p->state_version)
        *why = "a section has an unknown version";
    return s && s->version == p->state_version ? s : NULL;
}

/* Today's layout: "device" version 1 is BAR4's index, then the opregion,
 * dp_aux, gmbus, irq and display parts' version-1 sections back to back
 * (their layout is those bytes); "engines" was already the engines'. The
 * parts check their slices as they check their own sections. */
static int legacy_device(const struct stateblob_section *dev, struct staged *st,
                         const char **why)
{
    static const struct { const char *tag; uint32_t len; } slices[] = {
        { "opregion", 4 + 8 + 1 + GVT_OPREGION_SIZE },
        { "dp_aux", 0x1000 + 128 + 1 + 1 + 128 },
        { "gmbus", 4 },
        { "irq", 2 },
        { "display", 1 },
    };
    uint32_t at = 4, total = 4;
    for (unsigned k = 0; k < sizeof(slices) / sizeof(slices[0]); k++)
        total += slices[k].len;
    if (dev->len != total) {
        *why = "device section malformed";
        return -EINVAL;
    }
    st->io_index = (uint32_t)dev->data[0] | (uint32_t)dev->data[1] << 8 |
                   (uint32_t)dev->data[2] << 16 | (uint32_t)dev->data[3] << 24;
    for (unsigned k = 0; k < sizeof(slices) / sizeof(slices[0]); k++) {
        for (unsigned i = 0; gvt_parts[i]; i++) {
            const struct gvt_part *p = gvt_parts[i];
            if (!p->load || strcmp(p->state_tag, slices[k].tag) != 0)
                continue;
            struct stateblob_section *s = &st->part[i];
            snprintf(s->tag, sizeof(s->tag), "%s", p->state_tag);
            s->version = 1;
            s->data = dev->data + at;
            s->len = slices[k].len;
            if (p->check(s, why) < 0)
                return -EINVAL;
        }
        at += slices[k].len;
    }
    return 0;
}

static int stage(const struct vgpu_config *cfg, const struct vgpu_type *type,
                 const struct stateblob *sb, struct staged *st, const char **why)
{
    const struct stateblob_section *id = section(sb, "identity", why),
                                   *pcicfg = section(sb, "pcicfg", why),
                                   *regs = stateblob_find(sb, "regs"),
                                   *ggtt = section(sb, "ggtt", why),
                                   *dev = stateblob_find(sb, "device");
    if (!regs)
        *why = "a required section is missing";
    if (!dev)
        *why = "a required section is missing";
    if (!id || !pcicfg || !regs || !ggtt || !dev)
        return -EINVAL;
    if (stage_identity(cfg, type, id, why) < 0)
        return -EINVAL;
    if (regs->version == SECTION_VERSION && regs->len == GVT_MMIO_SIZE) {
        st->regs = regs->data;
    } else if (regs->version == REGS_SPARSE_VERSION) {
        state_reader_init(&st->regs_sparse, regs);
        st->regs_count = state_get32(&st->regs_sparse);
        if (st->regs_sparse.bad || st->regs_count > GVT_MMIO_SIZE / 4 ||
            (uint64_t)st->regs_count * 8 != st->regs_sparse.left) {
            *why = "register file section malformed";
            return -EINVAL;
        }
        struct state_reader check = st->regs_sparse;
        for (uint32_t i = 0; i < st->regs_count; i++) {
            uint32_t idx = state_get32(&check);
            (void)state_get32(&check);
            if (idx >= GVT_MMIO_SIZE / 4) {
                *why = "register index out of range";
                return -EINVAL;
            }
        }
    } else {
        *why = regs->version == SECTION_VERSION ? "register file of the wrong size"
                                                : "a section has an unknown version";
        return -EINVAL;
    }
    if (pcicfg->len != PCI_CFG_SIZE) {
        *why = "config space of the wrong size";
        return -EINVAL;
    }
    st->cfg = pcicfg->data;

    state_reader_init(&st->ggtt, ggtt);
    st->ggtt_count = state_get32(&st->ggtt);
    if (st->ggtt.bad || st->ggtt_count > GVT_GGTT_ENTRIES ||
        (uint64_t)st->ggtt_count * 12 != st->ggtt.left) {
        *why = "GGTT section malformed";
        return -EINVAL;
    }
    struct state_reader check = st->ggtt;
    for (uint32_t i = 0; i < st->ggtt_count; i++) {
        uint32_t idx = state_get32(&check);
        (void)state_get64(&check);
        if (idx >= GVT_GGTT_ENTRIES) {
            *why = "GGTT entry index out of range";
            return -EINVAL;
        }
    }

    struct state_reader r;
    const struct stateblob_section *gsm = stateblob_find(sb, "gsm");
    if (gsm) {
        state_reader_init(&r, gsm);
        st->gsm_gfn = state_get64(&r);
        st->gsm_park = state_get64(&r);
        uint32_t pages = state_get32(&r);
        /* Frames a guest can have: below 2^40 (52-bit addresses). */
        if (gsm->version != SECTION_VERSION || r.bad || r.left || pages != GVT_GGTT_PAGES ||
            st->gsm_gfn == 0 || st->gsm_gfn >= (1ull << 40) || st->gsm_park >= (1ull << 40) ||
            st->ggtt_count != 0) {
            *why = "GGTT RAM section malformed";
            return -EINVAL;
        }
    }

    const struct stateblob_section *apr = stateblob_find(sb, "aperture");
    if (apr) {
        state_reader_init(&r, apr);
        st->apr_gfn = state_get64(&r);
        st->apr_park = state_get64(&r);
        uint32_t pages = state_get32(&r);
        uint32_t mappable = cfg->aperture_mb ? cfg->aperture_mb : type->aperture_mb;
        if (apr->version != SECTION_VERSION || r.bad || r.left ||
            pages != mappable << (20 - GVT_PAGE_SHIFT) || st->apr_gfn == 0 ||
            st->apr_gfn >= (1ull << 40) || st->apr_park >= (1ull << 40) || !gsm) {
            *why = "aperture RAM section malformed";
            return -EINVAL;
        }
    }

    if (dev->version == DEVICE_LEGACY_VERSION) {
        if (legacy_device(dev, st, why) < 0)
            return -EINVAL;
    } else {
        state_reader_init(&r, dev);
        st->io_index = state_get32(&r);
        if (dev->version != DEVICE_VERSION || r.bad || r.left) {
            *why = dev->version != DEVICE_VERSION ? "a section has an unknown version"
                                                  : "device section malformed";
            return -EINVAL;
        }
    }
    for (unsigned i = 0; gvt_parts[i]; i++) {
        const struct gvt_part *p = gvt_parts[i];
        if (!p->load || st->part[i].tag[0]) /* none, or cut from a legacy "device" */
            continue;
        const struct stateblob_section *s = section_of(sb, p, why);
        if (!s || p->check(s, why) < 0)
            return -EINVAL;
        st->part[i] = *s;
    }
    return 0;
}

static void apply(struct vgpu *v, struct staged *st)
{
    pci_func_unmap_all(&v->pci);
    memcpy(v->pci.cfg, st->cfg, PCI_CFG_SIZE);
    if (st->regs) {
        gvt_regs_load_image(&v->regs, st->regs, NULL);
    } else {
        /* Only pages something stored to hold anything (gvt_regs.touched):
         * the others are zero already, and left unwritten (a register file
         * in a fresh --live-state mapping is not faulted in whole). */
        for (uint32_t page = 0; page < GVT_MMIO_SIZE / 4096; page++)
            if (gvt_regs_page_touched(&v->regs, page))
                memset(v->regs.mem + page * 1024, 0, 4096);
        memset(v->regs.touched, 0, sizeof(v->regs.touched));
        for (uint32_t i = 0; i < st->regs_count; i++) {
            uint32_t idx = state_get32(&st->regs_sparse);
            vreg_set(&v->regs, idx * 4, state_get32(&st->regs_sparse));
        }
    }
    if (!v->ggtt.gsm) {
        gvt_ggtt_reset(v);
        for (uint32_t i = 0; i < st->ggtt_count; i++) {
            uint32_t idx = state_get32(&st->ggtt);
            gvt_ggtt_set(v, idx, state_get64(&st->ggtt));
        }
    }
    v->ggtt.restored_gfn = st->gsm_gfn;
    v->ggtt.restored_park = st->gsm_park;
    v->apr.restored_gfn = st->apr_gfn;
    v->apr.restored_park = st->apr_park;
    v->io_index = st->io_index;
    gvt_ppgtt_reset(v); /* translations are rebuilt, table pages re-trapped */
    /* Everything derived from that state follows: BAR claims, then each
     * part from its section (the OpRegion's claim, the vblank timer, the
     * engines' runner). */
    pci_func_update_mappings(&v->pci);
    for (unsigned i = 0; gvt_parts[i]; i++)
        if (gvt_parts[i]->load)
            gvt_parts[i]->load(v, &st->part[i]);
}

static int check_and_stage(const struct vgpu_config *cfg, const uint8_t *blob, size_t len,
                           struct staged **out, const char **why)
{
    const struct vgpu_type *type = cfg->type ? cfg->type : vgpu_type_find("GVTg_V5_4");
    struct stateblob sb;
    if (stateblob_parse(blob, len, &sb, why) < 0)
        return -EINVAL;
    struct staged *st = calloc(1, sizeof(*st));
    if (!st) {
        *why = "out of memory";
        return -ENOMEM;
    }
    int rc = stage(cfg, type, &sb, st, why);
    if (rc < 0 || !out)
        free(st);
    else
        *out = st;
    return rc;
}

int vgpu_state_check(const struct vgpu_config *cfg, const uint8_t *blob, size_t len,
                     const char **why)
{
    return check_and_stage(cfg, blob, len, NULL, why);
}

int vgpu_restore(struct vgpu *v, const uint8_t *blob, size_t len, const char **why)
{
    struct staged *st = NULL;
    int rc = check_and_stage(&v->cfg, blob, len, &st, why);
    if (rc < 0)
        return rc;
    apply(v, st);
    free(st);
    log_info("vGPU state restored (%zu bytes)", len);
    return 0;
}

/* A dead daemon's engines, checked as a checkpoint's are: written out as
 * the engine section and staged back. */
static bool take_live_engines(struct vgpu *v, const struct gvt_engine *live)
{
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++)
        if (!gvt_engine_bools_ok(&live[i]))
            return false;
    struct state_buf b = { 0 };
    for (unsigned i = 0; i < GVT_NR_ENGINES; i++)
        gvt_engine_save(&live[i], &b);
    struct state_reader r = { .p = b.p, .left = b.len, .bad = b.error };
    struct gvt_engine staged[GVT_NR_ENGINES];
    bool ok = true;
    for (unsigned i = 0; i < GVT_NR_ENGINES && ok; i++)
        ok = gvt_engine_load(&r, &staged[i], i);
    state_buf_free(&b);
    if (!ok || r.left)
        return false;
    gvt_engines_take(v, staged);
    return true;
}

/* A dead daemon's config space, if it is this device's: BARs where the
 * guest last put them, MSI as the guest last programmed it (Linux
 * rewrites address and data when it moves the interrupt to another CPU). */
static bool take_live_pcicfg(struct vgpu *v, const uint8_t *cfg)
{
    if (memcmp(cfg, v->pci.cfg, 4) != 0) /* vendor and device id */
        return false;
    /* Only the bits the guest could have written itself (BARs to their
     * alignment, command, MSI address and data): the file is the dead
     * daemon's, and that daemon may have been the guest's by then. The
     * rest (identity, capability list, BAR sizes) stays this daemon's. */
    for (unsigned i = 0; i < PCI_CFG_SIZE; i++) {
        uint8_t w = v->pci.wmask[i] & (uint8_t)~v->pci.w1cmask[i];
        v->pci.cfg[i] = (uint8_t)((v->pci.cfg[i] & ~w) | (cfg[i] & w));
    }
    pci_func_update_mappings(&v->pci);
    v->intr.msi_was_enabled = pci_func_msi_enabled(&v->pci);
    return true;
}

void vgpu_follow_guest(struct vgpu *v, const struct vgpu_live_state *live)
{
    static const struct vgpu_live_state none;
    if (!live)
        live = &none;
    if (live->pcicfg && take_live_pcicfg(v, live->pcicfg))
        log_info("config space as the dead daemon left it (its live state), over the "
                 "checkpoint");
    else if (live->pcicfg)
        log_warn("the dead daemon's config space is another device's: the checkpoint's is kept");
    if (live->regs) {
        /* The file's register file replaces the checkpoint's. */
        gvt_regs_load_image(&v->regs, live->regs, live->regs_pages);
        /* The host's half of PVINFO is this daemon's to say, whatever
         * the file holds (the guest cannot write it either). */
        gvt_pvinfo_reset(v);
        gvt_display_follow(v);
        log_info("registers as the dead daemon left them (its live state), over the checkpoint");
    }
    if (live->engines && take_live_engines(v, live->engines))
        log_info("engines as the dead daemon left them (its live state), over the checkpoint");
    else if (live->engines)
        log_warn("the dead daemon's engine state fails the checks: the checkpoint's is kept");
    gvt_execlist_follow_guest_csb(v); /* a no-op where the engines are live */
    gvt_execlist_pause(v, v->paused);  /* the runner, for work still to do */
    v->intr.level = false;
    gvt_irq_update(v);
}

void vgpu_set_migrating(struct vgpu *v, bool migrating)
{
    gvt_ppgtt_allow_traps(v, !migrating);
    gvt_capture_allow_traps(v, !migrating);
}

void vgpu_pause(struct vgpu *v, bool paused)
{
    v->paused = paused;
    gvt_execlist_pause(v, paused);
    if (paused)
        evt_timer_disarm(v->disp.vblank_timer);
    else
        gvt_display_resync(v);
}
