/* Following the guest domain's life: does it exist, and a xenstore watch
 * on @releaseDomain that tells us when it is gone. */
#ifndef XENGVT_DAEMON_DOMAIN_H
#define XENGVT_DAEMON_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

struct evt_loop;
struct domain_watch;

typedef void (*domain_gone_cb)(void *opaque);

/* 1 if the domain exists and is not dying, 0 if not, -errno on error. */
int domain_alive(uint32_t domid);

int domain_watch_start(struct evt_loop *loop, uint32_t domid,
                       domain_gone_cb cb, void *opaque, struct domain_watch **out);
/* Publish our state for toolstacks under
 * /local/domain/0/device-model/<domid>/xengvt/state. */
int domain_watch_set_state(struct domain_watch *w, const char *state);
void domain_watch_stop(struct domain_watch *w);

/* Once xenstore is cut off (the sandbox restricts every Xen handle), the
 * domain's death is learnt by asking Xen through the devicemodel handle
 * once a second: ESRCH means it is gone. */
struct domain_liveness;
struct xendevicemodel_handle;
int domain_liveness_start(struct evt_loop *loop, struct xendevicemodel_handle *dmod,
                          uint32_t domid, domain_gone_cb cb, void *opaque,
                          struct domain_liveness **out);
void domain_liveness_stop(struct domain_liveness *l);

#endif
