#include "config.h"
#include "host/vnc.h"
#include "evtchn/loop.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rfb/rfb.h>

#define VNC_TICK_NS (1000000000ull / 30)
#define TILE 64

struct host_vnc {
    struct evt_timer *timer;
    rfbScreenInfoPtr screen;
    uint32_t *fb;
    unsigned width, height;
    host_capture_fn capture;
    void *opaque;
    unsigned clients;
    uint64_t updates;
    uint64_t seq;   /* the frame fb holds */
    bool have_seq;
};

static void vnc_log(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    buf[strcspn(buf, "\n")] = 0;
    log_debug("vnc: %s", buf);
}

static void client_gone(rfbClientPtr cl)
{
    struct host_vnc *vnc = cl->screen->screenData;
    vnc->clients--;
    log_info("vnc: viewer disconnected (%u left)", vnc->clients);
}

static enum rfbNewClientAction client_new(rfbClientPtr cl)
{
    struct host_vnc *vnc = cl->screen->screenData;
    vnc->clients++;
    cl->clientGoneHook = client_gone;
    log_info("vnc: viewer connected (%u)", vnc->clients);
    return RFB_CLIENT_ACCEPT;
}

static int resize(struct host_vnc *vnc, unsigned w, unsigned h)
{
    uint32_t *fb = calloc((size_t)w * h, 4);
    if (!fb)
        return -ENOMEM;
    rfbNewFramebuffer(vnc->screen, (char *)fb, (int)w, (int)h, 8, 3, 4);
    /* Our pixels are 0x00RRGGBB in memory order B, G, R, X. */
    vnc->screen->serverFormat.redShift = 16;
    vnc->screen->serverFormat.greenShift = 8;
    vnc->screen->serverFormat.blueShift = 0;
    free(vnc->fb);
    vnc->fb = fb;
    vnc->width = w;
    vnc->height = h;
    vnc->have_seq = false;
    return 0;
}

/* Copy the tiles that differ and tell libvncserver about them. The
 * capture says which frame it is and which rows changed since the one
 * before: the frame we hold needs nothing, the one before only the tiles
 * of those rows, any older one a look at every tile. */
static void refresh(struct host_vnc *vnc)
{
    struct host_frame f;
    if (vnc->capture(vnc->opaque, &f) < 0)
        return;
    unsigned w = f.width, h = f.height;
    const uint32_t *px = f.pixels;
    if ((w != vnc->width || h != vnc->height) && resize(vnc, w, h) < 0)
        return;
    unsigned y0 = 0, y1 = h;
    if (vnc->have_seq && f.seq == vnc->seq)
        return;
    if (vnc->have_seq && f.seq == vnc->seq + 1 && f.damage_y1 <= h) {
        y0 = f.damage_y0 / TILE * TILE;
        y1 = f.damage_y1;
    }
    vnc->seq = f.seq;
    vnc->have_seq = true;
    for (unsigned ty = y0; ty < y1; ty += TILE) {
        for (unsigned tx = 0; tx < w; tx += TILE) {
            unsigned tw = tx + TILE > w ? w - tx : TILE, th = ty + TILE > h ? h - ty : TILE;
            bool changed = false;
            for (unsigned y = ty; y < ty + th && !changed; y++)
                changed = memcmp(vnc->fb + (size_t)y * w + tx, px + (size_t)y * w + tx,
                                 tw * 4) != 0;
            if (!changed)
                continue;
            for (unsigned y = ty; y < ty + th; y++)
                memcpy(vnc->fb + (size_t)y * w + tx, px + (size_t)y * w + tx, tw * 4);
            rfbMarkRectAsModified(vnc->screen, (int)tx, (int)ty, (int)(tx + tw),
                                  (int)(ty + th));
            vnc->updates++;
        }
    }
}

static void tick(void *opaque, uint64_t expirations)
{
    struct host_vnc *vnc = opaque;
    (void)expirations;
    if (vnc->clients)
        refresh(vnc);
    /* Non-blocking: accepts viewers, reads their requests, sends updates. */
    rfbProcessEvents(vnc->screen, 0);
}

int host_vnc_start(struct evt_loop *loop, const char *listen, host_capture_fn capture,
                   void *opaque, struct host_vnc **out)
{
    char addr[64];
    unsigned port;
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof(addr) ||
        sscanf(colon + 1, "%u", &port) != 1 || port == 0 || port > 65535)
        return -EINVAL;
    memcpy(addr, listen, (size_t)(colon - listen));
    addr[colon - listen] = 0;
    struct in_addr in;
    if (inet_pton(AF_INET, addr, &in) != 1)
        return -EINVAL;

    struct host_vnc *vnc = calloc(1, sizeof(*vnc));
    if (!vnc)
        return -ENOMEM;
    vnc->capture = capture;
    vnc->opaque = opaque;
    rfbLog = vnc_log;
    rfbErr = vnc_log;
    vnc->screen = rfbGetScreen(NULL, NULL, 640, 480, 8, 3, 4);
    if (!vnc->screen || resize(vnc, 640, 480) < 0) {
        host_vnc_stop(vnc);
        return -ENOMEM;
    }
    vnc->screen->screenData = vnc;
    vnc->screen->desktopName = "xengvt";
    vnc->screen->port = (int)port;
    vnc->screen->ipv6port = 0; /* only the address given */
    vnc->screen->listenInterface = in.s_addr;
    vnc->screen->alwaysShared = TRUE;
    vnc->screen->newClientHook = client_new;
    /* No server-drawn pointer over the guest's pixels: the guest draws its
     * own cursor plane. */
    vnc->screen->cursor = NULL;
    rfbInitServer(vnc->screen);
    if (vnc->screen->listenSock == RFB_INVALID_SOCKET) {
        log_error("vnc: cannot listen on %s", listen);
        host_vnc_stop(vnc);
        return -EADDRINUSE;
    }
    int rc = evt_timer_new(loop, tick, vnc, &vnc->timer);
    if (rc == 0)
        rc = evt_timer_arm(vnc->timer, VNC_TICK_NS, VNC_TICK_NS);
    if (rc < 0) {
        host_vnc_stop(vnc);
        return rc;
    }
    log_info("vnc: live view on %s", listen);
    *out = vnc;
    return 0;
}

void host_vnc_stop(struct host_vnc *vnc)
{
    if (!vnc)
        return;
    evt_timer_free(vnc->timer);
    if (vnc->screen) {
        rfbShutdownServer(vnc->screen, TRUE);
        rfbScreenCleanup(vnc->screen);
    }
    free(vnc->fb);
    free(vnc);
}

unsigned host_vnc_clients(const struct host_vnc *vnc) { return vnc->clients; }
uint64_t host_vnc_updates(const struct host_vnc *vnc) { return vnc->updates; }
