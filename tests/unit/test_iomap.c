/* The io registry's sorted map: overlap refusal, lookup at the edges,
 * removal, growth. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include "ioreq/iomap.h"

static const struct io_ops dummy_ops;

static void test_insert_find(void **state)
{
    (void)state;
    struct iomap m;
    iomap_init(&m);
    assert_int_equal(iomap_insert(&m, 0x1000, 0x100, &dummy_ops, (void *)1), 0);
    assert_int_equal(iomap_insert(&m, 0x3000, 0x1000, &dummy_ops, (void *)2), 0);
    assert_int_equal(iomap_insert(&m, 0x2000, 0x10, &dummy_ops, (void *)3), 0);
    assert_null(iomap_find(&m, 0xfff));
    assert_ptr_equal(iomap_find(&m, 0x1000)->opaque, (void *)1);
    assert_ptr_equal(iomap_find(&m, 0x10ff)->opaque, (void *)1);
    assert_null(iomap_find(&m, 0x1100));
    assert_ptr_equal(iomap_find(&m, 0x200f)->opaque, (void *)3);
    assert_null(iomap_find(&m, 0x2010));
    assert_ptr_equal(iomap_find(&m, 0x3fff)->opaque, (void *)2);
    assert_null(iomap_find(&m, 0x4000));
    assert_int_equal(m.count, 3);
    assert_true(m.ranges[0].start < m.ranges[1].start && m.ranges[1].start < m.ranges[2].start);
    iomap_release(&m);
}

static void test_overlap_refused(void **state)
{
    (void)state;
    struct iomap m;
    iomap_init(&m);
    assert_int_equal(iomap_insert(&m, 0x1000, 0x1000, &dummy_ops, NULL), 0);
    assert_int_equal(iomap_insert(&m, 0x1fff, 1, &dummy_ops, NULL), -EEXIST);
    assert_int_equal(iomap_insert(&m, 0x800, 0x801, &dummy_ops, NULL), -EEXIST);
    assert_int_equal(iomap_insert(&m, 0x0, 0x10000, &dummy_ops, NULL), -EEXIST);
    assert_int_equal(iomap_insert(&m, 0x800, 0x800, &dummy_ops, NULL), 0);
    assert_int_equal(iomap_insert(&m, 0x2000, 0, &dummy_ops, NULL), -EINVAL);
    assert_int_equal(iomap_insert(&m, ~0ull, 2, &dummy_ops, NULL), -EINVAL);
    /* A range may end at the top of the space. */
    assert_int_equal(iomap_insert(&m, ~0ull - 0xfff, 0x1000, &dummy_ops, NULL), 0);
    assert_non_null(iomap_find(&m, ~0ull));
    iomap_release(&m);
}

static void test_remove_and_grow(void **state)
{
    (void)state;
    struct iomap m;
    iomap_init(&m);
    for (uint64_t i = 0; i < 1000; i++)
        assert_int_equal(iomap_insert(&m, (999 - i) * 0x100, 0x80, &dummy_ops,
                                      (void *)(uintptr_t)(999 - i)), 0);
    for (uint64_t i = 0; i < 1000; i++) {
        assert_ptr_equal(iomap_find(&m, i * 0x100 + 0x7f)->opaque, (void *)(uintptr_t)i);
        assert_null(iomap_find(&m, i * 0x100 + 0x80));
    }
    assert_int_equal(iomap_remove(&m, 0x500), 0);
    assert_int_equal(iomap_remove(&m, 0x500), -ENOENT);
    assert_int_equal(iomap_remove(&m, 0x601), -ENOENT);
    assert_null(iomap_find(&m, 0x500));
    assert_non_null(iomap_find(&m, 0x600));
    assert_int_equal(m.count, 999);
    iomap_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_find),
        cmocka_unit_test(test_overlap_refused),
        cmocka_unit_test(test_remove_and_grow),
    };
    return cmocka_run_group_tests_name("iomap", tests, NULL, NULL);
}
