/* A frame source for the host-side views (VNC, KMS): the daemon's capture
 * of the guest's current screen, de-tiled to XRGB8888. */
#ifndef XENGVT_HOST_CAPTURE_H
#define XENGVT_HOST_CAPTURE_H

#include <stdint.h>

/* pixels: 0x00RRGGBB, width * height, the source's own (valid until the
 * next capture: look, copy what is needed, let go). `seq` moves exactly
 * when a pixel changed; rows [damage_y0, damage_y1) hold every change
 * from frame seq - 1 to frame seq (see vgpu_capture_view). */
struct host_frame {
    const uint32_t *pixels;
    unsigned width, height;
    uint64_t seq;
    unsigned damage_y0, damage_y1;
};

/* 0, or negative errno when nothing can be shown. */
typedef int (*host_capture_fn)(void *opaque, struct host_frame *f);

#endif
