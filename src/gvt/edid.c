/* The virtual monitor's EDID (1.4, one 128-byte block): a digital
 * DisplayPort sink whose preferred mode is the first detailed timing. */
#include "config.h"
#include "gvt/edid.h"

#include <string.h>

struct edid_timing {
    unsigned hactive, hfront, hsync, hback;
    unsigned vactive, vfront, vsync, vback;
    unsigned pixel_khz;
};

/* CEA-861 1920x1080@60: the default, the mode every sink and driver agree on. */
static const struct edid_timing mode_1080p = { 1920, 88, 44, 148, 1080, 4, 5, 36, 148500 };

static void put_dtd(uint8_t *d, const struct edid_timing *t, unsigned width_mm,
                    unsigned height_mm)
{
    unsigned hblank = t->hfront + t->hsync + t->hback;
    unsigned vblank = t->vfront + t->vsync + t->vback;
    unsigned clk = t->pixel_khz / 10; /* in 10 kHz units */
    d[0] = (uint8_t)clk;
    d[1] = (uint8_t)(clk >> 8);
    d[2] = (uint8_t)t->hactive;
    d[3] = (uint8_t)hblank;
    d[4] = (uint8_t)((t->hactive >> 8) << 4 | (hblank >> 8));
    d[5] = (uint8_t)t->vactive;
    d[6] = (uint8_t)vblank;
    d[7] = (uint8_t)((t->vactive >> 8) << 4 | (vblank >> 8));
    d[8] = (uint8_t)t->hfront;
    d[9] = (uint8_t)t->hsync;
    d[10] = (uint8_t)((t->vfront & 0xf) << 4 | (t->vsync & 0xf));
    d[11] = (uint8_t)((t->hfront >> 8) << 6 | (t->hsync >> 8) << 4 | (t->vfront >> 4) << 2 |
                      (t->vsync >> 4));
    d[12] = (uint8_t)width_mm;
    d[13] = (uint8_t)height_mm;
    d[14] = (uint8_t)((width_mm >> 8) << 4 | (height_mm >> 8));
    d[15] = 0;
    d[16] = 0;
    d[17] = 0x18 | 0x06; /* digital separate sync, +hsync +vsync */
}

static void put_text(uint8_t *d, uint8_t tag, const char *text)
{
    memset(d, 0, 18);
    d[3] = tag;
    size_t n = strlen(text);
    memset(d + 5, ' ', 13);
    memcpy(d + 5, text, n > 13 ? 13 : n);
    if (n < 13)
        d[5 + n] = '\n';
}

/* VESA CVT reduced blanking (v1) for any other mode: 160 pixels of
 * horizontal blanking, at least 460 us of vertical blanking, pixel clock
 * in 250 kHz steps. */
static struct edid_timing cvt_rb(unsigned w, unsigned h, unsigned hz)
{
    struct edid_timing t = { .hactive = w, .hfront = 48, .hsync = 32, .hback = 80,
                             .vactive = h, .vfront = 3 };
    unsigned aspect = w * 10 / h; /* 13: 4:3, 17: 16:9, 16: 16:10, 12: 5:4 */
    t.vsync = aspect == 13 ? 4 : aspect == 17 ? 5 : aspect == 16 ? 6 : aspect == 12 ? 7 : 10;
    double h_period_us = (1e6 / hz - 460.0) / h;
    unsigned vbi = (unsigned)(460.0 / h_period_us) + 1;
    unsigned min_vbi = t.vfront + t.vsync + 6;
    if (vbi < min_vbi)
        vbi = min_vbi;
    t.vback = vbi - t.vfront - t.vsync;
    double clk_khz = (double)hz * (h + vbi) * (w + 160) / 1000.0;
    t.pixel_khz = (unsigned)(clk_khz / 250.0) * 250;
    return t;
}

void gvt_edid_build(uint8_t out[128], unsigned width, unsigned height)
{
    struct edid_timing mode = width == 1920 && height == 1080 ? mode_1080p
                                                              : cvt_rb(width, height, 60);
    unsigned width_mm = width * 531 / 1920, height_mm = height * 299 / 1080;
    static const uint8_t header[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };
    memset(out, 0, 128);
    memcpy(out, header, 8);
    /* Manufacturer "XGT" (5-bit letters), product 0x1912, serial 1. */
    uint16_t mfg = (uint16_t)(('X' - '@') << 10 | ('G' - '@') << 5 | ('T' - '@'));
    out[8] = (uint8_t)(mfg >> 8);
    out[9] = (uint8_t)mfg;
    out[10] = 0x12;
    out[11] = 0x19;
    out[12] = 1;
    out[16] = 1;         /* week */
    out[17] = 2026 - 1990;
    out[18] = 1;         /* EDID 1.4 */
    out[19] = 4;
    out[20] = 0x80 | 0x20 | 0x05; /* digital, 8 bpc, DisplayPort */
    out[21] = (uint8_t)(width_mm / 10);
    out[22] = (uint8_t)(height_mm / 10);
    out[23] = 120;       /* gamma 2.2 */
    out[24] = 0x06 | 0x02 << 3; /* RGB 4:4:4, preferred timing is native, sRGB */
    /* sRGB chromaticity */
    static const uint8_t chroma[10] = { 0xee, 0x91, 0xa3, 0x54, 0x4c, 0x99, 0x26, 0x0f, 0x50, 0x54 };
    memcpy(out + 25, chroma, 10);
    out[35] = 0x21; /* established: 640x480@60, 800x600@60 */
    out[36] = 0x08; /* 1024x768@60 */
    for (unsigned i = 38; i < 54; i += 2) {
        out[i] = 1; /* standard timings unused */
        out[i + 1] = 1;
    }
    put_dtd(out + 54, &mode, width_mm, height_mm);
    /* Range limits: 50-75 Hz vertical, 30-160 kHz horizontal, and a pixel
     * clock just above the mode's (10 MHz units). */
    uint8_t *r = out + 72;
    r[3] = 0xfd;
    r[5] = 50;
    r[6] = 75;
    r[7] = 30;
    r[8] = 160;
    r[9] = (uint8_t)((mode.pixel_khz + 9999) / 10000);
    r[10] = 0;
    r[11] = '\n';
    memset(r + 12, ' ', 6);
    put_text(out + 90, 0xfc, "xengvt");
    put_text(out + 108, 0xff, "1");
    out[126] = 0; /* no extensions */
    uint8_t sum = 0;
    for (unsigned i = 0; i < 127; i++)
        sum = (uint8_t)(sum + out[i]);
    out[127] = (uint8_t)(0x100 - sum);
}
