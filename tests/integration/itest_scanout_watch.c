/* The scanout watch (src/gvt/scanout_watch.c) through the shipped daemon
 * on a 1920x1080 linear surface (2025 pages):
 * - after two calm captures the surface's pages are write-protected, and
 *   a capture with nothing changed reads no page at all;
 * - a store by the guest's CPU traps once, gives its page back as RAM, and
 *   the next capture reads that page alone and shows the pixel;
 * - a store through the aperture (written into the surface by the daemon
 *   itself) is seen without a trap;
 * - a live migration's dirty log leaves no page protected (Xen refuses
 *   log-dirty mode otherwise), and captures read the whole surface;
 * - a change of most of the surface (a moving picture) gives every page
 *   back rather than trap each one every frame;
 * - so does a part of it changing under frequent captures, past the
 *   guest's budget of traps a second, and the watch then waits. */
#include "scanout_guest.h"

#include <stdlib.h>
#include <sys/wait.h>

#define PAGES 2025u /* 1920 * 4 * 1080 bytes */

static uint32_t pixel_at(struct sim *s, uint32_t x, uint32_t y)
{
    char line[1024];
    void *px = NULL;
    size_t len;
    assert_int_equal(sim_control(s, "{\"cmd\":\"frame\"}", line, sizeof(line), &px, &len), 0);
    assert_int_equal(len, (size_t)W * H * 4);
    uint32_t v = ((uint32_t *)px)[y * W + x];
    free(px);
    return v;
}

static long long st(struct sim *s, const char *key)
{
    return itest_status_field(s, key);
}

static bool protected_page(struct sim *s, uint32_t x, uint32_t y)
{
    return sim_page_write_protected(s, SURF_GPA + layout(0, W * 4, x, y));
}

/* Captures until the watch protects the surface (the third calm one). */
static void arm(struct sim *s)
{
    for (int i = 0; i < 4 && sim_state(s)->memtype_count < PAGES; i++)
        (void)pixel_at(s, 0, 0);
    assert_int_equal(sim_state(s)->memtype_count, PAGES);
}

/* A daemon showing the pattern on a linear 1080p surface. */
static struct sim *start_surface(const char *name)
{
    struct sim *s = itest_start(name, (struct sim_opts){ .ram_bytes = 64u << 20 });
    itest_place_bars(s, false);
    draw_pattern_linear(s);
    map_surface(s, (size_t)W * 4 * H);
    program_plane(s, 0, W * 4 / 64);
    return s;
}

static void test_scanout_watch(void **state)
{
    (void)state;
    struct sim *s = start_surface("scanout_watch");
    assert_int_equal(pixel_at(s, 1000, 700), pattern(1000, 700));
    (void)pixel_at(s, 0, 0);
    assert_int_equal(sim_state(s)->memtype_count, 0); /* not calm long enough yet */
    arm(s);

    /* Nothing changed: no page read. */
    long long read = st(s, "capture_pages_read"), unread = st(s, "captures_unread");
    assert_int_equal(pixel_at(s, 1000, 700), pattern(1000, 700));
    assert_int_equal(st(s, "captures_unread"), unread + 1);
    assert_int_equal(st(s, "capture_pages_read"), read);

    /* The guest's CPU: one trap, then its page is RAM until the capture. */
    long long traps = st(s, "scanout_write_traps");
    uint32_t white[2] = { 0xffffff, 0xffffff };
    sim_ram_write(s, 0, SURF_GPA + layout(0, W * 4, 1000, 700), white, sizeof(white));
    assert_int_equal(st(s, "scanout_write_traps"), traps + 1);
    assert_false(protected_page(s, 1000, 700));
    assert_true(protected_page(s, 0, 0));
    assert_int_equal(pixel_at(s, 1001, 700), 0xffffff);
    assert_int_equal(st(s, "capture_pages_read"), read + 1);
    assert_true(protected_page(s, 1000, 700)); /* again, before it was read */

    /* The daemon's own write (the aperture onto the surface): no trap. */
    sim_mmio_write(s, 0, BAR2_ADDR + SURF_GADDR + layout(0, W * 4, 10, 10), 4, 0x123456);
    assert_int_equal(pixel_at(s, 10, 10), 0x123456);
    assert_int_equal(st(s, "scanout_write_traps"), traps + 1);
    assert_int_equal(st(s, "capture_pages_read"), read + 2);

    /* A live migration: nothing protected while the dirty log is on. */
    char line[1024];
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":true}", line,
                                 sizeof(line), NULL, NULL), 0);
    assert_int_equal(sim_state(s)->memtype_count, 0);
    uint32_t red = 0xff0000;
    sim_ram_write(s, 0, SURF_GPA + layout(0, W * 4, 20, 20), &red, 4);
    assert_int_equal(pixel_at(s, 20, 20), 0xff0000);
    assert_int_equal(pixel_at(s, 20, 20), 0xff0000);
    assert_int_equal(sim_state(s)->memtype_count, 0);
    assert_int_equal(st(s, "scanout_write_traps"), traps + 1);
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":false}", line,
                                 sizeof(line), NULL, NULL), 0);

    /* Watched again once calm; then most of the surface changes at once. */
    arm(s);
    uint32_t *grey = malloc((size_t)W * 4 * H);
    for (size_t i = 0; i < (size_t)W * H; i++)
        grey[i] = 0x404040;
    sim_ram_write(s, 0, SURF_GPA, grey, (size_t)W * 4 * H);
    free(grey);
    assert_int_equal(st(s, "scanout_write_traps"), traps + 1 + PAGES);
    assert_int_equal(pixel_at(s, 1919, 1079), 0x404040);
    assert_int_equal(sim_state(s)->memtype_count, 0); /* given back, read whole */
    assert_int_equal(pixel_at(s, 5, 5), 0x404040);
    assert_int_equal(sim_state(s)->memtype_count, 0);

    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* A part moving under a viewer: 505 pages a frame is just under a quarter
 * of the surface, but two frames of it pass 1000 traps in a second. */
static void test_trap_budget(void **state)
{
    (void)state;
    struct sim *s = start_surface("scanout_budget");
    arm(s);
    for (uint32_t round = 0; round < 2; round++) {
        for (uint32_t page = 0; page < 505; page++) {
            uint32_t v = 0x010101 * (round + 1);
            sim_ram_write(s, 0, SURF_GPA + 4096ull * page, &v, 4);
        }
        assert_int_equal(pixel_at(s, 0, 0), 0x010101 * (round + 1));
    }
    assert_int_equal(st(s, "scanout_write_traps"), 1010);
    assert_int_equal(sim_state(s)->memtype_count, 0);
    (void)pixel_at(s, 0, 0);
    (void)pixel_at(s, 0, 0);
    (void)pixel_at(s, 0, 0);
    assert_int_equal(sim_state(s)->memtype_count, 0); /* calm, but backing off */
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanout_watch),
        cmocka_unit_test(test_trap_budget),
    };
    return cmocka_run_group_tests_name("scanout_watch", tests, NULL, NULL);
}
