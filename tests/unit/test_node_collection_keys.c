/*
 * test_node_collection_keys.c — the sort keys of node/collection.h: score
 * keys sort (memcmp, shorter first) exactly as Redis orders a sorted set
 * (score as a double, then member bytes), score encodings round-trip, and
 * member keys carry their member back out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/collection.h"

/* Random doubles drawn for the order tests. */
#define RANDOM_SCORES 400

/* Doubles every order test includes, in increasing order (-0.0 and 0.0
 * compare equal and sit together). */
static const double special_scores[] = {
    -INFINITY, -DBL_MAX, -1e300, -12345.678, -1.0, -0.1, -DBL_MIN,
    -4.9406564584124654e-324 * 3, -4.9406564584124654e-324,
    -0.0, 0.0,
    4.9406564584124654e-324, 4.9406564584124654e-324 * 3, DBL_MIN,
    1e-300, 0.1, 1.0, 1.0000000000000002, 2.0, 12345.678, 1e300, DBL_MAX,
    INFINITY,
};

#define SPECIAL_COUNT (sizeof(special_scores) / sizeof(special_scores[0]))

/* The tree's order of two byte strings: memcmp, the shorter first on a
 * tie.  Returns -1, 0 or 1. */
static int
tree_order(const char *a, size_t a_length, const char *b, size_t b_length)
{
    size_t common = a_length < b_length ? a_length : b_length;
    int result = common ? memcmp(a, b, common) : 0;

    if (result != 0) {
        return result < 0 ? -1 : 1;
    }
    return (a_length > b_length) - (a_length < b_length);
}

/* Redis's order of two doubles: -1, 0 or 1 (-0.0 == 0.0). */
static int
numeric_order(double a, double b)
{
    return (a > b) - (a < b);
}

/* A deterministic xorshift generator for the random scores. */
static uint64_t
next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* A random double that is not NaN: random bits (every exponent, denormals,
 * infinities) or a modest number, alternately. */
static double
random_score(uint64_t *state)
{
    uint64_t bits = next_random(state);
    double value;

    if (bits & 1) {
        memcpy(&value, &bits, sizeof(value));
        if (isnan(value)) {
            value = (double)(int64_t)(bits >> 11);
        }
        return value;
    }
    return ((double)(int64_t)(bits >> 20) - (double)(1LL << 43)) / 1024.0;
}

/* Fills scores with the special ones followed by random ones; returns the
 * count. */
static size_t
all_scores(double *scores)
{
    uint64_t state = 0x243f6a8885a308d3ULL;
    size_t count = 0, i;

    for (i = 0; i < SPECIAL_COUNT; i++) {
        scores[count++] = special_scores[i];
    }
    for (i = 0; i < RANDOM_SCORES; i++) {
        scores[count++] = random_score(&state);
    }
    return count;
}

/* Order of two score keys with the same member. */
static int
score_key_order(double a, double b, const char *member, size_t length)
{
    struct collection_key left, right;
    int result;

    collection_key_score(&left, a, member, length);
    collection_key_score(&right, b, member, length);
    result = tree_order(left.data, left.length, right.data, right.length);
    collection_key_free(&left);
    collection_key_free(&right);
    return result;
}

static void
test_score_encoding_order_matches_numeric_order(void **state)
{
    double scores[SPECIAL_COUNT + RANDOM_SCORES];
    unsigned char a[8], b[8];
    size_t count = all_scores(scores), i, j;
    int expected, actual;

    (void)state;
    for (i = 0; i < count; i++) {
        for (j = 0; j < count; j++) {
            collection_score_encode(scores[i], a);
            collection_score_encode(scores[j], b);
            expected = numeric_order(scores[i], scores[j]);
            actual = memcmp(a, b, 8);
            actual = (actual > 0) - (actual < 0);
            if (actual != expected) {
                fail_msg("scores %.17g and %.17g: memcmp order %d, numeric %d",
                         scores[i], scores[j], actual, expected);
            }
        }
    }
}

static void
test_score_keys_order_matches_numeric_order(void **state)
{
    double scores[SPECIAL_COUNT + RANDOM_SCORES];
    size_t count = all_scores(scores), i, j;

    (void)state;
    for (i = 0; i < count; i += 3) {
        for (j = 0; j < count; j += 2) {
            assert_int_equal(score_key_order(scores[i], scores[j], "member", 6),
                             numeric_order(scores[i], scores[j]));
            assert_int_equal(score_key_order(scores[i], scores[j], "", 0),
                             numeric_order(scores[i], scores[j]));
        }
    }
}

static void
test_special_scores_are_in_increasing_order(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i + 1 < SPECIAL_COUNT; i++) {
        assert_true(score_key_order(special_scores[i], special_scores[i + 1],
                                    "m", 1) <= 0);
    }
    assert_int_equal(score_key_order(-INFINITY, -DBL_MAX, "m", 1), -1);
    assert_int_equal(score_key_order(-DBL_MIN, -4.9406564584124654e-324, "m", 1), -1);
    assert_int_equal(score_key_order(-4.9406564584124654e-324, -0.0, "m", 1), -1);
    assert_int_equal(score_key_order(0.0, 4.9406564584124654e-324, "m", 1), -1);
    assert_int_equal(score_key_order(DBL_MAX, INFINITY, "m", 1), -1);
}

static void
test_negative_zero_equals_zero(void **state)
{
    unsigned char negative[8], positive[8];
    struct collection_key a, b;

    (void)state;
    collection_score_encode(-0.0, negative);
    collection_score_encode(0.0, positive);
    assert_memory_equal(negative, positive, 8);
    collection_key_score(&a, -0.0, "x", 1);
    collection_key_score(&b, 0.0, "x", 1);
    assert_int_equal(a.length, b.length);
    assert_memory_equal(a.data, b.data, a.length);
    collection_key_free(&a);
    collection_key_free(&b);
}

/* Order of (score a, member a) against (score b, member b). */
static int
pair_order(double a, const char *a_member, size_t a_length,
           double b, const char *b_member, size_t b_length)
{
    struct collection_key left, right;
    int result;

    collection_key_score(&left, a, a_member, a_length);
    collection_key_score(&right, b, b_member, b_length);
    result = tree_order(left.data, left.length, right.data, right.length);
    collection_key_free(&left);
    collection_key_free(&right);
    return result;
}

static void
test_equal_scores_order_by_member_bytes(void **state)
{
    (void)state;
    assert_int_equal(pair_order(1.0, "a", 1, 1.0, "b", 1), -1);
    assert_int_equal(pair_order(1.0, "b", 1, 1.0, "ba", 2), -1);
    assert_int_equal(pair_order(1.0, "", 0, 1.0, "\0", 1), -1);
    assert_int_equal(pair_order(1.0, "a", 1, 1.0, "a\0", 2), -1);
    assert_int_equal(pair_order(1.0, "a\0b", 3, 1.0, "a\1", 2), -1);
    assert_int_equal(pair_order(1.0, "\x7f", 1, 1.0, "\x80", 1), -1);
    assert_int_equal(pair_order(1.0, "\xfe\xff", 2, 1.0, "\xff", 1), -1);
    assert_int_equal(pair_order(1.0, "\xff", 1, 1.0, "\xff\0", 2), -1);
    assert_int_equal(pair_order(-0.0, "b", 1, 0.0, "a", 1), 1);
    assert_int_equal(pair_order(-INFINITY, "x", 1, -INFINITY, "y", 1), -1);
    assert_int_equal(pair_order(INFINITY, "same", 4, INFINITY, "same", 4), 0);
}

static void
test_score_decides_before_member(void **state)
{
    (void)state;
    assert_int_equal(pair_order(1.0, "zzz", 3, 2.0, "a", 1), -1);
    assert_int_equal(pair_order(-1.0, "\xff\xff", 2, -0.5, "", 0), -1);
    assert_int_equal(pair_order(DBL_MAX, "\xff", 1, INFINITY, "\0", 1), -1);
    assert_int_equal(pair_order(-INFINITY, "\xff", 1, -DBL_MAX, "", 0), -1);
}

static void
test_score_only_key_sorts_first_among_its_score(void **state)
{
    struct collection_key prefix, key;

    (void)state;
    collection_key_score_only(&prefix, 3.5);
    collection_key_score(&key, 3.5, "\0", 1);
    assert_int_equal(prefix.length, COLLECTION_SCORE_SIZE);
    assert_memory_equal(prefix.data, key.data, COLLECTION_SCORE_SIZE);
    assert_int_equal(tree_order(prefix.data, prefix.length, key.data, key.length), -1);
    collection_key_free(&key);
    collection_key_score(&key, nextafter(3.5, -INFINITY), "\xff\xff\xff", 3);
    assert_int_equal(tree_order(key.data, key.length, prefix.data, prefix.length), -1);
    collection_key_free(&key);
    collection_key_free(&prefix);
}

static void
test_score_decode_inverts_encode(void **state)
{
    double scores[SPECIAL_COUNT + RANDOM_SCORES], decoded;
    size_t count = all_scores(scores), i;
    unsigned char encoded[8];

    (void)state;
    for (i = 0; i < count; i++) {
        collection_score_encode(scores[i], encoded);
        decoded = collection_score_decode(encoded);
        if (scores[i] == 0) {
            assert_true(decoded == 0 && !signbit(decoded));
        } else {
            assert_memory_equal(&decoded, &scores[i], sizeof(double));
        }
    }
}

static void
test_score_value_round_trips_every_bit(void **state)
{
    double scores[SPECIAL_COUNT + RANDOM_SCORES], decoded;
    size_t count = all_scores(scores), i;
    unsigned char encoded[8];

    (void)state;
    for (i = 0; i < count; i++) {
        collection_score_value_encode(scores[i], encoded);
        decoded = collection_score_value_decode((const char *)encoded, 8);
        assert_memory_equal(&decoded, &scores[i], sizeof(double));
    }
    collection_score_value_encode(-0.0, encoded);
    assert_true(signbit(collection_score_value_decode((const char *)encoded, 8)));
}

static void
test_score_key_gives_back_score_and_member(void **state)
{
    static const char binary[] = "a\0b\xff\x00\xfe";
    struct collection_key key;
    struct btree_item item;
    const char *member;
    size_t length;
    char *long_member;
    size_t i;

    (void)state;
    for (i = 0; i < SPECIAL_COUNT; i++) {
        collection_key_score(&key, special_scores[i], binary, sizeof(binary) - 1);
        item.key = key.data;
        item.key_length = key.length;
        member = collection_member_of_score_key(&item, &length);
        assert_int_equal(length, sizeof(binary) - 1);
        assert_memory_equal(member, binary, length);
        assert_true(collection_score_of_score_key(&item) == special_scores[i]);
        collection_key_free(&key);
    }
    long_member = malloc(10000);
    assert_non_null(long_member);
    memset(long_member, '\xff', 10000);
    long_member[5000] = '\0';
    collection_key_score(&key, -2.5, long_member, 10000);
    item.key = key.data;
    item.key_length = key.length;
    member = collection_member_of_score_key(&item, &length);
    assert_int_equal(length, 10000);
    assert_memory_equal(member, long_member, 10000);
    assert_true(collection_score_of_score_key(&item) == -2.5);
    collection_key_free(&key);
    free(long_member);
}

static void
test_member_key_round_trip(void **state)
{
    static const char *members[] = { "", "a", "member", "\0", "\xff\xff", "a\0b" };
    static const size_t lengths[] = { 0, 1, 6, 1, 2, 3 };
    struct collection_key key, again;
    struct btree_item item;
    const char *member;
    size_t length, i;
    char *long_member;

    (void)state;
    for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        collection_key_member(&key, members[i], lengths[i]);
        assert_int_equal(key.length, COLLECTION_MEMBER_HASH_SIZE + lengths[i]);
        item.key = key.data;
        item.key_length = key.length;
        member = collection_member_of_member_key(&item, &length);
        assert_int_equal(length, lengths[i]);
        if (length > 0) {
            assert_memory_equal(member, members[i], length);
        }
        collection_key_member(&again, members[i], lengths[i]);
        assert_memory_equal(again.data, key.data, key.length);
        collection_key_free(&again);
        collection_key_free(&key);
    }
    long_member = malloc(4096);
    assert_non_null(long_member);
    memset(long_member, 'm', 4096);
    collection_key_member(&key, long_member, 4096);
    item.key = key.data;
    item.key_length = key.length;
    member = collection_member_of_member_key(&item, &length);
    assert_int_equal(length, 4096);
    assert_memory_equal(member, long_member, 4096);
    collection_key_free(&key);
    free(long_member);
}

static void
test_member_keys_of_different_members_differ_in_hash(void **state)
{
    struct collection_key a, b;

    (void)state;
    collection_key_member(&a, "a", 1);
    collection_key_member(&b, "b", 1);
    assert_memory_not_equal(a.data, b.data, COLLECTION_MEMBER_HASH_SIZE);
    collection_key_free(&a);
    collection_key_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_encoding_order_matches_numeric_order),
        cmocka_unit_test(test_score_keys_order_matches_numeric_order),
        cmocka_unit_test(test_special_scores_are_in_increasing_order),
        cmocka_unit_test(test_negative_zero_equals_zero),
        cmocka_unit_test(test_equal_scores_order_by_member_bytes),
        cmocka_unit_test(test_score_decides_before_member),
        cmocka_unit_test(test_score_only_key_sorts_first_among_its_score),
        cmocka_unit_test(test_score_decode_inverts_encode),
        cmocka_unit_test(test_score_value_round_trips_every_bit),
        cmocka_unit_test(test_score_key_gives_back_score_and_member),
        cmocka_unit_test(test_member_key_round_trip),
        cmocka_unit_test(test_member_keys_of_different_members_differ_in_hash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
