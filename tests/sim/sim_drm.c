/* libdrm's device enumeration, simulated: a host GPU exists only when the
 * test says so (XENGVT_SIM_HOST_GPU="vendor:device:revision:subvendor:subdevice",
 * hex), so identity tests do not depend on the machine they run on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xf86drm.h>

struct sim_drm_device {
    drmDevice dev;
    drmPciBusInfo bus;
    drmPciDeviceInfo info;
};

int drmGetDevices2(uint32_t flags, drmDevicePtr devices[], int max_devices)
{
    (void)flags;
    const char *spec = getenv("XENGVT_SIM_HOST_GPU");
    unsigned v, d, r, sv, sd;
    if (!spec || sscanf(spec, "%x:%x:%x:%x:%x", &v, &d, &r, &sv, &sd) != 5)
        return 0;
    if (!devices || max_devices < 1)
        return 1;
    struct sim_drm_device *s = calloc(1, sizeof(*s));
    if (!s)
        return -12;
    s->info = (drmPciDeviceInfo){ (uint16_t)v, (uint16_t)d, (uint16_t)sv, (uint16_t)sd,
                                  (uint8_t)r };
    s->bus = (drmPciBusInfo){ .domain = 0, .bus = 0, .dev = 2, .func = 0 };
    s->dev.bustype = DRM_BUS_PCI;
    s->dev.businfo.pci = &s->bus;
    s->dev.deviceinfo.pci = &s->info;
    devices[0] = &s->dev;
    return 1;
}

void drmFreeDevices(drmDevicePtr devices[], int count)
{
    for (int i = 0; i < count; i++)
        free(devices[i]); /* dev is the first member of the allocation */
}
