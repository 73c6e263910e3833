/* A PCI function emulated over the ioreq server: config space with
 * write/RW1C masks, a capability list, BARs that size like hardware and are
 * (re)claimed from Xen when the guest moves them or toggles decode, and
 * MSI/INTx signalling. */
#ifndef XENGVT_PCI_PCIDEV_H
#define XENGVT_PCI_PCIDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "ioreq/iomap.h"

struct ioreq_server;
struct evt_irq;

#define PCI_CFG_SIZE 4096 /* PCIe: extended space reads as zero */
#define PCI_NUM_BARS 6
#define PCI_BAR_UNMAPPED UINT64_MAX

/* Standard config registers (offsets) used across the project. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x08
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_HEADER_TYPE 0x0e
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_EXP 0x10
#define PCI_MSI_FLAGS 2 /* offsets inside the MSI capability */
#define PCI_MSI_FLAGS_ENABLE 0x1
#define PCI_MSI_FLAGS_64BIT 0x80
#define PCI_MSI_ADDRESS_LO 4

enum pci_bar_kind { PCI_BAR_NONE = 0, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
    enum pci_bar_kind kind;
    bool prefetchable;
    uint64_t size;        /* power of two */
    uint64_t mapped_addr; /* where Xen routes it to us, or PCI_BAR_UNMAPPED */
    /* The part routed to us: [claim_off, claim_off + claim_len) with
     * claim_ops (offsets from claim_off); claim_len 0: the whole BAR with
     * ops. The rest is the device's RAM in the guest's physmap. */
    uint64_t claim_off, claim_len;
    const struct io_ops *claim_ops;
    const struct io_ops *ops;
    void *opaque;
};

struct pci_func;

/* Device hooks, all optional. cfg_write runs after the generic handling
 * with the value as the guest wrote it; bar_moved after a BAR was (un)
 * claimed. */
struct pci_func_hooks {
    void (*cfg_write)(void *opaque, unsigned reg, unsigned size, uint32_t val);
    void (*bar_moved)(void *opaque, unsigned bar, uint64_t addr);
};

struct pci_func {
    uint32_t sbdf;
    struct ioreq_server *srv;
    struct evt_irq *irq;
    uint8_t *cfg;                  /* PCI_CFG_SIZE: own_cfg, or pci_func_keep_cfg_in's */
    uint8_t own_cfg[PCI_CFG_SIZE];
    uint8_t wmask[PCI_CFG_SIZE];   /* bits the guest may write */
    uint8_t w1cmask[PCI_CFG_SIZE]; /* bits a 1 written clears */
    struct pci_bar bars[PCI_NUM_BARS];
    uint8_t msi_cap;  /* offset of the MSI capability, 0 if none */
    uint8_t last_cap; /* end of the capability chain */
    bool intx_level;  /* what we last told Xen */
    struct pci_func_hooks hooks;
    void *hooks_opaque;
    uint64_t cfg_reads, cfg_writes, msis, bar_moves;
};

/* Identity: vendor, device, revision, class (24 bits: base/sub/prog-if),
 * subsystem ids. Header type 0; command cleared; INTx pin A. */
void pci_func_init(struct pci_func *f, uint32_t sbdf, struct ioreq_server *srv,
                   struct evt_irq *irq, uint16_t vendor, uint16_t device,
                   uint8_t revision, uint32_t class_code, uint16_t subsys_vendor,
                   uint16_t subsys_id);
void pci_func_set_hooks(struct pci_func *f, const struct pci_func_hooks *hooks,
                        void *opaque);
/* From now on the config space lives in `storage` (PCI_CFG_SIZE bytes the
 * caller keeps, e.g. a mapping that outlives the process); what it holds
 * so far is copied there. */
void pci_func_keep_cfg_in(struct pci_func *f, uint8_t *storage);

/* Declare BAR `idx` (a 64-bit BAR takes idx and idx+1). Size is rounded
 * up to a power of two (at least 16 bytes for memory, 4 for I/O). */
int pci_func_add_bar(struct pci_func *f, unsigned idx, enum pci_bar_kind kind,
                     bool prefetchable, uint64_t size,
                     const struct io_ops *ops, void *opaque);

/* Append a capability of `len` bytes at `offset` (>= 0x40, 4-aligned) to
 * the list; returns offset or -errno. Contents are zero; set them through
 * f->cfg and the masks. */
int pci_func_add_cap(struct pci_func *f, uint8_t id, uint8_t offset,
                     uint8_t len);
/* MSI capability: single vector, 32-bit or 64-bit address, no masking. */
int pci_func_add_msi(struct pci_func *f, uint8_t offset, bool addr64);

/* Route only [off, off + len) of BAR `idx` to us, to `ops` (NULL: the
 * BAR's own; offsets are from `off`), e.g. when the rest of the BAR is
 * backed by guest RAM. len 0 with off 0: all of the BAR, as declared; len 0
 * with off = the BAR's size: none of it. A mapped BAR is re-claimed at
 * once. No bar_moved hook runs. 0 or -errno. */
int pci_func_set_bar_claim(struct pci_func *f, unsigned idx, uint64_t off, uint64_t len,
                           const struct io_ops *ops);

/* Claim the ranges of BARs that are currently valid (e.g. after restore). */
void pci_func_update_mappings(struct pci_func *f);
/* Unclaim everything (shutdown). */
void pci_func_unmap_all(struct pci_func *f);

/* Config access from the ioreq path. size 1/2/4; reg+size <= PCI_CFG_SIZE
 * else the read is ~0 and the write dropped (logged). */
uint32_t pci_cfg_read(struct pci_func *f, unsigned reg, unsigned size);
void pci_cfg_write(struct pci_func *f, unsigned reg, unsigned size, uint32_t val);

/* io_ops adapter so a pci_func can be registered with the io registry in
 * IO_SPACE_PCI (opaque = the pci_func). */
extern const struct io_ops pci_func_cfg_ops;

/* Edge event from the device: an MSI if enabled (returns 0), else -EAGAIN
 * (the caller keeps the level for INTx through pci_func_set_intx). */
int pci_func_msi_notify(struct pci_func *f);
bool pci_func_msi_enabled(const struct pci_func *f);
/* INTx level (honours COMMAND.INTX_DISABLE and MSI enable; only changes are
 * sent to Xen). */
void pci_func_set_intx(struct pci_func *f, bool level);

/* Little-endian helpers on f->cfg for device code. */
void pci_cfg_set8(struct pci_func *f, unsigned reg, uint8_t v);
void pci_cfg_set16(struct pci_func *f, unsigned reg, uint16_t v);
void pci_cfg_set32(struct pci_func *f, unsigned reg, uint32_t v);
uint32_t pci_cfg_get32(const struct pci_func *f, unsigned reg);
/* Make `len` bytes at reg writable by the guest with the given mask per byte
 * pattern (applied to each 32-bit lane starting at reg). */
void pci_cfg_set_wmask32(struct pci_func *f, unsigned reg, uint32_t mask);

#endif
