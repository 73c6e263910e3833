/* What xenopsd reads from xenstore about its vGPU helper, written here
 * with libxenstore directly:
 *   /local/domain/<d>/vgpu-pid        our pid (xenopsd finds us by it)
 *   /local/domain/<d>/vgpu/state      initialising | resuming | running | error
 *   /local/domain/<d>/vgpu/error-code a decimal enum xv_error, before "error"
 * All removed when we end. */
#ifndef XENGVT_XENOPSD_XS_PUBLISH_H
#define XENGVT_XENOPSD_XS_PUBLISH_H

#include <stdbool.h>

struct xv_xs;

/* NULL (with a log line) if xenstore cannot be opened. */
struct xv_xs *xv_xs_open(unsigned domid);
bool xv_xs_pid(struct xv_xs *x);
bool xv_xs_state(struct xv_xs *x, const char *state);
/* error-code first, then state=error: xenopsd reads the code on the state. */
void xv_xs_error(struct xv_xs *x, int code);
/* Removes our keys and closes. */
void xv_xs_close(struct xv_xs *x);
/* After a failure: removes vgpu-pid only (we are gone) and closes; the
 * error stays for xenopsd, and goes with the domain's directory. */
void xv_xs_close_pid_only(struct xv_xs *x);

#endif
