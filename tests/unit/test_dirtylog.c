/* The dirty log against a fake libxendevicemodel that checks extents as
 * Xen 4.17 does (xen/arch/x86/hvm/dm.c:153-160: the domain's highest gfn
 * itself is refused) and buffers as Linux's privcmd does (4 KiB at most),
 * and records the pages it took.
 *
 * Link with src/ioreq/dirtylog.c, src/common/log.c and the fake
 * (fake_dm_dirty.c) only. */
#include "config.h"
#include "ioreq/dirtylog.h"
#include "fake_dm_dirty.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define DOMID FAKE_DM_DOMID

static struct dirtylog *dl;

static int setup(void **state)
{
    (void)state;
    memset(&fake, 0, sizeof(fake));
    assert_int_equal(dirtylog_new(DMOD, DOMID, &dl), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dirtylog_free(dl);
    dl = NULL;
    return 0;
}

static struct dirtylog_stats stats(void)
{
    struct dirtylog_stats st;
    dirtylog_get_stats(dl, &st);
    return st;
}

static void test_off_keeps_nothing(void **state)
{
    (void)state;
    dirtylog_mark(dl, 0x5000, 4096);
    assert_int_equal(stats().pending, 0);
    assert_int_equal(dirtylog_flush(dl), 0);
    assert_int_equal(fake.calls, 0);
}

/* Pages once each, whatever the writes' sizes and overlaps; one dm_op. */
static void test_dedupes_and_merges(void **state)
{
    (void)state;
    dirtylog_enable(dl, true);
    dirtylog_mark(dl, 0x5ffc, 8);          /* pages 5 and 6 */
    dirtylog_mark(dl, 0x6000, 4);          /* 6 again */
    dirtylog_mark(dl, 0x9000, 3 * 4096);   /* 9, a, b */
    dirtylog_mark(dl, 0x7010, 1);          /* 7: 5..7 is one run */
    dirtylog_mark(dl, 0x1234000, 0);       /* nothing */
    assert_int_equal(stats().pending, 6);
    assert_int_equal(dirtylog_flush(dl), 0);
    assert_int_equal(fake.calls, 1);
    assert_int_equal(fake.pages, 6); /* 5, 6, 7, 9, a, b: two extents */
    for (uint64_t g = 0; g < 16; g++)
        assert_int_equal(fake.taken[g], (g >= 5 && g <= 7) || (g >= 9 && g <= 0xb));
    assert_int_equal(stats().reported, 6);
    assert_int_equal(stats().pending, 0);
    /* Reported once: a second flush has nothing to say. */
    assert_int_equal(dirtylog_flush(dl), 0);
    assert_int_equal(fake.calls, 1);
}

/* More runs than one buffer holds: one dm_op per 256 extents; a set grown
 * past its first table keeps every page. */
static void test_many_extents(void **state)
{
    (void)state;
    dirtylog_enable(dl, true);
    for (uint64_t i = 0; i < 3000; i++)
        dirtylog_mark(dl, 0x10000000ull + i * 2 * 4096, 4096); /* every other page */
    assert_int_equal(stats().pending, 3000);
    assert_int_equal(dirtylog_flush(dl), 0);
    assert_int_equal(fake.refused, 0);
    assert_int_equal(fake.calls, (3000 + DIRTYLOG_EXTENTS_PER_OP - 1) / DIRTYLOG_EXTENTS_PER_OP);
    assert_int_equal(fake.pages, 3000);
    assert_int_equal(stats().dm_ops, fake.calls);
    /* And small again afterwards. */
    dirtylog_mark(dl, 0x3000, 1);
    assert_int_equal(dirtylog_flush(dl), 0);
    assert_int_equal(fake.taken[3], 1);
}

/* Xen refuses an extent that ends on the domain's highest gfn: its other
 * pages, and the other extents of the batch, are still reported; the one
 * page is lost, and said to be. */
static void test_top_gfn_refused(void **state)
{
    (void)state;
    dirtylog_enable(dl, true);
    dirtylog_mark(dl, 0x2000, 4096);
    dirtylog_mark(dl, (MAX_GFN - 2) << 12, 3 * 4096); /* up to MAX_GFN itself */
    assert_int_equal(dirtylog_flush(dl), -EINVAL);
    assert_int_equal(fake.taken[2], 1);
    assert_int_equal(fake.taken[MAX_GFN - 2], 1);
    assert_int_equal(fake.taken[MAX_GFN - 1], 1);
    assert_int_equal(fake.taken[MAX_GFN], 0);
    assert_int_equal(stats().lost, 1);
    assert_int_equal(stats().reported, 3);
    /* A new migration starts with nothing lost. */
    dirtylog_enable(dl, false);
    assert_int_equal(stats().lost, 1);
    dirtylog_enable(dl, true);
    assert_int_equal(stats().lost, 0);
}

static void test_all_refused_and_off_drops(void **state)
{
    (void)state;
    dirtylog_enable(dl, true);
    fake.refuse_all = true;
    dirtylog_mark(dl, 0x4000, 2 * 4096);
    assert_int_equal(dirtylog_flush(dl), -EINVAL);
    assert_int_equal(stats().lost, 2);
    assert_int_equal(stats().reported, 0);
    fake.refuse_all = false;
    /* Off: what is pending goes, unreported. */
    dirtylog_mark(dl, 0x8000, 1);
    dirtylog_enable(dl, false);
    assert_int_equal(stats().pending, 0);
    unsigned calls = fake.calls;
    assert_int_equal(dirtylog_flush(dl), 0);
    assert_int_equal(fake.calls, calls);
    assert_false(stats().enabled);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_off_keeps_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedupes_and_merges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_extents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_top_gfn_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_refused_and_off_drops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
