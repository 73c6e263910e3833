/* The aperture in guest RAM (--aperture-ram): the guest's stores through
 * BAR2 cost no trap and reach the pages the GGTT names at i915's sync
 * points (GGTT invalidate, the posting read after GTT writes,
 * ELSP, capture, save); a page newly bound reads through the aperture what
 * it holds; the frames follow BAR2 and survive save/restore. */
#include "itest.h"

#include <sys/wait.h>

#define GGTT (BAR0_ADDR + (8u << 20))
#define REG(off) (BAR0_ADDR + (off))
#define FB_GPA 0x00400000ull /* the console's pages in guest RAM */
#define FB_PAGES 4u          /* a 64x64 XRGB surface */


static const char *const ram_args[] = { "--aperture", "4", "--aperture-ram", NULL };

static struct sim *start(const char *name, const char *log)
{
    struct sim *s = itest_start(name, (struct sim_opts){ .log_path = log, .args = ram_args,
                                                         .ram_bytes = 64u << 20 });
    itest_place_bars(s, false);
    return s;
}

/* i915's bind: entries by plain stores, then the GGTT invalidate. */
static void bind_fb(struct sim *s, uint64_t bar0)
{
    for (uint32_t i = 0; i < FB_PAGES; i++)
        sim_mmio_write(s, 0, bar0 + (8u << 20) + 8ull * i, 8, (FB_GPA + 4096ull * i) | 1);
    sim_mmio_write(s, 0, bar0 + 0x101008, 4, 1); /* GFX_FLSH_CNTL */
}

static uint32_t *fb_page(struct sim *s, unsigned i)
{
    return sim_phys(s, FB_GPA + 4096ull * i);
}

static void show_plane(struct sim *s)
{
    sim_mmio_write(s, 0, REG(0x6001c), 4, 63u << 16 | 63); /* PIPESRC 64x64 */
    sim_mmio_write(s, 0, REG(0x70188), 4, 4);              /* 256-byte stride */
    sim_mmio_write(s, 0, REG(0x70180), 4, 1u << 31 | 4u << 24);
    itest_flip(s, 0);
}

static uint32_t frame_pixel(struct sim *s, unsigned x, unsigned y)
{
    char line[1024];
    void *px = NULL;
    size_t len = 0;
    assert_int_equal(sim_control(s, "{\"cmd\":\"frame\"}", line, sizeof(line), &px, &len), 0);
    assert_int_equal(len, 64u * 64 * 4);
    uint32_t v = ((uint32_t *)px)[y * 64 + x] & 0xffffff;
    free(px);
    return v;
}

static void test_console_through_the_aperture(void **state)
{
    (void)state;
    const char *log = itest_log_path("aperture_ram");
    struct sim *s = start("aperture_ram", log);
    assert_int_equal(itest_status_field(s, "aperture_in_ram"), 1);
    /* The slice is RAM; the rest of the BAR is not the guest's. */
    assert_non_null(sim_phys(s, BAR2_ADDR));
    assert_non_null(sim_phys(s, BAR2_ADDR + (4u << 20) - 1));
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, BAR2_ADDR));
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, BAR2_ADDR + (4u << 20)));
    assert_int_equal(sim_mmio_read(s, 0, BAR2_ADDR + (4u << 20), 4), 0);

    /* A page newly bound reads through the aperture what it holds. */
    fb_page(s, 1)[5] = 0x00abcdef;
    bind_fb(s, BAR0_ADDR);
    assert_int_equal(sim_mmio_read(s, 0, BAR2_ADDR + 4096 + 20, 4), 0x00abcdef);

    /* fbcon draws through the aperture: stores, no traps. */
    uint64_t traps = (uint64_t)itest_status_field(s, "ioreq_mmio");
    for (unsigned y = 0; y < 64; y++)
        for (unsigned x = 0; x < 64; x++)
            sim_mmio_write(s, 0, BAR2_ADDR + y * 256 + x * 4, 4, (x * 4) << 16 | (y * 4) << 8 | 0x11);
    assert_int_equal((uint64_t)itest_status_field(s, "ioreq_mmio"), traps + 1 /* this status */ - 1);
    assert_int_equal(itest_status_field(s, "trap_aperture"), 1); /* the read beyond the slice */
    /* Shown at the next vblank's scanout, and in a screenshot at once. */
    show_plane(s);
    assert_int_equal(frame_pixel(s, 10, 20), (40u << 16 | 80u << 8 | 0x11));
    assert_int_equal(frame_pixel(s, 63, 63), (252u << 16 | 252u << 8 | 0x11));
    usleep(60 * 1000); /* vblanks */
    assert_int_equal(fb_page(s, 3)[63 * 64 % 1024 + 1], (4u << 16 | 252u << 8 | 0x11));
    /* Each sync point moves later stores: the posting read i915 makes. */
    sim_mmio_write(s, 0, BAR2_ADDR + 8, 4, 0x00123456);
    sim_mmio_write(s, 0, REG(0x70008), 4, 0); /* pipe off: no vblank syncs */
    usleep(30 * 1000);
    sim_mmio_write(s, 0, BAR2_ADDR + 12, 4, 0x00654321);
    assert_int_not_equal(fb_page(s, 0)[3], 0x00654321);
    (void)sim_mmio_read(s, 0, REG(0x2034), 4);
    assert_int_equal(fb_page(s, 0)[3], 0x00654321);
    assert_int_equal(fb_page(s, 0)[2], 0x00123456);
    assert_true(itest_status_field(s, "aperture_pages_out") >= 4);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_follows_bar2_and_rebinding(void **state)
{
    (void)state;
    const char *log = itest_log_path("aperture_ram_move");
    struct sim *s = start("aperture_ram_move", log);
    sim_mmio_write(s, 0, REG(0x70008), 4, 0); /* no vblank syncs: only the ones asked */
    bind_fb(s, BAR0_ADDR);
    sim_mmio_write(s, 0, BAR2_ADDR + 4096 + 64, 4, 0x0000beef);
    /* The OS moves BAR2: what was stored goes out first, the frames follow. */
    const uint64_t to = 0xb0000000ull;
    sim_cfg_write(s, 0, VGPU_SBDF, 0x04, 2, 0x4);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x18, 4, (uint32_t)to);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x1c, 4, 0);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x04, 2, 0x6);
    assert_int_equal(fb_page(s, 1)[16], 0x0000beef);
    assert_null(sim_phys(s, BAR2_ADDR));
    assert_int_equal(sim_mmio_read(s, 0, to + 4096 + 64, 4), 0x0000beef);
    sim_mmio_write(s, 0, to + 4096 + 68, 4, 0x0000cafe);
    /* i915 rebinds slice page 1 elsewhere: the old page gets the stores
     * made through its binding, the aperture shows the new page. */
    uint32_t *other = sim_phys(s, 0x00800000);
    other[0] = 0x0000f00d;
    sim_mmio_write(s, 0, GGTT + 8, 8, 0x00800000ull | 1);
    sim_mmio_write(s, 0, REG(0x101008), 4, 1);
    assert_int_equal(fb_page(s, 1)[17], 0x0000cafe);
    assert_int_equal(sim_mmio_read(s, 0, to + 4096, 4), 0x0000f00d);
    /* Unbound (not present): the scratch page, stores go nowhere. */
    sim_mmio_write(s, 0, GGTT + 16, 8, 0);
    sim_mmio_write(s, 0, REG(0x101008), 4, 1);
    assert_int_equal(sim_mmio_read(s, 0, to + 2 * 4096, 4), 0);
    sim_mmio_write(s, 0, to + 2 * 4096, 4, 0x77);
    (void)sim_mmio_read(s, 0, REG(0x2034), 4);
    assert_int_not_equal(fb_page(s, 2)[0], 0x77);
    assert_true(itest_log_contains(log, "stores to an unbound or foreign page dropped") ||
                itest_status_field(s, "aperture_pages_out") >= 2);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_save_restore_keeps_it(void **state)
{
    (void)state;
    struct sim *s = start("aperture_ram_save", NULL);
    sim_mmio_write(s, 0, REG(0x70008), 4, 0);
    bind_fb(s, BAR0_ADDR);
    sim_mmio_write(s, 0, BAR2_ADDR + 3 * 4096 + 40, 4, 0x00c0ffee);
    char line[1024];
    void *blob = NULL;
    size_t blen = 0;
    assert_int_equal(sim_control(s, "{\"cmd\":\"save\"}", line, sizeof(line), &blob, &blen), 0);
    /* Saving synced: the page has the store. */
    assert_int_equal(fb_page(s, 3)[10], 0x00c0ffee);
    void *physmap = NULL;
    size_t plen = 0;
    assert_int_equal(sim_physmap_save(s, &physmap, &plen), 0);
    void *ram = malloc(64u << 20);
    memcpy(ram, sim_ram(s), 64u << 20);
    sim_stop(s);
    char path[512];
    snprintf(path, sizeof(path), "%s/aperture.state",
             getenv("XENGVT_TEST_LOGDIR") ? getenv("XENGVT_TEST_LOGDIR") : "/tmp");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(blob, 1, blen, f), blen);
    fclose(f);
    free(blob);
    const char *args[] = { "--aperture", "4", "--restore", path, NULL };
    struct sim *d = itest_start("aperture_ram_restored",
                                (struct sim_opts){ .args = args, .domid = 9, .ram_bytes = 64u << 20,
                                                   .ram_image = ram, .ram_image_len = 64u << 20,
                                                   .physmap_image = physmap,
                                                   .physmap_image_len = plen });
    free(ram);
    free(physmap);
    /* Found where the guest left it (no populate), still RAM, same content. */
    assert_int_equal(sim_state(d)->populate_calls, 0);
    assert_int_equal(itest_status_field(d, "aperture_in_ram"), 1);
    assert_int_equal(*(uint32_t *)sim_phys(d, BAR2_ADDR + 3 * 4096 + 40), 0x00c0ffee);
    sim_mmio_write(d, 0, BAR2_ADDR + 3 * 4096 + 44, 4, 0x00facade);
    (void)sim_mmio_read(d, 0, REG(0x2034), 4);
    assert_int_equal(fb_page(d, 3)[11], 0x00facade);
    assert_int_equal(WEXITSTATUS(sim_stop(d)), 0);
}

/* The default: the type's whole slice (128 MiB) in RAM. While nothing is
 * bound in it (firmware, early boot) no sync asks Xen for its dirty
 * bitmap, whose harvest walks every frame under a domain pause: real Xen
 * at 60 harvests a second never got the guest kernel past its loader. The
 * vblank is no sync point at all; the first binding is. */
static void test_idle_slice_costs_no_harvest(void **state)
{
    (void)state;
    struct sim *s = itest_start("aperture_idle", (struct sim_opts){ .ram_bytes = 64u << 20 });
    itest_place_bars(s, false);
    assert_int_equal(itest_status_field(s, "aperture_in_ram"), 1);
    sim_mmio_write(s, 0, REG(0x44404), 4, 0); /* DE_PIPE_IMR(A): vblanks on */
    sim_mmio_write(s, 0, REG(0x4440c), 4, ~0u); /* (the vblank timer runs while watched) */
    sim_mmio_write(s, 0, REG(0x44200), 4, 0);
    uint32_t calls = sim_state(s)->dirty_calls;
    long long vblanks = itest_status_field(s, "vblanks");
    usleep(300 * 1000);
    assert_true(itest_status_field(s, "vblanks") > vblanks + 5);
    (void)sim_mmio_read(s, 0, REG(0x2034), 4);  /* i915's flush: nothing bound */
    sim_mmio_write(s, 0, REG(0x101008), 4, 1);
    assert_int_equal(sim_state(s)->dirty_calls, calls);
    bind_fb(s, BAR0_ADDR);
    assert_true(sim_state(s)->dirty_calls > calls);
    /* Bound: the console's stores reach its page at the next sync. */
    sim_mmio_write(s, 0, BAR2_ADDR + 4096 + 8, 4, 0x00abcdef);
    (void)sim_mmio_read(s, 0, REG(0x2034), 4);
    assert_int_equal(fb_page(s, 1)[2], 0x00abcdef);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* GVTg_V5_1's 512 MiB aperture BAR does not fit hvmloader's hole below
 * 4 GiB: it goes above, where the slice's frames wait, parked right above
 * the guest's memory. Moving them onto an overlapping place steps aside
 * first (above both), and they land whole. */
static void test_big_slice_placed_over_its_parking(void **state)
{
    (void)state;
    static const char *const v51[] = { "--type", "GVTg_V5_1", NULL };
    struct sim *s = itest_start("aperture_v5_1", (struct sim_opts){ .args = v51,
                                                                    .ram_bytes = 64u << 20 });
    /* hvmloader's first 64-bit place: 4 GiB, inside the parked frames
     * (the guest's highest frames are its special pages below 4 GiB). */
    const uint64_t bar2 = 1ull << 32;
    sim_cfg_write(s, 0, VGPU_SBDF, 0x10, 4, (uint32_t)BAR0_ADDR);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x14, 4, (uint32_t)(BAR0_ADDR >> 32));
    sim_cfg_write(s, 0, VGPU_SBDF, 0x18, 4, (uint32_t)bar2 | 0xc);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x1c, 4, (uint32_t)(bar2 >> 32));
    sim_cfg_write(s, 0, VGPU_SBDF, 0x04, 2, 0x6);
    assert_int_equal(itest_status_field(s, "aperture_in_ram"), 1);
    assert_int_equal(itest_status_field(s, "bar2"), (long long)bar2);
    assert_non_null(sim_phys(s, bar2));
    assert_non_null(sim_phys(s, bar2 + (512u << 20) - 1));
    /* Bound and stored through: the page gets it at the next sync. */
    sim_mmio_write(s, 0, BAR0_ADDR + (8u << 20) + 8 * 7, 8, FB_GPA | 1);
    sim_mmio_write(s, 0, REG(0x101008), 4, 1);
    sim_mmio_write(s, 0, bar2 + 7 * 4096 + 16, 4, 0x00beef00);
    (void)sim_mmio_read(s, 0, REG(0x2034), 4);
    assert_int_equal(fb_page(s, 0)[4], 0x00beef00);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* A live migration's last step: the guest suspended, libxl asks for the
 * device state, then takes its final copy of the dirty pages. The save's
 * own sync writes the aperture's stores out to the pages their entries
 * name: with the dirty log on, those pages are reported (the daemon does it
 * before it answers; from here that cannot be told apart from the end of
 * the same loop round, which is a moment later). */
static void test_save_reports_what_its_sync_wrote(void **state)
{
    (void)state;
    struct sim *s = start("aperture_ram_dirty", NULL);
    bind_fb(s, BAR0_ADDR);
    char line[1024];
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":true}", line,
                                 sizeof(line), NULL, NULL), 0);
    (void)itest_status_field(s, "dirty_log"); /* the enable's round is over */
    uint32_t since = sim_modified_count(s);
    sim_mmio_write(s, 0, BAR2_ADDR + 2 * 4096 + 12, 4, 0x0badf00d); /* plain RAM: no trap */
    void *blob = NULL;
    size_t blen = 0;
    assert_int_equal(sim_control(s, "{\"cmd\":\"save\"}", line, sizeof(line), &blob, &blen), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    free(blob);
    assert_int_equal(fb_page(s, 2)[3], 0x0badf00d);
    assert_true(sim_modified(s, (FB_GPA >> 12) + 2, since));
    assert_false(sim_modified(s, (FB_GPA >> 12) + 1, since)); /* untouched */
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_console_through_the_aperture),
        cmocka_unit_test(test_follows_bar2_and_rebinding),
        cmocka_unit_test(test_save_restore_keeps_it),
        cmocka_unit_test(test_save_reports_what_its_sync_wrote),
        cmocka_unit_test(test_idle_slice_costs_no_harvest),
        cmocka_unit_test(test_big_slice_placed_over_its_parking),
    };
    return cmocka_run_group_tests_name("aperture_ram", tests, NULL, NULL);
}
