/* libdrm's mode-setting calls, simulated over the file described in
 * sim_kms.h. Every call reads the device state from the file and writes it
 * back, so the test process sees it at once and nothing is cached here. */
#include "sim_kms.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

static int load(int fd, struct sim_kms_dev *d)
{
    if (pread(fd, d, sizeof(*d), 0) != (ssize_t)sizeof(*d) || d->magic != SIM_KMS_MAGIC) {
        errno = ENOTTY; /* not a (simulated) DRM device */
        return -1;
    }
    return 0;
}

static int store(int fd, const struct sim_kms_dev *d)
{
    return pwrite(fd, d, sizeof(*d), 0) == (ssize_t)sizeof(*d) ? 0 : -1;
}

static int fail(int err)
{
    errno = err;
    return -err;
}

int drmGetCap(int fd, uint64_t capability, uint64_t *value)
{
    struct sim_kms_dev d;
    if (load(fd, &d) < 0)
        return -errno;
    *value = capability == DRM_CAP_DUMB_BUFFER;
    return 0;
}

drmModeResPtr drmModeGetResources(int fd)
{
    struct sim_kms_dev d;
    if (load(fd, &d) < 0)
        return NULL;
    drmModeResPtr r = calloc(1, sizeof(*r));
    r->count_crtcs = 1;
    r->crtcs = calloc(1, sizeof(uint32_t));
    r->crtcs[0] = SIM_KMS_CRTC_ID;
    r->count_encoders = 1;
    r->encoders = calloc(1, sizeof(uint32_t));
    r->encoders[0] = SIM_KMS_ENCODER_ID;
    r->count_connectors = SIM_KMS_CONNECTORS;
    r->connectors = calloc(SIM_KMS_CONNECTORS, sizeof(uint32_t));
    for (int i = 0; i < SIM_KMS_CONNECTORS; i++)
        r->connectors[i] = d.conn[i].id;
    r->max_width = r->max_height = 8192;
    return r;
}

void drmModeFreeResources(drmModeResPtr r)
{
    if (!r)
        return;
    free(r->crtcs);
    free(r->encoders);
    free(r->connectors);
    free(r);
}

drmModeConnectorPtr drmModeGetConnector(int fd, uint32_t id)
{
    struct sim_kms_dev d;
    if (load(fd, &d) < 0)
        return NULL;
    for (int i = 0; i < SIM_KMS_CONNECTORS; i++) {
        const struct sim_kms_connector *sc = &d.conn[i];
        if (sc->id != id)
            continue;
        drmModeConnectorPtr c = calloc(1, sizeof(*c));
        c->connector_id = id;
        c->connector_type = sc->type;
        c->connector_type_id = sc->type_id;
        c->connection = sc->connected ? DRM_MODE_CONNECTED : DRM_MODE_DISCONNECTED;
        c->count_encoders = 1;
        c->encoders = calloc(1, sizeof(uint32_t));
        c->encoders[0] = SIM_KMS_ENCODER_ID;
        c->count_modes = sc->connected ? (int)sc->nr_modes : 0;
        c->modes = calloc(SIM_KMS_MODES, sizeof(drmModeModeInfo));
        for (int m = 0; m < c->count_modes && m < SIM_KMS_MODES; m++) {
            drmModeModeInfo *mi = &c->modes[m];
            mi->hdisplay = sc->modes[m].w;
            mi->vdisplay = sc->modes[m].h;
            mi->vrefresh = sc->modes[m].refresh;
            mi->type = DRM_MODE_TYPE_DRIVER |
                       (sc->modes[m].preferred ? DRM_MODE_TYPE_PREFERRED : 0);
        }
        return c;
    }
    errno = ENOENT;
    return NULL;
}

void drmModeFreeConnector(drmModeConnectorPtr c)
{
    if (!c)
        return;
    free(c->encoders);
    free(c->modes);
    free(c);
}

drmModeEncoderPtr drmModeGetEncoder(int fd, uint32_t id)
{
    struct sim_kms_dev d;
    if (load(fd, &d) < 0)
        return NULL;
    if (id != SIM_KMS_ENCODER_ID) {
        errno = ENOENT;
        return NULL;
    }
    drmModeEncoderPtr e = calloc(1, sizeof(*e));
    e->encoder_id = id;
    e->encoder_type = DRM_MODE_ENCODER_TMDS;
    e->possible_crtcs = 1;
    return e;
}

void drmModeFreeEncoder(drmModeEncoderPtr e)
{
    free(e);
}

drmModeCrtcPtr drmModeGetCrtc(int fd, uint32_t id)
{
    struct sim_kms_dev d;
    if (load(fd, &d) < 0)
        return NULL;
    if (id != SIM_KMS_CRTC_ID) {
        errno = ENOENT;
        return NULL;
    }
    drmModeCrtcPtr c = calloc(1, sizeof(*c));
    c->crtc_id = id;
    c->buffer_id = d.crtc_fb;
    c->mode_valid = d.crtc_fb != 0;
    c->mode.hdisplay = (uint16_t)d.crtc_w;
    c->mode.vdisplay = (uint16_t)d.crtc_h;
    c->width = d.crtc_w;
    c->height = d.crtc_h;
    return c;
}

void drmModeFreeCrtc(drmModeCrtcPtr c)
{
    free(c);
}

static struct sim_kms_dumb *dumb_find(struct sim_kms_dev *d, uint32_t handle)
{
    for (int i = 0; i < SIM_KMS_OBJECTS; i++)
        if (d->dumb[i].live && d->dumb[i].handle == handle)
            return &d->dumb[i];
    return NULL;
}

static int dumb_ioctl(int fd, unsigned long request, void *arg)
{
    struct sim_kms_dev d;
    if (load(fd, &d) < 0)
        return -1;
    if (request == DRM_IOCTL_MODE_CREATE_DUMB) {
        struct drm_mode_create_dumb *c = arg;
        struct sim_kms_dumb *b = NULL;
        for (int i = 0; i < SIM_KMS_OBJECTS && !b; i++)
            if (!d.dumb[i].live)
                b = &d.dumb[i];
        if (!b || c->bpp != 32 || !c->width || !c->height)
            return fail(b ? EINVAL : ENOMEM);
        /* A pitch wider than the row, as real drivers align it. */
        uint32_t pitch = (c->width * 4 + 255) & ~255u;
        *b = (struct sim_kms_dumb){ .handle = ++d.next_handle, .w = c->width, .h = c->height,
                                    .pitch = pitch, .live = 1,
                                    .offset = d.next_offset ? d.next_offset
                                                            : SIM_KMS_DATA_OFFSET,
                                    .size = (uint64_t)pitch * c->height };
        d.next_offset = (b->offset + b->size + 4095) & ~4095ull;
        if (ftruncate(fd, (off_t)d.next_offset) < 0)
            return fail(ENOSPC);
        c->handle = b->handle;
        c->pitch = pitch;
        c->size = b->size;
        return store(fd, &d);
    }
    if (request == DRM_IOCTL_MODE_MAP_DUMB) {
        struct drm_mode_map_dumb *m = arg;
        struct sim_kms_dumb *b = dumb_find(&d, m->handle);
        if (!b)
            return fail(ENOENT);
        m->offset = b->offset;
        return 0;
    }
    if (request == DRM_IOCTL_MODE_DESTROY_DUMB) {
        struct drm_mode_destroy_dumb *x = arg;
        struct sim_kms_dumb *b = dumb_find(&d, x->handle);
        if (!b)
            return fail(ENOENT);
        b->live = 0;
        return store(fd, &d);
    }
    return fail(EINVAL);
}

int drmIoctl(int fd, unsigned long request, void *arg)
{
    int rc = dumb_ioctl(fd, request, arg);
    return rc < 0 ? -1 : 0; /* libdrm's convention: -1 and errno */
}

int drmModeAddFB2(int fd, uint32_t width, uint32_t height, uint32_t format,
                  const uint32_t handles[4], const uint32_t pitches[4],
                  const uint32_t offsets[4], uint32_t *buf_id, uint32_t flags)
{
    (void)flags;
    struct sim_kms_dev d;
    if (load(fd, &d) < 0)
        return -errno;
    struct sim_kms_dumb *b = dumb_find(&d, handles[0]);
    if (!b || format != DRM_FORMAT_XRGB8888 || offsets[0] || pitches[0] != b->pitch ||
        width > b->w || height > b->h)
        return fail(EINVAL);
    for (int i = 0; i < SIM_KMS_OBJECTS; i++) {
        if (d.fb[i].live)
            continue;
        d.fb[i] = (struct sim_kms_fb){ .id = 100 + ++d.next_fb, .handle = b->handle,
                                       .w = width, .h = height, .pitch = pitches[0],
                                       .format = format, .live = 1 };
        *buf_id = d.fb[i].id;
        return store(fd, &d);
    }
    return fail(ENOMEM);
}

int drmModeRmFB(int fd, uint32_t id)
{
    struct sim_kms_dev d;
    if (load(fd, &d) < 0)
        return -errno;
    for (int i = 0; i < SIM_KMS_OBJECTS; i++)
        if (d.fb[i].live && d.fb[i].id == id) {
            d.fb[i].live = 0;
            return store(fd, &d);
        }
    return fail(ENOENT);
}

int drmModeSetCrtc(int fd, uint32_t crtc, uint32_t fb, uint32_t x, uint32_t y,
                   uint32_t *connectors, int count, drmModeModeInfoPtr mode)
{
    struct sim_kms_dev d;
    if (load(fd, &d) < 0)
        return -errno;
    if (d.refuse_master)
        return fail(EACCES);
    if (crtc != SIM_KMS_CRTC_ID || count != 1 || !mode || x || y)
        return fail(EINVAL);
    bool known = fb == SIM_KMS_FOREIGN_FB;
    for (int i = 0; i < SIM_KMS_OBJECTS && !known; i++)
        known = d.fb[i].live && d.fb[i].id == fb;
    if (!known)
        return fail(ENOENT);
    d.crtc_fb = fb;
    d.crtc_connector = connectors[0];
    d.crtc_w = mode->hdisplay;
    d.crtc_h = mode->vdisplay;
    d.setcrtc_calls++;
    return store(fd, &d);
}

int drmModeDirtyFB(int fd, uint32_t id, drmModeClipPtr clips, uint32_t n)
{
    (void)id;
    (void)clips;
    (void)n;
    struct sim_kms_dev d;
    if (load(fd, &d) < 0)
        return -errno;
    d.dirtyfb_calls++;
    return store(fd, &d);
}
