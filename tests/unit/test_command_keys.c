/*
 * test_command_keys.c — where a request's keys are (command_find_keys and
 * friends): the table's fixed positions, the numkeys argument of every
 * movable-keys command, OBJECT's key, and numkeys values Redis refuses or
 * reads loosely.  Each expectation is what redis-server 7.0.15 answers to
 * COMMAND GETKEYS for the same arguments (tests/integration/
 * test_proxy_types.py compares a selection with a live redis-server).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shared/commands.h"

#define MAX_ARGUMENTS 16
#define NO_KEYS -1

/* One request as the tests write it: C strings after the command name,
 * NULL-terminated. */
struct test_request {
    const char *argv[MAX_ARGUMENTS];
    size_t      argv_length[MAX_ARGUMENTS];
    int         argc;
};

/* Builds a request from a NULL-terminated list of C strings. */
static void
request_build(struct test_request *request, const char *const *words)
{
    int i;

    for (i = 0; words[i] != NULL; i++) {
        assert_true(i < MAX_ARGUMENTS);
        request->argv[i] = words[i];
        request->argv_length[i] = strlen(words[i]);
    }
    request->argc = i;
}

/*
 * Checks the keys of `words` (a NULL-terminated request) against
 * `expected`, a list of argument positions ended by NO_KEYS.  The request
 * must satisfy its command's arity, as it does when the proxy asks.
 */
static void
check_keys(const char *const *words, const int *expected)
{
    const struct command_info *info;
    struct test_request request;
    struct command_keys keys;
    int positions[MAX_ARGUMENTS];
    int expected_count = 0, count, i;

    request_build(&request, words);
    info = command_lookup(request.argv[0], request.argv_length[0]);
    assert_non_null(info);
    assert_true(command_arity_ok(info, request.argc));
    while (expected[expected_count] != NO_KEYS) {
        expected_count++;
    }
    count = command_find_keys(info, request.argc, request.argv, request.argv_length, &keys);
    assert_int_equal(count, expected_count);
    assert_int_equal(keys.count, expected_count);
    for (i = 0; i < count; i++) {
        assert_int_equal(command_keys_position(&keys, i), expected[i]);
    }
    assert_int_equal(command_get_keys(info, request.argc, request.argv, request.argv_length,
                                      positions, MAX_ARGUMENTS), expected_count);
    for (i = 0; i < count; i++) {
        assert_int_equal(positions[i], expected[i]);
    }
}

/* check_keys() with the words and positions written inline. */
#define WORDS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define KEYS(...) ((const int[]){ __VA_ARGS__, NO_KEYS })
#define NONE ((const int[]){ NO_KEYS })

static void
test_fixed_positions(void **state)
{
    check_keys(WORDS("get", "k"), KEYS(1));
    check_keys(WORDS("set", "k", "v", "EX", "10"), KEYS(1));
    check_keys(WORDS("mset", "a", "1", "b", "2"), KEYS(1, 3));
    check_keys(WORDS("msetnx", "a", "1", "b", "2", "c", "3"), KEYS(1, 3, 5));
    check_keys(WORDS("del", "a", "b", "c"), KEYS(1, 2, 3));
    check_keys(WORDS("hset", "h", "f", "v", "g", "w"), KEYS(1));
    check_keys(WORDS("smove", "src", "dst", "member"), KEYS(1, 2));
    check_keys(WORDS("sinter", "a", "b", "c"), KEYS(1, 2, 3));
    check_keys(WORDS("sinterstore", "dst", "a", "b"), KEYS(1, 2, 3));
    check_keys(WORDS("sdiffstore", "dst", "a"), KEYS(1, 2));
    check_keys(WORDS("lmove", "src", "dst", "LEFT", "RIGHT"), KEYS(1, 2));
    check_keys(WORDS("rpoplpush", "src", "dst"), KEYS(1, 2));
    check_keys(WORDS("rename", "a", "b"), KEYS(1, 2));
    check_keys(WORDS("renamenx", "a", "b"), KEYS(1, 2));
    check_keys(WORDS("copy", "a", "b", "DB", "1", "REPLACE"), KEYS(1, 2));
    check_keys(WORDS("zrangestore", "dst", "src", "0", "-1"), KEYS(1, 2));
    check_keys(WORDS("scan", "0", "MATCH", "x"), NONE);
    check_keys(WORDS("ping"), NONE);
}

/* Blocking commands: the keys come before the timeout. */
static void
test_blocking_fixed_positions(void **state)
{
    check_keys(WORDS("blpop", "a", "0"), KEYS(1));
    check_keys(WORDS("blpop", "a", "b", "c", "0"), KEYS(1, 2, 3));
    check_keys(WORDS("brpop", "a", "b", "1.5"), KEYS(1, 2));
    check_keys(WORDS("bzpopmin", "a", "b", "0"), KEYS(1, 2));
    check_keys(WORDS("bzpopmax", "a", "0"), KEYS(1));
    check_keys(WORDS("blmove", "src", "dst", "LEFT", "LEFT", "0"), KEYS(1, 2));
    check_keys(WORDS("brpoplpush", "src", "dst", "0"), KEYS(1, 2));
}

/* dest numkeys key...: with a valid numkeys the destination comes first. */
static void
test_store_numkeys(void **state)
{
    check_keys(WORDS("zunionstore", "d", "2", "a", "b"), KEYS(1, 3, 4));
    check_keys(WORDS("zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"), KEYS(1, 3, 4));
    check_keys(WORDS("zinterstore", "d", "1", "a", "AGGREGATE", "MAX"), KEYS(1, 3));
    check_keys(WORDS("zdiffstore", "d", "3", "a", "b", "c"), KEYS(1, 3, 4, 5));
    /* numkeys counts only the keys after it, never the options. */
    check_keys(WORDS("zunionstore", "d", "1", "a", "b", "c"), KEYS(1, 3));
}

/* numkeys key...: ZUNION, ZINTER, ZDIFF, ZINTERCARD, SINTERCARD, LMPOP, ZMPOP. */
static void
test_numkeys(void **state)
{
    check_keys(WORDS("zunion", "2", "a", "b"), KEYS(2, 3));
    check_keys(WORDS("zunion", "1", "a", "b", "weights", "3"), KEYS(2));
    check_keys(WORDS("zinter", "1", "a", "WITHSCORES"), KEYS(2));
    check_keys(WORDS("zdiff", "2", "a", "b"), KEYS(2, 3));
    check_keys(WORDS("zintercard", "2", "a", "b"), KEYS(2, 3));
    check_keys(WORDS("zintercard", "1", "a", "LIMIT", "1"), KEYS(2));
    check_keys(WORDS("sintercard", "2", "a", "b", "LIMIT", "3"), KEYS(2, 3));
    check_keys(WORDS("sintercard", "1", "a"), KEYS(2));
    check_keys(WORDS("lmpop", "2", "a", "b", "LEFT"), KEYS(2, 3));
    check_keys(WORDS("lmpop", "1", "a", "LEFT", "COUNT", "2"), KEYS(2));
    check_keys(WORDS("zmpop", "1", "a", "MIN"), KEYS(2));
    check_keys(WORDS("zmpop", "2", "a", "b", "MAX"), KEYS(2, 3));
    /* Redis takes whatever numkeys names, even the LEFT keyword. */
    check_keys(WORDS("lmpop", "2", "a", "LEFT"), KEYS(2, 3));
}

/* timeout numkeys key...: the timeout is not checked here. */
static void
test_blocking_numkeys(void **state)
{
    check_keys(WORDS("blmpop", "0", "2", "a", "b", "LEFT"), KEYS(3, 4));
    check_keys(WORDS("blmpop", "0", "2", "a", "LEFT"), KEYS(3, 4));
    check_keys(WORDS("bzmpop", "1.5", "1", "a", "MIN"), KEYS(3));
    check_keys(WORDS("bzmpop", "x", "1", "a", "MIN"), KEYS(3));
    check_keys(WORDS("bzmpop", "0", "2", "a", "b", "MAX", "COUNT", "2"), KEYS(3, 4));
}

/* numkeys 0, negative, too large, not a number: no keys. */
static void
test_invalid_numkeys(void **state)
{
    check_keys(WORDS("zunionstore", "d", "0", "a"), NONE);
    check_keys(WORDS("zunionstore", "d", "-1", "a", "b"), NONE);
    check_keys(WORDS("zunionstore", "d", "5", "a"), NONE);
    check_keys(WORDS("zunionstore", "d", "x", "a"), NONE);
    check_keys(WORDS("zunionstore", "d", "", "a"), NONE);
    check_keys(WORDS("zunionstore", "d", "-0", "a"), NONE);
    check_keys(WORDS("zunionstore", "d", "- 1", "a"), NONE);
    check_keys(WORDS("zunion", "3", "a", "b"), NONE);
    check_keys(WORDS("zunion", "0", "a"), NONE);
    check_keys(WORDS("zinter", "-2", "a", "b"), NONE);
    check_keys(WORDS("zdiff", "abc", "a"), NONE);
    check_keys(WORDS("zintercard", "0", "a"), NONE);
    check_keys(WORDS("sintercard", "2", "a"), NONE);
    check_keys(WORDS("lmpop", "0", "a", "LEFT"), NONE);
    check_keys(WORDS("lmpop", "3", "a", "LEFT"), NONE);
    check_keys(WORDS("zmpop", "-1", "a", "MIN"), NONE);
    check_keys(WORDS("blmpop", "0", "0", "a", "LEFT"), NONE);
    check_keys(WORDS("blmpop", "0", "x", "a", "LEFT"), NONE);
    check_keys(WORDS("blmpop", "0", "3", "a", "LEFT"), NONE);
    check_keys(WORDS("bzmpop", "0", "-5", "a", "MIN"), NONE);
}

/* Numbers that overflow the 64-bit parse or the cut to an int. */
static void
test_numkeys_overflow(void **state)
{
    check_keys(WORDS("zunionstore", "d", "99999999999999999999", "a"), NONE);
    check_keys(WORDS("zunionstore", "d", "9223372036854775807", "a"), NONE);
    check_keys(WORDS("zunionstore", "d", "9223372036854775808", "a"), NONE);
    check_keys(WORDS("zunionstore", "d", "-9223372036854775808", "a"), NONE);
    check_keys(WORDS("zunionstore", "d", "-9223372036854775809", "a"), NONE);
    check_keys(WORDS("zunionstore", "d", "18446744073709551617", "a"), NONE);
    check_keys(WORDS("zunion", "2147483648", "a"), NONE);
    check_keys(WORDS("zunion", "4294967298", "a"), NONE);
    /* 2^32 + 1 is canonical and cut to 1: the key specs accept it. */
    check_keys(WORDS("zunionstore", "d", "4294967297", "a"), KEYS(1, 3));
    check_keys(WORDS("zunion", "4294967297", "a"), KEYS(2));
    check_keys(WORDS("zunion", "4294967298", "a", "b"), KEYS(2, 3));
}

/*
 * numkeys that is not canonical but that atoi() reads as a usable count:
 * Redis's key specs refuse it, its older key function takes it, and lists
 * the destination after the other keys.
 */
static void
test_loose_numkeys(void **state)
{
    check_keys(WORDS("zunionstore", "d", "01", "a"), KEYS(3, 1));
    check_keys(WORDS("zunionstore", "d", "1.0", "a"), KEYS(3, 1));
    check_keys(WORDS("zunionstore", "d", " 1", "a"), KEYS(3, 1));
    check_keys(WORDS("zunionstore", "d", "\t\n\v\f\r 1", "a"), KEYS(3, 1));
    check_keys(WORDS("zunionstore", "d", "+1", "a"), KEYS(3, 1));
    check_keys(WORDS("zunionstore", "d", "1abc", "a"), KEYS(3, 1));
    check_keys(WORDS("zunionstore", "d", "+2", "a", "b"), KEYS(3, 4, 1));
    /* -(2^32 - 1) is negative for the key specs, 1 for atoi(). */
    check_keys(WORDS("zunionstore", "d", "-4294967295", "a"), KEYS(3, 1));
    check_keys(WORDS("zunion", "-4294967295", "a"), KEYS(2));
    check_keys(WORDS("zunion", "01", "a", "b"), KEYS(2));
    check_keys(WORDS("zunion", "2abc", "a", "b"), KEYS(2, 3));
    check_keys(WORDS("lmpop", "01", "a", "LEFT"), KEYS(2));
    check_keys(WORDS("blmpop", "0", "01", "a", "LEFT"), KEYS(3));
}

/* atoi() stops at a zero byte, which a binary-safe argument may hold. */
static void
test_numkeys_with_zero_byte(void **state)
{
    const struct command_info *info = &command_table[COMMAND_ZUNIONSTORE];
    const char *argv[] = { "zunionstore", "d", "1\0002", "a" };
    size_t argv_length[] = { 11, 1, 3, 1 };
    struct command_keys keys;

    assert_int_equal(command_find_keys(info, 4, argv, argv_length, &keys), 2);
    assert_int_equal(command_keys_position(&keys, 0), 3);
    assert_int_equal(command_keys_position(&keys, 1), 1);
}

/* OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key: argument 2, any case. */
static void
test_object(void **state)
{
    check_keys(WORDS("object", "encoding", "k"), KEYS(2));
    check_keys(WORDS("object", "ENCODING", "k"), KEYS(2));
    check_keys(WORDS("object", "refcount", "k"), KEYS(2));
    check_keys(WORDS("object", "IdleTime", "k"), KEYS(2));
    check_keys(WORDS("object", "freq", "k"), KEYS(2));
    check_keys(WORDS("object", "help"), NONE);
    check_keys(WORDS("object", "help", "k"), NONE);
    check_keys(WORDS("object", "encoding"), NONE);
    check_keys(WORDS("object", "encoding", "k", "extra"), NONE);
    check_keys(WORDS("object", "nosuch", "k"), NONE);
    assert_int_equal(command_object_subcommand_keys("Encoding", 8), 1);
    assert_int_equal(command_object_subcommand_keys("HELP", 4), 0);
    assert_int_equal(command_object_subcommand_keys("freqs", 5), -1);
    assert_int_equal(command_object_subcommand_keys("fre", 3), -1);
}

/* Every movable-keys command has a numkeys shape, nothing else has. */
static void
test_every_movable_command_has_a_shape(void **state)
{
    int i, movable = 0;

    for (i = 0; i < COMMAND_COUNT; i++) {
        const struct command_info *info = &command_table[i];
        int position = command_numkeys_position(info);

        if (info->flags & COMMAND_MOVABLEKEYS) {
            movable++;
            assert_true(position >= 1 && position <= 2);
            /* The arity leaves room for numkeys and one key. */
            assert_true(-info->arity >= position + 2);
        } else {
            assert_int_equal(position, 0);
        }
    }
    assert_int_equal(movable, 12);
    assert_int_equal(command_numkeys_position(&command_table[COMMAND_ZUNIONSTORE]), 2);
    assert_int_equal(command_numkeys_position(&command_table[COMMAND_ZUNION]), 1);
    assert_int_equal(command_numkeys_position(&command_table[COMMAND_LMPOP]), 1);
    assert_int_equal(command_numkeys_position(&command_table[COMMAND_BZMPOP]), 2);
}

/* For every other command the keys are the table's key range. */
static void
test_fixed_commands_follow_the_table(void **state)
{
    static const char *const argv[MAX_ARGUMENTS] = {
        "x", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11"
    };
    size_t argv_length[MAX_ARGUMENTS];
    int i, argc;

    for (i = 0; i < MAX_ARGUMENTS; i++) {
        argv_length[i] = argv[i] != NULL ? strlen(argv[i]) : 0;
    }
    for (i = 0; i < COMMAND_COUNT; i++) {
        const struct command_info *info = &command_table[i];

        if ((info->flags & COMMAND_MOVABLEKEYS) || info->id == COMMAND_OBJECT) {
            continue;
        }
        for (argc = 1; argc <= 12; argc++) {
            struct command_keys keys;
            int first, last, step, count, key;

            if (!command_arity_ok(info, argc)) {
                continue;
            }
            count = command_key_positions(info, argc, &first, &last, &step);
            assert_int_equal(command_find_keys(info, argc, argv, argv_length, &keys), count);
            for (key = 0; key < count; key++) {
                assert_int_equal(command_keys_position(&keys, key), first + key * step);
            }
        }
    }
}

/* command_get_keys() writes at most `capacity` positions. */
static void
test_get_keys_capacity(void **state)
{
    const char *argv[] = { "zunionstore", "d", "3", "a", "b", "c" };
    size_t argv_length[] = { 11, 1, 1, 1, 1, 1 };
    int positions[4] = { -7, -7, -7, -7 };

    assert_int_equal(command_get_keys(&command_table[COMMAND_ZUNIONSTORE], 6, argv,
                                      argv_length, positions, 2), 4);
    assert_int_equal(positions[0], 1);
    assert_int_equal(positions[1], 3);
    assert_int_equal(positions[2], -7);
    assert_int_equal(command_get_keys(&command_table[COMMAND_ZUNIONSTORE], 6, argv,
                                      argv_length, NULL, 0), 4);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_positions),
        cmocka_unit_test(test_blocking_fixed_positions),
        cmocka_unit_test(test_store_numkeys),
        cmocka_unit_test(test_numkeys),
        cmocka_unit_test(test_blocking_numkeys),
        cmocka_unit_test(test_invalid_numkeys),
        cmocka_unit_test(test_numkeys_overflow),
        cmocka_unit_test(test_loose_numkeys),
        cmocka_unit_test(test_numkeys_with_zero_byte),
        cmocka_unit_test(test_object),
        cmocka_unit_test(test_every_movable_command_has_a_shape),
        cmocka_unit_test(test_fixed_commands_follow_the_table),
        cmocka_unit_test(test_get_keys_capacity),
    };

    return cmocka_run_group_tests_name("command keys", tests, NULL, NULL);
}
