/* Capture through the real daemon: a guest-drawn pattern in linear,
 * X-tiled and Y-tiled 1920x1080 XRGB8888 surfaces must come out of the
 * screenshot command pixel-identical; hostile plane programming gives a
 * blank frame and a logged refusal. The tiled layouts are written here
 * from the hardware documentation, independently of the daemon's code. */
#include "scanout_guest.h"

#include <png.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void expect_pattern(const void *data, size_t len)
{
    png_image img = { .version = PNG_IMAGE_VERSION };
    assert_true(png_image_begin_read_from_memory(&img, data, len));
    assert_int_equal(img.width, W);
    assert_int_equal(img.height, H);
    img.format = PNG_FORMAT_RGB;
    uint8_t *rgb = malloc(PNG_IMAGE_SIZE(img));
    assert_non_null(rgb);
    assert_true(png_image_finish_read(&img, NULL, rgb, 0, NULL));
    size_t bad = 0;
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            const uint8_t *p = rgb + 3 * ((size_t)y * W + x);
            uint32_t got = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
            bad += got != pattern(x, y);
        }
    free(rgb);
    assert_int_equal(bad, 0);
}

static void run_tiling(int tiling, uint32_t stride_units, size_t stride)
{
    struct sim *s = itest_start("capture", (struct sim_opts){ .ram_bytes = 64u << 20 });
    itest_place_bars(s, false);
    uint8_t *ram = sim_ram(s);
    size_t rows = tiling == 4 ? (H + 31) / 32 * 32 : (H + 7) / 8 * 8;
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            uint32_t px = pattern(x, y) | 0xff000000u; /* X byte must be ignored */
            memcpy(ram + SURF_GPA + layout(tiling, stride, x, y), &px, 4);
        }
    map_surface(s, stride * rows);
    program_plane(s, tiling, stride_units);
    char line[1024];
    size_t len;
    void *png = screenshot(s, &len, line, sizeof(line));
    assert_non_null(strstr(line, "\"blank\":false"));
    expect_pattern(png, len);
    free(png);
    /* Again: the steady state serves from the map cache. */
    png = screenshot(s, &len, line, sizeof(line));
    expect_pattern(png, len);
    free(png);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_linear(void **state)
{
    (void)state;
    run_tiling(0, W * 4 / 64, W * 4);
}

static void test_x_tiled(void **state)
{
    (void)state;
    run_tiling(1, W * 4 / 512, W * 4);
}

static void test_y_tiled(void **state)
{
    (void)state;
    run_tiling(4, W * 4 / 128, W * 4);
}

static void expect_blank(struct sim *s, const char *reason)
{
    char line[1024];
    size_t len;
    void *png = screenshot(s, &len, line, sizeof(line));
    assert_non_null(strstr(line, "\"blank\":true"));
    if (!strstr(line, reason))
        fail_msg("expected reason '%s' in %s", reason, line);
    png_image img = { .version = PNG_IMAGE_VERSION };
    assert_true(png_image_begin_read_from_memory(&img, png, len));
    img.format = PNG_FORMAT_GRAY;
    uint8_t *g = malloc(PNG_IMAGE_SIZE(img));
    assert_true(png_image_finish_read(&img, NULL, g, 0, NULL));
    size_t lit = 0;
    for (size_t i = 0; i < PNG_IMAGE_SIZE(img); i++)
        lit += g[i] != 0;
    assert_int_equal(lit, 0);
    free(g);
    free(png);
}

static void test_hostile_planes(void **state)
{
    (void)state;
    const char *log = itest_log_path("capture_bad");
    struct sim *s = itest_start("capture_bad", (struct sim_opts){ .ram_bytes = 64u << 20,
                                                                   .log_path = log });
    itest_place_bars(s, false);
    /* A good frame first, so "blank" below cannot be a stale copy. */
    uint8_t *ram = sim_ram(s);
    memset(ram + SURF_GPA, 0x7f, (size_t)W * H * 4);
    map_surface(s, (size_t)W * H * 4);
    program_plane(s, 0, W * 4 / 64);
    char line[1024];
    size_t len;
    free(screenshot(s, &len, line, sizeof(line)));
    assert_non_null(strstr(line, "\"blank\":false"));
    /* Surface outside the vGPU's slices (the gap above the aperture slice). */
    itest_flip(s, 0x0c000000);
    expect_blank(s, "outside");
    /* Surface whose GGTT entries point past guest RAM. */
    sim_mmio_write(s, 0, BAR0_ADDR + (8u << 20) + 8 * (SURF_GADDR / 4096 + 5), 8,
                   0x7fff0000000ull | 1);
    itest_flip(s, SURF_GADDR);
    expect_blank(s, "outside");
    sim_mmio_write(s, 0, BAR0_ADDR + (8u << 20) + 8 * (SURF_GADDR / 4096 + 5), 8,
                   (SURF_GPA + 5 * 4096) | 1);
    /* Absurd stride: smaller than a line. */
    sim_mmio_write(s, 0, REG(0x70188), 4, 1);
    expect_blank(s, "stride");
    sim_mmio_write(s, 0, REG(0x70188), 4, W * 4 / 64);
    /* Absurd size. */
    sim_mmio_write(s, 0, REG(0x6001c), 4, 0x1fff0fff);
    expect_blank(s, "size");
    sim_mmio_write(s, 0, REG(0x6001c), 4, (W - 1) << 16 | (H - 1));
    /* Unknown format and tiling. */
    sim_mmio_write(s, 0, REG(0x70180), 4, 1u << 31 | 9u << 24);
    expect_blank(s, "format");
    sim_mmio_write(s, 0, REG(0x70180), 4, 1u << 31 | 4u << 24 | 7u << 10);
    expect_blank(s, "tiling");
    /* Plane off. */
    sim_mmio_write(s, 0, REG(0x70180), 4, 0);
    expect_blank(s, "off");
    assert_true(sim_daemon_running(s));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    assert_true(itest_log_contains(log, "capture:"));
}

static long long json_num(const char *line, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (!p)
        fail_msg("no %s in %s", key, line);
    return atoll(p + strlen(pat));
}

static uint32_t *frame(struct sim *s, char *line, size_t cap)
{
    void *px = NULL;
    size_t len;
    assert_int_equal(sim_control(s, "{\"cmd\":\"frame\"}", line, cap, &px, &len), 0);
    assert_int_equal(len, (size_t)W * H * 4);
    return px;
}

/* The kept frame follows what the guest stores into the surface with no
 * register or GGTT change (the CPU writes the framebuffer directly): a
 * capture reads the pixels every time, says which rows changed, and keeps
 * its number when nothing a viewer sees did. */
static void run_tracking(int tiling, uint32_t stride_units)
{
    struct sim *s = itest_start("capture_tracking", (struct sim_opts){ .ram_bytes = 64u << 20 });
    itest_place_bars(s, false);
    uint8_t *ram = sim_ram(s);
    size_t stride = (size_t)W * 4, rows = (H + 7) / 8 * 8;
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            uint32_t px = pattern(x, y);
            memcpy(ram + SURF_GPA + layout(tiling, stride, x, y), &px, 4);
        }
    map_surface(s, stride * rows);
    program_plane(s, tiling, stride_units);
    char line[1024], st[8192];
    uint32_t *a = frame(s, line, sizeof(line));
    long long seq = json_num(line, "seq");
    assert_int_equal(a[700 * W + 1000], pattern(1000, 700));
    /* Nothing changed: the same frame, the same number, counted. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", st, sizeof(st), NULL, NULL), 0);
    long long unchanged = json_num(st, "captures_unchanged");
    uint32_t *b = frame(s, line, sizeof(line));
    assert_int_equal(json_num(line, "seq"), seq);
    assert_memory_equal(a, b, (size_t)W * H * 4);
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", st, sizeof(st), NULL, NULL), 0);
    assert_int_equal(json_num(st, "captures_unchanged"), unchanged + 1);
    free(b);
    /* One pixel stored by the guest's CPU: that pixel, that row. */
    uint32_t white = 0xffffff;
    sim_ram_write(s, 0, SURF_GPA + layout(tiling, stride, 1000, 700), &white, 4);
    b = frame(s, line, sizeof(line));
    assert_int_equal(json_num(line, "seq"), seq + 1);
    assert_int_equal(json_num(line, "damage_y0"), 700);
    assert_int_equal(json_num(line, "damage_y1"), 701);
    assert_int_equal(b[700 * W + 1000], 0xffffff);
    a[700 * W + 1000] = 0xffffff;
    assert_memory_equal(a, b, (size_t)W * H * 4);
    free(b);
    /* The X byte is not shown: storing it changes nothing a viewer sees. */
    uint32_t xwhite = 0xff000000u | pattern(5, 5);
    sim_ram_write(s, 0, SURF_GPA + layout(tiling, stride, 5, 5), &xwhite, 4);
    b = frame(s, line, sizeof(line));
    assert_int_equal(json_num(line, "seq"), seq + 1);
    free(b);
    /* The screenshot of a changed screen is of the change (the PNG of an
     * unchanged one is kept, not this one). */
    void *png = NULL;
    size_t len;
    assert_int_equal(sim_control(s, "{\"cmd\":\"screenshot\"}", line, sizeof(line), &png,
                                 &len), 0);
    uint32_t red = 0xff0000;
    sim_ram_write(s, 0, SURF_GPA + layout(tiling, stride, 3, 1079), &red, 4);
    free(png);
    assert_int_equal(sim_control(s, "{\"cmd\":\"screenshot\"}", line, sizeof(line), &png,
                                 &len), 0);
    png_image img = { .version = PNG_IMAGE_VERSION };
    assert_true(png_image_begin_read_from_memory(&img, png, len));
    img.format = PNG_FORMAT_RGB;
    uint8_t *rgb = malloc(PNG_IMAGE_SIZE(img));
    assert_true(png_image_finish_read(&img, NULL, rgb, 0, NULL));
    const uint8_t *p = rgb + 3 * ((size_t)1079 * W + 3);
    assert_int_equal(p[0] << 16 | p[1] << 8 | p[2], 0xff0000);
    p = rgb + 3 * ((size_t)700 * W + 1000);
    assert_int_equal(p[0] << 16 | p[1] << 8 | p[2], 0xffffff);
    free(rgb);
    free(png);
    free(a);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_tracking_linear(void **state)
{
    (void)state;
    run_tracking(0, W * 4 / 64);
}

static void test_tracking_x_tiled(void **state)
{
    (void)state;
    run_tracking(1, W * 4 / 512);
}

/* Small frames in the other formats: expected colours computed from the
 * bit layouts, not from the daemon. */
static void test_formats(void **state)
{
    (void)state;
    struct sim *s = itest_start("formats", (struct sim_opts){ .ram_bytes = 64u << 20 });
    itest_place_bars(s, false);
    uint8_t *ram = sim_ram(s);
    const uint32_t w = 64, h = 16;
    map_surface(s, 64 * 4096);
    sim_mmio_write(s, 0, REG(0x6001c), 4, (w - 1) << 16 | (h - 1));
    struct { uint32_t ctl; unsigned bpp; } fmts[] = {
        { 14u << 24, 2 },                /* RGB565 */
        { 4u << 24 | 1u << 20, 4 },      /* XBGR8888 (RGBX order) */
        { 2u << 24, 4 },                 /* XRGB2101010 */
    };
    for (unsigned f = 0; f < 3; f++) {
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                uint8_t *p = ram + SURF_GPA + (size_t)y * 512 + x * fmts[f].bpp;
                uint32_t r = x * 4, g = y * 16, b = 255 - x * 4;
                if (f == 0) {
                    uint16_t v = (uint16_t)((r >> 3) << 11 | (g >> 2) << 5 | (b >> 3));
                    memcpy(p, &v, 2);
                } else if (f == 1) {
                    uint32_t v = r | g << 8 | b << 16;
                    memcpy(p, &v, 4);
                } else {
                    uint32_t v = (r << 2 | r >> 6) << 20 | (g << 2 | g >> 6) << 10 |
                                 (b << 2 | b >> 6);
                    memcpy(p, &v, 4);
                }
            }
        sim_mmio_write(s, 0, REG(0x70188), 4, 512 / 64);
        sim_mmio_write(s, 0, REG(0x70180), 4, 1u << 31 | fmts[f].ctl);
        itest_flip(s, SURF_GADDR + (f + 1) * 0x10000);
        itest_flip(s, SURF_GADDR);
        char line[1024];
        void *px = NULL;
        size_t len;
        assert_int_equal(sim_control(s, "{\"cmd\":\"frame\"}", line, sizeof(line), &px, &len), 0);
        assert_int_equal(len, w * h * 4);
        const uint32_t *pix = px;
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                uint32_t r = x * 4, g = y * 16, b = 255 - x * 4;
                if (f == 0) { /* 5/6/5 bits widened by repeating the top bits */
                    r = (r >> 3) << 3 | r >> 5;
                    g = (g >> 2) << 2 | g >> 6;
                    b = (b >> 3) << 3 | b >> 5;
                }
                uint32_t want = r << 16 | g << 8 | b;
                if (pix[y * w + x] != want)
                    fail_msg("format %u pixel %u,%u: %06x, expected %06x", f, x, y,
                             pix[y * w + x], want);
            }
        free(px);
    }
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_cursor(void **state)
{
    (void)state;
    struct sim *s = itest_start("cursor", (struct sim_opts){ .ram_bytes = 64u << 20 });
    itest_place_bars(s, false);
    uint8_t *ram = sim_ram(s);
    draw_pattern_linear(s);
    map_surface(s, (size_t)W * H * 4);
    program_plane(s, 0, W * 4 / 64);
    /* A 64x64 cursor: opaque red top half, half-transparent white rows
     * 32-47, fully transparent below; 16 KiB just after the surface. */
    const uint64_t cur_gpa = SURF_GPA + 0x800000, cur_gaddr = SURF_GADDR + 0x800000;
    for (unsigned y = 0; y < 64; y++)
        for (unsigned x = 0; x < 64; x++) {
            uint32_t c = y < 32 ? 0xffff0000u : y < 48 ? 0x80ffffffu : 0;
            memcpy(ram + cur_gpa + (y * 64 + x) * 4, &c, 4);
        }
    for (unsigned i = 0; i < 4; i++)
        sim_mmio_write(s, 0, BAR0_ADDR + (8u << 20) + 8 * (cur_gaddr / 4096 + i), 8,
                       (cur_gpa + i * 4096) | 1);
    sim_mmio_write(s, 0, REG(0x70088), 4, 50u << 16 | 100u); /* x 100, y 50 */
    sim_mmio_write(s, 0, REG(0x70084), 4, (uint32_t)cur_gaddr);
    sim_mmio_write(s, 0, REG(0x70080), 4, 0x27);             /* 64x64 ARGB */
    char line[1024];
    void *px = NULL;
    size_t len;
    assert_int_equal(sim_control(s, "{\"cmd\":\"frame\"}", line, sizeof(line), &px, &len), 0);
    const uint32_t *f = px;
    assert_int_equal(f[60 * W + 110], 0xff0000);           /* opaque */
    assert_int_equal(f[50 * W + 99], pattern(99, 50));     /* left of it */
    assert_int_equal(f[100 * W + 120], pattern(120, 100)); /* transparent */
    uint32_t bg = pattern(120, 85), got = f[85 * W + 120];
    for (unsigned sh = 0; sh < 24; sh += 8) {              /* 50% white */
        unsigned want = (255 * 128 + ((bg >> sh) & 0xff) * 127 + 127) / 255;
        assert_int_equal((got >> sh) & 0xff, want);
    }
    free(px);
    /* Partly off the top-left edge (negative position): still drawn. */
    sim_mmio_write(s, 0, REG(0x70088), 4, 0x80000000u | 10u << 16 | 0x8000u | 10u);
    assert_int_equal(sim_control(s, "{\"cmd\":\"frame\"}", line, sizeof(line), &px, &len), 0);
    f = px;
    assert_int_equal(f[0], 0xff0000);
    assert_int_equal(f[30 * W + 60], pattern(60, 30));
    /* Where it was, the plane again (the frame is kept between captures:
     * the cursor must come off it). */
    assert_int_equal(f[60 * W + 110], pattern(110, 60));
    assert_int_equal(f[85 * W + 120], pattern(120, 85));
    free(px);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),
        cmocka_unit_test(test_x_tiled),
        cmocka_unit_test(test_y_tiled),
        cmocka_unit_test(test_hostile_planes),
        cmocka_unit_test(test_tracking_linear),
        cmocka_unit_test(test_tracking_x_tiled),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_cursor),
    };
    return cmocka_run_group_tests_name("display", tests, NULL, NULL);
}
