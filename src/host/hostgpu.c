#include "config.h"
#include "host/hostgpu.h"

#include <errno.h>
#include <xf86drm.h>

#define INTEL_VENDOR_ID 0x8086
#define MAX_DRM_DEVICES 16

int host_gpu_find_intel(struct host_gpu_identity *out)
{
    drmDevicePtr devs[MAX_DRM_DEVICES];
    int n = drmGetDevices2(0, devs, MAX_DRM_DEVICES);
    if (n < 0)
        return n == -ENODEV ? 0 : n; /* no /dev/dri at all: no GPU */
    int found = 0;
    for (int i = 0; i < n && !found; i++) {
        drmDevicePtr d = devs[i];
        if (d->bustype != DRM_BUS_PCI || !d->deviceinfo.pci ||
            d->deviceinfo.pci->vendor_id != INTEL_VENDOR_ID)
            continue;
        out->device_id = d->deviceinfo.pci->device_id;
        out->subsys_vendor = d->deviceinfo.pci->subvendor_id;
        out->subsys_id = d->deviceinfo.pci->subdevice_id;
        out->revision = d->deviceinfo.pci->revision_id;
        out->bus = d->businfo.pci ? d->businfo.pci->bus : 0;
        out->dev = d->businfo.pci ? d->businfo.pci->dev : 0;
        out->fn = d->businfo.pci ? d->businfo.pci->func : 0;
        found = 1;
    }
    drmFreeDevices(devs, n);
    return found;
}

bool host_gpu_same_paths(uint16_t device_id)
{
    /* Skylake, Kaby Lake, Coffee Lake and Comet Lake (gen9 core): the
     * register model this daemon emulates. */
    switch (device_id >> 8) {
    case 0x19: case 0x59: case 0x3e: case 0x9b:
        return true;
    default:
        return false;
    }
}
