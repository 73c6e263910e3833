/* One run of a plane's pixels, converted to XRGB8888 into the last frame
 * only where it differs: the capture's inner loop (plane.c). */
#ifndef XENGVT_GVT_PIXRUN_H
#define XENGVT_GVT_PIXRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PLANE_CTL pixel formats we decode. */
#define PLANE_FMT_XRGB_2101010 2u
#define PLANE_FMT_XRGB_8888 4u
#define PLANE_FMT_RGB_565 14u

/* `n` pixels of format `fmt` (`rgbx`: red in the low byte) at `src`,
 * converted to 0x00RRGGBB and stored to dst[0..n) where the result
 * differs from what dst holds. True if any pixel differed. */
bool gvt_pixrun_update(uint32_t *dst, const uint8_t *src, size_t n, unsigned fmt, bool rgbx);

#endif
