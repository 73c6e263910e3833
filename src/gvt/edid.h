/* The virtual monitor's EDID block. */
#ifndef XENGVT_GVT_EDID_H
#define XENGVT_GVT_EDID_H

#include <stdint.h>

void gvt_edid_build(uint8_t out[128], unsigned width, unsigned height);

#endif
