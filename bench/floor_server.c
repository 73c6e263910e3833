/* The floor for bench_ioreq: the smallest correct ioreq server, speaking the
 * same protocol through the same libxen* calls as xengvtd but answering
 * every request with a constant and doing nothing else. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xenstore.h>
#include <xen/hvm/ioreq.h>
#include <xen/hvm/hvm_op.h>
#include <xen/memory.h>

#define MAX_VCPUS 128

int main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "--domid") != 0) {
        fprintf(stderr, "usage: floor_server --domid N\n");
        return 2;
    }
    domid_t domid = (domid_t)atoi(argv[2]);
    xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
    xenforeignmemory_handle *fm = xenforeignmemory_open(NULL, 0);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    unsigned nr = 0;
    ioservid_t id;
    void *addr = NULL;
    if (!dm || !fm || !xce || xendevicemodel_nr_vcpus(dm, domid, &nr) < 0 ||
        nr > MAX_VCPUS ||
        xendevicemodel_create_ioreq_server(dm, domid, HVM_IOREQSRV_BUFIOREQ_ATOMIC, &id) < 0 ||
        !xenforeignmemory_map_resource(fm, domid, XENMEM_resource_ioreq_server, id, 0, 2,
                                       &addr, PROT_READ | PROT_WRITE, 0) ||
        xendevicemodel_map_io_range_to_ioreq_server(dm, domid, id, 1, 0xe0000000,
                                                    0xe0ffffff) < 0 ||
        xendevicemodel_set_ioreq_server_state(dm, domid, id, 1) < 0) {
        perror("floor_server: set-up");
        return 4;
    }
    shared_iopage_t *io = (shared_iopage_t *)((char *)addr + 4096);
    int port_vcpu[1024];
    memset(port_vcpu, -1, sizeof(port_vcpu));
    for (unsigned v = 0; v < nr; v++) {
        int p = xenevtchn_bind_interdomain(xce, domid, io->vcpu_ioreq[v].vp_eport);
        if (p < 0 || p >= 1024)
            return 4;
        port_vcpu[p] = (int)v;
    }
    evtchn_port_t bufport;
    xendevicemodel_get_ioreq_server_info(dm, domid, id, NULL, NULL, &bufport);
    xenevtchn_bind_interdomain(xce, domid, bufport);
    char path[96];
    snprintf(path, sizeof(path), "/local/domain/0/device-model/%u/xengvt/state", domid);
    struct xs_handle *xs = xs_open(0);
    xs_write(xs, XBT_NULL, path, "running", 7);

    struct pollfd pfd = { .fd = xenevtchn_fd(xce), .events = POLLIN };
    for (;;) {
        if (poll(&pfd, 1, 200) < 0 && errno != EINTR)
            break;
        int p = xenevtchn_pending(xce);
        if (p < 0) {
            unsigned n;
            if (xendevicemodel_nr_vcpus(dm, domid, &n) < 0)
                break; /* the domain is gone */
            continue;
        }
        xenevtchn_unmask(xce, (evtchn_port_t)p);
        if (p >= 1024 || port_vcpu[p] < 0)
            continue;
        ioreq_t *r = &io->vcpu_ioreq[port_vcpu[p]];
        if (r->state != STATE_IOREQ_READY)
            continue;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        r->state = STATE_IOREQ_INPROCESS;
        if (r->dir == IOREQ_READ)
            r->data = 0;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        r->state = STATE_IORESP_READY;
        xenevtchn_notify(xce, (evtchn_port_t)p);
    }
    return 0;
}
