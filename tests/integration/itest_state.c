/* Device state through the real daemon: pause/resume, save mid-workload,
 * restore into a new daemon serving another domain (the guest's memory
 * carried over as migration does), and refusal of bad state files before
 * the domain is touched. */
#include "gpu_guest.h"

#include <sys/wait.h>

#define PW 640u
#define PH 480u
#define SURF_GADDR 0x800000u      /* after the linear 8 MiB */
#define SURF_GPA 0x3000000ull

static uint32_t px(uint32_t x, uint32_t y) { return (x * 3) << 16 | (y * 5) << 8 | (x ^ y); }

static void setup_display(struct gg *g)
{
    uint8_t *ram = g->ram;
    for (uint32_t y = 0; y < PH; y++)
        for (uint32_t x = 0; x < PW; x++) {
            uint32_t v = px(x, y) & 0xffffff;
            memcpy(ram + SURF_GPA + (size_t)y * PW * 4 + x * 4, &v, 4);
        }
    for (uint32_t i = 0; i < PW * PH * 4 / 4096; i++)
        sim_mmio_write(g->s, 0, BAR0_ADDR + (8u << 20) + 8u * (SURF_GADDR / 4096 + i), 8,
                       (SURF_GPA + 4096ull * i) | 1);
    gg_write(g, 0x6001c, (PW - 1) << 16 | (PH - 1));
    gg_write(g, 0x70188, PW * 4 / 64);
    gg_write(g, 0x70180, 1u << 31 | 4u << 24);
    itest_flip(g->s, SURF_GADDR);
}

static void *frame(struct sim *s, size_t *len)
{
    char line[1024];
    void *data = NULL;
    assert_int_equal(sim_control(s, "{\"cmd\":\"frame\"}", line, sizeof(line), &data, len), 0);
    assert_non_null(strstr(line, "\"blank\":false"));
    return data;
}

static const char *state_file(const char *name)
{
    static char path[512];
    const char *dir = getenv("XENGVT_TEST_LOGDIR");
    snprintf(path, sizeof(path), "%s/%s.state", dir ? dir : "/tmp", name);
    return path;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* A long submission in flight on RCS: 3M stores (12M dwords) behind
 * second-level calls. Stores, not MI_NOOPs: the command streamer runs
 * NOOPs at memory speed (12M in ~20 ms), over before the test looks. */
static void start_long_work(struct gg *g)
{
    uint32_t *leaf = gg_ga(g, GG_BATCH + 0x10000);
    for (unsigned i = 0; i + 4 < 4096; i += 4) {
        leaf[i] = MI_STORE_DWORD_IMM_GGTT;
        leaf[i + 1] = GG_SEQNO + 0x800;
        leaf[i + 2] = 0;
        leaf[i + 3] = i;
    }
    leaf[4092] = MI_NOOP;
    leaf[4093] = MI_NOOP;
    leaf[4094] = MI_NOOP;
    leaf[4095] = MI_BATCH_BUFFER_END;
    uint32_t *first = gg_ga(g, GG_BATCH);
    for (unsigned i = 0; i < 2900; i++) {
        first[3 * i] = MI_BB_START_GGTT | MI_BB_SECOND_LEVEL;
        first[3 * i + 1] = GG_BATCH + 0x10000;
        first[3 * i + 2] = 0;
    }
    first[3 * 2900] = MI_BATCH_BUFFER_END;
    uint32_t *ring = gg_ga(g, GG_RING(GG_RCS, 0));
    const uint32_t cmds[] = { MI_BB_START_GGTT, GG_BATCH, 0,
                              MI_STORE_DWORD_IMM_GGTT, GG_SEQNO, 0, 0x600d,
                              MI_USER_INTERRUPT };
    memcpy(ring, cmds, sizeof(cmds));
    gg_ctx_init(g, GG_RCS, GG_CTX(GG_RCS, 0), GG_RING(GG_RCS, 0), 0, sizeof(cmds));
    gg_submit(g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), 5), 0);
}

static void test_save_restore_migrate(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = itest_start("state_src", (struct sim_opts){ .ram_bytes = 64u << 20 });
    gg_init(&g, s);
    gg_ppgtt_build(&g);
    setup_display(&g);
    gg_write(&g, 0x2000 + 0xa8, 0xfffffe00u); /* RING_IMR */
    gg_write(&g, 0x4f000, 0x12345678u);       /* plain register storage */
    size_t flen;
    void *before = frame(s, &flen);

    start_long_work(&g);
    uint32_t st[2] = { 0 }, id[2] = { 0 };
    assert_true(gg_wait_csb(&g, GG_RCS, 1, st, id, 5000));
    assert_int_equal(st[0], 1u); /* idle -> active: it runs */
    char line[1024];
    void *blob = NULL;
    size_t blen = 0;
    assert_int_equal(sim_control(s, "{\"cmd\":\"save\"}", line, sizeof(line), &blob, &blen), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    assert_true(blen > 1000);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 0); /* quiesced before the end */
    uint32_t ptr = gg_read(&g, 0x2000 + 0x3a0);
    uint64_t ggtt5 = sim_mmio_read(s, 0, BAR0_ADDR + (8u << 20) + 8 * 5, 8);
    /* The source goes away hard; its memory travels with the guest. */
    void *ram = malloc(64u << 20);
    memcpy(ram, g.ram, 64u << 20);
    void *physmap = NULL; /* the GGTT's RAM is guest memory too */
    size_t physmap_len = 0;
    assert_int_equal(sim_physmap_save(s, &physmap, &physmap_len), 0);
    assert_true(physmap_len > 8u << 20);
    kill(sim_daemon_pid(s), SIGKILL);
    sim_stop(s);

    const char *file = state_file("migrate");
    write_file(file, blob, blen);
    const char *args[] = { "--restore", file, NULL };
    struct sim *d = itest_start("state_dst", (struct sim_opts){ .ram_bytes = 64u << 20,
                                                                .domid = 9, .args = args,
                                                                .ram_image = ram,
                                                                .ram_image_len = 64u << 20,
                                                                .physmap_image = physmap,
                                                                .physmap_image_len = physmap_len });
    free(ram);
    free(physmap);
    struct gg h = g;
    h.s = d;
    h.ram = sim_ram(d);
    /* No firmware this time: the BARs are where the guest left them. */
    assert_true(sim_claimed(d, SIM_RANGE_MMIO, BAR0_ADDR));
    assert_int_equal(gg_read(&h, 0x2000 + 0xa8), 0xfffffe00u);
    assert_int_equal(gg_read(&h, 0x4f000), 0x12345678u);
    assert_int_equal(gg_read(&h, 0x2000 + 0x3a0), ptr);
    assert_int_equal(sim_mmio_read(d, 0, BAR0_ADDR + (8u << 20) + 8 * 5, 8), ggtt5);
    /* The GGTT's RAM came with the guest's memory: found where the guest
     * left it, not populated a second time, still memory. */
    assert_int_equal(sim_state(d)->populate_calls, 0);
    assert_int_equal(sim_state(d)->relocations, 0);
    assert_false(sim_claimed(d, SIM_RANGE_MMIO, BAR0_ADDR + (8u << 20)));
    size_t flen2;
    void *after = frame(d, &flen2);
    assert_int_equal(flen2, flen);
    assert_memory_equal(after, before, flen);
    free(after);
    free(before);
    /* The submission in flight finishes in the new daemon. */
    assert_true(gg_wait_csb(&h, GG_RCS, 1, st, id, 10000));
    assert_int_equal(st[0], 0x18u); /* complete | active -> idle */
    assert_int_equal(id[0], 5);
    assert_int_equal(gg_ga(&h, GG_SEQNO)[0], 0x600d);
    /* And the next one too. */
    uint32_t *ring = gg_ga(&h, GG_RING(GG_RCS, 1));
    const uint32_t cmds[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO + 4, 0, 0x7e57 };
    memcpy(ring, cmds, sizeof(cmds));
    gg_ctx_init(&h, GG_RCS, GG_CTX(GG_RCS, 1), GG_RING(GG_RCS, 1), 0, sizeof(cmds));
    gg_submit(&h, GG_RCS, gg_desc(GG_CTX(GG_RCS, 1), 6), 0);
    assert_true(gg_wait_csb(&h, GG_RCS, 2, st, id, 5000));
    assert_int_equal(st[1], 0x18u);
    assert_int_equal(gg_ga(&h, GG_SEQNO)[1], 0x7e57);
    assert_int_equal(WEXITSTATUS(sim_stop(d)), 0);

    /* Refusals: each exits 5 before the domain is touched. */
    struct { const char *name; size_t len; size_t flip; uint32_t version; const char *args2;
             const char *log; } bad[] = {
        { "corrupt", blen, blen / 2, 0, NULL, "checksum mismatch" },
        { "truncated", blen - 100, 0, 0, NULL, "truncated" },
        { "future", blen, 0, 2, NULL, "unknown version" },
        { "othertype", blen, 0, 0, "GVTg_V5_8", "another type" },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t *copy = malloc(blen);
        memcpy(copy, blob, blen);
        if (bad[i].flip)
            copy[bad[i].flip] ^= 0x40;
        if (bad[i].version)
            copy[8] = (uint8_t)bad[i].version;
        const char *f = state_file(bad[i].name);
        write_file(f, copy, bad[i].len);
        free(copy);
        const char *a[] = { "--restore", f, "--type", bad[i].args2 ? bad[i].args2 : "GVTg_V5_4",
                            NULL };
        const char *log = itest_log_path(bad[i].name);
        struct sim *x = sim_start(&(struct sim_opts){ .args = a, .log_path = log,
                                                      .no_wait_ready = true, .domid = 9 });
        assert_non_null(x);
        int status = sim_wait_exit(x, 10000);
        if (WEXITSTATUS(status) != 5)
            fail_msg("%s: exit status %d, expected 5", bad[i].name, WEXITSTATUS(status));
        assert_int_equal(sim_state(x)->server_created, 0);
        sim_stop(x);
        if (!itest_log_contains(log, bad[i].log))
            fail_msg("%s: log has no '%s'", bad[i].name, bad[i].log);
    }
    free(blob);
}

/* Paused: no vblank, no execution; resumed: both again. */
static void test_pause_resume(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = itest_start("state_pause", (struct sim_opts){ .ram_bytes = 64u << 20 });
    gg_init(&g, s);
    char line[1024];
    assert_int_equal(sim_control(s, "{\"cmd\":\"pause\"}", line, sizeof(line), NULL, NULL), 0);
    uint32_t f0 = gg_read(&g, 0x70040);
    const uint32_t cmds[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO, 0, 0x1234 };
    memcpy(gg_ga(&g, GG_RING(GG_RCS, 0)), cmds, sizeof(cmds));
    gg_ctx_init(&g, GG_RCS, GG_CTX(GG_RCS, 0), GG_RING(GG_RCS, 0), 0, sizeof(cmds));
    gg_submit(&g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), 1), 0);
    usleep(100 * 1000);
    assert_int_equal(gg_read(&g, 0x70040), f0);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 0);
    assert_int_equal(sim_control(s, "{\"cmd\":\"resume\"}", line, sizeof(line), NULL, NULL), 0);
    uint32_t st[2] = { 0 }, id[2] = { 0 };
    assert_true(gg_wait_csb(&g, GG_RCS, 2, st, id, 5000));
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 0x1234);
    usleep(100 * 1000);
    assert_true(gg_read(&g, 0x70040) > f0);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* i915 reads the whole EDID at probe: the DDC pointer then stands past
 * the 128-byte block (it wraps on use). A state saved then restores (found
 * by a real guest under Xen: the restore refused it as malformed). */
static void test_restore_after_an_edid_read(void **state)
{
    (void)state;
    struct sim *s = itest_start("state_edid", (struct sim_opts){ .ram_bytes = 64u << 20 });
    itest_place_bars(s, false);
    sim_mmio_write(s, 0, BAR0_ADDR + 0xc5100, 4, 6); /* GMBUS pin pair D */
    sim_mmio_write(s, 0, BAR0_ADDR + 0xc5104, 4, 1u << 30 | 3u << 25 | 128u << 16 | 0x50u << 1 | 1);
    for (unsigned i = 0; i < 128; i += 4)
        sim_mmio_read(s, 0, BAR0_ADDR + 0xc510c, 4);
    char line[1024];
    void *blob = NULL;
    size_t blen = 0;
    assert_int_equal(sim_control(s, "{\"cmd\":\"save\"}", line, sizeof(line), &blob, &blen), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    void *physmap = NULL;
    size_t physmap_len = 0;
    assert_int_equal(sim_physmap_save(s, &physmap, &physmap_len), 0);
    void *ram = malloc(64u << 20);
    memcpy(ram, sim_ram(s), 64u << 20);
    sim_stop(s);
    const char *file = state_file("edid");
    write_file(file, blob, blen);
    free(blob);
    const char *args[] = { "--restore", file, NULL };
    const char *log = itest_log_path("state_edid_dst");
    struct sim *d = sim_start(&(struct sim_opts){ .ram_bytes = 64u << 20, .domid = 9,
                                                  .args = args, .log_path = log,
                                                  .ram_image = ram, .ram_image_len = 64u << 20,
                                                  .physmap_image = physmap,
                                                  .physmap_image_len = physmap_len });
    free(ram);
    free(physmap);
    if (!d)
        fail_msg("the restored daemon did not start: %s",
                 itest_log_contains(log, "refused") ? "state refused" : "see its log");
    /* The next EDID read starts where the pointer wrapped to: byte 0. */
    sim_mmio_write(d, 0, BAR0_ADDR + 0xc5104, 4, 1u << 31);
    sim_mmio_write(d, 0, BAR0_ADDR + 0xc5100, 4, 6);
    sim_mmio_write(d, 0, BAR0_ADDR + 0xc5104, 4, 1u << 30 | 3u << 25 | 4u << 16 | 0x50u << 1 | 1);
    assert_int_equal((uint32_t)sim_mmio_read(d, 0, BAR0_ADDR + 0xc510c, 4), 0xffffff00u);
    assert_int_equal(WEXITSTATUS(sim_stop(d)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_restore_migrate),
        cmocka_unit_test(test_restore_after_an_edid_read),
        cmocka_unit_test(test_pause_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
