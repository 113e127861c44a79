/*
 * test_random.c — the shared xorshift64* generator: the sequence follows
 * from the seed alone, the state never becomes 0, seeds differ and are
 * nonzero, and random hex strings are what run ids need.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shared/random.h"

/* xorshift64* from state 1, worked out by hand (shifts 12, 25, 27; the
 * multiplier 0x2545F4914F6CDD1D): the algorithm is pinned, not just
 * self-consistent. */
static void
test_known_sequence(void **unused)
{
    uint64_t state = 1;

    assert_true(random_next(&state) == 0x47e4ce4b896cdd1dULL);
    assert_true(state == 0x2000001ULL);
    assert_true(random_next(&state) == 0xabcfa6a8e079651dULL);
    assert_true(random_next(&state) == 0xb9d10d8feb731f57ULL);
}

static void
test_same_seed_same_sequence(void **unused)
{
    uint64_t first = 0x0123456789abcdefULL, second = first;
    int i;

    for (i = 0; i < 1000; i++) {
        assert_true(random_next(&first) == random_next(&second));
    }
    first = 42;
    second = 43;
    assert_true(random_next(&first) != random_next(&second));
}

static void
test_nonzero_state_stays_nonzero(void **unused)
{
    static const uint64_t seeds[] = {
        1, 2, 0x8000000000000000ULL, 0xffffffffffffffffULL, 0x9e3779b97f4a7c15ULL
    };
    uint64_t state;
    size_t s;
    int i;

    for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        state = seeds[s];
        for (i = 0; i < 100000; i++) {
            random_next(&state);
            assert_true(state != 0);
        }
    }
}

static void
test_seed_is_nonzero_and_varies(void **unused)
{
    uint64_t seeds[8];
    int i, j, equal_pairs = 0;

    for (i = 0; i < 8; i++) {
        seeds[i] = random_seed();
        assert_true(seeds[i] != 0);
    }
    for (i = 0; i < 8; i++) {
        for (j = i + 1; j < 8; j++) {
            equal_pairs += seeds[i] == seeds[j];
        }
    }
    assert_int_equal(equal_pairs, 0);
}

static void
test_hex_digits(void **unused)
{
    uint64_t state = 7, again = 7;
    char id[41], same[41];
    size_t i;

    memset(id, 'X', sizeof(id));
    random_hex(&state, id, 40);
    assert_int_equal(strlen(id), 40);
    for (i = 0; i < 40; i++) {
        assert_non_null(strchr("0123456789abcdef", id[i]));
    }
    random_hex(&again, same, 40);
    assert_string_equal(id, same);
    random_hex(&state, same, 40);
    assert_string_not_equal(id, same);
    random_hex(&state, same, 0);
    assert_string_equal(same, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_sequence),
        cmocka_unit_test(test_same_seed_same_sequence),
        cmocka_unit_test(test_nonzero_state_stays_nonzero),
        cmocka_unit_test(test_seed_is_nonzero_and_varies),
        cmocka_unit_test(test_hex_digits),
    };

    return cmocka_run_group_tests_name("random", tests, NULL, NULL);
}
