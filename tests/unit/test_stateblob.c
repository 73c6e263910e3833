/* The state file container: its CRC-32 (the check value of the standard,
 * any split of the data, every length around the 8-byte steps), a written
 * blob parsed back, and refusals of damaged ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/stateblob.h"

/* Bit by bit, straight from the definition. */
static uint32_t crc_reference(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static void test_crc32(void **state)
{
    (void)state;
    assert_int_equal(stateblob_crc32("123456789", 9), 0xcbf43926u);
    assert_int_equal(stateblob_crc32("", 0), 0);
    uint8_t buf[300];
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    for (size_t len = 0; len <= sizeof(buf); len++) {
        assert_int_equal(stateblob_crc32(buf, len), crc_reference(buf, len));
        size_t cut = len / 3;
        assert_int_equal(stateblob_crc32_update(stateblob_crc32(buf, cut), buf + cut, len - cut),
                         crc_reference(buf, len));
    }
}

static void test_round_trip_and_damage(void **state)
{
    (void)state;
    struct stateblob_writer w;
    stateblob_writer_init(&w);
    static const uint8_t a[5] = { 1, 2, 3, 4, 5 };
    stateblob_add(&w, "alpha", 1, a, sizeof(a));
    stateblob_add(&w, "beta", 2, "xyz", 3);
    uint8_t *blob;
    size_t len;
    assert_int_equal(stateblob_finish(&w, &blob, &len), 0);
    struct stateblob sb;
    const char *why = NULL;
    assert_int_equal(stateblob_parse(blob, len, &sb, &why), 0);
    const struct stateblob_section *s = stateblob_find(&sb, "beta");
    assert_non_null(s);
    assert_int_equal(s->version, 2);
    assert_int_equal(s->len, 3);
    assert_memory_equal(s->data, "xyz", 3);
    blob[len - 1] ^= 1;
    assert_int_not_equal(stateblob_parse(blob, len, &sb, &why), 0);
    assert_non_null(why);
    free(blob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_round_trip_and_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
