#include "config.h"
#include "xs_publish.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

struct xv_xs {
    struct xs_handle *xs;
    unsigned domid;
};

struct xv_xs *xv_xs_open(unsigned domid)
{
    struct xv_xs *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->domid = domid;
    x->xs = xs_open(0);
    if (!x->xs) {
        log_error("cannot open xenstore: %s", strerror(errno));
        free(x);
        return NULL;
    }
    return x;
}

static bool put(struct xv_xs *x, const char *leaf, const char *val)
{
    char path[96];
    snprintf(path, sizeof(path), "/local/domain/%u/%s", x->domid, leaf);
    if (xs_write(x->xs, XBT_NULL, path, val, (unsigned)strlen(val)))
        return true;
    log_error("xenstore write %s: %s", path, strerror(errno));
    return false;
}

bool xv_xs_pid(struct xv_xs *x)
{
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    return put(x, "vgpu-pid", pid);
}

bool xv_xs_state(struct xv_xs *x, const char *state)
{
    log_info("state %s", state);
    return put(x, "vgpu/state", state);
}

void xv_xs_error(struct xv_xs *x, int code)
{
    char c[16];
    snprintf(c, sizeof(c), "%d", code);
    put(x, "vgpu/error-code", c);
    xv_xs_state(x, "error");
}

void xv_xs_close(struct xv_xs *x)
{
    if (!x)
        return;
    /* The leaves, then the directory: removing a directory removes its
     * children in xenstored, but say exactly what we wrote. */
    static const char *const leaves[] = { "vgpu/state", "vgpu/error-code", "vgpu", "vgpu-pid" };
    for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        char path[96];
        snprintf(path, sizeof(path), "/local/domain/%u/%s", x->domid, leaves[i]);
        if (!xs_rm(x->xs, XBT_NULL, path) && errno != ENOENT)
            log_warn("xenstore rm %s: %s", path, strerror(errno));
    }
    xs_close(x->xs);
    free(x);
}

void xv_xs_close_pid_only(struct xv_xs *x)
{
    if (!x)
        return;
    char path[96];
    snprintf(path, sizeof(path), "/local/domain/%u/vgpu-pid", x->domid);
    if (!xs_rm(x->xs, XBT_NULL, path) && errno != ENOENT)
        log_warn("xenstore rm %s: %s", path, strerror(errno));
    xs_close(x->xs);
    free(x);
}
