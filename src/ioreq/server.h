/* One ioreq server for one guest: lifecycle, the io registry kept in sync
 * with Xen, and the request path (per-vCPU slots and the buffered ring). */
#ifndef XENGVT_IOREQ_SERVER_H
#define XENGVT_IOREQ_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <xendevicemodel.h>
#include <xenforeignmemory.h>

#include "ioreq/iomap.h"

struct evt_ports;
struct gmem;
struct ioreq_server;

struct ioreq_server_params {
    uint32_t domid;
    bool legacy_mapping; /* skip the resource API (debugging, old Xen) */
    /* Take over this existing server instead of creating one: the server a
     * daemon that died left behind (Xen keeps it, its ranges and any access
     * a vCPU is waiting on; the ports fall back to unbound). */
    bool adopt;
    uint16_t adopt_id;
};

struct ioreq_stats {
    uint64_t pio, mmio, pci_config, invalidate, timeoffset;
    uint64_t buffered;     /* buffered ring slots handled */
    uint64_t rejected;     /* malformed or unclaimed requests answered safely */
    uint64_t reps;         /* rep iterations across all requests */
    int64_t time_offset;   /* last TIMEOFFSET from the guest (seconds) */
    bool legacy_mapping;   /* pages were mapped by the legacy path */
    unsigned vcpus;
    uint64_t adopted_waiting; /* accesses a dead daemon left, answered on adoption */
};

/* Creates the server (with a buffered ring), maps its pages (resource API,
 * or the legacy gfn path when refused), and leaves it disabled. With
 * params->adopt_id it maps the pages of that existing server instead. */
int ioreq_server_create(const struct ioreq_server_params *params,
                        xendevicemodel_handle *dmod,
                        xenforeignmemory_handle *fmem, struct evt_ports *ports,
                        struct gmem *gm, struct ioreq_server **out);
/* Enables the server, then binds each vCPU's port and the buffered port:
 * Xen fills vp_eport only once the server is enabled. An adopted server's
 * slots are then answered: a vCPU may be waiting on one since its daemon
 * died, and no new event will come for it. */
int ioreq_server_enable(struct ioreq_server *s);
/* Disables, unbinds, unmaps, destroys. Safe on a dead domain. */
void ioreq_server_destroy(struct ioreq_server *s);

/* Claim [start, start+size) in `space` (for IO_SPACE_PCI, start is the SBDF
 * and size 1) with Xen and the local registry; -EEXIST on overlap. */
int ioreq_map_range(struct ioreq_server *s, enum io_space space,
                    uint64_t start, uint64_t size, const struct io_ops *ops,
                    void *opaque);
int ioreq_unmap_range(struct ioreq_server *s, enum io_space space,
                      uint64_t start);

/* Write-protect guest page `gfn` (it must be plain RAM): the guest's
 * writes to it come to `ops->write` with the guest-physical address as the
 * offset, and the handler must store them; reads are not trapped. -EEXIST
 * if already protected. */
int ioreq_wp_add(struct ioreq_server *s, uint64_t gfn, const struct io_ops *ops,
                 void *opaque);
/* Back to plain RAM. */
int ioreq_wp_remove(struct ioreq_server *s, uint64_t gfn);
/* A page added above goes back to plain RAM (on = false) or is protected
 * again, and stays registered either way: a write Xen sent while it was
 * protected (a rep store in progress, another vCPU's) still reaches its
 * handler. -ENOENT if the page was never added. */
int ioreq_wp_protect(struct ioreq_server *s, uint64_t gfn, bool on);
unsigned ioreq_wp_count(const struct ioreq_server *s);

void ioreq_get_stats(const struct ioreq_server *s, struct ioreq_stats *out);
/* Xen's id of the server (what a successor daemon adopts). */
unsigned ioreq_server_id(const struct ioreq_server *s);
uint32_t ioreq_server_domid(const struct ioreq_server *s);

/* Called when a Xen call reports the domain gone (ESRCH). */
typedef void (*ioreq_dead_cb)(void *opaque);
void ioreq_server_on_domain_dead(struct ioreq_server *s, ioreq_dead_cb cb,
                                 void *opaque);

/* PCI SBDF packing, as Xen's PCI_CONFIG ioreqs carry it in addr[63:32]. */
static inline uint32_t pci_sbdf(unsigned seg, unsigned bus, unsigned dev,
                                unsigned fn)
{
    return (seg & 0xffffu) << 16 | (bus & 0xffu) << 8 | (dev & 0x1fu) << 3 |
           (fn & 7u);
}

#endif
