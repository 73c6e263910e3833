#include "config.h"
#include "host/kms.h"
#include "evtchn/loop.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

/* A console view, not a game: 30 refreshes a second at most. */
#define KMS_TICK_NS (1000000000ull / 30)

struct host_kms {
    int fd;
    struct evt_timer *timer;
    host_capture_fn capture;
    void *opaque;
    uint32_t connector_id, crtc_id;
    drmModeModeInfo mode;
    drmModeCrtc *saved_crtc; /* what was shown before us, put back at stop */
    /* One dumb buffer, written in place. A single buffer can tear, which
     * is acceptable for an admin's view and spares the page-flip event
     * plumbing; DirtyFB tells drivers that need it (virtual and USB
     * displays) what changed. */
    uint32_t handle, fb_id, pitch;
    uint64_t size;
    uint32_t *map;
    uint64_t seq;     /* the guest frame on the display, to skip unchanged ones */
    bool shown;
    struct host_kms_stats stats;
};

static int parse_spec(const char *spec, char *dev, size_t dev_len, char *conn,
                      size_t conn_len)
{
    const char *colon = strrchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n == 0 || n >= dev_len)
        return -EINVAL;
    memcpy(dev, spec, n);
    dev[n] = 0;
    conn[0] = 0;
    if (colon) {
        if (strlen(colon + 1) == 0 || strlen(colon + 1) >= conn_len)
            return -EINVAL;
        strcpy(conn, colon + 1);
    }
    return 0;
}

static void connector_name(const drmModeConnector *c, char *buf, size_t len)
{
    const char *type = drmModeGetConnectorTypeName(c->connector_type);
    snprintf(buf, len, "%s-%u", type ? type : "Unknown", c->connector_type_id);
}

/* The wanted connector (by name, or the first connected), if connected
 * and with at least one mode. Caller frees. */
static drmModeConnector *find_connector(int fd, const drmModeRes *res, const char *want,
                                        char *name, size_t name_len)
{
    for (int i = 0; i < res->count_connectors; i++) {
        drmModeConnector *c = drmModeGetConnector(fd, res->connectors[i]);
        if (!c)
            continue;
        connector_name(c, name, name_len);
        bool named = want[0] && strcmp(name, want) == 0;
        bool usable = c->connection == DRM_MODE_CONNECTED && c->count_modes > 0;
        if (named && !usable) {
            log_error("kms: connector %s has no display connected", name);
            drmModeFreeConnector(c);
            return NULL;
        }
        if ((named || !want[0]) && usable)
            return c;
        drmModeFreeConnector(c);
    }
    if (want[0])
        log_error("kms: no connector named %s", want);
    else
        log_error("kms: no connector has a display connected");
    return NULL;
}

/* A CRTC one of the connector's encoders can drive: the current one if
 * there is one, else the first possible. */
static int find_crtc(int fd, const drmModeRes *res, const drmModeConnector *c, uint32_t *crtc)
{
    if (c->encoder_id) {
        drmModeEncoder *e = drmModeGetEncoder(fd, c->encoder_id);
        if (e && e->crtc_id) {
            *crtc = e->crtc_id;
            drmModeFreeEncoder(e);
            return 0;
        }
        drmModeFreeEncoder(e);
    }
    for (int i = 0; i < c->count_encoders; i++) {
        drmModeEncoder *e = drmModeGetEncoder(fd, c->encoders[i]);
        if (!e)
            continue;
        for (int j = 0; j < res->count_crtcs && j < 32; j++) {
            if (e->possible_crtcs & (1u << j)) {
                *crtc = res->crtcs[j];
                drmModeFreeEncoder(e);
                return 0;
            }
        }
        drmModeFreeEncoder(e);
    }
    return -ENODEV;
}

static const drmModeModeInfo *preferred_mode(const drmModeConnector *c)
{
    for (int i = 0; i < c->count_modes; i++)
        if (c->modes[i].type & DRM_MODE_TYPE_PREFERRED)
            return &c->modes[i];
    return &c->modes[0];
}

static int create_scanout(struct host_kms *k)
{
    struct drm_mode_create_dumb create = {
        .width = k->mode.hdisplay, .height = k->mode.vdisplay, .bpp = 32,
    };
    if (drmIoctl(k->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0)
        return -errno;
    k->handle = create.handle;
    k->pitch = create.pitch;
    k->size = create.size;
    if (k->pitch < 4u * k->mode.hdisplay || k->size < (uint64_t)k->pitch * k->mode.vdisplay)
        return -EIO; /* the driver's answer does not hold our pixels */
    uint32_t handles[4] = { k->handle }, pitches[4] = { k->pitch }, offsets[4] = { 0 };
    if (drmModeAddFB2(k->fd, k->mode.hdisplay, k->mode.vdisplay, DRM_FORMAT_XRGB8888,
                      handles, pitches, offsets, &k->fb_id, 0) < 0)
        return -errno;
    struct drm_mode_map_dumb map = { .handle = k->handle };
    if (drmIoctl(k->fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0)
        return -errno;
    void *p = mmap(NULL, k->size, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd,
                   (off_t)map.offset);
    if (p == MAP_FAILED)
        return -errno;
    k->map = p;
    memset(k->map, 0, k->size);
    return 0;
}

/* Nearest-neighbour scale of the guest's frame into the mode, aspect kept,
 * black around. Integer steps: no floating point per pixel. */
static void blit_scaled(struct host_kms *k, const uint32_t *src, unsigned sw, unsigned sh)
{
    unsigned dw = k->mode.hdisplay, dh = k->mode.vdisplay;
    unsigned ow = dw, oh = dh;
    if ((uint64_t)sw * dh > (uint64_t)sh * dw)
        oh = (unsigned)((uint64_t)sh * dw / sw);
    else
        ow = (unsigned)((uint64_t)sw * dh / sh);
    if (ow == 0 || oh == 0)
        return;
    unsigned x0 = (dw - ow) / 2, y0 = (dh - oh) / 2;
    uint32_t stride = k->pitch / 4;
    for (unsigned y = 0; y < dh; y++) {
        uint32_t *row = k->map + (size_t)y * stride;
        if (y < y0 || y >= y0 + oh) {
            memset(row, 0, dw * 4u);
            continue;
        }
        const uint32_t *s = src + (size_t)((uint64_t)(y - y0) * sh / oh) * sw;
        memset(row, 0, x0 * 4u);
        if (ow == sw) {
            memcpy(row + x0, s, ow * 4u);
        } else {
            for (unsigned x = 0; x < ow; x++)
                row[x0 + x] = s[(uint64_t)x * sw / ow];
        }
        memset(row + x0 + ow, 0, (dw - x0 - ow) * 4u);
    }
}

static void refresh(struct host_kms *k)
{
    struct host_frame f;
    if (k->capture(k->opaque, &f) < 0 || f.width == 0 || f.height == 0)
        return;
    /* seq moves with any pixel, a new size included. */
    if (k->shown && f.seq == k->seq) {
        k->stats.unchanged++;
        return;
    }
    blit_scaled(k, f.pixels, f.width, f.height);
    k->seq = f.seq;
    k->shown = true;
    k->stats.frames++;
    /* ENOSYS: the driver scans out straight from memory, nothing to tell. */
    if (drmModeDirtyFB(k->fd, k->fb_id, NULL, 0) < 0 && errno != ENOSYS)
        log_debug("kms: dirtyfb: %s", strerror(errno));
}

static void tick(void *opaque, uint64_t expirations)
{
    (void)expirations;
    refresh(opaque);
}

static int setup(struct host_kms *k, const char *spec)
{
    char dev[256], want[32];
    if (parse_spec(spec, dev, sizeof(dev), want, sizeof(want)) < 0) {
        log_error("kms: '%s' is not DEVICE[:CONNECTOR]", spec);
        return -EINVAL;
    }
    k->fd = open(dev, O_RDWR | O_CLOEXEC);
    if (k->fd < 0) {
        log_error("kms: %s: %s", dev, strerror(errno));
        return -errno;
    }
    uint64_t dumb = 0;
    if (drmGetCap(k->fd, DRM_CAP_DUMB_BUFFER, &dumb) < 0 || !dumb) {
        log_error("kms: %s has no dumb buffers (not a KMS device?)", dev);
        return -ENODEV;
    }
    drmModeRes *res = drmModeGetResources(k->fd);
    if (!res) {
        log_error("kms: %s: no mode-setting resources: %s", dev, strerror(errno));
        return -ENODEV;
    }
    drmModeConnector *c = find_connector(k->fd, res, want, k->stats.connector,
                                         sizeof(k->stats.connector));
    int rc = c ? find_crtc(k->fd, res, c, &k->crtc_id) : -ENODEV;
    if (c && rc < 0)
        log_error("kms: no CRTC can drive %s", k->stats.connector);
    drmModeFreeResources(res);
    if (rc < 0) {
        drmModeFreeConnector(c);
        return rc;
    }
    k->connector_id = c->connector_id;
    k->mode = *preferred_mode(c);
    drmModeFreeConnector(c);
    if (k->mode.hdisplay == 0 || k->mode.vdisplay == 0)
        return -EINVAL;
    rc = create_scanout(k);
    if (rc < 0) {
        log_error("kms: scanout buffer %ux%u: %s", k->mode.hdisplay, k->mode.vdisplay,
                  strerror(-rc));
        return rc;
    }
    k->saved_crtc = drmModeGetCrtc(k->fd, k->crtc_id);
    if (drmModeSetCrtc(k->fd, k->crtc_id, k->fb_id, 0, 0, &k->connector_id, 1,
                       &k->mode) < 0) {
        rc = -errno;
        /* EACCES: another process (a compositor) is DRM master. */
        log_error("kms: showing on %s: %s%s", k->stats.connector, strerror(errno),
                  errno == EACCES ? " (is a display server running on it?)" : "");
        return rc;
    }
    k->stats.mode_w = k->mode.hdisplay;
    k->stats.mode_h = k->mode.vdisplay;
    k->stats.mode_refresh = k->mode.vrefresh;
    return 0;
}

int host_kms_start(struct evt_loop *loop, const char *spec, host_capture_fn capture,
                   void *opaque, struct host_kms **out)
{
    struct host_kms *k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    k->fd = -1;
    k->capture = capture;
    k->opaque = opaque;
    int rc = setup(k, spec);
    if (rc == 0)
        rc = evt_timer_new(loop, tick, k, &k->timer);
    if (rc == 0)
        rc = evt_timer_arm(k->timer, KMS_TICK_NS, KMS_TICK_NS);
    if (rc < 0) {
        host_kms_stop(k);
        return rc;
    }
    log_info("kms: showing the guest on %s, %ux%u@%u", k->stats.connector,
             k->mode.hdisplay, k->mode.vdisplay, k->mode.vrefresh);
    *out = k;
    return 0;
}

void host_kms_stop(struct host_kms *k)
{
    if (!k)
        return;
    evt_timer_free(k->timer);
    drmModeCrtc *s = k->saved_crtc;
    if (s && s->mode_valid && s->buffer_id &&
        drmModeSetCrtc(k->fd, s->crtc_id, s->buffer_id, s->x, s->y, &k->connector_id, 1,
                       &s->mode) < 0)
        log_debug("kms: putting back the previous picture: %s", strerror(errno));
    drmModeFreeCrtc(s);
    if (k->map)
        munmap(k->map, k->size);
    if (k->fb_id)
        drmModeRmFB(k->fd, k->fb_id);
    if (k->handle) {
        struct drm_mode_destroy_dumb destroy = { .handle = k->handle };
        drmIoctl(k->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
    }
    if (k->fd >= 0)
        close(k->fd);
    free(k);
}

void host_kms_get_stats(const struct host_kms *k, struct host_kms_stats *out)
{
    *out = k->stats;
}
