/* The GGTT as guest RAM behind BAR0 + 8 MiB: populated by the daemon,
 * written by the guest with plain stores (no ioreq), read by the daemon at
 * use, moved with BAR0, kept across save/restore, and trapped again when
 * Xen refuses the RAM or its move. The guest is hostile: entries it
 * rewrites or points anywhere give its own pages or the scratch page. */
#include "itest.h"

#include <pthread.h>
#include <sys/wait.h>

#define GGTT (BAR0_ADDR + (8u << 20))
#define REG(off) (BAR0_ADDR + (off))
#define PAGE_A 0x00101000ull
#define PAGE_B 0x00102000ull


/* A plain guest store to the table: memory, never an ioreq. */
static void ggtt_store(struct sim *s, uint64_t bar0, uint32_t idx, uint64_t entry)
{
    uint64_t *e = sim_phys(s, bar0 + (8u << 20) + 8ull * idx);
    assert_non_null(e);
    __atomic_store_n(e, entry, __ATOMIC_RELAXED);
}

/* These tests read what the entries name back through the aperture, and
 * need each read to go through the entry as it is at that moment: the
 * trapped aperture. (The default, RAM-backed, follows the entries at sync
 * points: itest_aperture_ram.) */
static const char *const trapped_aperture[] = { "--aperture-ram=0", NULL };

static void test_plain_stores_are_used(void **state)
{
    (void)state;
    const char *log = itest_log_path("ggtt_ram");
    struct sim *s = itest_start("ggtt_ram", (struct sim_opts){ .log_path = log,
                                                       .args = trapped_aperture });
    itest_place_bars(s, false);
    assert_int_equal(itest_status_field(s, "ggtt_in_ram"), 1);
    assert_int_equal(itest_status_field(s, "ggtt_ram_gfn"), (long long)(GGTT >> 12));
    /* Only the register half is claimed; the table is RAM. */
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, GGTT - 4));
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, GGTT));
    /* The guest's memory limit made room for the 2048 frames (its own RAM
     * untouched: 16384 frames + Xen's 256 of slack were the limit). */
    assert_true(sim_state(s)->max_pages >= (64u << 20) / 4096 * 4 + 2048);
    assert_true(itest_log_contains(log, "memory limit raised"));

    /* i915's clear: thousands of 8-byte stores at memory speed. */
    uint64_t traps0 = (uint64_t)itest_status_field(s, "ioreq_mmio");
    for (uint32_t i = 0; i < 4096; i++)
        sim_mmio_write(s, 0, GGTT + 8ull * i, 8, 0);
    assert_int_equal((uint64_t)itest_status_field(s, "ioreq_mmio"), traps0 + 0);
    assert_true(sim_state(s)->ram_stores >= 4096);

    /* Entries stored plainly are what the aperture (still trapped) and the
     * scanout use. */
    uint8_t *ram = sim_ram(s);
    memcpy(ram + PAGE_A, "page-one", 8);
    ggtt_store(s, BAR0_ADDR, 1, PAGE_A | 1);
    assert_true(sim_mmio_read(s, 0, BAR2_ADDR + 4096, 8) == *(uint64_t *)"page-one");
    sim_mmio_write(s, 0, BAR2_ADDR + 4096 + 4, 4, 0x21212121);
    assert_memory_equal(ram + PAGE_A + 4, "!!!!", 4);
    /* A 64x64 XRGB linear plane at graphics address 0x100000 (4 pages of
     * 16 rows). */
    for (uint32_t i = 0; i < 4; i++) {
        ggtt_store(s, BAR0_ADDR, 0x100 + i, (0x00400000ull + 4096ull * i) | 1);
        memset(ram + 0x00400000 + 4096ull * i, 0x40 + (int)i, 4096);
    }
    sim_mmio_write(s, 0, REG(0x6001c), 4, 63u << 16 | 63); /* PIPESRC */
    sim_mmio_write(s, 0, REG(0x70188), 4, 4);              /* stride 256 bytes */
    sim_mmio_write(s, 0, REG(0x70180), 4, 1u << 31 | 4u << 24);
    itest_flip(s, 0x100000);
    char line[1024];
    void *px = NULL;
    size_t len = 0;
    assert_int_equal(sim_control(s, "{\"cmd\":\"frame\"}", line, sizeof(line), &px, &len), 0);
    assert_int_equal(len, 64u * 64 * 4);
    const uint32_t *p = px;
    assert_int_equal(p[0] & 0xffffff, 0x404040);            /* row 0: page 0 */
    assert_int_equal(p[16 * 64] & 0xffffff, 0x414141);       /* row 16: page 1 */
    assert_int_equal(p[63 * 64 + 63] & 0xffffff, 0x434343);  /* row 63: page 3 */
    free(px);
    assert_int_equal(itest_status_field(s, "trap_ggtt"), 0);
    assert_true(itest_status_field(s, "trap_aperture") >= 2);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void move_bar0(struct sim *s, uint64_t to)
{
    sim_cfg_write(s, 0, VGPU_SBDF, 0x04, 2, 0x4); /* decode off, as an OS moving it */
    sim_cfg_write(s, 0, VGPU_SBDF, 0x10, 4, (uint32_t)to);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x14, 4, (uint32_t)(to >> 32));
    sim_cfg_write(s, 0, VGPU_SBDF, 0x04, 2, 0x6);
}

static void test_follows_bar0(void **state)
{
    (void)state;
    const char *log = itest_log_path("ggtt_ram_move");
    struct sim *s = itest_start("ggtt_ram_move", (struct sim_opts){ .log_path = log,
                                                       .args = trapped_aperture });
    itest_place_bars(s, false);
    memcpy((uint8_t *)sim_ram(s) + PAGE_B, "page-two", 8);
    ggtt_store(s, BAR0_ADDR, 2, PAGE_B | 1);
    ggtt_store(s, BAR0_ADDR, 2047, 0xabcdef000ull | 1);
    const uint64_t to = 0xd1000000ull;
    move_bar0(s, to);
    assert_int_equal(itest_status_field(s, "ggtt_ram_gfn"), (long long)((to + (8u << 20)) >> 12));
    assert_int_equal(itest_status_field(s, "ggtt_ram_moves"), 2); /* firmware's place, then here */
    /* The table moved whole: the guest reads its entries at the new place,
     * nothing is left at the old one, and the daemon still uses them. */
    assert_null(sim_phys(s, GGTT));
    assert_true(sim_mmio_read(s, 0, to + (8u << 20) + 16, 8) == (PAGE_B | 1));
    assert_true(sim_mmio_read(s, 0, to + (8u << 20) + 8 * 2047, 8) == (0xabcdef000ull | 1));
    assert_true(sim_mmio_read(s, 0, BAR2_ADDR + 2 * 4096, 8) == *(uint64_t *)"page-two");
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, to));
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, BAR0_ADDR));
    /* Decode off: the frames stay (nothing to move to). */
    sim_cfg_write(s, 0, VGPU_SBDF, 0x04, 2, 0x4);
    assert_non_null(sim_phys(s, to + (8u << 20)));

    /* Xen refuses a move: the table's half of BAR0 traps at the new place
     * and stores still reach the same frames. */
    sim_state(s)->refuse_relocate = 1;
    const uint64_t to2 = 0xd3000000ull;
    move_bar0(s, to2);
    assert_true(itest_log_contains(log, "could not follow BAR0"));
    assert_int_equal(itest_status_field(s, "ggtt_in_ram"), 0);
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, to2 + (8u << 20)));
    sim_mmio_write(s, 0, to2 + (8u << 20) + 8 * 3, 8, PAGE_B | 1);
    assert_true(sim_mmio_read(s, 0, to2 + (8u << 20) + 16, 8) == (PAGE_B | 1));
    assert_true(sim_mmio_read(s, 0, BAR2_ADDR + 3 * 4096, 8) == *(uint64_t *)"page-two");
    assert_true(itest_status_field(s, "trap_ggtt") >= 2);
    /* Allowed again: back to RAM, entries kept. */
    sim_state(s)->refuse_relocate = 0;
    move_bar0(s, BAR0_ADDR);
    assert_int_equal(itest_status_field(s, "ggtt_in_ram"), 1);
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, GGTT));
    assert_true(*(uint64_t *)sim_phys(s, GGTT + 8 * 3) == (PAGE_B | 1));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_no_room_keeps_it_trapped(void **state)
{
    (void)state;
    const char *log = itest_log_path("ggtt_ram_refused");
    struct sim *s = itest_start("ggtt_ram_refused",
                                (struct sim_opts){ .log_path = log, .refuse_populate = true });
    itest_place_bars(s, false);
    assert_true(itest_log_contains(log, "GGTT trapped: 8 MiB of RAM could not be added"));
    assert_int_equal(itest_status_field(s, "ggtt_in_ram"), 0);
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, GGTT));
    memcpy((uint8_t *)sim_ram(s) + PAGE_A, "page-one", 8);
    sim_mmio_write(s, 0, GGTT + 8, 8, PAGE_A | 1);
    assert_true(sim_mmio_read(s, 0, GGTT + 8, 8) == (PAGE_A | 1));
    assert_true(sim_mmio_read(s, 0, BAR2_ADDR + 4096, 8) == *(uint64_t *)"page-one");
    assert_int_equal(itest_status_field(s, "trap_ggtt"), 2);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

struct flipper {
    uint64_t *entry;
    volatile bool stop;
    unsigned flips;
};

static void *flip_entry(void *arg)
{
    struct flipper *f = arg;
    static const uint64_t values[] = { PAGE_A | 1, 0x7fff000000ull | 1, PAGE_B | 1, 0,
                                       (GGTT & ~0xfffull) | 1 };
    while (!f->stop) {
        __atomic_store_n(f->entry, values[f->flips % 5], __ATOMIC_RELAXED);
        f->flips++;
    }
    return NULL;
}

/* Entries outside guest memory, outside the slices, or rewritten while
 * the daemon uses them: the guest gets its own pages or the scratch page,
 * never anything else, and the daemon keeps serving. */
static void test_hostile_entries(void **state)
{
    (void)state;
    const char *log = itest_log_path("ggtt_ram_hostile");
    struct sim *s = itest_start("ggtt_ram_hostile", (struct sim_opts){ .log_path = log,
                                                       .args = trapped_aperture });
    itest_place_bars(s, false);
    uint8_t *ram = sim_ram(s);
    memcpy(ram + PAGE_A, "AAAAAAAA", 8);
    memcpy(ram + PAGE_B, "BBBBBBBB", 8);
    /* Outside guest memory: scratch (reads 0, writes vanish), logged. */
    ggtt_store(s, BAR0_ADDR, 4, 0x7fff000000ull | 1);
    assert_int_equal(sim_mmio_read(s, 0, BAR2_ADDR + 4 * 4096, 8), 0);
    sim_mmio_write(s, 0, BAR2_ADDR + 4 * 4096, 4, 0x55);
    assert_true(itest_log_contains(log, "hits the scratch page"));
    /* Outside the slices (192 MiB: between the aperture slice and the
     * BAR's end): the entry is the guest's to write in its RAM, but never
     * used. */
    uint32_t gap = (192u << 20) >> 12;
    ggtt_store(s, BAR0_ADDR, gap, PAGE_A | 1);
    assert_int_equal(sim_mmio_read(s, 0, BAR2_ADDR + (192ull << 20), 8), 0);
    assert_int_equal(itest_status_field(s, "ggtt_in_ram"), 1);
    /* An entry pointing at the table itself: the guest's own RAM. */
    ggtt_store(s, BAR0_ADDR, 5, (GGTT & ~0xfffull) | 1);
    assert_true(sim_mmio_read(s, 0, BAR2_ADDR + 5 * 4096 + 8 * 4, 8) == (0x7fff000000ull | 1));

    /* Rewritten as fast as the guest can while the daemon reads through
     * it: every answer is page A's, page B's, the table's or scratch. */
    struct flipper f = { .entry = sim_phys(s, GGTT + 8 * 6) };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, flip_entry, &f), 0);
    uint64_t table0 = *(uint64_t *)sim_phys(s, GGTT);
    unsigned seen_a = 0, seen_b = 0, seen_zero = 0;
    for (int i = 0; i < 3000; i++) {
        uint64_t v = sim_mmio_read(s, 0, BAR2_ADDR + 6 * 4096, 8);
        if (v == *(uint64_t *)"AAAAAAAA")
            seen_a++;
        else if (v == *(uint64_t *)"BBBBBBBB")
            seen_b++;
        else if (v == 0 || v == table0)
            seen_zero++;
        else
            fail_msg("read %#llx through a rewritten entry", (unsigned long long)v);
    }
    f.stop = true;
    pthread_join(t, NULL);
    assert_true(f.flips > 1000);
    assert_true(seen_a + seen_b + seen_zero == 3000);
    assert_true(sim_daemon_running(s));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_stores_are_used),
        cmocka_unit_test(test_follows_bar0),
        cmocka_unit_test(test_no_room_keeps_it_trapped),
        cmocka_unit_test(test_hostile_entries),
    };
    return cmocka_run_group_tests_name("ggtt_ram", tests, NULL, NULL);
}
