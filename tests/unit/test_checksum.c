/*
 * test_checksum.c — CRC-32 and hash64/mix64 against known and frozen values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shared/checksum.h"

/* CRC-32 of a C string, from scratch. */
static uint32_t
crc32_of(const char *text)
{
    return crc32_update(0, text, strlen(text));
}

static void
test_crc32_known_vectors(void **state)
{
    assert_int_equal(crc32_of(""), 0);
    assert_int_equal(crc32_of("123456789"), 0xcbf43926u);
    assert_int_equal(crc32_of("The quick brown fox jumps over the lazy dog"), 0x414fa339u);
}

static void
test_crc32_chains(void **state)
{
    uint32_t crc = crc32_update(0, "1234", 4);

    crc = crc32_update(crc, "", 0);
    crc = crc32_update(crc, "56789", 5);
    assert_int_equal(crc, 0xcbf43926u);
}

static void
test_crc32_detects_a_flipped_bit(void **state)
{
    char data[64];
    uint32_t before;

    memset(data, 'x', sizeof(data));
    before = crc32_update(0, data, sizeof(data));
    data[17] ^= 0x10;
    assert_true(crc32_update(0, data, sizeof(data)) != before);
}

static void
test_mix64_is_the_splitmix64_finaliser(void **state)
{
    /* The first output of splitmix64 seeded with 0. */
    assert_true(mix64(0x9e3779b97f4a7c15ULL) == 0xe220a8397b1dcdafULL);
    assert_true(mix64(0) == 0);
}

static void
test_hash64_is_fnv1a_then_mix64(void **state)
{
    /* FNV-1a 64 of "" is the offset basis; of "a" the published value. */
    assert_true(hash64("", 0) == mix64(0xcbf29ce484222325ULL));
    assert_true(hash64("a", 1) == mix64(0xaf63dc4c8601ec8cULL));
}

static void
test_hash64_frozen_values(void **state)
{
    /* Placement depends on these never changing. */
    assert_true(hash64("", 0) == 0xf52a15e9a9b5e89bULL);
    assert_true(hash64("a", 1) == 0x02c0bdbf481420f8ULL);
    assert_true(hash64("herd", 4) == 0x9d4bc0dcdf0da5d8ULL);
}

static void
test_hash64_uses_every_byte(void **state)
{
    char key[] = "node-0001\0tail";
    uint64_t with_tail = hash64(key, sizeof(key) - 1);

    assert_true(with_tail != hash64(key, 9));
    key[12] = 'X';
    assert_true(with_tail != hash64(key, sizeof(key) - 1));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_known_vectors),
        cmocka_unit_test(test_crc32_chains),
        cmocka_unit_test(test_crc32_detects_a_flipped_bit),
        cmocka_unit_test(test_mix64_is_the_splitmix64_finaliser),
        cmocka_unit_test(test_hash64_is_fnv1a_then_mix64),
        cmocka_unit_test(test_hash64_frozen_values),
        cmocka_unit_test(test_hash64_uses_every_byte),
    };

    return cmocka_run_group_tests_name("checksum", tests, NULL, NULL);
}
