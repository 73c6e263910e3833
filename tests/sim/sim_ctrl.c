/* libxenctrl (domain info), libxenstore (watches, a few keys) and
 * libxentoolcore (restrict), simulated. */
#include "sim_xen.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <xentoolcore.h>

struct xc_interface_core {
    int unused;
};

xc_interface *xc_interface_open(xentoollog_logger *logger,
                                xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    (void)logger;
    (void)dombuild_logger;
    (void)open_flags;
    return calloc(1, sizeof(struct xc_interface_core));
}

int xc_interface_close(xc_interface *xch)
{
    free(xch);
    return 0;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
                          unsigned int max_domains, xc_domaininfo_t *info)
{
    (void)xch;
    struct sim_shared *sh = sim_xen();
    if (max_domains == 0)
        return 0;
    /* Like Xen: the first existing domain at or after first_domain. */
    if (!__atomic_load_n(&sh->alive, __ATOMIC_ACQUIRE) || first_domain > sh->domid)
        return 0;
    memset(info, 0, sizeof(*info));
    info->domain = (domid_t)sh->domid;
    info->flags = XEN_DOMINF_hvm_guest;
    if (__atomic_load_n(&sh->shutdown, __ATOMIC_ACQUIRE))
        info->flags |= XEN_DOMINF_shutdown |
                       ((sh->shutdown_reason & XEN_DOMINF_shutdownmask)
                        << XEN_DOMINF_shutdownshift);
    info->max_vcpu_id = sh->nr_vcpus - 1;
    info->tot_pages = sh->ram_bytes / 4096 + sh->pool_live;
    info->max_pages = sh->max_pages ? sh->max_pages
                                    : sh->ram_bytes / 4096 + SIM_MAXMEM_SLACK_PAGES;
    return 1;
}

int xentoolcore_restrict_all(domid_t domid)
{
    sim_xen()->toolcore_restricted = domid;
    return 0;
}

struct xs_handle {
    char watch_token[64];
    int slot; /* our @releaseDomain watcher slot, -1 until claimed */
};

struct xs_handle *xs_open(unsigned long flags)
{
    (void)flags;
    struct xs_handle *h = calloc(1, sizeof(struct xs_handle));
    if (h)
        h->slot = -1;
    return h;
}

static void release_slot(struct xs_handle *h)
{
    if (h->slot >= 0)
        __atomic_store_n(&sim_xen()->xs_watcher[h->slot].pid, 0, __ATOMIC_RELEASE);
    h->slot = -1;
}

void xs_close(struct xs_handle *xsh)
{
    if (xsh)
        release_slot(xsh);
    free(xsh);
}

/* A slot of our own: free, or left by a process that is gone. Its
 * eventfd is drained of what the previous owner did not read. */
static int claim_slot(struct xs_handle *h)
{
    if (h->slot >= 0)
        return h->slot;
    struct sim_shared *sh = sim_xen();
    int32_t me = (int32_t)getpid();
    for (int i = 0; i < SIM_XS_WATCHERS; i++) {
        int32_t owner = __atomic_load_n(&sh->xs_watcher[i].pid, __ATOMIC_ACQUIRE);
        if (owner && (kill(owner, 0) == 0 || errno != ESRCH))
            continue;
        if (!__atomic_compare_exchange_n(&sh->xs_watcher[i].pid, &owner, me, false,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            continue;
        uint64_t stale;
        while (read(sh->xs_efd[i], &stale, sizeof(stale)) == sizeof(stale))
            ;
        __atomic_store_n(&sh->xs_watcher[i].events, 0, __ATOMIC_RELEASE);
        h->slot = i;
        return i;
    }
    return -1;
}

int xs_fileno(struct xs_handle *h)
{
    int slot = claim_slot(h);
    if (slot < 0)
        return sim_fail(EMFILE);
    return sim_xen()->xs_efd[slot];
}

bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
    if (strcmp(path, "@releaseDomain") != 0) {
        errno = ENOSYS; /* nothing else is watched yet */
        return false;
    }
    int slot = claim_slot(h);
    if (slot < 0) {
        errno = EMFILE;
        return false;
    }
    snprintf(h->watch_token, sizeof(h->watch_token), "%s", token);
    /* xenstored fires every new watch once. */
    struct sim_shared *sh = sim_xen();
    uint64_t one = 1;
    __atomic_fetch_add(&sh->xs_watcher[slot].events, 1, __ATOMIC_ACQ_REL);
    if (write(sh->xs_efd[slot], &one, sizeof(one)) != sizeof(one))
        abort();
    return true;
}

bool xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
    (void)path;
    (void)token;
    release_slot(h);
    return true;
}

char **xs_read_watch(struct xs_handle *h, unsigned int *num)
{
    struct sim_shared *sh = sim_xen();
    if (h->slot < 0) {
        errno = EINVAL;
        return NULL;
    }
    /* Like libxenstore's, it blocks until an event is there: a caller
     * that drains in a loop hangs here as it would on Xen. */
    uint64_t count;
    while (read(sh->xs_efd[h->slot], &count, sizeof(count)) != sizeof(count)) {
        if (errno != EAGAIN && errno != EINTR)
            return NULL;
        struct pollfd p = { .fd = sh->xs_efd[h->slot], .events = POLLIN };
        poll(&p, 1, -1);
    }
    uint32_t *events = &sh->xs_watcher[h->slot].events;
    uint32_t n = __atomic_load_n(events, __ATOMIC_ACQUIRE);
    while (n && !__atomic_compare_exchange_n(events, &n, n - 1, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE))
        ;
    if (!n) {
        errno = EAGAIN;
        return NULL;
    }
    /* One allocation holding the vector and its strings, as libxenstore
     * returns it: the caller frees the vector alone. */
    const char *path = "@releaseDomain";
    size_t len = 2 * sizeof(char *) + strlen(path) + 1 + strlen(h->watch_token) + 1;
    char **vec = malloc(len);
    if (!vec)
        return NULL;
    char *p = (char *)(vec + 2);
    strcpy(p, path);
    vec[XS_WATCH_PATH] = p;
    p += strlen(path) + 1;
    strcpy(p, h->watch_token);
    vec[XS_WATCH_TOKEN] = p;
    *num = 2;
    return vec;
}

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path,
              unsigned int *len)
{
    (void)h;
    (void)t;
    struct sim_shared *sh = sim_xen();
    for (uint32_t i = 0; i < sh->xs_count; i++) {
        if (strcmp(sh->xs[i].key, path) == 0) {
            char *v = strdup(sh->xs[i].val);
            if (v && len)
                *len = (unsigned)strlen(v);
            return v;
        }
    }
    errno = ENOENT;
    return NULL;
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path,
              const void *data, unsigned int len)
{
    (void)h;
    (void)t;
    struct sim_shared *sh = sim_xen();
    if (strlen(path) >= sizeof(sh->xs[0].key) || len >= sizeof(sh->xs[0].val)) {
        errno = E2BIG;
        return false;
    }
    uint32_t i;
    for (i = 0; i < sh->xs_count; i++)
        if (strcmp(sh->xs[i].key, path) == 0)
            break;
    if (i == sh->xs_count) {
        if (sh->xs_count == SIM_MAX_XS) {
            errno = ENOSPC;
            return false;
        }
        snprintf(sh->xs[i].key, sizeof(sh->xs[i].key), "%s", path);
    }
    memcpy(sh->xs[i].val, data, len);
    sh->xs[i].val[len] = 0;
    if (i == sh->xs_count)
        __atomic_store_n(&sh->xs_count, i + 1, __ATOMIC_RELEASE);
    return true;
}

bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
    (void)h;
    (void)t;
    struct sim_shared *sh = sim_xen();
    for (uint32_t i = 0; i < sh->xs_count; i++)
        if (strcmp(sh->xs[i].key, path) == 0) {
            sh->xs[i].val[0] = 0;
            return true;
        }
    return true;
}
