/*
 * test_node_record.c — the on-disk record format (node/record.h): byte layout,
 * round trips, and corruption detection by the CRC.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/record.h"

/* Encodes a record with the given fields into a malloc'd buffer. */
static char *
encode(int type, uint64_t clock, uint16_t node, int64_t expire_ms,
       const char *payload, size_t length)
{
    struct record_header header;
    char *out = malloc(RECORD_HEADER_SIZE + length);

    header.type = type;
    header.version.clock = clock;
    header.version.node = node;
    header.expire_ms = expire_ms;
    record_encode(out, &header, payload, length);
    return out;
}

static void
test_layout_is_big_endian(void **state)
{
    char *record = encode(RECORD_STRING, 0x0102030405060708ULL, 0x0a0b,
                          0x1112131415161718LL, "hi", 2);
    const unsigned char expected[] = {
        RECORD_FORMAT, RECORD_STRING,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
        0x0a, 0x0b,
        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
    };

    assert_memory_equal(record, expected, sizeof(expected));
    assert_memory_equal(record + RECORD_HEADER_SIZE, "hi", 2);
    free(record);
}

static void
test_round_trip(void **state)
{
    char *record = encode(RECORD_STRING, 123456789, 7, 1700000000123LL, "value", 5);
    struct record_header header;
    const char *payload;
    size_t length;

    assert_int_equal(record_decode(record, RECORD_HEADER_SIZE + 5, &header,
                                   &payload, &length), 0);
    assert_int_equal(header.type, RECORD_STRING);
    assert_true(header.version.clock == 123456789);
    assert_int_equal(header.version.node, 7);
    assert_true(header.expire_ms == 1700000000123LL);
    assert_int_equal(length, 5);
    assert_memory_equal(payload, "value", 5);
    free(record);
}

static void
test_empty_payload_and_tombstone(void **state)
{
    char *record = encode(RECORD_TOMBSTONE, 1, 2, 0, NULL, 0);
    struct record_header header;
    const char *payload;
    size_t length = 99;

    assert_int_equal(record_decode(record, RECORD_HEADER_SIZE, &header,
                                   &payload, &length), 0);
    assert_int_equal(header.type, RECORD_TOMBSTONE);
    assert_int_equal(length, 0);
    free(record);
}

static void
test_crc_detects_flips(void **state)
{
    size_t size = RECORD_HEADER_SIZE + 6, byte;
    char *record = encode(RECORD_STRING, 99, 1, 0, "abcdef", 6);
    struct record_header header;
    int bit;

    for (byte = 0; byte < size; byte++) {
        for (bit = 0; bit < 8; bit++) {
            record[byte] ^= (char)(1 << bit);
            assert_int_equal(record_decode(record, size, &header, NULL, NULL), -1);
            record[byte] ^= (char)(1 << bit);
        }
    }
    assert_int_equal(record_decode(record, size, &header, NULL, NULL), 0);
    free(record);
}

static void
test_rejects_bad_format_type_and_size(void **state)
{
    char *record = encode(RECORD_STRING, 1, 1, 0, "x", 1);
    struct record_header header;

    assert_int_equal(record_decode(record, RECORD_HEADER_SIZE - 1, &header, NULL, NULL), -1);
    assert_int_equal(record_decode_header(record, 3, &header), -1);
    record[0] = 2;
    assert_int_equal(record_decode_header(record, RECORD_HEADER_SIZE + 1, &header), -1);
    record[0] = RECORD_FORMAT;
    record[1] = 42;
    assert_int_equal(record_decode_header(record, RECORD_HEADER_SIZE + 1, &header), -1);
    free(record);
}

static void
test_header_only_decode_skips_crc(void **state)
{
    char *record = encode(RECORD_HASH, 5, 6, 77, "payload", 7);
    struct record_header header;

    /* A prefix read (first 24 bytes) decodes without the payload. */
    assert_int_equal(record_decode_header(record, RECORD_HEADER_SIZE, &header), 0);
    assert_int_equal(header.type, RECORD_HASH);
    assert_true(header.expire_ms == 77);
    /* The full decode of a truncated record fails its CRC. */
    assert_int_equal(record_decode(record, RECORD_HEADER_SIZE + 3, &header, NULL, NULL), -1);
    free(record);
}

static void
test_in_place_encode(void **state)
{
    /* Payload already at out + RECORD_HEADER_SIZE (db_set_expire does this). */
    char *record = encode(RECORD_STRING, 1, 1, 0, "same", 4);
    struct record_header header = { RECORD_STRING, { 2, 3 }, 1234 };
    const char *payload;
    size_t length;

    record_encode(record, &header, record + RECORD_HEADER_SIZE, 4);
    assert_int_equal(record_decode(record, RECORD_HEADER_SIZE + 4, &header,
                                   &payload, &length), 0);
    assert_memory_equal(payload, "same", 4);
    assert_true(header.expire_ms == 1234);
    free(record);
}

static void
test_type_names(void **state)
{
    assert_string_equal(record_type_name(RECORD_TOMBSTONE), "none");
    assert_string_equal(record_type_name(RECORD_STRING), "string");
    assert_string_equal(record_type_name(RECORD_ZSET), "zset");
    assert_string_equal(record_type_name(99), "none");
    assert_int_equal(record_type_from_name("STRING", 6), RECORD_STRING);
    assert_int_equal(record_type_from_name("list", 4), RECORD_LIST);
    assert_int_equal(record_type_from_name("none", 4), -1);
    assert_int_equal(record_type_from_name("str", 3), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_is_big_endian),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_empty_payload_and_tombstone),
        cmocka_unit_test(test_crc_detects_flips),
        cmocka_unit_test(test_rejects_bad_format_type_and_size),
        cmocka_unit_test(test_header_only_decode_skips_crc),
        cmocka_unit_test(test_in_place_encode),
        cmocka_unit_test(test_type_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
