#include "config.h"
#include "ioreq/server.h"
#include "ioreq/dispatch.h"
#include "ioreq/server_priv.h"
#include "ioreq/guestmem.h"
#include "evtchn/ports.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>

#ifndef XC_PAGE_SIZE
#define XC_PAGE_SIZE 4096
#endif
/* One ioreq page holds this many slots; Xen 4.17 serves no more vCPUs. */
#define IOREQ_MAX_VCPUS (XC_PAGE_SIZE / sizeof(ioreq_t))

void ioreq_report_if_dead(struct ioreq_server *s, int err)
{
    if (err == ESRCH && s->dead_cb)
        s->dead_cb(s->dead_opaque);
}

static int map_pages_resource(struct ioreq_server *s)
{
    s->res = xenforeignmemory_map_resource(
        s->fmem, (domid_t)s->params.domid, XENMEM_resource_ioreq_server, s->id,
        XENMEM_resource_ioreq_server_frame_bufioreq, 2, &s->res_addr,
        PROT_READ | PROT_WRITE, 0);
    if (!s->res)
        return -errno;
    s->bufpage = s->res_addr;
    s->iopage = (shared_iopage_t *)((char *)s->res_addr + XC_PAGE_SIZE);
    /* The resource path does not hand out the buffered port with the
     * pages; ask for it alone (NULL gfns keep Xen from allocating any). */
    if (xendevicemodel_get_ioreq_server_info(s->dmod, (domid_t)s->params.domid,
                                             s->id, NULL, NULL,
                                             &s->buf_remote_port) < 0)
        return -errno;
    return 0;
}

static int map_pages_legacy(struct ioreq_server *s)
{
    xen_pfn_t ioreq_gfn, bufioreq_gfn;
    if (xendevicemodel_get_ioreq_server_info(s->dmod, (domid_t)s->params.domid,
                                             s->id, &ioreq_gfn, &bufioreq_gfn,
                                             &s->buf_remote_port) < 0)
        return -errno;
    s->iopage = xenforeignmemory_map(s->fmem, s->params.domid,
                                     PROT_READ | PROT_WRITE, 1, &ioreq_gfn, NULL);
    if (!s->iopage)
        return -errno;
    s->bufpage = xenforeignmemory_map(s->fmem, s->params.domid,
                                      PROT_READ | PROT_WRITE, 1, &bufioreq_gfn,
                                      NULL);
    if (!s->bufpage)
        return -errno;
    s->stats.legacy_mapping = true;
    return 0;
}

static void unmap_pages(struct ioreq_server *s)
{
    if (s->res) {
        xenforeignmemory_unmap_resource(s->fmem, s->res);
    } else {
        if (s->iopage)
            xenforeignmemory_unmap(s->fmem, s->iopage, 1);
        if (s->bufpage)
            xenforeignmemory_unmap(s->fmem, s->bufpage, 1);
    }
    s->res = NULL;
    s->iopage = NULL;
    s->bufpage = NULL;
}

int ioreq_server_create(const struct ioreq_server_params *params,
                        xendevicemodel_handle *dmod,
                        xenforeignmemory_handle *fmem, struct evt_ports *ports,
                        struct gmem *gm, struct ioreq_server **out)
{
    struct ioreq_server *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->params = *params;
    s->dmod = dmod;
    s->fmem = fmem;
    s->ports = ports;
    s->buf_local_port = -1;
    s->dispatch.gm = gm;
    s->dispatch.stats = &s->stats;
    s->dispatch.domid = params->domid;
    for (unsigned i = 0; i < IO_MAPS; i++)
        iomap_init(&s->dispatch.maps[i]);

    int rc;
    unsigned nr_vcpus = 0;
    if (xendevicemodel_nr_vcpus(dmod, (domid_t)params->domid, &nr_vcpus) < 0) {
        rc = -errno;
        log_error("dom%u: cannot read the vCPU count: %s", params->domid,
                  strerror(errno));
        goto fail;
    }
    if (nr_vcpus == 0 || nr_vcpus > IOREQ_MAX_VCPUS) {
        rc = -ERANGE;
        log_error("dom%u: %u vCPUs; one ioreq page serves 1..%zu",
                  params->domid, nr_vcpus, (size_t)IOREQ_MAX_VCPUS);
        goto fail;
    }
    s->nr_vcpus = nr_vcpus;
    s->stats.vcpus = nr_vcpus;
    s->vcpus = calloc(nr_vcpus, sizeof(*s->vcpus));
    if (!s->vcpus) {
        rc = -ENOMEM;
        goto fail;
    }
    for (unsigned i = 0; i < nr_vcpus; i++)
        s->vcpus[i] = (struct vcpu_slot){ s, -1 };

    if (params->adopt) {
        /* Ours from now on: destroyed when we end, as if we made it. */
        s->id = (ioservid_t)params->adopt_id;
        s->adopted = true;
    } else if (xendevicemodel_create_ioreq_server(dmod, (domid_t)params->domid,
                                                  /* Atomic buffered handling: Xen
                                                   * rebases the ring pointers with a
                                                   * cmpxchg, we advance read_pointer
                                                   * with an atomic add. */
                                                  HVM_IOREQSRV_BUFIOREQ_ATOMIC,
                                                  &s->id) < 0) {
        rc = -errno;
        log_error("dom%u: create_ioreq_server: %s", params->domid,
                  strerror(errno));
        goto fail;
    }
    s->created = true;

    rc = params->legacy_mapping ? -EOPNOTSUPP : map_pages_resource(s);
    if (rc == -EOPNOTSUPP) {
        /* Older Xen or privcmd without the resource ioctl. */
        unmap_pages(s);
        log_info("dom%u: ioreq pages by the legacy gfn path%s", params->domid,
                 params->legacy_mapping ? " (requested)" : "");
        rc = map_pages_legacy(s);
    }
    if (rc < 0 && s->adopted) {
        log_error("dom%u: no ioreq server %u to adopt: %s", params->domid, s->id,
                  strerror(-rc));
        s->created = false; /* not ours to destroy */
        goto fail;
    }
    if (rc < 0) {
        log_error("dom%u: mapping the ioreq pages failed: %s", params->domid,
                  strerror(-rc));
        goto fail;
    }
    log_info("dom%u: ioreq server %u %s, %u vCPUs, pages mapped by %s", params->domid,
             s->id, s->adopted ? "adopted" : "created", nr_vcpus,
             s->stats.legacy_mapping ? "gfn" : "resource");
    *out = s;
    return 0;

fail:
    ioreq_server_destroy(s);
    return rc;
}

static void handle_vcpu(void *opaque, unsigned vcpu);
static void handle_buffered(void *opaque, unsigned arg);
static void answer_waiting_slots(struct ioreq_server *s);
static void release_dead_wp_pages(struct ioreq_server *s);
static bool store_to_unknown_page(struct ioreq_server *s, const ioreq_t *req);

int ioreq_server_enable(struct ioreq_server *s)
{
    domid_t domid = (domid_t)s->params.domid;
    if (xendevicemodel_set_ioreq_server_state(s->dmod, domid, s->id, 1) < 0) {
        int err = -errno;
        log_error("dom%u: enabling ioreq server: %s", domid, strerror(errno));
        return err;
    }
    s->enabled = true;
    for (unsigned i = 0; i < s->nr_vcpus; i++) {
        uint32_t remote = s->iopage->vcpu_ioreq[i].vp_eport;
        int local = evt_ports_bind(s->ports, domid, remote, handle_vcpu,
                                   &s->vcpus[i], i);
        if (local < 0) {
            log_error("dom%u: binding vCPU %u port %u: %s", domid, i, remote,
                      strerror(-local));
            return local;
        }
        s->vcpus[i].local_port = local;
    }
    int local = evt_ports_bind(s->ports, domid, s->buf_remote_port,
                               handle_buffered, s, 0);
    if (local < 0) {
        log_error("dom%u: binding the buffered port %u: %s", domid,
                  s->buf_remote_port, strerror(-local));
        return local;
    }
    s->buf_local_port = local;
    log_info("dom%u: ioreq server %u enabled", domid, s->id);
    if (s->adopted) {
        release_dead_wp_pages(s);
        answer_waiting_slots(s);
    }
    return 0;
}

/* The dead daemon's write-protected pages (shadowed page tables) are
 * unknown here, yet Xen keeps sending their writes to this server: let
 * them all go back to plain RAM (Xen retypes them when the claim goes);
 * pages are protected again as the vGPU meets them. */
static void release_dead_wp_pages(struct ioreq_server *s)
{
    if (xendevicemodel_map_mem_type_to_ioreq_server(s->dmod, (domid_t)s->params.domid, s->id,
                                                    HVMMEM_ioreq_server, 0) < 0)
        log_warn("dom%u: releasing the dead daemon's write-protected pages: %s",
                 s->params.domid, strerror(errno));
    else
        log_info("dom%u: the dead daemon's write-protected pages are plain RAM again",
                 s->params.domid);
}

/* A write Xen sent for an address none of our devices claims: on an
 * adopted server, a store to a page the dead daemon write-protected, which
 * the owner must perform. Only guest memory is written (anything else
 * fails to map and is dropped). */
static bool store_to_unknown_page(struct ioreq_server *s, const ioreq_t *req)
{
    if (req->type != IOREQ_TYPE_COPY || req->dir != IOREQ_WRITE || req->data_is_ptr ||
        req->count != 1 || (req->size != 1 && req->size != 2 && req->size != 4 &&
                            req->size != 8))
        return false;
    for (unsigned m = 0; m < IO_MAPS; m++)
        if (m != IO_SPACE_PIO && m != IO_SPACE_PCI && iomap_find(&s->dispatch.maps[m], req->addr))
            return false;
    uint64_t data = req->data;
    return gmem_write(s->dispatch.gm, req->addr, &data, req->size) == 0;
}

/* A vCPU whose access the dead daemon never answered waits on its slot:
 * READY (posted, not yet taken) or INPROCESS (taken, not answered). Its
 * event was consumed by the dead process, so nothing will announce it
 * again; an INPROCESS access is handled again from the start (a register
 * write applied twice leaves the register as once). */
static void answer_waiting_slots(struct ioreq_server *s)
{
    ioreq_dispatch_buffered(&s->dispatch, s->bufpage);
    for (unsigned i = 0; i < s->nr_vcpus; i++) {
        volatile ioreq_t *slot = &s->iopage->vcpu_ioreq[i];
        uint8_t state = slot->state;
        if (state == STATE_IORESP_READY) {
            /* Answered, but the dead daemon never said so: the vCPU
             * sleeps until the port is notified. */
            log_info("dom%u: vCPU %u's answer was never announced: announcing it",
                     s->params.domid, i);
            s->stats.adopted_waiting++;
            evt_ports_notify(s->ports, (uint32_t)s->vcpus[i].local_port);
            continue;
        }
        if (state != STATE_IOREQ_READY && state != STATE_IOREQ_INPROCESS)
            continue;
        log_info("dom%u: vCPU %u was waiting on the adopted server: answering it",
                 s->params.domid, i);
        s->stats.adopted_waiting++;
        ioreq_t req = *(ioreq_t *)slot;
        if (store_to_unknown_page(s, &req)) {
            log_info("dom%u: vCPU %u's store to a page the dead daemon protected: done",
                     s->params.domid, i);
            __atomic_thread_fence(__ATOMIC_RELEASE);
            slot->state = STATE_IORESP_READY;
            evt_ports_notify(s->ports, (uint32_t)s->vcpus[i].local_port);
            continue;
        }
        slot->state = STATE_IOREQ_READY;
        handle_vcpu(&s->vcpus[i], i);
    }
}

void ioreq_server_destroy(struct ioreq_server *s)
{
    if (!s)
        return;
    domid_t domid = (domid_t)s->params.domid;
    if (s->vcpus)
        for (unsigned i = 0; i < s->nr_vcpus; i++)
            if (s->vcpus[i].local_port >= 0)
                evt_ports_unbind(s->ports, (uint32_t)s->vcpus[i].local_port);
    if (s->buf_local_port >= 0)
        evt_ports_unbind(s->ports, (uint32_t)s->buf_local_port);
    /* A dead domain refuses these with ESRCH: nothing is left to undo. */
    if (s->enabled)
        xendevicemodel_set_ioreq_server_state(s->dmod, domid, s->id, 0);
    unmap_pages(s);
    if (s->created)
        xendevicemodel_destroy_ioreq_server(s->dmod, domid, s->id);
    for (unsigned i = 0; i < IO_MAPS; i++)
        iomap_release(&s->dispatch.maps[i]);
    free(s->vcpus);
    free(s);
}

/* The ioreq path: Xen wrote the slot and set READY before signalling. */
static void handle_vcpu(void *opaque, unsigned vcpu)
{
    struct vcpu_slot *slot = opaque;
    struct ioreq_server *s = slot->srv;

    /* Buffered writes were issued before this synchronous access: apply
     * them first so a read sees them. */
    ioreq_dispatch_buffered(&s->dispatch, s->bufpage);

    ioreq_t *shared = &s->iopage->vcpu_ioreq[vcpu];
    if (((volatile ioreq_t *)shared)->state != STATE_IOREQ_READY)
        return; /* spurious: nothing posted, or already answered */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    ioreq_t req = *shared;
    shared->state = STATE_IOREQ_INPROCESS;

    ioreq_dispatch_one(&s->dispatch, &req);

    if (req.dir == IOREQ_READ)
        shared->data = req.data;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    shared->state = STATE_IORESP_READY;
    int rc = evt_ports_notify(s->ports, (uint32_t)slot->local_port);
    if (rc < 0) {
        log_warn("dom%u: notifying vCPU %u: %s", s->params.domid, vcpu,
                 strerror(-rc));
        ioreq_report_if_dead(s, -rc);
    }
}

static void handle_buffered(void *opaque, unsigned arg)
{
    struct ioreq_server *s = opaque;
    (void)arg;
    ioreq_dispatch_buffered(&s->dispatch, s->bufpage);
}

int ioreq_map_range(struct ioreq_server *s, enum io_space space,
                    uint64_t start, uint64_t size, const struct io_ops *ops,
                    void *opaque)
{
    if ((unsigned)space > IO_SPACE_PCI)
        return -EINVAL;
    if (space == IO_SPACE_PCI && size != 1)
        return -EINVAL;
    int rc = iomap_insert(&s->dispatch.maps[space], start, size, ops, opaque);
    if (rc < 0)
        return rc;
    domid_t domid = (domid_t)s->params.domid;
    int xrc;
    if (space == IO_SPACE_PCI) {
        uint32_t sbdf = (uint32_t)start;
        xrc = xendevicemodel_map_pcidev_to_ioreq_server(
            s->dmod, domid, s->id, (uint16_t)(sbdf >> 16), (uint8_t)(sbdf >> 8),
            (uint8_t)((sbdf >> 3) & 0x1f), (uint8_t)(sbdf & 7));
    } else {
        xrc = xendevicemodel_map_io_range_to_ioreq_server(
            s->dmod, domid, s->id, space == IO_SPACE_MMIO, start,
            start + size - 1);
    }
    if (xrc < 0 && errno == EEXIST && s->adopted) {
        /* The dead daemon claimed it already, and Xen kept the claim. */
        xrc = 0;
    }
    if (xrc < 0) {
        rc = -errno;
        iomap_remove(&s->dispatch.maps[space], start);
        ioreq_report_if_dead(s, -rc);
        return rc;
    }
    log_debug("dom%u: claimed %s [%#llx, +%#llx)", domid,
              space == IO_SPACE_PCI ? "pci" : space == IO_SPACE_MMIO ? "mmio" : "pio",
              (unsigned long long)start, (unsigned long long)size);
    return 0;
}

int ioreq_unmap_range(struct ioreq_server *s, enum io_space space,
                      uint64_t start)
{
    if ((unsigned)space > IO_SPACE_PCI)
        return -EINVAL;
    const struct io_range *r = iomap_find(&s->dispatch.maps[space], start);
    if (!r || r->start != start)
        return -ENOENT;
    uint64_t end = r->end;
    domid_t domid = (domid_t)s->params.domid;
    int xrc;
    if (space == IO_SPACE_PCI) {
        uint32_t sbdf = (uint32_t)start;
        xrc = xendevicemodel_unmap_pcidev_from_ioreq_server(
            s->dmod, domid, s->id, (uint16_t)(sbdf >> 16), (uint8_t)(sbdf >> 8),
            (uint8_t)((sbdf >> 3) & 0x1f), (uint8_t)(sbdf & 7));
    } else {
        xrc = xendevicemodel_unmap_io_range_from_ioreq_server(
            s->dmod, domid, s->id, space == IO_SPACE_MMIO, start, end);
    }
    /* Drop it locally whatever Xen said: a stale claim in Xen only costs
     * requests we answer as unclaimed; a stale local entry would route
     * them to a device that moved. */
    iomap_remove(&s->dispatch.maps[space], start);
    if (xrc < 0) {
        int err = errno;
        ioreq_report_if_dead(s, err);
        return -err;
    }
    return 0;
}

void ioreq_get_stats(const struct ioreq_server *s, struct ioreq_stats *out)
{
    *out = s->stats;
}

uint32_t ioreq_server_domid(const struct ioreq_server *s) { return s->params.domid; }

unsigned ioreq_server_id(const struct ioreq_server *s) { return s->id; }

void ioreq_server_on_domain_dead(struct ioreq_server *s, ioreq_dead_cb cb,
                                 void *opaque)
{
    s->dead_cb = cb;
    s->dead_opaque = opaque;
}
