/*
 * test_proxy_distribution.c — nutcracker's hash functions (shared/hash.c)
 * and the pool distribution's pure parts (proxy/distribution.c): the key
 * hash with hash-tag, the ketama continuum and its lookup.
 *
 * Where a published check value exists it is used (FNV test vectors,
 * CRC-32 and CRC-16/XMODEM of "123456789", MD5 of "", one-at-a-time of
 * "a").  The other values were printed by this implementation after
 * tests/integration/test_proxy_pool.py showed that, with each function,
 * herd-proxy and nutcracker 0.5.0 put 4000 keys on the same servers; they
 * guard against regressions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shared/hash.h"
#include "proxy/distribution.h"

/* Expected values of every function for one key, in enum order. */
struct hash_vector {
    const char *key;
    uint32_t    expected[HASH_FUNCTION_COUNT];
};

static const struct hash_vector hash_vectors[] = {
    { "a", { 0xca2e9442, 0xb975c10c, 0x00007c87, 0x000068b7, 0xe8b7be43, 0x8601b7be,
             0x8601ec8c, 0x050c5d7e, 0xe40c292c, 0x93642e87, 0x4b41757c, 0xe0a38690 } },
    { "foobar", { 0xf952fde7, 0x22f65838, 0x9effb025, 0x00001ef6, 0x9ef61f95, 0xa4dda9c2,
                  0xf73967e8, 0x31f0b262, 0xbf9cf968, 0x07a5862c, 0xabecff17,
                  0x0fdd8b60 } },
    { "123456789", { 0xc66b58c5, 0x94e7f925, 0x869031c3, 0x00004bf4, 0xcbf43926,
                     0x2bf916d6, 0x23c6cdfc, 0x24148816, 0xbb86b11c, 0xe4fc1670,
                     0xb7760690, 0x19777af6 } },
    { "herd:key:42", { 0x0819f6df, 0xc142847c, 0xf1a04afb, 0x00004f6e, 0x4f6e9c28,
                       0xec9a0c7f, 0xa8da4ca3, 0x3994b51f, 0x84b82743, 0xe2835c2b,
                       0xa52687f3, 0x1ad9e1b2 } },
    /* Bytes above 0x7f: nutcracker's sign extension shows. */
    { "\xd0\xba\xd0\xbb\xff", { 0xc4b1c1c9, 0x29a3e132, 0x5f92170b, 0x00001aa2,
                                0x9aa28b74, 0x7db7cf63, 0x56ff0547, 0xaecbef83,
                                0x9684b1e7, 0x44017e9d, 0x770fa4b1, 0xd64e6222 } },
    { "Four score and seven years ago", { 0x5554a59f, 0x8482c88b, 0xbe60a5ef, 0x00003cfe,
                                          0x3cfe93b8, 0xce2804c6, 0x1987984c,
                                          0xadc7c266, 0xdc02398c, 0x0c5fc188,
                                          0x666caeaf, 0x1ab867b2 } },
};

static void
test_published_check_values(void **state)
{
    (void)state;
    assert_int_equal(hash_crc32a("123456789", 9), 0xcbf43926);
    assert_int_equal(hash_crc32("123456789", 9), 0xcbf4 & 0x7fff);
    assert_int_equal(hash_crc16("123456789", 9) & 0xffff, 0x31c3);
    assert_int_equal(hash_md5("", 0), 0xd98c1dd4);       /* d41d8cd9... */
    assert_int_equal(hash_fnv1_32("a", 1), 0x050c5d7e);
    assert_int_equal(hash_fnv1a_32("a", 1), 0xe40c292c);
    assert_int_equal(hash_fnv1_32("foobar", 6), 0x31f0b262);
    assert_int_equal(hash_fnv1a_32("foobar", 6), 0xbf9cf968);
    assert_int_equal(hash_fnv1_64("a", 1), 0x8601b7be);   /* low half of 0xaf63bd4c8601b7be */
    assert_int_equal(hash_fnv1a_64("a", 1), 0x8601ec8c);  /* low half of 0xaf63dc4c8601ec8c */
    assert_int_equal(hash_one_at_a_time("a", 1), 0xca2e9442);
}

static void
test_every_function_by_name(void **state)
{
    size_t vector;
    int function;

    (void)state;
    for (vector = 0; vector < sizeof(hash_vectors) / sizeof(hash_vectors[0]); vector++) {
        const struct hash_vector *entry = &hash_vectors[vector];

        for (function = 0; function < HASH_FUNCTION_COUNT; function++) {
            uint32_t got = hash_key((enum hash_function)function, entry->key,
                                    strlen(entry->key));

            if (got != entry->expected[function]) {
                fail_msg("%s(\"%s\") = 0x%08x, expected 0x%08x",
                         hash_function_names[function], entry->key, got,
                         entry->expected[function]);
            }
        }
    }
    assert_string_equal(hash_function_names[HASH_FNV1A_64], "fnv1a_64");
    assert_null(hash_function_names[HASH_FUNCTION_COUNT]);
}

static void
test_key_hash_with_tag(void **state)
{
    struct proxy_distribution distribution;

    (void)state;
    memset(&distribution, 0, sizeof(distribution));
    distribution.hash = HASH_FNV1A_64;
    assert_int_equal(distribution_key_hash(&distribution, "{user}:1", 8),
                     hash_fnv1a_64("{user}:1", 8));
    assert_int_equal(distribution_key_hash(&distribution, "", 0), 0);
    distribution.has_tag = 1;
    distribution.tag_open = '{';
    distribution.tag_close = '}';
    assert_int_equal(distribution_key_hash(&distribution, "{user}:1", 8),
                     hash_fnv1a_64("user", 4));
    assert_int_equal(distribution_key_hash(&distribution, "a{user}{x}", 10),
                     hash_fnv1a_64("user", 4));
    /* Nothing between: the whole key; no closing character: the whole key. */
    assert_int_equal(distribution_key_hash(&distribution, "{}user", 6),
                     hash_fnv1a_64("{}user", 6));
    assert_int_equal(distribution_key_hash(&distribution, "x{user", 6),
                     hash_fnv1a_64("x{user", 6));
    /* Only the first opening character counts. */
    assert_int_equal(distribution_key_hash(&distribution, "{a{b}", 5),
                     hash_fnv1a_64("a{b", 3));
    distribution.tag_open = '$';
    distribution.tag_close = '$';
    assert_int_equal(distribution_key_hash(&distribution, "x$tag$y", 7),
                     hash_fnv1a_64("tag", 3));
}

/* Builds a continuum of three servers with the given weights. */
static int
build_three(const int *weights, const int *live, struct distribution_point **points)
{
    static const char *const names[] = { "server0", "server1", "server2" };

    return distribution_ketama_build(weights, names, live, 3, points);
}

static int
count_points(const struct distribution_point *points, int count, int backend)
{
    int i, found = 0;

    for (i = 0; i < count; i++) {
        found += points[i].backend == backend;
    }
    return found;
}

static void
test_ketama_points_follow_weights(void **state)
{
    static const int equal[] = { 1, 1, 1 }, unequal[] = { 1, 3, 2 };
    static const int all_live[] = { 1, 1, 1 }, one_out[] = { 1, 0, 1 };
    struct distribution_point *points;
    int count, i;

    (void)state;
    count = build_three(equal, all_live, &points);
    assert_int_equal(count, 480);
    for (i = 1; i < count; i++) {
        assert_true(points[i - 1].value <= points[i].value);
    }
    assert_int_equal(count_points(points, count, 1), 160);
    free(points);

    count = build_three(unequal, all_live, &points);
    assert_int_equal(count, 480);
    assert_int_equal(count_points(points, count, 0), 80);
    assert_int_equal(count_points(points, count, 1), 240);
    assert_int_equal(count_points(points, count, 2), 160);
    free(points);

    count = build_three(equal, one_out, &points);
    assert_int_equal(count, 320);
    assert_int_equal(count_points(points, count, 1), 0);
    free(points);
}

static void
test_ketama_first_point_is_md5_of_name(void **state)
{
    static const int one[] = { 1 }, live[] = { 1 };
    static const char *const names[] = { "server0" };
    struct distribution_point *points;
    unsigned char digest[16];
    uint32_t first;
    int count, i, found = 0;

    (void)state;
    count = distribution_ketama_build(one, names, live, 1, &points);
    assert_int_equal(count, 160);
    assert_int_equal(hash_md5_digest("server0-0", 9, digest), 0);
    first = (uint32_t)digest[0] | ((uint32_t)digest[1] << 8) |
            ((uint32_t)digest[2] << 16) | ((uint32_t)digest[3] << 24);
    for (i = 0; i < count; i++) {
        found |= points[i].value == first;
    }
    assert_true(found);
    free(points);
}

static void
test_ketama_find(void **state)
{
    static const struct distribution_point points[] = {
        { 100, 2 }, { 200, 0 }, { 200, 1 }, { 300, 1 }
    };

    (void)state;
    assert_int_equal(distribution_ketama_find(points, 4, 0), 2);
    assert_int_equal(distribution_ketama_find(points, 4, 100), 2);
    assert_int_equal(distribution_ketama_find(points, 4, 101), 0);
    assert_int_equal(distribution_ketama_find(points, 4, 200), 0);
    assert_int_equal(distribution_ketama_find(points, 4, 250), 1);
    assert_int_equal(distribution_ketama_find(points, 4, 301), 2);   /* wraps */
    assert_int_equal(distribution_ketama_find(points, 4, UINT32_MAX), 2);
    assert_int_equal(distribution_ketama_find(points, 0, 5), -1);
}

static void
test_server_names(void **state)
{
    struct proxy_node_address node;
    char name[PLACEMENT_ID_MAX];

    (void)state;
    memset(&node, 0, sizeof(node));
    snprintf(node.host, sizeof(node.host), "10.0.0.1");
    node.port = 6379;
    snprintf(node.name, sizeof(node.name), "10.0.0.1:6379");
    distribution_server_name(&node, name, sizeof(name));
    assert_string_equal(name, "10.0.0.1:6379");
    node.port = 11211;
    distribution_server_name(&node, name, sizeof(name));
    assert_string_equal(name, "10.0.0.1");
    node.named = 1;
    snprintf(node.name, sizeof(node.name), "cache-a");
    distribution_server_name(&node, name, sizeof(name));
    assert_string_equal(name, "cache-a");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_check_values),
        cmocka_unit_test(test_every_function_by_name),
        cmocka_unit_test(test_key_hash_with_tag),
        cmocka_unit_test(test_ketama_points_follow_weights),
        cmocka_unit_test(test_ketama_first_point_is_md5_of_name),
        cmocka_unit_test(test_ketama_find),
        cmocka_unit_test(test_server_names),
    };

    return cmocka_run_group_tests_name("proxy_distribution", tests, NULL, NULL);
}
