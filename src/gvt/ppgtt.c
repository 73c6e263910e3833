/* The guest's PPGTTs, walked in software: 4-level from the context's PML4
 * (48-bit) or 3-level from its four PDPs (legacy 32-bit), honouring 1 GiB
 * and 2 MiB pages and 64 KiB page tables. Translations are cached; to keep
 * the cache right, every page-table page a cached translation went
 * through is write-protected (Xen's p2m_ioreq_server type): the guest's
 * writes to it come to us as ioreqs, we store them and drop the cache.
 * Trapped pages are bounded; past the bound, translations are walked every
 * time instead of cached, which is slower but never stale.
 *
 * A table stops being trapped when the guest unhooks it: i915 points the
 * parent entry elsewhere (its scratch table) before it frees the page, so
 * a store that changes an entry of a trapped directory releases the table
 * the old entry named and everything trapped below it. Freed pages must
 * not stay trapped: the guest's kernel reuses them for anything, every
 * store to them would cost an ioreq, and some stores (the CPU's own
 * page-walk A/D updates, XSAVE) Xen cannot emulate for an ioreq server. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/ppgtt.h"
#include "ioreq/guestmem.h"
#include "ioreq/server.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PTE_PRESENT 1ull
#define PTE_PS (1ull << 7)          /* 1 GiB (PDPE) or 2 MiB (PDE) page */
#define PDE_IPS_64K (1ull << 11)    /* the page table maps 64 KiB pages */
#define PTE_ADDR_MASK 0x00003ffffffff000ull
#define TLB_ENTRIES 1024u
#define MAX_WP_PAGES 16384u
#define MAX_TABLE_PAGES 4u

/* i915's G2V messages about PPGTTs (PVINFO g2v_notify). */
#define VGT_G2V_PPGTT_L3_PAGE_TABLE_CREATE 2u
#define VGT_G2V_PPGTT_L3_PAGE_TABLE_DESTROY 3u
#define VGT_G2V_PPGTT_L4_PAGE_TABLE_CREATE 4u
#define VGT_G2V_PPGTT_L4_PAGE_TABLE_DESTROY 5u

struct tlb_entry {
    uint64_t root;    /* table the walk started from, with bit 0 = 4-level */
    uint64_t va_page;
    uint64_t gpa_page;
    bool valid;
};

/* A trapped table page and its level: 4 PML4, 3 PDP, 2 PD, 1 PT. */
struct wp_page {
    uint64_t gfn;
    unsigned level;
};

struct gvt_ppgtt {
    struct tlb_entry tlb[TLB_ENTRIES];
    struct wp_page *wp;
    unsigned nr_wp, cap_wp;
    unsigned live_roots;
    bool no_traps; /* a live migration: nothing trapped, nothing cached */
};

static void flush(struct gvt_ppgtt *p)
{
    memset(p->tlb, 0, sizeof(p->tlb));
}

static int wp_read(void *opaque, uint64_t gpa, unsigned size, uint64_t *val)
{
    struct vgpu *v = opaque;
    *val = 0;
    return gmem_read(v->gm, gpa, val, size);
}

static struct wp_page *find_wp(struct gvt_ppgtt *p, uint64_t gfn)
{
    for (unsigned i = 0; i < p->nr_wp; i++)
        if (p->wp[i].gfn == gfn)
            return &p->wp[i];
    return NULL;
}

/* The table at `gfn` (level `level`) is no longer the guest's: it and the
 * trapped tables below it go back to plain RAM. Depth is bounded by the
 * level; a table named twice is released once (find_wp fails after). */
static void release_table(struct vgpu *v, uint64_t gfn, unsigned level)
{
    struct gvt_ppgtt *p = v->ppgtt;
    struct wp_page *w = find_wp(p, gfn);
    if (!w || level == 0 || w->level != level)
        return;
    *w = p->wp[--p->nr_wp];
    ioreq_wp_remove(v->srv, gfn);
    v->stats.wp_pages = p->nr_wp;
    v->stats.wp_released++;
    if (level == 1)
        return; /* a PT's entries name data pages */
    uint64_t entries[512];
    if (gmem_read(v->gm, gfn << 12, entries, sizeof(entries)) < 0)
        return;
    for (unsigned i = 0; i < 512; i++)
        if ((entries[i] & PTE_PRESENT) && !(level < 4 && (entries[i] & PTE_PS)))
            release_table(v, (entries[i] & PTE_ADDR_MASK) >> 12, level - 1);
}

/* The guest changes a page table: store what it wrote (Xen left RAM as
 * it was) and forget translations, which may have gone through it. An
 * entry of a directory that named a table and names another now (or
 * nothing) unhooks that table. */
static int wp_write(void *opaque, uint64_t gpa, unsigned size, uint64_t val)
{
    struct vgpu *v = opaque;
    struct gvt_ppgtt *p = v->ppgtt;
    v->stats.wp_writes++;
    flush(p);
    struct wp_page *w = find_wp(p, gpa >> 12);
    unsigned level = w ? w->level : 0;
    uint64_t entry = gpa & ~7ull, before = 0, after = 0;
    bool directory = level >= 2 && gmem_read(v->gm, entry, &before, 8) == 0;
    int rc = gmem_write(v->gm, gpa, &val, size);
    if (rc == 0 && directory && gmem_read(v->gm, entry, &after, 8) == 0 &&
        (before & PTE_PRESENT) && !(level < 4 && (before & PTE_PS)) &&
        (!(after & PTE_PRESENT) || (after & PTE_ADDR_MASK) != (before & PTE_ADDR_MASK) ||
         (level < 4 && (after & PTE_PS))))
        release_table(v, (before & PTE_ADDR_MASK) >> 12, level - 1);
    return rc;
}

static const struct io_ops wp_ops = { wp_read, wp_write };

static bool protect(struct vgpu *v, uint64_t gfn, unsigned level)
{
    struct gvt_ppgtt *p = v->ppgtt;
    struct wp_page *w = find_wp(p, gfn);
    if (w) {
        /* One page at two levels (a guest's odd tree): keep the higher,
         * whose release also walks the lower. */
        if (level > w->level)
            w->level = level;
        return true;
    }
    if (p->nr_wp >= MAX_WP_PAGES || !v->srv || p->no_traps)
        return false;
    if (p->nr_wp == p->cap_wp) {
        unsigned cap = p->cap_wp ? 2 * p->cap_wp : 64;
        struct wp_page *n = realloc(p->wp, cap * sizeof(*n));
        if (!n)
            return false;
        p->wp = n;
        p->cap_wp = cap;
    }
    /* -EEXIST: another part watches the page (the scanout watch): its
     * writes would not come here, so nothing walked through it is cached. */
    int rc = ioreq_wp_add(v->srv, gfn, &wp_ops, v);
    if (rc < 0) {
        log_debug("ppgtt: cannot trap table page %#llx: %s", (unsigned long long)gfn,
                  strerror(-rc));
        return false;
    }
    p->wp[p->nr_wp++] = (struct wp_page){ gfn, level };
    v->stats.wp_pages = p->nr_wp;
    return true;
}

static int read_entry(struct vgpu *v, uint64_t table, unsigned index, uint64_t *e)
{
    if (gmem_read(v->gm, table + 8ull * index, e, 8) < 0 || !(*e & PTE_PRESENT))
        return -EFAULT;
    return 0;
}

/* The walk: gpa of `va`'s page, and the table pages it read. */
static int walk(struct vgpu *v, const struct gvt_ppgtt_root *root, uint64_t va,
                uint64_t *gpa, uint64_t tables[MAX_TABLE_PAGES], unsigned *nr)
{
    uint64_t e, pd;
    *nr = 0;
    if (root->four_level) {
        if (va >> 48)
            return -EFAULT;
        uint64_t pml4 = root->pdp[0] & PTE_ADDR_MASK;
        tables[(*nr)++] = pml4;
        if (read_entry(v, pml4, (va >> 39) & 0x1ff, &e) < 0)
            return -EFAULT;
        uint64_t pdp = e & PTE_ADDR_MASK;
        tables[(*nr)++] = pdp;
        if (read_entry(v, pdp, (va >> 30) & 0x1ff, &e) < 0)
            return -EFAULT;
        if (e & PTE_PS) {
            *gpa = ((e & PTE_ADDR_MASK) & ~((1ull << 30) - 1)) + (va & ((1ull << 30) - 1));
            return 0;
        }
        pd = e & PTE_ADDR_MASK;
    } else {
        if (va >> 32)
            return -EFAULT;
        /* Legacy 32-bit contexts hold the four page directories' addresses. */
        pd = root->pdp[(va >> 30) & 3] & PTE_ADDR_MASK;
    }
    tables[(*nr)++] = pd;
    if (read_entry(v, pd, (va >> 21) & 0x1ff, &e) < 0)
        return -EFAULT;
    if (e & PTE_PS) {
        *gpa = ((e & PTE_ADDR_MASK) & ~((1ull << 21) - 1)) + (va & ((1ull << 21) - 1));
        return 0;
    }
    uint64_t pt = e & PTE_ADDR_MASK;
    bool ips = e & PDE_IPS_64K;
    tables[(*nr)++] = pt;
    unsigned index = (va >> 12) & 0x1ff;
    if (ips)
        index &= ~0xfu; /* one entry per 64 KiB, at every 16th slot */
    if (read_entry(v, pt, index, &e) < 0)
        return -EFAULT;
    uint64_t page_mask = ips ? 0xffffull : 0xfffull;
    *gpa = ((e & PTE_ADDR_MASK) & ~page_mask) + (va & page_mask);
    return 0;
}

int gvt_ppgtt_translate(struct vgpu *v, const struct gvt_ppgtt_root *root, uint64_t va,
                        uint64_t *gpa)
{
    struct gvt_ppgtt *p = v->ppgtt;
    uint64_t key = root->four_level ? (root->pdp[0] & PTE_ADDR_MASK) | 1
                                    : root->pdp[(va >> 30) & 3] & PTE_ADDR_MASK;
    uint64_t page = va >> 12;
    struct tlb_entry *t = &p->tlb[(page ^ (key >> 12) * 0x9e37u) % TLB_ENTRIES];
    if (t->valid && t->root == key && t->va_page == page) {
        v->stats.ppgtt_tlb_hits++;
        *gpa = t->gpa_page | (va & 0xfff);
        return 0;
    }
    uint64_t tables[MAX_TABLE_PAGES];
    unsigned nr;
    v->stats.ppgtt_walks++;
    if (walk(v, root, va, gpa, tables, &nr) < 0)
        return -EFAULT;
    if (*gpa >= GMEM_MAX_GPA)
        return -EFAULT;
    /* tables[] runs from the root down: a PML4 (level 4), or a legacy
     * context's PD (level 2). */
    unsigned top = root->four_level ? 4 : 2;
    bool trapped = true;
    for (unsigned i = 0; i < nr && trapped; i++)
        trapped = protect(v, tables[i] >> 12, top - i);
    if (trapped)
        *t = (struct tlb_entry){ key, page, *gpa & ~0xfffull, true };
    return 0;
}

void gvt_ppgtt_reset(struct vgpu *v)
{
    struct gvt_ppgtt *p = v->ppgtt;
    if (!p)
        return;
    flush(p);
    for (unsigned i = 0; i < p->nr_wp; i++)
        ioreq_wp_remove(v->srv, p->wp[i].gfn);
    p->nr_wp = 0;
    v->stats.wp_pages = 0;
}

/* Xen refuses global log-dirty mode, which a live migration's memory
 * copy needs, while any page has the p2m_ioreq_server type (hap.c,
 * hap_enable_log_dirty: -EBUSY; real Xen 4.17: "Failed to enable
 * logdirty: 16"). So while the toolstack wants it, no page table is
 * trapped: the trapped ones go back to plain RAM, and translations are
 * walked each time, never cached (slower, never stale). */
void gvt_ppgtt_allow_traps(struct vgpu *v, bool allow)
{
    struct gvt_ppgtt *p = v->ppgtt;
    if (!p || p->no_traps == !allow)
        return;
    p->no_traps = !allow;
    if (!allow)
        gvt_ppgtt_reset(v);
}

void gvt_ppgtt_g2v(struct vgpu *v, uint32_t msg)
{
    struct gvt_ppgtt *p = v->ppgtt;
    switch (msg) {
    case VGT_G2V_PPGTT_L3_PAGE_TABLE_CREATE:
    case VGT_G2V_PPGTT_L4_PAGE_TABLE_CREATE:
        p->live_roots++;
        break;
    case VGT_G2V_PPGTT_L3_PAGE_TABLE_DESTROY:
    case VGT_G2V_PPGTT_L4_PAGE_TABLE_DESTROY:
        /* Its pages go back to the guest's allocator: stop trapping them
         * (and everything else; the next walks trap what is still used). */
        if (p->live_roots)
            p->live_roots--;
        gvt_ppgtt_reset(v);
        break;
    default:
        break;
    }
}

int gvt_ppgtt_init(struct vgpu *v)
{
    v->ppgtt = calloc(1, sizeof(*v->ppgtt));
    return v->ppgtt ? 0 : -ENOMEM;
}

void gvt_ppgtt_release(struct vgpu *v)
{
    if (!v->ppgtt)
        return;
    gvt_ppgtt_reset(v);
    free(v->ppgtt->wp);
    free(v->ppgtt);
    v->ppgtt = NULL;
}
