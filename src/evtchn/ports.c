#include "config.h"
#include "evtchn/ports.h"
#include "evtchn/loop.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The FIFO ABI allows 2^17 ports per domain; a larger local port from the
 * library would be a bug, not guest input, but is refused all the same. */
#define EVT_PORTS_MAX (1u << 17)

struct port_slot {
    evt_port_cb cb; /* NULL: unbound */
    void *opaque;
    unsigned arg;
};

struct evt_ports {
    struct evt_loop *loop;
    xenevtchn_handle *xce;
    int fd;
    struct port_slot *slots;
    uint32_t nslots;
    uint64_t delivered;
    evt_ports_dead_cb dead_cb;
    void *dead_opaque;
    evt_ports_fatal_cb fatal_cb;
    void *fatal_opaque;
    unsigned pending_failures; /* consecutive xenevtchn_pending errors */
    /* Notifications Xen refused: retried from a timer, so that a vCPU
     * whose answer is ready is not left blocked by a transient error. */
    struct evt_timer *retry_timer;
    uint32_t *retry;
    unsigned nr_retry, cap_retry;
    uint64_t retry_since_ns;
};

/* A failing event-channel device makes no progress: past these, give up
 * loudly rather than spin or leave a vCPU blocked while we live. */
#define PENDING_FAILURES_MAX 1000u
#define NOTIFY_RETRY_NS 1000000ull            /* 1 ms between attempts */
#define NOTIFY_GIVE_UP_NS 2000000000ull       /* 2 s of refusals */

static void fatal(struct evt_ports *ports, const char *what)
{
    log_error("event channels: %s; stopping so the toolstack can act", what);
    if (ports->fatal_cb)
        ports->fatal_cb(ports->fatal_opaque);
}

static void unmask(struct evt_ports *ports, xenevtchn_port_or_error_t port)
{
    if (xenevtchn_unmask(ports->xce, (uint32_t)port) < 0)
        log_warn("xenevtchn_unmask(%d): %s", port, strerror(errno));
}

static void ports_ready(void *opaque, uint32_t events)
{
    struct evt_ports *ports = opaque;
    (void)events;
    /* One port per wake-up, as the device's read() gives one: the fd stays
     * readable while more are pending, so epoll comes straight back. */
    xenevtchn_port_or_error_t port = xenevtchn_pending(ports->xce);
    if (port < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return;
        if (errno == ESRCH && ports->dead_cb) {
            ports->dead_cb(ports->dead_opaque);
            return;
        }
        if (ports->pending_failures++ == 0)
            log_warn("xenevtchn_pending: %s (retrying)", strerror(errno));
        if (ports->pending_failures == PENDING_FAILURES_MAX)
            fatal(ports, "xenevtchn_pending keeps failing");
        return;
    }
    ports->pending_failures = 0;
    if ((uint32_t)port >= ports->nslots || !ports->slots[port].cb) {
        log_debug("event on unbound port %d", port);
        unmask(ports, port);
        return;
    }
    ports->delivered++;
    struct port_slot *s = &ports->slots[port];
    s->cb(s->opaque, s->arg);
    /* Unmasked after the callback, not before: the callback answers the
     * vCPU (its notify lets the guest run on), so the unmask's syscall is
     * no longer part of the guest's round trip. Nothing is lost: an event
     * raised meanwhile stays pending in Xen while the port is masked, and
     * the unmask delivers it (the device reads readable again). A port the
     * callback unbound is not ours to unmask. */
    if (ports->slots[port].cb)
        unmask(ports, port);
}

int evt_ports_open(struct evt_loop *loop, struct evt_ports **out)
{
    struct evt_ports *ports = calloc(1, sizeof(*ports));
    if (!ports)
        return -ENOMEM;
    ports->loop = loop;
    ports->xce = xenevtchn_open(NULL, 0);
    if (!ports->xce) {
        int err = -errno;
        log_error("xenevtchn_open: %s", strerror(errno));
        free(ports);
        return err;
    }
    ports->fd = xenevtchn_fd(ports->xce);
    int rc = evt_loop_add_fd(loop, ports->fd, ports_ready, ports);
    if (rc < 0) {
        xenevtchn_close(ports->xce);
        free(ports);
        return rc;
    }
    *out = ports;
    return 0;
}

void evt_ports_close(struct evt_ports *ports)
{
    if (!ports)
        return;
    for (uint32_t p = 0; p < ports->nslots; p++)
        if (ports->slots[p].cb)
            xenevtchn_unbind(ports->xce, p);
    evt_loop_del_fd(ports->loop, ports->fd);
    evt_timer_free(ports->retry_timer);
    free(ports->retry);
    xenevtchn_close(ports->xce);
    free(ports->slots);
    free(ports);
}

xenevtchn_handle *evt_ports_handle(struct evt_ports *ports) { return ports->xce; }

static int grow_slots(struct evt_ports *ports, uint32_t port)
{
    if (port < ports->nslots)
        return 0;
    if (port >= EVT_PORTS_MAX)
        return -ERANGE;
    uint32_t n = ports->nslots ? ports->nslots : 64;
    while (n <= port)
        n *= 2;
    struct port_slot *s = realloc(ports->slots, n * sizeof(*s));
    if (!s)
        return -ENOMEM;
    memset(s + ports->nslots, 0, (n - ports->nslots) * sizeof(*s));
    ports->slots = s;
    ports->nslots = n;
    return 0;
}

int evt_ports_bind(struct evt_ports *ports, uint32_t domid,
                   uint32_t remote_port, evt_port_cb cb, void *opaque,
                   unsigned arg)
{
    xenevtchn_port_or_error_t local =
        xenevtchn_bind_interdomain(ports->xce, domid, remote_port);
    if (local < 0)
        return -errno;
    int rc = grow_slots(ports, (uint32_t)local);
    if (rc < 0) {
        xenevtchn_unbind(ports->xce, (uint32_t)local);
        return rc;
    }
    ports->slots[local] = (struct port_slot){ cb, opaque, arg };
    return local;
}

void evt_ports_unbind(struct evt_ports *ports, uint32_t local_port)
{
    if (local_port >= ports->nslots || !ports->slots[local_port].cb)
        return;
    ports->slots[local_port].cb = NULL;
    xenevtchn_unbind(ports->xce, local_port);
}

static void retry_notifies(void *opaque, uint64_t expirations)
{
    struct evt_ports *ports = opaque;
    (void)expirations;
    unsigned kept = 0;
    for (unsigned i = 0; i < ports->nr_retry; i++) {
        if (xenevtchn_notify(ports->xce, ports->retry[i]) < 0) {
            if (errno == ESRCH && ports->dead_cb) {
                ports->dead_cb(ports->dead_opaque);
                return;
            }
            ports->retry[kept++] = ports->retry[i];
        }
    }
    if (kept && ports->nr_retry != kept)
        ports->retry_since_ns = clock_now_ns(); /* progress: keep trying */
    ports->nr_retry = kept;
    if (!kept) {
        log_info("event channels: delayed notifications delivered");
        return;
    }
    if (clock_now_ns() - ports->retry_since_ns > NOTIFY_GIVE_UP_NS) {
        fatal(ports, "Xen refuses to notify a waiting vCPU");
        return;
    }
    evt_timer_arm(ports->retry_timer, NOTIFY_RETRY_NS, 0);
}

static void queue_retry(struct evt_ports *ports, uint32_t local_port)
{
    for (unsigned i = 0; i < ports->nr_retry; i++)
        if (ports->retry[i] == local_port)
            return;
    if (ports->nr_retry == ports->cap_retry) {
        unsigned cap = ports->cap_retry ? 2 * ports->cap_retry : 8;
        uint32_t *n = realloc(ports->retry, cap * sizeof(*n));
        if (!n) {
            fatal(ports, "out of memory queueing a notification");
            return;
        }
        ports->retry = n;
        ports->cap_retry = cap;
    }
    if (ports->nr_retry == 0)
        ports->retry_since_ns = clock_now_ns();
    ports->retry[ports->nr_retry++] = local_port;
    if (!ports->retry_timer && evt_timer_new(ports->loop, retry_notifies, ports,
                                             &ports->retry_timer) < 0) {
        fatal(ports, "no timer to retry a notification");
        return;
    }
    if (!evt_timer_armed(ports->retry_timer))
        evt_timer_arm(ports->retry_timer, NOTIFY_RETRY_NS, 0);
}

int evt_ports_notify(struct evt_ports *ports, uint32_t local_port)
{
    if (xenevtchn_notify(ports->xce, local_port) < 0) {
        int err = -errno;
        if (errno == ESRCH && ports->dead_cb) {
            ports->dead_cb(ports->dead_opaque);
            return err;
        }
        queue_retry(ports, local_port);
        return err;
    }
    return 0;
}

void evt_ports_on_fatal(struct evt_ports *ports, evt_ports_fatal_cb cb, void *opaque)
{
    ports->fatal_cb = cb;
    ports->fatal_opaque = opaque;
}

uint64_t evt_ports_delivered(const struct evt_ports *ports) { return ports->delivered; }

void evt_ports_on_domain_dead(struct evt_ports *ports, evt_ports_dead_cb cb,
                              void *opaque)
{
    ports->dead_cb = cb;
    ports->dead_opaque = opaque;
}
