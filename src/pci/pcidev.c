#include "config.h"
#include "pci/pcidev.h"
#include "ioreq/server.h"
#include "evtchn/irq.h"
#include "common/log.h"

#include <errno.h>
#include <string.h>

#define PCI_BAR_REG(i) (PCI_BASE_ADDRESS_0 + 4u * (i))
#define PCI_CAP_SPACE_END 0x100u

void pci_cfg_set8(struct pci_func *f, unsigned reg, uint8_t v) { f->cfg[reg] = v; }

void pci_cfg_set16(struct pci_func *f, unsigned reg, uint16_t v)
{
    f->cfg[reg] = (uint8_t)v;
    f->cfg[reg + 1] = (uint8_t)(v >> 8);
}

void pci_cfg_set32(struct pci_func *f, unsigned reg, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        f->cfg[reg + i] = (uint8_t)(v >> (8 * i));
}

uint32_t pci_cfg_get32(const struct pci_func *f, unsigned reg)
{
    return (uint32_t)f->cfg[reg] | (uint32_t)f->cfg[reg + 1] << 8 |
           (uint32_t)f->cfg[reg + 2] << 16 | (uint32_t)f->cfg[reg + 3] << 24;
}

static uint16_t get16(const struct pci_func *f, unsigned reg)
{
    return (uint16_t)(f->cfg[reg] | f->cfg[reg + 1] << 8);
}

void pci_cfg_set_wmask32(struct pci_func *f, unsigned reg, uint32_t mask)
{
    for (unsigned i = 0; i < 4; i++)
        f->wmask[reg + i] = (uint8_t)(mask >> (8 * i));
}

void pci_func_init(struct pci_func *f, uint32_t sbdf, struct ioreq_server *srv,
                   struct evt_irq *irq, uint16_t vendor, uint16_t device,
                   uint8_t revision, uint32_t class_code, uint16_t subsys_vendor,
                   uint16_t subsys_id)
{
    memset(f, 0, sizeof(*f));
    f->cfg = f->own_cfg;
    f->sbdf = sbdf;
    f->srv = srv;
    f->irq = irq;
    for (unsigned i = 0; i < PCI_NUM_BARS; i++)
        f->bars[i].mapped_addr = PCI_BAR_UNMAPPED;
    pci_cfg_set16(f, PCI_VENDOR_ID, vendor);
    pci_cfg_set16(f, PCI_DEVICE_ID, device);
    pci_cfg_set8(f, PCI_REVISION_ID, revision);
    pci_cfg_set8(f, PCI_CLASS_PROG, (uint8_t)class_code);
    pci_cfg_set16(f, PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
    pci_cfg_set8(f, PCI_HEADER_TYPE, 0);
    pci_cfg_set16(f, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
    pci_cfg_set16(f, PCI_SUBSYSTEM_ID, subsys_id);
    pci_cfg_set8(f, PCI_INTERRUPT_PIN, 1);
    /* What a guest may change in the standard header: decode and master
     * enables, INTx disable, cache line, latency timer, interrupt line. */
    f->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    f->wmask[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
    f->wmask[0x0c] = 0xff;
    f->wmask[0x0d] = 0xff;
    f->wmask[PCI_INTERRUPT_LINE] = 0xff;
    /* Status: error bits are write-1-to-clear. */
    f->w1cmask[PCI_STATUS + 1] = 0xf9;
}

void pci_func_keep_cfg_in(struct pci_func *f, uint8_t *storage)
{
    memcpy(storage, f->cfg, PCI_CFG_SIZE);
    f->cfg = storage;
}

void pci_func_set_hooks(struct pci_func *f, const struct pci_func_hooks *hooks,
                        void *opaque)
{
    f->hooks = *hooks;
    f->hooks_opaque = opaque;
}

int pci_func_add_bar(struct pci_func *f, unsigned idx, enum pci_bar_kind kind,
                     bool prefetchable, uint64_t size, const struct io_ops *ops,
                     void *opaque)
{
    unsigned slots = kind == PCI_BAR_MEM64 ? 2 : 1;
    if (kind == PCI_BAR_NONE || idx + slots > PCI_NUM_BARS || size == 0 ||
        (kind == PCI_BAR_IO && size > 0x10000) ||
        (kind == PCI_BAR_MEM32 && size > (1ull << 31)))
        return -EINVAL;
    /* Neither slot may be taken, nor be the upper half of a 64-bit BAR. */
    for (unsigned i = idx; i < idx + slots; i++)
        if (f->bars[i].kind != PCI_BAR_NONE ||
            (i > 0 && f->bars[i - 1].kind == PCI_BAR_MEM64))
            return -EEXIST;
    uint64_t min = kind == PCI_BAR_IO ? 4 : 16, pow2 = min;
    while (pow2 < size)
        pow2 <<= 1;
    struct pci_bar *b = &f->bars[idx];
    *b = (struct pci_bar){ .kind = kind, .prefetchable = prefetchable && kind != PCI_BAR_IO,
                           .size = pow2, .mapped_addr = PCI_BAR_UNMAPPED,
                           .ops = ops, .opaque = opaque };
    uint32_t flags = kind == PCI_BAR_IO ? 0x1 : (kind == PCI_BAR_MEM64 ? 0x4 : 0) |
                                                    (b->prefetchable ? 0x8 : 0);
    uint64_t addr_mask = ~(pow2 - 1);
    pci_cfg_set32(f, PCI_BAR_REG(idx), flags);
    /* The type bits are read-only; the address bits below the size too,
     * which is what makes sizing by writing all-ones work. */
    uint32_t low_mask = (uint32_t)addr_mask & (kind == PCI_BAR_IO ? ~0x3u : ~0xfu);
    if (kind == PCI_BAR_IO)
        low_mask &= 0xffffu; /* x86 port space */
    pci_cfg_set_wmask32(f, PCI_BAR_REG(idx), low_mask);
    if (kind == PCI_BAR_MEM64) {
        pci_cfg_set32(f, PCI_BAR_REG(idx + 1), 0);
        pci_cfg_set_wmask32(f, PCI_BAR_REG(idx + 1), (uint32_t)(addr_mask >> 32));
    }
    return 0;
}

static bool caps_overlap(const struct pci_func *f, unsigned off, unsigned len)
{
    /* Walk the chain; capability lengths are not recorded, so a new one may
     * not start inside [cap, next cap) nor cover another's header. */
    unsigned p = f->cfg[PCI_CAPABILITY_LIST];
    for (unsigned guard = 0; p && guard < 48; guard++) {
        if (p == off || (off < p && off + len > p))
            return true;
        p = f->cfg[p + 1];
    }
    return false;
}

int pci_func_add_cap(struct pci_func *f, uint8_t id, uint8_t offset, uint8_t len)
{
    if (offset < 0x40 || (offset & 3) || len < 2 || offset + len > PCI_CAP_SPACE_END)
        return -EINVAL;
    if (caps_overlap(f, offset, len) || (f->last_cap && offset < f->last_cap + 2))
        return -EEXIST;
    f->cfg[offset] = id;
    f->cfg[offset + 1] = 0;
    if (f->last_cap)
        f->cfg[f->last_cap + 1] = offset;
    else
        f->cfg[PCI_CAPABILITY_LIST] = offset;
    f->last_cap = offset;
    f->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    return offset;
}

int pci_func_add_msi(struct pci_func *f, uint8_t offset, bool addr64)
{
    int rc = pci_func_add_cap(f, PCI_CAP_ID_MSI, offset, addr64 ? 14 : 10);
    if (rc < 0)
        return rc;
    /* Single vector: multiple-message capable/enable stay zero. */
    pci_cfg_set16(f, offset + PCI_MSI_FLAGS, addr64 ? PCI_MSI_FLAGS_64BIT : 0);
    f->wmask[offset + PCI_MSI_FLAGS] = PCI_MSI_FLAGS_ENABLE;
    pci_cfg_set_wmask32(f, offset + PCI_MSI_ADDRESS_LO, 0xfffffffcu);
    unsigned data = offset + (addr64 ? 12 : 8);
    if (addr64)
        pci_cfg_set_wmask32(f, offset + 8, 0xffffffffu);
    f->wmask[data] = 0xff;
    f->wmask[data + 1] = 0xff;
    f->msi_cap = offset;
    return rc;
}

/* Where BAR idx decodes now, or PCI_BAR_UNMAPPED. Addresses the guest
 * cannot mean (zero, the sizing pattern, wrapping, a 32-bit BAR above
 * 4 GiB, ports above 64K) are left unclaimed, as QEMU does. */
static uint64_t bar_wanted(const struct pci_func *f, unsigned idx)
{
    const struct pci_bar *b = &f->bars[idx];
    uint16_t cmd = get16(f, PCI_COMMAND);
    bool io = b->kind == PCI_BAR_IO;
    if (!(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
        return PCI_BAR_UNMAPPED;
    uint64_t addr = pci_cfg_get32(f, PCI_BAR_REG(idx)) & (io ? ~0x3u : ~0xfu);
    if (b->kind == PCI_BAR_MEM64)
        addr |= (uint64_t)pci_cfg_get32(f, PCI_BAR_REG(idx + 1)) << 32;
    uint64_t last = addr + b->size - 1;
    if (addr == 0 || last < addr)
        return PCI_BAR_UNMAPPED;
    if ((io && last > 0xffff) || (b->kind == PCI_BAR_MEM32 && last > 0xffffffffull))
        return PCI_BAR_UNMAPPED;
    /* The all-ones sizing value, whole or with only one dword written:
     * mid-sizing, it is no place the guest means (and 0xff000000.. is the
     * firmware's and the interrupt window's, never a BAR's). */
    uint32_t sizing_lo = (uint32_t)~(b->size - 1) & (io ? 0xfffcu : ~0xfu);
    if ((uint32_t)addr == sizing_lo)
        return PCI_BAR_UNMAPPED;
    if (b->kind == PCI_BAR_MEM64 && (addr >> 32) == 0xffffffffu)
        return PCI_BAR_UNMAPPED;
    return addr;
}

/* The claimed part of a BAR at `base`: 0 with *size 0 if none. */
static const struct io_ops *claimed(const struct pci_bar *b, uint64_t base, uint64_t *start,
                                    uint64_t *size, void **opaque)
{
    *opaque = b->opaque;
    if (b->claim_len == 0 && b->claim_off == 0) {
        *start = base;
        *size = b->size;
        return b->ops;
    }
    *start = base + b->claim_off;
    *size = b->claim_len;
    return b->claim_ops ? b->claim_ops : b->ops;
}

static void unclaim(struct pci_func *f, struct pci_bar *b, enum io_space space, uint64_t at)
{
    uint64_t start, size;
    void *opaque;
    claimed(b, at, &start, &size, &opaque);
    if (size && f->srv)
        ioreq_unmap_range(f->srv, space, start);
}

static int claim(struct pci_func *f, struct pci_bar *b, enum io_space space, uint64_t at)
{
    uint64_t start, size;
    void *opaque;
    const struct io_ops *ops = claimed(b, at, &start, &size, &opaque);
    return size && f->srv ? ioreq_map_range(f->srv, space, start, size, ops, opaque) : 0;
}

static void bar_set_mapping(struct pci_func *f, unsigned idx, uint64_t wanted)
{
    struct pci_bar *b = &f->bars[idx];
    if (wanted == b->mapped_addr)
        return;
    enum io_space space = b->kind == PCI_BAR_IO ? IO_SPACE_PIO : IO_SPACE_MMIO;
    if (b->mapped_addr != PCI_BAR_UNMAPPED)
        unclaim(f, b, space, b->mapped_addr);
    b->mapped_addr = PCI_BAR_UNMAPPED;
    if (wanted != PCI_BAR_UNMAPPED) {
        int rc = claim(f, b, space, wanted);
        if (rc < 0)
            log_guest("PCI %#x: BAR%u at %#llx (+%#llx) not claimed: %s", f->sbdf, idx,
                      (unsigned long long)wanted, (unsigned long long)b->size,
                      strerror(-rc));
        else
            b->mapped_addr = wanted;
    }
    f->bar_moves++;
    if (f->hooks.bar_moved)
        f->hooks.bar_moved(f->hooks_opaque, idx, b->mapped_addr);
}

int pci_func_set_bar_claim(struct pci_func *f, unsigned idx, uint64_t off, uint64_t len,
                           const struct io_ops *ops)
{
    if (idx >= PCI_NUM_BARS || !f->bars[idx].kind)
        return -EINVAL;
    struct pci_bar *b = &f->bars[idx];
    if (off > b->size || len > b->size - off || (len == 0 && off != 0 && off != b->size))
        return -EINVAL;
    if (b->claim_off == off && b->claim_len == len && b->claim_ops == ops)
        return 0;
    enum io_space space = b->kind == PCI_BAR_IO ? IO_SPACE_PIO : IO_SPACE_MMIO;
    uint64_t at = b->mapped_addr;
    if (at != PCI_BAR_UNMAPPED)
        unclaim(f, b, space, at);
    b->claim_off = off;
    b->claim_len = len;
    b->claim_ops = ops;
    if (at == PCI_BAR_UNMAPPED)
        return 0;
    int rc = claim(f, b, space, at);
    if (rc < 0) {
        log_warn("PCI %#x: BAR%u at %#llx not re-claimed: %s", f->sbdf, idx,
                 (unsigned long long)at, strerror(-rc));
        b->mapped_addr = PCI_BAR_UNMAPPED;
    }
    return rc;
}

void pci_func_update_mappings(struct pci_func *f)
{
    /* Unmap whatever moves first, so a BAR moving onto another's old place
     * does not collide with its stale claim. */
    uint64_t wanted[PCI_NUM_BARS];
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        wanted[i] = f->bars[i].kind ? bar_wanted(f, i) : PCI_BAR_UNMAPPED;
        if (f->bars[i].kind && wanted[i] != f->bars[i].mapped_addr &&
            f->bars[i].mapped_addr != PCI_BAR_UNMAPPED)
            bar_set_mapping(f, i, PCI_BAR_UNMAPPED);
    }
    for (unsigned i = 0; i < PCI_NUM_BARS; i++)
        if (f->bars[i].kind)
            bar_set_mapping(f, i, wanted[i]);
}

void pci_func_unmap_all(struct pci_func *f)
{
    for (unsigned i = 0; i < PCI_NUM_BARS; i++)
        if (f->bars[i].kind && f->bars[i].mapped_addr != PCI_BAR_UNMAPPED)
            bar_set_mapping(f, i, PCI_BAR_UNMAPPED);
}

static bool access_ok(const struct pci_func *f, unsigned reg, unsigned size)
{
    (void)f;
    return (size == 1 || size == 2 || size == 4) && reg < PCI_CFG_SIZE &&
           reg + size <= PCI_CFG_SIZE;
}

uint32_t pci_cfg_read(struct pci_func *f, unsigned reg, unsigned size)
{
    if (!access_ok(f, reg, size)) {
        log_guest("PCI %#x: config read of %u bytes at %#x refused", f->sbdf, size, reg);
        return size == 1 ? 0xffu : size == 2 ? 0xffffu : 0xffffffffu;
    }
    f->cfg_reads++;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)f->cfg[reg + i] << (8 * i);
    return v;
}

void pci_cfg_write(struct pci_func *f, unsigned reg, unsigned size, uint32_t val)
{
    if (!access_ok(f, reg, size)) {
        log_guest("PCI %#x: config write of %u bytes at %#x dropped", f->sbdf, size, reg);
        return;
    }
    f->cfg_writes++;
    bool was_msi = pci_func_msi_enabled(f);
    for (unsigned i = 0; i < size; i++) {
        unsigned r = reg + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        uint8_t old = f->cfg[r];
        uint8_t next = (uint8_t)((old & ~f->wmask[r]) | (b & f->wmask[r]));
        next &= (uint8_t)~(b & f->w1cmask[r]);
        f->cfg[r] = next;
    }
    bool touches_decode = reg < PCI_COMMAND + 2 && reg + size > PCI_COMMAND;
    bool touches_bars = reg < PCI_BAR_REG(PCI_NUM_BARS) && reg + size > PCI_BASE_ADDRESS_0;
    if (touches_decode || touches_bars)
        pci_func_update_mappings(f);
    /* INTx is masked by COMMAND.INTX_DISABLE and by enabling MSI. */
    if (touches_decode || was_msi != pci_func_msi_enabled(f))
        pci_func_set_intx(f, f->cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT);
    if (f->hooks.cfg_write)
        f->hooks.cfg_write(f->hooks_opaque, reg, size, val);
}

static int cfg_ops_read(void *opaque, uint64_t offset, unsigned size, uint64_t *val)
{
    if (size > 4)
        return -EINVAL;
    *val = pci_cfg_read(opaque, (unsigned)offset, size);
    return 0;
}

static int cfg_ops_write(void *opaque, uint64_t offset, unsigned size, uint64_t val)
{
    if (size > 4)
        return -EINVAL;
    pci_cfg_write(opaque, (unsigned)offset, size, (uint32_t)val);
    return 0;
}

const struct io_ops pci_func_cfg_ops = { cfg_ops_read, cfg_ops_write };

bool pci_func_msi_enabled(const struct pci_func *f)
{
    return f->msi_cap && (f->cfg[f->msi_cap + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_ENABLE);
}

int pci_func_msi_notify(struct pci_func *f)
{
    if (!pci_func_msi_enabled(f))
        return -EAGAIN;
    unsigned c = f->msi_cap;
    bool addr64 = f->cfg[c + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_64BIT;
    uint64_t addr = pci_cfg_get32(f, c + PCI_MSI_ADDRESS_LO);
    if (addr64)
        addr |= (uint64_t)pci_cfg_get32(f, c + 8) << 32;
    uint16_t data = get16(f, c + (addr64 ? 12 : 8));
    f->msis++;
    return f->irq ? evt_irq_inject_msi(f->irq, addr, data) : 0;
}

void pci_func_set_intx(struct pci_func *f, bool level)
{
    if (level)
        f->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    else
        f->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
    bool effective = level && !(get16(f, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) &&
                     !pci_func_msi_enabled(f);
    if (effective == f->intx_level)
        return;
    f->intx_level = effective;
    if (f->irq)
        evt_irq_set_intx(f->irq, f->sbdf, 0, effective);
}
