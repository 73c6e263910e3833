/* Internal to the interposer library: access to the shared state from the
 * daemon's side, and the rules every simulated call follows. */
#ifndef XENGVT_TESTS_SIM_XEN_H
#define XENGVT_TESTS_SIM_XEN_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim_shared.h"

/* The attached state; the process exits if the library was preloaded
 * without XENGVT_SIM_FD (a test setup bug, never a silent fallback). */
struct sim_shared *sim_xen(void);

/* Xen's answer to a call about `domid`: 0, or -1 with errno set (EPERM for
 * a handle restricted to another domain, ESRCH for a dead or unknown one). */
int sim_check_domain(int32_t restricted, uint32_t domid);
struct xendevicemodel_handle;
struct xenforeignmemory_handle;
/* The handles the daemon opened last (for the restriction probe). */
extern struct xendevicemodel_handle *sim_last_dmod;
extern struct xenforeignmemory_handle *sim_last_fmem;

/* sim_check_domain for a devicemodel handle. */
int sim_dm_check(struct xendevicemodel_handle *h, uint32_t domid);

/* The domain dies now (a fault a test injected). */
void sim_domain_dies(void);

static inline int sim_fail(int err)
{
    errno = err;
    return -1;
}

#endif
