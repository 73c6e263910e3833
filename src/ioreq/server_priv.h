/* The ioreq server's state, shared by the files of ioreq/ that implement
 * its parts (server.c: lifecycle and requests; wpage.c: write-protected
 * pages). Not for use outside ioreq/. */
#ifndef XENGVT_IOREQ_SERVER_PRIV_H
#define XENGVT_IOREQ_SERVER_PRIV_H

#include "ioreq/server.h"
#include "ioreq/dispatch.h"

struct vcpu_slot {
    struct ioreq_server *srv;
    int local_port; /* -1 until bound */
};

struct ioreq_server {
    struct ioreq_server_params params;
    xendevicemodel_handle *dmod;
    xenforeignmemory_handle *fmem;
    struct evt_ports *ports;
    ioservid_t id;
    bool created, enabled;
    bool adopted; /* a dead daemon's server, taken over */

    /* Either one resource mapping of [bufioreq page, ioreq page] or two
     * legacy gfn mappings. */
    xenforeignmemory_resource_handle *res;
    void *res_addr;
    shared_iopage_t *iopage;
    buffered_iopage_t *bufpage;
    evtchn_port_t buf_remote_port;
    int buf_local_port;

    unsigned nr_vcpus;
    struct vcpu_slot *vcpus;

    struct ioreq_dispatch dispatch;
    struct ioreq_stats stats;
    ioreq_dead_cb dead_cb;
    void *dead_opaque;
    bool wp_claimed; /* p2m_ioreq_server writes come to us */
    unsigned wp_pages;
};

/* Tells the caller of a Xen call that failed with `err` whether the domain
 * is gone, and reports it once. */
void ioreq_report_if_dead(struct ioreq_server *s, int err);

#endif
