/* A minimal RFB 3.8 viewer for tests: no security, raw encoding, desktop
 * resizes; written from the protocol (RFC 6143), independent of the
 * server library the daemon uses. */
#ifndef XENGVT_TESTS_RFB_CLIENT_H
#define XENGVT_TESTS_RFB_CLIENT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

struct rfb_client {
    int fd;
    unsigned width, height;
    uint32_t *fb; /* 0x00RRGGBB as we ask the server for */
};

static inline bool rfb_read(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

static inline bool rfb_write(int fd, const void *buf, size_t len)
{
    return write(fd, buf, len) == (ssize_t)len;
}

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline bool rfb_connect(struct rfb_client *c, unsigned port)
{
    memset(c, 0, sizeof(*c));
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return false;
    char ver[12];
    uint8_t n, types[16], none = 1, shared = 1, res[4], init[24];
    if (!rfb_read(c->fd, ver, 12) || memcmp(ver, "RFB 003.", 8) != 0 ||
        !rfb_write(c->fd, "RFB 003.008\n", 12) || !rfb_read(c->fd, &n, 1) || n == 0 ||
        n > 16 || !rfb_read(c->fd, types, n) || !memchr(types, 1, n) ||
        !rfb_write(c->fd, &none, 1) || !rfb_read(c->fd, res, 4) || rd32(res) != 0 ||
        !rfb_write(c->fd, &shared, 1) || !rfb_read(c->fd, init, 24))
        return false;
    c->width = rd16(init);
    c->height = rd16(init + 2);
    uint32_t name_len = rd32(init + 20);
    char name[256];
    if (name_len > sizeof(name) || !rfb_read(c->fd, name, name_len))
        return false;
    c->fb = calloc((size_t)c->width * c->height, 4);
    /* 32 bpp little-endian true colour, 0x00RRGGBB. */
    uint8_t spf[20] = { 0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0 };
    /* Raw, plus the DesktopSize pseudo-encoding (-223). */
    uint8_t enc[12] = { 2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21 };
    return c->fb && rfb_write(c->fd, spf, sizeof(spf)) && rfb_write(c->fd, enc, sizeof(enc));
}

/* Ask for the whole screen and apply one FramebufferUpdate. */
static inline bool rfb_update(struct rfb_client *c)
{
    uint8_t req[10] = { 3, 0, 0, 0, 0, 0, (uint8_t)(c->width >> 8), (uint8_t)c->width,
                        (uint8_t)(c->height >> 8), (uint8_t)c->height };
    if (!rfb_write(c->fd, req, sizeof(req)))
        return false;
    for (;;) {
        uint8_t type;
        if (!rfb_read(c->fd, &type, 1))
            return false;
        if (type == 2) /* bell */
            continue;
        if (type != 0)
            return false; /* nothing else is expected for our requests */
        uint8_t hdr[3];
        if (!rfb_read(c->fd, hdr, 3))
            return false;
        unsigned nrects = rd16(hdr + 1);
        for (unsigned r = 0; r < nrects; r++) {
            uint8_t rh[12];
            if (!rfb_read(c->fd, rh, 12))
                return false;
            unsigned x = rd16(rh), y = rd16(rh + 2), w = rd16(rh + 4), h = rd16(rh + 6);
            int32_t enc = (int32_t)rd32(rh + 8);
            if (enc == -223) {
                free(c->fb);
                c->width = w;
                c->height = h;
                c->fb = calloc((size_t)w * h, 4);
                if (!c->fb)
                    return false;
                continue;
            }
            if (enc != 0 || x + w > c->width || y + h > c->height)
                return false;
            for (unsigned row = 0; row < h; row++)
                if (!rfb_read(c->fd, c->fb + (size_t)(y + row) * c->width + x, (size_t)w * 4))
                    return false;
        }
        return true;
    }
}

static inline void rfb_close(struct rfb_client *c)
{
    close(c->fd);
    free(c->fb);
}

#endif
