/* The request executor on its own: the buffered ring's rules (8-byte
 * writes over two slots, malformed slots, pointer pairs read atomically)
 * and rep iteration, against a recording device. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "ioreq/dispatch.h"

struct access {
    uint64_t off;
    unsigned size;
    uint64_t val;
};

static struct access log_[64];
static unsigned nlog;

static int rec_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    (void)opaque;
    *val = 0x1000 + off;
    if (nlog < 64)
        log_[nlog++] = (struct access){ off, size, *val };
    return 0;
}

static int rec_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    (void)opaque;
    if (nlog < 64)
        log_[nlog++] = (struct access){ off, size, val };
    return 0;
}

static const struct io_ops rec_ops = { rec_read, rec_write };
static struct ioreq_dispatch d;
static struct ioreq_stats stats;
static buffered_iopage_t page;

static int setup(void **state)
{
    (void)state;
    memset(&d, 0, sizeof(d));
    memset(&stats, 0, sizeof(stats));
    memset(&page, 0, sizeof(page));
    nlog = 0;
    d.stats = &stats;
    for (int i = 0; i < 3; i++)
        iomap_init(&d.maps[i]);
    iomap_insert(&d.maps[IO_SPACE_MMIO], 0xa0000, 0x20000, &rec_ops, NULL);
    iomap_insert(&d.maps[IO_SPACE_PIO], 0x3c0, 0x20, &rec_ops, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        iomap_release(&d.maps[i]);
    return 0;
}

static void post(buf_ioreq_t s)
{
    page.buf_ioreq[page.write_pointer % IOREQ_BUFFER_SLOT_NUM] = s;
    page.write_pointer++;
}

static void test_buffered_qword_split(void **state)
{
    (void)state;
    post((buf_ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = 0, .size = 3, .addr = 0xa0010,
                        .data = 0x55667788 });
    post((buf_ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = 0, .size = 3, .addr = 0xa0010,
                        .data = 0x11223344 });
    post((buf_ioreq_t){ .type = IOREQ_TYPE_PIO, .dir = 0, .size = 1, .addr = 0x3c4,
                        .data = 0xbeef });
    assert_int_equal(ioreq_dispatch_buffered(&d, &page), 3);
    assert_int_equal(page.read_pointer, 3);
    assert_int_equal(nlog, 2);
    assert_int_equal(log_[0].off, 0x10);
    assert_int_equal(log_[0].size, 8);
    assert_true(log_[0].val == 0x1122334455667788ull);
    assert_int_equal(log_[1].off, 4);
    assert_int_equal(log_[1].size, 2);
    assert_int_equal(log_[1].val, 0xbeef);
    assert_int_equal(stats.buffered, 2);
}

static void test_buffered_malformed(void **state)
{
    (void)state;
    /* A read, an unknown type, then a half of an 8-byte write whose second
     * half was never published. */
    post((buf_ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = 1, .size = 2, .addr = 0xa0000 });
    post((buf_ioreq_t){ .type = 7, .dir = 0, .size = 2, .addr = 0xa0000 });
    post((buf_ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = 0, .size = 3, .addr = 0xa0000 });
    assert_int_equal(ioreq_dispatch_buffered(&d, &page), 3);
    assert_int_equal(nlog, 0);
    assert_int_equal(stats.rejected, 3);
    /* Pointers that make no sense are skipped, not walked. */
    page.read_pointer = 10;
    page.write_pointer = 10 + 5000;
    assert_int_equal(ioreq_dispatch_buffered(&d, &page), 5000);
    assert_int_equal(page.read_pointer, page.write_pointer);
    assert_int_equal(nlog, 0);
}

static void test_buffered_wraps(void **state)
{
    (void)state;
    page.read_pointer = page.write_pointer = IOREQ_BUFFER_SLOT_NUM - 1;
    post((buf_ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = 0, .size = 3, .addr = 0xa0008,
                        .data = 1 });
    post((buf_ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = 0, .size = 3, .addr = 0xa0008,
                        .data = 2 });
    assert_int_equal(ioreq_dispatch_buffered(&d, &page), 2);
    assert_int_equal(nlog, 1);
    assert_true(log_[0].val == 0x200000001ull);
}

static void test_rep_mmio_no_pointer(void **state)
{
    (void)state;
    /* rep stos-like: the same value to successive addresses, downwards. */
    ioreq_t req = { .type = IOREQ_TYPE_COPY, .dir = IOREQ_WRITE, .size = 4,
                    .count = 3, .df = 1, .addr = 0xa0108, .data = 0x77 };
    ioreq_dispatch_one(&d, &req);
    assert_int_equal(nlog, 3);
    assert_int_equal(log_[0].off, 0x108);
    assert_int_equal(log_[1].off, 0x104);
    assert_int_equal(log_[2].off, 0x100);
    /* Port I/O repeats on one port. */
    nlog = 0;
    req = (ioreq_t){ .type = IOREQ_TYPE_PIO, .dir = IOREQ_READ, .size = 1, .count = 1,
                     .addr = 0x3c5 };
    ioreq_dispatch_one(&d, &req);
    assert_int_equal(req.data, (0x1000 + 5) & 0xff);
}

static void test_unclaimed_and_straddle(void **state)
{
    (void)state;
    ioreq_t req = { .type = IOREQ_TYPE_COPY, .dir = IOREQ_READ, .size = 4, .count = 1,
                    .addr = 0xbfffe };
    ioreq_dispatch_one(&d, &req);
    assert_int_equal(req.data, 0xffffffff);
    assert_int_equal(nlog, 0);
    req = (ioreq_t){ .type = IOREQ_TYPE_PIO, .dir = IOREQ_READ, .size = 2, .count = 1,
                     .addr = 0x60 };
    ioreq_dispatch_one(&d, &req);
    assert_int_equal(req.data, 0xffff);
    assert_int_equal(stats.rejected, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_buffered_qword_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffered_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffered_wraps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rep_mmio_no_pointer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unclaimed_and_straddle, setup, teardown),
    };
    return cmocka_run_group_tests_name("dispatch", tests, NULL, NULL);
}
