/*
 * test_slot.c — CRC16-XMODEM and the Redis Cluster hash-tag rule.  The
 * expected slots were checked with CLUSTER KEYSLOT on redis-server 7.0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "shared/slot.h"

/* The slot of a C string key. */
static unsigned int
slot_of(const char *key)
{
    return key_slot(key, strlen(key));
}

static void
test_crc16_check_value(void **state)
{
    assert_int_equal(crc16_xmodem("123456789", 9), 0x31c3);
    assert_int_equal(crc16_xmodem("", 0), 0);
}

static void
test_plain_keys(void **state)
{
    assert_int_equal(slot_of("foo"), 12182);
    assert_int_equal(slot_of("bar"), 5061);
    assert_int_equal(slot_of("hello world"), 15332);
    assert_int_equal(slot_of(""), 0);
}

static void
test_hash_tags_colocate(void **state)
{
    assert_int_equal(slot_of("{user1000}.following"), 3443);
    assert_int_equal(slot_of("{user1000}.followers"), 3443);
    assert_int_equal(slot_of("{user1000}.following"), slot_of("user1000"));
}

static void
test_hash_tag_edge_cases(void **state)
{
    /* An empty first tag: the whole key is hashed. */
    assert_int_equal(slot_of("foo{}{bar}"), 8363);
    assert_int_equal(slot_of("{}"), 15257);
    assert_int_equal(slot_of("x{}y"), 16116);
    /* The tag runs from the first '{' to the first '}' after it. */
    assert_int_equal(slot_of("foo{{bar}}zap"), 4015);
    assert_int_equal(slot_of("foo{{bar}}zap"), slot_of("{bar"));
    assert_int_equal(slot_of("foo{bar}{zap}"), 5061);
    /* No closing brace, or one only before the '{': the whole key. */
    assert_int_equal(slot_of("a{b"), 13340);
    assert_int_equal(slot_of("{"), 4092);
    assert_int_equal(slot_of("}{x}"), 16287);
}

static void
test_binary_keys(void **state)
{
    const char key[] = "a\0{t}\0b";
    const char other[] = "zz{t}";

    /* The NUL bytes count, and a tag after a NUL is found. */
    assert_int_equal(key_slot(key, sizeof(key) - 1), key_slot(other, sizeof(other) - 1));
    assert_int_equal(key_slot("a\0b", 3), crc16_xmodem("a\0b", 3) & (SLOT_COUNT - 1));
    assert_true(key_slot("a\0b", 3) != key_slot("a", 1));
}

static void
test_every_slot_in_range(void **state)
{
    char key[32];
    unsigned int slot, seen_high = 0;
    int i, length;

    for (i = 0; i < 100000; i++) {
        length = snprintf(key, sizeof(key), "key:%d", i);
        slot = key_slot(key, (size_t)length);
        assert_true(slot < SLOT_COUNT);
        seen_high |= (slot >= SLOT_COUNT / 2);
    }
    assert_true(seen_high);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc16_check_value),
        cmocka_unit_test(test_plain_keys),
        cmocka_unit_test(test_hash_tags_colocate),
        cmocka_unit_test(test_hash_tag_edge_cases),
        cmocka_unit_test(test_binary_keys),
        cmocka_unit_test(test_every_slot_in_range),
    };

    return cmocka_run_group_tests_name("slot", tests, NULL, NULL);
}
