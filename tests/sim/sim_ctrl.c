/* libxenctrl (domain info), libxenstore (watches, a few keys) and
 * libxentoolcore (restrict), simulated. */
#include "sim_xen.h"

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
};

struct xs_handle *xs_open(unsigned long flags)
{
    (void)flags;
    return calloc(1, sizeof(struct xs_handle));
}

void xs_close(struct xs_handle *xsh)
{
    free(xsh);
}

int xs_fileno(struct xs_handle *h)
{
    (void)h;
    return sim_xen()->xs_efd;
}

static void post_release_event(struct sim_shared *sh)
{
    uint64_t one = 1;
    __atomic_fetch_add(&sh->xs_release_events, 1, __ATOMIC_ACQ_REL);
    if (write(sh->xs_efd, &one, sizeof(one)) != sizeof(one))
        abort();
}

bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
    if (strcmp(path, "@releaseDomain") != 0) {
        errno = ENOSYS; /* the daemon watches nothing else yet */
        return false;
    }
    snprintf(h->watch_token, sizeof(h->watch_token), "%s", token);
    struct sim_shared *sh = sim_xen();
    sh->xs_watching = 1;
    post_release_event(sh); /* xenstored fires every new watch once */
    return true;
}

bool xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
    (void)h;
    (void)path;
    (void)token;
    sim_xen()->xs_watching = 0;
    return true;
}

char **xs_read_watch(struct xs_handle *h, unsigned int *num)
{
    struct sim_shared *sh = sim_xen();
    uint64_t count;
    if (read(sh->xs_efd, &count, sizeof(count)) != sizeof(count))
        return NULL;
    uint32_t n = __atomic_load_n(&sh->xs_release_events, __ATOMIC_ACQUIRE);
    while (n && !__atomic_compare_exchange_n(&sh->xs_release_events, &n, n - 1,
                                            false, __ATOMIC_ACQ_REL,
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
