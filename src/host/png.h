/* PNG encoding of captured frames (libpng), into memory. */
#ifndef XENGVT_HOST_PNG_H
#define XENGVT_HOST_PNG_H

#include <stddef.h>
#include <stdint.h>

/* XRGB8888 pixels (0x00RRGGBB) -> a malloc'd PNG in *out. 0 or -errno. */
int host_png_encode(const uint32_t *xrgb, unsigned width, unsigned height,
                    void **out, size_t *out_len);

#endif
