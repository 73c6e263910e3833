/* The host's Intel GPU, if it has one: a vGPU presents the identity of the
 * GPU it runs on (as GVT-g copies the host's config space), so guest
 * drivers pick the code paths of the real silicon. */
#ifndef XENGVT_HOST_HOSTGPU_H
#define XENGVT_HOST_HOSTGPU_H

#include <stdbool.h>
#include <stdint.h>

struct host_gpu_identity {
    uint16_t device_id;
    uint16_t subsys_vendor, subsys_id;
    uint8_t revision;
    uint8_t bus, dev, fn;
};

/* The first Intel display-class GPU libdrm lists: 1 if found, 0 if none,
 * -errno if libdrm could not enumerate. */
int host_gpu_find_intel(struct host_gpu_identity *out);

/* Does a guest driver take the emulated (Skylake) code paths for it? */
bool host_gpu_same_paths(uint16_t device_id);

#endif
