/* Write-protected guest pages. Xen's p2m_ioreq_server memory type, claimed
 * by this server for writes, turns every guest write to such a page into
 * an MMIO ioreq at its guest-physical address; reads go to RAM as usual.
 * The owner then performs the write itself (Xen does not) and learns that
 * the page changed -- how shadowed page tables stay correct. */
#include "config.h"
#include "ioreq/server_priv.h"
#include "common/log.h"

#include <errno.h>
#include <string.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/hvm_op.h>

#define WP_PAGE_SIZE 4096u

static int claim(struct ioreq_server *s)
{
    if (s->wp_claimed)
        return 0;
    if (xendevicemodel_map_mem_type_to_ioreq_server(
            s->dmod, (domid_t)s->params.domid, s->id, HVMMEM_ioreq_server,
            XEN_DMOP_IOREQ_MEM_ACCESS_WRITE) < 0) {
        int err = errno;
        log_warn("dom%u: cannot claim write-protected pages: %s", s->params.domid,
                 strerror(err));
        ioreq_report_if_dead(s, err);
        return -err;
    }
    s->wp_claimed = true;
    return 0;
}

int ioreq_wp_add(struct ioreq_server *s, uint64_t gfn, const struct io_ops *ops,
                 void *opaque)
{
    if (gfn >= (1ull << (52 - 12)))
        return -EINVAL;
    int rc = claim(s);
    if (rc < 0)
        return rc;
    rc = iomap_insert(&s->dispatch.maps[IO_MAP_WPAGE], gfn * WP_PAGE_SIZE, WP_PAGE_SIZE,
                      ops, opaque);
    if (rc < 0)
        return rc; /* -EEXIST: already protected */
    if (xendevicemodel_set_mem_type(s->dmod, (domid_t)s->params.domid, HVMMEM_ioreq_server,
                                    gfn, 1) < 0) {
        /* EINVAL: not plain RAM (e.g. MMIO, grant, already typed). */
        int err = errno;
        iomap_remove(&s->dispatch.maps[IO_MAP_WPAGE], gfn * WP_PAGE_SIZE);
        ioreq_report_if_dead(s, err);
        return -err;
    }
    s->wp_pages++;
    return 0;
}

int ioreq_wp_remove(struct ioreq_server *s, uint64_t gfn)
{
    if (iomap_remove(&s->dispatch.maps[IO_MAP_WPAGE], gfn * WP_PAGE_SIZE) < 0)
        return -ENOENT;
    s->wp_pages--;
    if (xendevicemodel_set_mem_type(s->dmod, (domid_t)s->params.domid, HVMMEM_ram_rw, gfn,
                                    1) < 0) {
        int err = errno;
        ioreq_report_if_dead(s, err);
        return -err;
    }
    return 0;
}

int ioreq_wp_protect(struct ioreq_server *s, uint64_t gfn, bool on)
{
    if (!iomap_find(&s->dispatch.maps[IO_MAP_WPAGE], gfn * WP_PAGE_SIZE))
        return -ENOENT;
    if (xendevicemodel_set_mem_type(s->dmod, (domid_t)s->params.domid,
                                    on ? HVMMEM_ioreq_server : HVMMEM_ram_rw, gfn, 1) < 0) {
        int err = errno;
        ioreq_report_if_dead(s, err);
        return -err;
    }
    return 0;
}

unsigned ioreq_wp_count(const struct ioreq_server *s)
{
    return s->wp_pages;
}
