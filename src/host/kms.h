/* The dom0 output: the guest's screen on a display connected to the host,
 * through DRM/KMS (a dumb buffer scanned out on a connector the admin
 * names). Refreshed from the daemon's event loop on a timer. */
#ifndef XENGVT_HOST_KMS_H
#define XENGVT_HOST_KMS_H

#include <stdint.h>
#include "host/capture.h"

struct evt_loop;
struct host_kms;

struct host_kms_stats {
    uint64_t frames;   /* frames copied to the scanout buffer */
    uint64_t unchanged; /* refreshes skipped: same pixels as shown */
    unsigned mode_w, mode_h, mode_refresh;
    char connector[32];
};

/* `spec` is "DEVICE[:CONNECTOR]", e.g. "/dev/dri/card0:HDMI-A-1"; without
 * a connector the first connected one is used. The connector's preferred
 * mode is set; the guest's frame is scaled to fit, keeping its aspect. */
int host_kms_start(struct evt_loop *loop, const char *spec, host_capture_fn capture,
                   void *opaque, struct host_kms **out);
/* Puts back the CRTC configuration found at start. */
void host_kms_stop(struct host_kms *kms);
void host_kms_get_stats(const struct host_kms *kms, struct host_kms_stats *out);

#endif
