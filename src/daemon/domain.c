#include "config.h"
#include "daemon/domain.h"
#include "evtchn/loop.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <xendevicemodel.h>

#define WATCH_TOKEN "xengvt-release"

struct domain_watch {
    struct evt_loop *loop;
    uint32_t domid;
    struct xs_handle *xs;
    bool watching;
    domain_gone_cb cb;
    void *opaque;
};

int domain_alive(uint32_t domid)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    if (!xch)
        return -errno;
    xc_domaininfo_t info;
    int n = xc_domain_getinfolist(xch, domid, 1, &info);
    int err = errno;
    xc_interface_close(xch);
    if (n < 0)
        return -err;
    /* getinfolist returns the first domain at or after domid. */
    if (n == 0 || info.domain != domid)
        return 0;
    return (info.flags & XEN_DOMINF_dying) ? 0 : 1;
}

static void xs_ready(void *opaque, uint32_t events)
{
    struct domain_watch *w = opaque;
    (void)events;
    unsigned n;
    char **vec = xs_read_watch(w->xs, &n);
    if (!vec)
        return;
    bool ours = strcmp(vec[XS_WATCH_TOKEN], WATCH_TOKEN) == 0;
    free(vec);
    if (!ours)
        return;
    /* @releaseDomain fires for any domain: ask whether ours is the one. */
    int alive = domain_alive(w->domid);
    if (alive == 0) {
        log_info("dom%u is gone", w->domid);
        w->cb(w->opaque);
    } else if (alive < 0) {
        log_warn("dom%u: domain info: %s", w->domid, strerror(-alive));
    }
}

int domain_watch_start(struct evt_loop *loop, uint32_t domid,
                       domain_gone_cb cb, void *opaque, struct domain_watch **out)
{
    struct domain_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->loop = loop;
    w->domid = domid;
    w->cb = cb;
    w->opaque = opaque;
    w->xs = xs_open(0);
    if (!w->xs) {
        int err = -errno;
        log_error("xs_open: %s", strerror(errno));
        free(w);
        return err;
    }
    if (!xs_watch(w->xs, "@releaseDomain", WATCH_TOKEN)) {
        int err = -errno;
        log_error("watching @releaseDomain: %s", strerror(errno));
        domain_watch_stop(w);
        return err;
    }
    w->watching = true;
    int rc = evt_loop_add_fd(loop, xs_fileno(w->xs), xs_ready, w);
    if (rc < 0) {
        domain_watch_stop(w);
        return rc;
    }
    *out = w;
    return 0;
}

int domain_watch_set_state(struct domain_watch *w, const char *state)
{
    char path[96];
    snprintf(path, sizeof(path), "/local/domain/0/device-model/%u/xengvt/state",
             w->domid);
    if (!xs_write(w->xs, XBT_NULL, path, state, (unsigned)strlen(state)))
        return -errno;
    return 0;
}

void domain_watch_stop(struct domain_watch *w)
{
    if (!w)
        return;
    if (w->watching) {
        evt_loop_del_fd(w->loop, xs_fileno(w->xs));
        xs_unwatch(w->xs, "@releaseDomain", WATCH_TOKEN);
    }
    xs_close(w->xs);
    free(w);
}

struct domain_liveness {
    struct evt_timer *timer;
    xendevicemodel_handle *dmod;
    uint32_t domid;
    domain_gone_cb cb;
    void *opaque;
};

#define LIVENESS_PERIOD_NS 1000000000ull

static void liveness_tick(void *opaque, uint64_t expirations)
{
    struct domain_liveness *l = opaque;
    (void)expirations;
    unsigned vcpus;
    if (xendevicemodel_nr_vcpus(l->dmod, (domid_t)l->domid, &vcpus) < 0 && errno == ESRCH) {
        log_info("dom%u is gone", l->domid);
        evt_timer_disarm(l->timer);
        l->cb(l->opaque);
    }
}

int domain_liveness_start(struct evt_loop *loop, struct xendevicemodel_handle *dmod,
                          uint32_t domid, domain_gone_cb cb, void *opaque,
                          struct domain_liveness **out)
{
    struct domain_liveness *l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    *l = (struct domain_liveness){ .dmod = dmod, .domid = domid, .cb = cb, .opaque = opaque };
    int rc = evt_timer_new(loop, liveness_tick, l, &l->timer);
    if (rc == 0)
        rc = evt_timer_arm(l->timer, LIVENESS_PERIOD_NS, LIVENESS_PERIOD_NS);
    if (rc < 0) {
        domain_liveness_stop(l);
        return rc;
    }
    *out = l;
    return 0;
}

void domain_liveness_stop(struct domain_liveness *l)
{
    if (!l)
        return;
    evt_timer_free(l->timer);
    free(l);
}
