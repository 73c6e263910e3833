/* The host's views of a guest's screen through the real daemon: the VNC
 * live view (a viewer sees the guest's frames and cursor; a busy address
 * leaves the guest served without one) and the dom0 KMS output (the frame
 * on a simulated DRM device, scaled to its mode; what it refuses). The
 * guest's side is scanout_guest.h, as in itest_display.c. */
#include "scanout_guest.h"
#include "rfb_client.h"
#include "sim_kms.h"

#include <xf86drmMode.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The live view's address already taken (on one host, a migration's
 * source still serves it): the daemon serves the guest anyway, without a
 * live view, and says so. */
static void test_vnc_address_in_use(void **state)
{
    (void)state;
    unsigned port = 20000 + ((unsigned)getpid() + 7) % 20000;
    int taken = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(taken >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(taken, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(taken, 1), 0);
    char listen_at[32];
    snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%u", port);
    const char *args[] = { "--vnc", listen_at, NULL };
    struct sim *s = itest_start("vnc_in_use", (struct sim_opts){ .ram_bytes = 64u << 20,
                                                                  .args = args });
    itest_place_bars(s, false);
    assert_int_equal(itest_status_field(s, "vnc_serving"), 0);
    /* The vGPU itself answers. */
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x78000, 4), 0x76544776);
    close(taken);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* A VNC viewer on the live view gets the same pixels as the screenshot. */
static void test_vnc_live_view(void **state)
{
    (void)state;
    unsigned port = 20000 + (unsigned)getpid() % 20000;
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
    const char *args[] = { "--vnc", listen, NULL };
    struct sim *s = itest_start("vnc", (struct sim_opts){ .ram_bytes = 64u << 20,
                                                           .args = args });
    itest_place_bars(s, false);
    draw_pattern_linear(s);
    map_surface(s, (size_t)W * H * 4);
    program_plane(s, 0, W * 4 / 64);
    struct rfb_client c;
    assert_true(rfb_connect(&c, port));
    bool same = false;
    for (int tries = 0; tries < 50 && !same; tries++) {
        assert_true(rfb_update(&c));
        if (getenv("RFB_DEBUG"))
            fprintf(stderr, "rfb: %ux%u px0=%06x px(100,50)=%06x want %06x\n", c.width, c.height,
                    c.fb[0], c.fb[50 * c.width + 100], pattern(100, 50));
        if (c.width != W || c.height != H)
            continue;
        same = true;
        for (uint32_t y = 0; y < H && same; y++)
            for (uint32_t x = 0; x < W && same; x++) {
                same = c.fb[(size_t)y * W + x] == pattern(x, y);
                if (!same && getenv("RFB_DEBUG"))
                    fprintf(stderr, "rfb: first difference at %u,%u: %06x want %06x\n", x, y,
                            c.fb[(size_t)y * W + x], pattern(x, y));
            }
    }
    assert_true(same);
    /* The guest draws: the viewer sees the change. */
    uint32_t white = 0xffffff;
    for (uint32_t y = 100; y < 110; y++)
        for (uint32_t x = 200; x < 260; x++)
            sim_ram_write(s, 0, SURF_GPA + layout(0, W * 4, x, y), &white, 4);
    bool seen = false;
    for (int tries = 0; tries < 50 && !seen; tries++) {
        assert_true(rfb_update(&c));
        seen = c.fb[105 * W + 230] == 0xffffff;
    }
    assert_true(seen);
    rfb_close(&c);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* A simulated KMS device file: DP-1 connected with `modes`, HDMI-A-1
 * disconnected, the console's framebuffer on the CRTC. */
static const char *kms_device(const char *name, const struct sim_kms_mode *modes,
                              unsigned nr_modes)
{
    static char path[512];
    const char *dir = getenv("XENGVT_TEST_LOGDIR");
    snprintf(path, sizeof(path), "%s/%s.kms", dir ? dir : "/tmp", name);
    struct sim_kms_dev d = { .magic = SIM_KMS_MAGIC, .crtc_fb = SIM_KMS_FOREIGN_FB,
                             .crtc_w = 1024, .crtc_h = 768 };
    d.conn[0] = (struct sim_kms_connector){ .id = 40, .type = DRM_MODE_CONNECTOR_HDMIA,
                                            .type_id = 1 };
    d.conn[1] = (struct sim_kms_connector){ .id = 41, .type = DRM_MODE_CONNECTOR_DisplayPort,
                                            .type_id = 1, .connected = 1,
                                            .nr_modes = nr_modes };
    memcpy(d.conn[1].modes, modes, nr_modes * sizeof(*modes));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(&d, sizeof(d), 1, f), 1);
    fclose(f);
    return path;
}

static bool kms_read(const char *path, struct sim_kms_dev *d)
{
    FILE *f = fopen(path, "r");
    bool ok = f && fread(d, sizeof(*d), 1, f) == 1;
    if (f)
        fclose(f);
    return ok;
}

/* The pixel (x, y) the CRTC scans out, from the file. */
static uint32_t kms_pixel(const char *path, const struct sim_kms_dev *d, unsigned x,
                          unsigned y)
{
    const struct sim_kms_fb *fb = NULL;
    for (int i = 0; i < SIM_KMS_OBJECTS; i++)
        if (d->fb[i].live && d->fb[i].id == d->crtc_fb)
            fb = &d->fb[i];
    assert_non_null(fb);
    const struct sim_kms_dumb *b = NULL;
    for (int i = 0; i < SIM_KMS_OBJECTS; i++)
        if (d->dumb[i].live && d->dumb[i].handle == fb->handle)
            b = &d->dumb[i];
    assert_non_null(b);
    uint32_t px = 0;
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)(b->offset + (uint64_t)y * b->pitch + x * 4u), SEEK_SET), 0);
    assert_int_equal(fread(&px, 4, 1, f), 1);
    fclose(f);
    return px & 0xffffff;
}

static struct sim *kms_guest(const char *name, const char *const *args)
{
    struct sim *s = itest_start(name, (struct sim_opts){ .ram_bytes = 64u << 20,
                                                         .args = args });
    itest_place_bars(s, false);
    draw_pattern_linear(s);
    map_surface(s, (size_t)W * H * 4);
    program_plane(s, 0, W * 4 / 64);
    return s;
}

/* Wait until the scanout shows `want` at (x, y). */
static bool kms_wait_pixel(const char *path, unsigned x, unsigned y, uint32_t want)
{
    for (int i = 0; i < 200; i++) {
        struct sim_kms_dev d;
        if (kms_read(path, &d) && d.crtc_fb != SIM_KMS_FOREIGN_FB &&
            kms_pixel(path, &d, x, y) == want)
            return true;
        usleep(10000);
    }
    return false;
}

static void test_kms_output(void **state)
{
    (void)state;
    const struct sim_kms_mode modes[] = { { 1280, 720, 60, 0 }, { 1920, 1080, 60, 1 } };
    const char *dev = kms_device("kms", modes, 2);
    char spec[600];
    snprintf(spec, sizeof(spec), "%s:DP-1", dev);
    const char *args[] = { "--kms", spec, NULL };
    struct sim *s = kms_guest("kms", args);
    /* The preferred mode on DP-1, every pixel the guest's. */
    assert_true(kms_wait_pixel(dev, W - 1, H - 1, pattern(W - 1, H - 1)));
    struct sim_kms_dev d;
    assert_true(kms_read(dev, &d));
    assert_int_equal(d.crtc_connector, 41);
    assert_int_equal(d.crtc_w, 1920);
    assert_int_equal(d.crtc_h, 1080);
    size_t bad = 0;
    for (uint32_t y = 0; y < H; y += 7)
        for (uint32_t x = 0; x < W; x += 5)
            bad += kms_pixel(dev, &d, x, y) != pattern(x, y);
    assert_int_equal(bad, 0);
    assert_true(d.dirtyfb_calls >= 1);
    /* The guest draws; the host display follows. */
    uint32_t white = 0xffffff;
    for (uint32_t y = 500; y < 510; y++)
        for (uint32_t x = 900; x < 960; x++)
            sim_ram_write(s, 0, SURF_GPA + layout(0, W * 4, x, y), &white, 4);
    assert_true(kms_wait_pixel(dev, 930, 505, 0xffffff));
    char line[2048];
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"kms_connector\":\"DP-1\""));
    /* On exit the console's picture comes back and our buffers are gone. */
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    assert_true(kms_read(dev, &d));
    assert_int_equal(d.crtc_fb, SIM_KMS_FOREIGN_FB);
    for (int i = 0; i < SIM_KMS_OBJECTS; i++) {
        assert_false(d.fb[i].live);
        assert_false(d.dumb[i].live);
    }
}

/* A 1280x1024 display: the 16:9 guest frame scaled to 1280x720, black bars
 * of 152 rows above and below. */
static void test_kms_scaled(void **state)
{
    (void)state;
    const struct sim_kms_mode modes[] = { { 1280, 1024, 60, 1 } };
    const char *dev = kms_device("kms-scaled", modes, 1);
    const char *args[] = { "--kms", dev, NULL }; /* the first connected connector */
    struct sim *s = kms_guest("kms-scaled", args);
    /* The last row the frame's copy writes first (a copy in progress is
     * visible: single-buffered), then row 152 + 360 shows guest row 540
     * and column 640 guest column 960. */
    assert_true(kms_wait_pixel(dev, 1279, 152 + 719, pattern(1918, 1078)));
    assert_true(kms_wait_pixel(dev, 640, 512, pattern(960, 540)));
    struct sim_kms_dev d;
    assert_true(kms_read(dev, &d));
    assert_int_equal(d.crtc_connector, 41);
    assert_int_equal(kms_pixel(dev, &d, 640, 10), 0);
    assert_int_equal(kms_pixel(dev, &d, 640, 1020), 0);
    assert_int_equal(kms_pixel(dev, &d, 0, 152), pattern(0, 0));
    assert_int_equal(kms_pixel(dev, &d, 1279, 152 + 719), pattern(1918, 1078));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* A connector with nothing attached, a device owned by a display server,
 * and a file that is not a KMS device: each refused with a reason and the
 * usage exit code, the console's picture untouched. */
static void test_kms_refusals(void **state)
{
    (void)state;
    const struct sim_kms_mode modes[] = { { 1920, 1080, 60, 1 } };
    const char *dev = kms_device("kms-refuse", modes, 1);
    char spec[600];
    snprintf(spec, sizeof(spec), "%s:HDMI-A-1", dev);
    const char *args[] = { "--kms", spec, NULL };
    const char *log = itest_log_path("kms-refuse");
    struct sim *s = sim_start(&(struct sim_opts){ .args = args, .log_path = log,
                                                  .no_wait_ready = true });
    assert_non_null(s);
    int st = sim_wait_exit(s, 10000);
    assert_int_equal(WEXITSTATUS(st), 2);
    sim_stop(s);
    assert_true(itest_log_contains(log, "has no display connected"));

    struct sim_kms_dev d;
    assert_true(kms_read(dev, &d));
    d.refuse_master = 1;
    FILE *f = fopen(dev, "r+");
    assert_non_null(f);
    assert_int_equal(fwrite(&d, sizeof(d), 1, f), 1);
    fclose(f);
    const char *args2[] = { "--kms", dev, NULL };
    log = itest_log_path("kms-master");
    s = sim_start(&(struct sim_opts){ .args = args2, .log_path = log, .no_wait_ready = true });
    assert_non_null(s);
    assert_int_equal(WEXITSTATUS(sim_wait_exit(s, 10000)), 2);
    sim_stop(s);
    assert_true(itest_log_contains(log, "display server"));
    assert_true(kms_read(dev, &d));
    assert_int_equal(d.crtc_fb, SIM_KMS_FOREIGN_FB);
    for (int i = 0; i < SIM_KMS_OBJECTS; i++)
        assert_false(d.dumb[i].live);

    const char *args3[] = { "--kms", "/dev/null", NULL };
    log = itest_log_path("kms-notkms");
    s = sim_start(&(struct sim_opts){ .args = args3, .log_path = log, .no_wait_ready = true });
    assert_non_null(s);
    assert_int_equal(WEXITSTATUS(sim_wait_exit(s, 10000)), 2);
    sim_stop(s);
    assert_true(itest_log_contains(log, "not a KMS device"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vnc_live_view),
        cmocka_unit_test(test_vnc_address_in_use),
        cmocka_unit_test(test_kms_output),
        cmocka_unit_test(test_kms_scaled),
        cmocka_unit_test(test_kms_refusals),
    };
    return cmocka_run_group_tests_name("host views", tests, NULL, NULL);
}
