/* The map cache against a fake xenforeignmemory (tests/harness/
 * fake_fmem.c): guest RAM is a memfd every mapping aliases, and a refused
 * page stays PROT_NONE, so touching one crashes the test as it would
 * SIGBUS the daemon.
 *
 * Link with src/ioreq/guestmem.c, src/common/log.c and the fake only. */
#include "config.h"
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* memfd_create */
#endif

#include "ioreq/guestmem.h"
#include "common/log.h"
#include "fake_fmem.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#define PAGE ((size_t)GMEM_PAGE_SIZE)
#define BPAGES ((size_t)GMEM_BUCKET_PAGES)
#define BUCKET ((uint64_t)BPAGES * PAGE)
/* Twelve whole buckets of RAM and eight pages of a thirteenth, so that
 * bucket 12 is partly RAM and partly nothing. */
#define RAM_PAGES (12 * BPAGES + 8)
#define RAM_BYTES ((uint64_t)RAM_PAGES * PAGE)
/* A page inside RAM that the hypervisor refuses (an MMIO hole, say). */
#define HOLE_PFN (2 * BPAGES + 5)
#define DOMID 7u
static struct gmem *gm;

static bool bucket_live(uint64_t bucket)
{
    for (unsigned i = 0; i < fake_fmem.nlive; i++)
        if (fake_fmem.live[i].first == bucket * BPAGES)
            return true;
    return false;
}

/* What RAM holds at `gpa` until somebody writes there. */
static uint8_t pattern(uint64_t gpa)
{
    return (uint8_t)(gpa * 131 + (gpa >> 12) * 7 + 1);
}

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 17 + seed * 29 + 3);
}

static void expect_pattern(const uint8_t *buf, uint64_t gpa, size_t len)
{
    for (size_t i = 0; i < len; i++)
        assert_int_equal(buf[i], pattern(gpa + i));
}

static struct gmem_stats stats(void)
{
    struct gmem_stats s;
    gmem_get_stats(gm, &s);
    return s;
}

static void new_gmem(unsigned max_buckets)
{
    assert_int_equal(gmem_new(FMEM, DOMID, max_buckets, &gm), 0);
}

static int setup(void **state)
{
    (void)state;
    memset(&fake_fmem, 0, sizeof(fake_fmem));
    fake_fmem.domid = DOMID;
    fake_fmem.ram_pages = RAM_PAGES;
    fake_fmem.hole_pfn = HOLE_PFN;
    fake_fmem.fd = memfd_create("guest-ram", MFD_CLOEXEC);
    if (fake_fmem.fd < 0 || ftruncate(fake_fmem.fd, (off_t)RAM_BYTES) < 0)
        return -1;
    fake_fmem.ram = mmap(NULL, RAM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
                    fake_fmem.fd, 0);
    if (fake_fmem.ram == MAP_FAILED)
        return -1;
    for (uint64_t a = 0; a < RAM_BYTES; a++)
        fake_fmem.ram[a] = pattern(a);
    gm = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gmem_free(gm);
    gm = NULL;
    unsigned nlive = fake_fmem.nlive, bad = fake_fmem.bad_calls;
    munmap(fake_fmem.ram, RAM_BYTES);
    close(fake_fmem.fd);
    /* Every mapping handed back, and the fake never misused. */
    return nlive == 0 && bad == 0 ? 0 : -1;
}

static void test_rw_within_page(void **state)
{
    (void)state;
    new_gmem(0);
    uint8_t in[16], out[16];
    fill(in, sizeof(in), 1);
    assert_int_equal(gmem_write(gm, 0x1010, in, sizeof(in)), 0);
    assert_int_equal(gmem_read(gm, 0x1010, out, sizeof(out)), 0);
    assert_memory_equal(in, out, sizeof(in));
    /* The bytes around it are untouched. */
    assert_int_equal(gmem_read(gm, 0x1000, out, 16), 0);
    expect_pattern(out, 0x1000, 16);
    assert_int_equal(gmem_read(gm, 0x1020, out, 16), 0);
    expect_pattern(out, 0x1020, 16);
}

static void test_rw_across_page(void **state)
{
    (void)state;
    new_gmem(0);
    uint8_t in[100], out[100];
    fill(in, sizeof(in), 2);
    uint64_t gpa = 3 * PAGE - 50;
    assert_int_equal(gmem_write(gm, gpa, in, sizeof(in)), 0);
    assert_int_equal(gmem_read(gm, gpa, out, sizeof(out)), 0);
    assert_memory_equal(in, out, sizeof(in));
    assert_memory_equal(fake_fmem.ram + gpa, in, sizeof(in));
}

static void test_rw_across_buckets(void **state)
{
    (void)state;
    new_gmem(0);
    uint8_t in[10000], out[10000];
    fill(in, sizeof(in), 3);
    uint64_t gpa = BUCKET - 3000;
    assert_int_equal(gmem_write(gm, gpa, in, sizeof(in)), 0);
    assert_int_equal(gmem_read(gm, gpa, out, sizeof(out)), 0);
    assert_memory_equal(in, out, sizeof(in));
    assert_memory_equal(fake_fmem.ram + gpa, in, sizeof(in));

    /* Three buckets in one read, stopping short of the hole. */
    size_t len = 2 * BUCKET + 4 * PAGE - 100;
    uint8_t *big = malloc(len);
    assert_non_null(big);
    memset(fake_fmem.ram + 100, 0x5a, len);
    assert_int_equal(gmem_read(gm, 100, big, len), 0);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(big[i], 0x5a);
    free(big);
    assert_int_equal(stats().mapped_buckets, 3);
}

static void test_rw_unaligned(void **state)
{
    (void)state;
    new_gmem(2); /* small, so buckets come and go between accesses */
    uint8_t in[300], out[300];
    const uint64_t bases[] = { 0, PAGE - 7, BUCKET - 1, 5 * BUCKET - 150,
                               11 * BUCKET + 3 };
    unsigned seed = 0;
    for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
        for (uint64_t off = 0; off < 9; off++) {
            for (size_t len = 1; len <= sizeof(in); len += 37) {
                uint64_t gpa = bases[b] + off * 13;
                fill(in, len, ++seed);
                assert_int_equal(gmem_write(gm, gpa, in, len), 0);
                assert_memory_equal(fake_fmem.ram + gpa, in, len);
                memset(out, 0, sizeof(out));
                assert_int_equal(gmem_read(gm, gpa, out, len), 0);
                assert_memory_equal(out, in, len);
            }
        }
    }
    /* Length 0 is a no-op, anywhere in space. */
    assert_int_equal(gmem_read(gm, 0x1234, out, 0), 0);
    assert_int_equal(gmem_write(gm, 0x1234, in, 0), 0);
}

static void test_ram_visible_both_ways(void **state)
{
    (void)state;
    new_gmem(0);
    uint8_t buf[64];
    uint64_t gpa = 4 * BUCKET + 0x321;
    /* Map the bucket first, then change RAM behind the cache's back. */
    assert_int_equal(gmem_read(gm, gpa, buf, sizeof(buf)), 0);
    expect_pattern(buf, gpa, sizeof(buf));
    memset(fake_fmem.ram + gpa, 0xc3, sizeof(buf));
    assert_int_equal(gmem_read(gm, gpa, buf, sizeof(buf)), 0);
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xc3);

    fill(buf, sizeof(buf), 9);
    assert_int_equal(gmem_write(gm, gpa + 1000, buf, sizeof(buf)), 0);
    assert_memory_equal(fake_fmem.ram + gpa + 1000, buf, sizeof(buf));
}

static void test_beyond_ram_faults(void **state)
{
    (void)state;
    new_gmem(0);
    uint8_t buf[32];
    uint64_t end = RAM_BYTES; /* page 8 of bucket 12, the first non-RAM */

    /* The RAM part of the partial bucket works. */
    assert_int_equal(gmem_read(gm, end - sizeof(buf), buf, sizeof(buf)), 0);
    expect_pattern(buf, end - sizeof(buf), sizeof(buf));
    assert_int_equal(gmem_write(gm, end - 4, buf, 4), 0);

    /* Its refused pages fault, alone or as part of a larger access. */
    assert_int_equal(gmem_read(gm, end, buf, 1), -EFAULT);
    assert_int_equal(gmem_write(gm, end + 5 * PAGE, buf, 8), -EFAULT);
    assert_int_equal(gmem_read(gm, end - 4, buf, 8), -EFAULT);
    /* A bucket of nothing at all, and far beyond RAM. */
    assert_int_equal(gmem_read(gm, 20 * BUCKET, buf, 4), -EFAULT);
    assert_int_equal(gmem_write(gm, 0x7fffffff000ull, buf, 4), -EFAULT);
    /* A hole inside RAM: its neighbours still work. */
    assert_int_equal(gmem_read(gm, HOLE_PFN * PAGE + 100, buf, 1), -EFAULT);
    assert_int_equal(gmem_read(gm, HOLE_PFN * PAGE - 16, buf, 32), -EFAULT);
    assert_int_equal(gmem_read(gm, HOLE_PFN * PAGE - 16, buf, 16), 0);
    expect_pattern(buf, HOLE_PFN * PAGE - 16, 16);
    assert_int_equal(gmem_read(gm, (HOLE_PFN + 1) * PAGE, buf, 16), 0);
    expect_pattern(buf, (HOLE_PFN + 1) * PAGE, 16);

    struct gmem_stats s = stats();
    assert_int_equal(s.faults, 7);
    assert_int_equal(s.map_failures, 0);
    /* A fault drops its bucket: the page may have been populated since,
     * so the next access asks Xen again (exactly once). */
    unsigned calls = fake_fmem.map_calls;
    assert_int_equal(gmem_read(gm, end, buf, 1), -EFAULT);
    assert_int_equal(fake_fmem.map_calls, calls + 1);
    assert_int_equal(fake_fmem.nlive, stats().mapped_buckets);
}

static void test_gpa_limits(void **state)
{
    (void)state;
    new_gmem(0);
    uint8_t buf[32];
    const void *p = NULL;
    assert_int_equal(gmem_read(gm, UINT64_MAX, buf, 1), -EFAULT);
    assert_int_equal(gmem_write(gm, UINT64_MAX, buf, 1), -EFAULT);
    assert_int_equal(gmem_read(gm, UINT64_MAX - 10, buf, 20), -EFAULT);
    assert_int_equal(gmem_read(gm, GMEM_MAX_GPA, buf, 1), -EFAULT);
    assert_int_equal(gmem_read(gm, GMEM_MAX_GPA - 1, buf, 2), -EFAULT);
    assert_int_equal(gmem_read(gm, 0x1000, buf, SIZE_MAX), -EFAULT);
    assert_int_equal(gmem_write(gm, 0x1000, buf, SIZE_MAX - 0xfff), -EFAULT);
    assert_int_equal(gmem_peek(gm, UINT64_MAX, 1, &p), -EFAULT);
    assert_int_equal(gmem_peek(gm, GMEM_MAX_GPA, 1, &p), -EFAULT);
    assert_null(p);
    /* Refused before Xen is ever asked. */
    assert_int_equal(fake_fmem.map_calls, 0);
    assert_int_equal(stats().faults, 9);
    /* The last byte of space is asked for, and is not RAM here. */
    assert_int_equal(gmem_read(gm, GMEM_MAX_GPA - 1, buf, 1), -EFAULT);
    assert_int_equal(fake_fmem.map_calls, 1);
}

static void test_lru_bound(void **state)
{
    (void)state;
    new_gmem(4);
    uint8_t b;
    for (uint64_t i = 0; i < 10; i++) {
        assert_int_equal(gmem_read(gm, i * BUCKET + 8, &b, 1), 0);
        assert_int_equal(b, pattern(i * BUCKET + 8));
        assert_true(stats().mapped_buckets <= 4);
    }
    struct gmem_stats s = stats();
    assert_int_equal(s.mapped_buckets, 4);
    assert_int_equal(s.maps, 10);
    assert_int_equal(s.evictions, 6);
    assert_int_equal(fake_fmem.map_calls, 10);
    assert_int_equal(fake_fmem.unmaps, 6);
    assert_int_equal(fake_fmem.nlive, 4);
    for (uint64_t i = 0; i < 10; i++)
        assert_int_equal(bucket_live(i), i >= 6);
}

static void test_lru_keeps_recent(void **state)
{
    (void)state;
    new_gmem(4);
    uint8_t b;
    for (uint64_t i = 0; i < 4; i++)
        assert_int_equal(gmem_read(gm, i * BUCKET, &b, 1), 0);
    /* Using bucket 0 again makes bucket 1 the least recently used. */
    assert_int_equal(gmem_read(gm, 100, &b, 1), 0);
    assert_int_equal(gmem_read(gm, 4 * BUCKET, &b, 1), 0);
    assert_true(bucket_live(0));
    assert_false(bucket_live(1));
    assert_true(bucket_live(2) && bucket_live(3) && bucket_live(4));
    unsigned calls = fake_fmem.map_calls;
    assert_int_equal(gmem_read(gm, 200, &b, 1), 0);
    assert_int_equal(b, pattern(200));
    assert_int_equal(fake_fmem.map_calls, calls);
    /* Then 2 is the oldest. */
    assert_int_equal(gmem_read(gm, 5 * BUCKET, &b, 1), 0);
    assert_false(bucket_live(2));
    assert_true(bucket_live(0) && bucket_live(3) && bucket_live(4) &&
                bucket_live(5));
}

static void test_hits(void **state)
{
    (void)state;
    new_gmem(0);
    uint8_t b;
    assert_int_equal(gmem_read(gm, 10, &b, 1), 0);
    assert_int_equal(fake_fmem.map_calls, 1);
    assert_int_equal(stats().hits, 0);
    /* The last bucket again. */
    assert_int_equal(gmem_read(gm, BUCKET - 1, &b, 1), 0);
    assert_int_equal(b, pattern(BUCKET - 1));
    assert_int_equal(fake_fmem.map_calls, 1);
    assert_int_equal(stats().hits, 1);
    /* A bucket that is cached but not the last one used. */
    assert_int_equal(gmem_read(gm, BUCKET, &b, 1), 0);
    assert_int_equal(gmem_read(gm, 20, &b, 1), 0);
    assert_int_equal(b, pattern(20));
    assert_int_equal(fake_fmem.map_calls, 2);
    struct gmem_stats s = stats();
    assert_int_equal(s.hits, 2);
    assert_int_equal(s.maps, 2);
}

static void test_invalidate(void **state)
{
    (void)state;
    new_gmem(0);
    uint8_t b;
    for (uint64_t i = 0; i < 3; i++)
        assert_int_equal(gmem_read(gm, i * BUCKET, &b, 1), 0);
    assert_int_equal(fake_fmem.nlive, 3);
    gmem_invalidate(gm);
    assert_int_equal(fake_fmem.unmaps, 3);
    assert_int_equal(fake_fmem.nlive, 0);
    struct gmem_stats s = stats();
    assert_int_equal(s.mapped_buckets, 0);
    assert_int_equal(s.invalidations, 1);
    assert_int_equal(s.evictions, 0);
    /* The next access maps afresh, and sees current RAM. */
    fake_fmem.ram[BUCKET + 1] = 0xee;
    assert_int_equal(gmem_read(gm, BUCKET + 1, &b, 1), 0);
    assert_int_equal(b, 0xee);
    assert_int_equal(fake_fmem.map_calls, 4);
    assert_int_equal(stats().mapped_buckets, 1);
    /* Twice in a row, and on an empty cache, is harmless. */
    gmem_invalidate(gm);
    gmem_invalidate(gm);
    assert_int_equal(fake_fmem.nlive, 0);
    assert_int_equal(stats().invalidations, 3);
}

static void test_map_failure(void **state)
{
    (void)state;
    new_gmem(2);
    uint8_t b;
    fake_fmem.fail_next = 1;
    fake_fmem.fail_errno = ENOMEM;
    assert_int_equal(gmem_read(gm, 0x42, &b, 1), -EFAULT);
    struct gmem_stats s = stats();
    assert_int_equal(s.map_failures, 1);
    assert_int_equal(s.faults, 1);
    assert_int_equal(s.mapped_buckets, 0);
    assert_int_equal(fake_fmem.nlive, 0);
    /* Nothing negative was cached: once Xen relents, it works. */
    assert_int_equal(gmem_read(gm, 0x42, &b, 1), 0);
    assert_int_equal(b, pattern(0x42));

    /* A failure on a full cache leaves it consistent. */
    assert_int_equal(gmem_read(gm, BUCKET, &b, 1), 0);
    fake_fmem.fail_next = 2;
    assert_int_equal(gmem_read(gm, 2 * BUCKET, &b, 1), -EFAULT);
    assert_int_equal(gmem_write(gm, 3 * BUCKET, &b, 1), -EFAULT);
    assert_true(stats().mapped_buckets <= 2);
    assert_int_equal(stats().mapped_buckets, fake_fmem.nlive);
    for (uint64_t i = 0; i < 6; i++) {
        assert_int_equal(gmem_read(gm, i * BUCKET + 3, &b, 1), 0);
        assert_int_equal(b, pattern(i * BUCKET + 3));
    }
    s = stats();
    assert_int_equal(s.map_failures, 3);
    assert_int_equal(s.faults, 3);
    assert_int_equal(s.mapped_buckets, 2);
    assert_int_equal(fake_fmem.nlive, 2);
}

static void test_peek(void **state)
{
    (void)state;
    new_gmem(0);
    const void *p = NULL;
    assert_int_equal(gmem_peek(gm, BUCKET - 4, 8, &p), -EINVAL);
    assert_int_equal(gmem_peek(gm, 0x100, 0, &p), -EINVAL);
    assert_int_equal(gmem_peek(gm, 1, BUCKET, &p), -EINVAL);
    assert_null(p);

    assert_int_equal(gmem_peek(gm, 3 * BUCKET + 0x1ff8, 64, &p), 0);
    expect_pattern(p, 3 * BUCKET + 0x1ff8, 64);
    /* The pointer is the guest's memory itself, not a copy. */
    memset(&fake_fmem.ram[3 * BUCKET + 0x1ff8], 0x77, 64);
    for (size_t i = 0; i < 64; i++)
        assert_int_equal(((const uint8_t *)p)[i], 0x77);

    /* Right up to the boundary, and a whole bucket, are fine. */
    assert_int_equal(gmem_peek(gm, BUCKET - 1, 1, &p), 0);
    assert_int_equal(*(const uint8_t *)p, pattern(BUCKET - 1));
    assert_int_equal(gmem_peek(gm, 5 * BUCKET, BUCKET, &p), 0);
    expect_pattern(p, 5 * BUCKET, BUCKET);

    /* Refused pages are never handed out. */
    p = NULL;
    assert_int_equal(gmem_peek(gm, HOLE_PFN * PAGE - 8, 16, &p), -EFAULT);
    assert_int_equal(gmem_peek(gm, RAM_BYTES, 4, &p), -EFAULT);
    assert_null(p);
}

static void test_free_unmaps_all(void **state)
{
    (void)state;
    new_gmem(3);
    uint8_t b;
    for (uint64_t i = 0; i < 7; i++)
        assert_int_equal(gmem_read(gm, i * BUCKET, &b, 1), 0);
    assert_int_equal(fake_fmem.unmaps, 4);
    gmem_free(gm);
    gm = NULL;
    assert_int_equal(fake_fmem.unmaps, fake_fmem.maps_ok);
    assert_int_equal(fake_fmem.maps_ok, 7);
    assert_int_equal(fake_fmem.nlive, 0);
    gmem_free(NULL);
}

/* Random accesses over a tiny cache, checked against RAM itself. */
static void test_random_against_ram(void **state)
{
    (void)state;
    new_gmem(2);
    static uint8_t buf[3 * 64 * 4096];
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (unsigned n = 0; n < 3000; n++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        size_t len = (size_t)(rng >> 40) % (n % 10 ? 600 : sizeof(buf)) + 1;
        uint64_t gpa = (rng & 0xffffffffu) % (RAM_BYTES - len);
        bool hole = gpa < (HOLE_PFN + 1) * PAGE && gpa + len > HOLE_PFN * PAGE;
        int want = hole ? -EFAULT : 0;
        if (rng & (1ull << 33)) {
            fill(buf, len, n);
            assert_int_equal(gmem_write(gm, gpa, buf, len), want);
            if (!hole)
                assert_memory_equal(fake_fmem.ram + gpa, buf, len);
        } else {
            assert_int_equal(gmem_read(gm, gpa, buf, len), want);
            if (!hole)
                assert_memory_equal(buf, fake_fmem.ram + gpa, len);
        }
        assert_true(stats().mapped_buckets <= 2);
    }
    struct gmem_stats s = stats();
    assert_int_equal(s.mapped_buckets, fake_fmem.nlive);
    assert_int_equal(s.maps, fake_fmem.map_calls);
    /* Every map is either still live or was unmapped (evicted, or dropped
     * after a fault on a refused page). */
    assert_int_equal(s.maps - s.mapped_buckets, fake_fmem.unmaps);
    assert_true(s.evictions <= fake_fmem.unmaps);
}

/* Every write is announced to the hook, after it is made, as the pieces
 * the copy made (at most a bucket each); reads, peeks and refused writes
 * are not. */
static struct {
    uint64_t gpa[8];
    size_t len[8];
    unsigned n;
    uint8_t seen_first; /* the first byte of guest RAM the write went to */
} wrote;

static void on_write(void *opaque, uint64_t gpa, size_t len)
{
    assert_ptr_equal(opaque, &wrote);
    if (wrote.n == 0)
        wrote.seen_first = fake_fmem.ram[gpa];
    assert_true(wrote.n < 8);
    wrote.gpa[wrote.n] = gpa;
    wrote.len[wrote.n++] = len;
}

static void test_write_hook(void **state)
{
    (void)state;
    new_gmem(0);
    memset(&wrote, 0, sizeof(wrote));
    assert_int_equal(gmem_add_write_hook(gm, on_write, &wrote), 0);
    uint8_t buf[64];
    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(gmem_write(gm, BUCKET - 16, buf, 48), 0);
    assert_int_equal(wrote.n, 2);
    assert_int_equal(wrote.gpa[0], BUCKET - 16);
    assert_int_equal(wrote.len[0], 16);
    assert_int_equal(wrote.gpa[1], BUCKET);
    assert_int_equal(wrote.len[1], 32);
    assert_int_equal(wrote.seen_first, 0xa5); /* announced after the store */
    wrote.n = 0;
    const void *p;
    assert_int_equal(gmem_read(gm, 0x1000, buf, 8), 0);
    assert_int_equal(gmem_peek(gm, 0x1000, 8, &p), 0);
    assert_int_equal(gmem_write(gm, RAM_BYTES + 4096, buf, 8), -EFAULT);
    assert_int_equal(gmem_probe_write(gm, HOLE_PFN * PAGE, buf, 8), -EFAULT);
    assert_int_equal(wrote.n, 0);
    assert_int_equal(gmem_probe_write(gm, 0x3000, buf, 8), 0);
    gmem_wrote(gm, 0x7000, 4096); /* a store through the daemon's own mapping */
    assert_int_equal(wrote.n, 2);
    assert_int_equal(wrote.gpa[1], 0x7000);
    gmem_remove_write_hook(gm, on_write, &wrote);
    assert_int_equal(gmem_write(gm, 0x3000, buf, 8), 0);
    assert_int_equal(wrote.n, 2);
}

static unsigned hook_calls[GMEM_MAX_WRITE_HOOKS + 1];

static void count_write(void *opaque, uint64_t gpa, size_t len)
{
    (void)gpa, (void)len;
    hook_calls[(unsigned *)opaque - hook_calls]++;
}

/* Every listener hears every write (the dirty log and each vGPU's scanout
 * watch); one removed hears no more; more than the table holds is
 * refused, not dropped silently. */
static void test_write_hooks_all_hear(void **state)
{
    (void)state;
    new_gmem(0);
    memset(hook_calls, 0, sizeof(hook_calls));
    for (unsigned i = 0; i < GMEM_MAX_WRITE_HOOKS; i++)
        assert_int_equal(gmem_add_write_hook(gm, count_write, &hook_calls[i]), 0);
    assert_int_equal(gmem_add_write_hook(gm, count_write, &hook_calls[GMEM_MAX_WRITE_HOOKS]),
                     -ENOSPC);
    uint8_t buf[8] = { 0 };
    assert_int_equal(gmem_write(gm, 0x3000, buf, 8), 0);
    gmem_remove_write_hook(gm, count_write, &hook_calls[3]);
    assert_int_equal(gmem_write(gm, 0x3000, buf, 8), 0);
    for (unsigned i = 0; i < GMEM_MAX_WRITE_HOOKS; i++)
        assert_int_equal(hook_calls[i], i == 3 ? 1 : 2);
    assert_int_equal(hook_calls[GMEM_MAX_WRITE_HOOKS], 0);
}

int main(void)
{
    /* Faults are the point of several tests: keep their warnings quiet. */
    log_set_level(LOGL_ERROR);
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_rw_within_page),
        T(test_rw_across_page),
        T(test_rw_across_buckets),
        T(test_rw_unaligned),
        T(test_ram_visible_both_ways),
        T(test_beyond_ram_faults),
        T(test_gpa_limits),
        T(test_lru_bound),
        T(test_lru_keeps_recent),
        T(test_hits),
        T(test_invalidate),
        T(test_map_failure),
        T(test_peek),
        T(test_free_unmaps_all),
        T(test_random_against_ram),
        T(test_write_hook),
        T(test_write_hooks_all_hear),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
