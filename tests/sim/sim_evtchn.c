/* libxenevtchn, simulated. The daemon's fd is an EFD_SEMAPHORE eventfd the
 * guest side bumps once per port that becomes pending; xenevtchn_pending()
 * takes one count and one pending port, as a read() of the real device
 * returns one port. Notifications from the daemon wake the vCPU's futex. */
#include "sim_xen.h"

#include <limits.h>
#include <stdbool.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xenevtchn.h>

struct xenevtchn_handle {
    int32_t restricted;
    unsigned next_scan;
    /* Per vCPU port: notified since its event was taken (the daemon's
     * side only; for unmasks_after_answer). */
    bool answered[SIM_MAX_VCPUS];
};

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
                                 unsigned int flags)
{
    (void)logger;
    (void)flags;
    xenevtchn_handle *h = calloc(1, sizeof(*h));
    if (h)
        h->restricted = -1;
    return h;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    free(xce);
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    (void)xce;
    return sim_xen()->daemon_efd;
}

int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
    xce->restricted = domid;
    sim_xen()->evt_restricted = domid;
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce,
                                                     uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    if (sim_check_domain(xce->restricted, domid) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    /* The per-vCPU ports exist only once the server is enabled. */
    if (!sh->server_enabled)
        return sim_fail(EINVAL);
    if (remote_port == SIM_REMOTE_BUF_PORT) {
        sh->buf_local_port = SIM_LOCAL_PORT_BASE + SIM_MAX_VCPUS;
        return (xenevtchn_port_or_error_t)sh->buf_local_port;
    }
    uint32_t v = remote_port - SIM_REMOTE_VCPU_PORT_BASE;
    if (remote_port < SIM_REMOTE_VCPU_PORT_BASE || v >= sh->nr_vcpus)
        return sim_fail(EINVAL);
    __atomic_store_n(&sh->vcpu_local_port[v], SIM_LOCAL_PORT_BASE + v,
                     __ATOMIC_RELEASE);
    return (xenevtchn_port_or_error_t)(SIM_LOCAL_PORT_BASE + v);
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce,
                                                      uint32_t domid)
{
    (void)xce;
    (void)domid;
    return sim_fail(ENOSYS);
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce,
                                              unsigned int virq)
{
    (void)xce;
    (void)virq;
    return sim_fail(ENOSYS);
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce;
    struct sim_shared *sh = sim_xen();
    if (port == SIM_LOCAL_PORT_BASE + SIM_MAX_VCPUS) {
        sh->buf_local_port = 0;
        return 0;
    }
    uint32_t v = port - SIM_LOCAL_PORT_BASE;
    if (port < SIM_LOCAL_PORT_BASE || v >= SIM_MAX_VCPUS)
        return sim_fail(EINVAL);
    __atomic_store_n(&sh->vcpu_local_port[v], 0u, __ATOMIC_RELEASE);
    return 0;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    struct sim_shared *sh = sim_xen();
    if (!__atomic_load_n(&sh->alive, __ATOMIC_ACQUIRE))
        return sim_fail(ESRCH);
    uint32_t v = port - SIM_LOCAL_PORT_BASE;
    if (port < SIM_LOCAL_PORT_BASE || v > SIM_MAX_VCPUS)
        return sim_fail(EINVAL);
    if (__atomic_load_n(&sh->fail_notify_count, __ATOMIC_ACQUIRE)) {
        __atomic_fetch_sub(&sh->fail_notify_count, 1, __ATOMIC_ACQ_REL);
        return sim_fail(EIO);
    }
    __atomic_fetch_add(&sh->notifies, 1, __ATOMIC_RELAXED);
    if (v == SIM_MAX_VCPUS)
        return 0; /* the buffered port has no waiter */
    xce->answered[v] = true;
    __atomic_fetch_add(&sh->vcpu_wake[v], 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &sh->vcpu_wake[v], FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    struct sim_shared *sh = sim_xen();
    if (__atomic_load_n(&sh->fail_pending_count, __ATOMIC_ACQUIRE)) {
        __atomic_fetch_sub(&sh->fail_pending_count, 1, __ATOMIC_ACQ_REL);
        return sim_fail(EIO); /* the event stays pending: the fd stays readable */
    }
    uint64_t count;
    __atomic_fetch_add(&sh->pendings, 1, __ATOMIC_RELAXED);
    if (read(sh->daemon_efd, &count, sizeof(count)) != sizeof(count))
        return -1; /* errno from read: EAGAIN when nothing is pending */
    /* Round robin so a busy vCPU cannot starve the others. */
    for (unsigned i = 0; i <= SIM_MAX_VCPUS; i++) {
        unsigned idx = (xce->next_scan + i) % (SIM_MAX_VCPUS + 1);
        if (__atomic_exchange_n(&sh->port_pending[idx], 0u, __ATOMIC_ACQ_REL)) {
            xce->next_scan = idx + 1;
            if (idx < SIM_MAX_VCPUS)
                xce->answered[idx] = false;
            return (xenevtchn_port_or_error_t)(SIM_LOCAL_PORT_BASE + idx);
        }
    }
    return sim_fail(EAGAIN); /* the count of a port already taken */
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    if (port < SIM_LOCAL_PORT_BASE || port > SIM_LOCAL_PORT_BASE + SIM_MAX_VCPUS)
        return sim_fail(EINVAL);
    __atomic_fetch_add(&sim_xen()->unmasks, 1, __ATOMIC_RELAXED);
    uint32_t v = port - SIM_LOCAL_PORT_BASE;
    if (v < SIM_MAX_VCPUS && xce->answered[v])
        __atomic_fetch_add(&sim_xen()->unmasks_after_answer, 1, __ATOMIC_RELAXED);
    return 0;
}
