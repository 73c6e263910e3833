/* A frame source for the host-side views (VNC, KMS): the daemon's capture
 * of the guest's current screen, de-tiled to XRGB8888. */
#ifndef XENGVT_HOST_CAPTURE_H
#define XENGVT_HOST_CAPTURE_H

#include <stdint.h>

/* Fills *pixels (malloc'd, 0x00RRGGBB per pixel, width * height, caller
 * frees), *width and *height; negative errno when nothing can be shown. */
typedef int (*host_capture_fn)(void *opaque, uint32_t **pixels, unsigned *width,
                               unsigned *height);

#endif
