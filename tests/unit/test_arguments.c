/*
 * test_arguments.c — Redis's quoting rules.  Each case was sent as an
 * inline command (ECHO ...) to redis-server 7.0 to confirm the split.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "shared/arguments.h"

#define MAX_TEST_ARGUMENTS 16

/* The result of split_arguments_into() on one line. */
struct split_result {
    int         count;
    char        out[256];
    const char *argv[MAX_TEST_ARGUMENTS];
    size_t      argv_length[MAX_TEST_ARGUMENTS];
};

/* Splits line[0..length) into result. */
static int
split(struct split_result *result, const char *line, size_t length)
{
    assert_true(length <= sizeof(result->out));
    memset(result, 0, sizeof(*result));
    result->count = split_arguments_into(line, length, result->out, result->argv,
                                         result->argv_length, MAX_TEST_ARGUMENTS);
    return result->count;
}

/* Splits a C string. */
static int
split_text(struct split_result *result, const char *line)
{
    return split(result, line, strlen(line));
}

/* Argument i must be expected[0..length). */
static void
assert_argument(const struct split_result *result, int i,
                const char *expected, size_t length)
{
    assert_true(i < result->count);
    assert_int_equal(result->argv_length[i], length);
    assert_memory_equal(result->argv[i], expected, length);
}

/* Argument i must be the C string expected. */
static void
assert_argument_text(const struct split_result *result, int i, const char *expected)
{
    assert_argument(result, i, expected, strlen(expected));
}

static void
test_plain_words(void **state)
{
    struct split_result r;

    assert_int_equal(split_text(&r, "set key value"), 3);
    assert_argument_text(&r, 0, "set");
    assert_argument_text(&r, 1, "key");
    assert_argument_text(&r, 2, "value");

    /* Any run of blanks separates, at either end too. */
    assert_int_equal(split_text(&r, "  a \t\t b  \r\n"), 2);
    assert_argument_text(&r, 0, "a");
    assert_argument_text(&r, 1, "b");
}

static void
test_empty_and_blank_lines(void **state)
{
    struct split_result r;

    assert_int_equal(split(&r, "", 0), 0);
    assert_int_equal(split_text(&r, "   "), 0);
    assert_int_equal(split_text(&r, " \t\r\n\v\f"), 0);
}

static void
test_separators_inside_words(void **state)
{
    struct split_result r;

    /* '\r' ends a word ("ECHO a\rb" has three arguments in Redis)... */
    assert_int_equal(split_text(&r, "a\rb"), 2);
    /* ...but \v and \f only count as blanks between words. */
    assert_int_equal(split_text(&r, "\va\vb"), 1);
    assert_argument_text(&r, 0, "a\vb");
}

static void
test_double_quote_escapes(void **state)
{
    struct split_result r;

    assert_int_equal(split_text(&r, "\"a b\" \"x\\ny\" \"\\r\\t\\b\\a\""), 3);
    assert_argument_text(&r, 0, "a b");
    assert_argument_text(&r, 1, "x\ny");
    assert_argument_text(&r, 2, "\r\t\b\a");

    /* \xHH needs two hex digits; otherwise \x is just 'x'. */
    assert_int_equal(split_text(&r, "\"\\x41\\x4a\\x4F\" \"\\x4G\" \"\\q\\\\\\\"\""), 3);
    assert_argument_text(&r, 0, "AJO");
    assert_argument_text(&r, 1, "x4G");
    assert_argument_text(&r, 2, "q\\\"");
}

static void
test_binary_bytes(void **state)
{
    struct split_result r;

    assert_int_equal(split_text(&r, "\"\\x00\\xff\\x0d\\x0a\""), 1);
    assert_argument(&r, 0, "\0\xff\r\n", 4);

    /* A literal NUL byte is an ordinary byte (the length is explicit). */
    assert_int_equal(split(&r, "a\0b c", 5), 2);
    assert_argument(&r, 0, "a\0b", 3);
    assert_argument_text(&r, 1, "c");
}

static void
test_single_quotes(void **state)
{
    struct split_result r;

    assert_int_equal(split_text(&r, "'a\\'b' 'c\\nd' 'e\"f'"), 3);
    assert_argument_text(&r, 0, "a'b");
    assert_argument_text(&r, 1, "c\\nd");
    assert_argument_text(&r, 2, "e\"f");
}

static void
test_empty_quoted_arguments(void **state)
{
    struct split_result r;

    assert_int_equal(split_text(&r, "\"\" ''"), 2);
    assert_argument(&r, 0, "", 0);
    assert_argument(&r, 1, "", 0);
}

static void
test_quote_inside_word(void **state)
{
    struct split_result r;

    /* ECHO a"b c" d: three arguments in Redis ("ab c" and "d"). */
    assert_int_equal(split_text(&r, "a\"b c\" d"), 2);
    assert_argument_text(&r, 0, "ab c");
    assert_argument_text(&r, 1, "d");

    /* A closing quote may be followed by any blank, \v included. */
    assert_int_equal(split_text(&r, "\"a\"\vb"), 2);
    assert_argument_text(&r, 0, "a");
    assert_argument_text(&r, 1, "b");
}

static void
test_unbalanced_quotes(void **state)
{
    static const char *const unbalanced[] = {
        "\"abc", "'abc", "set \"a b", "\"a\"b", "'a'b", "\"abc\\\"",
        "\"a\"\"b\"", "x 'y", "\"\\",
    };
    struct split_result r;
    size_t i;

    for (i = 0; i < sizeof(unbalanced) / sizeof(unbalanced[0]); i++) {
        if (split_text(&r, unbalanced[i]) != -1) {
            fail_msg("'%s' was accepted", unbalanced[i]);
        }
    }
}

static void
test_too_many_arguments(void **state)
{
    char out[16];
    const char *argv[2];
    size_t argv_length[2];

    assert_int_equal(split_arguments_into("a b c", 5, out, argv, argv_length, 2), -2);
    assert_int_equal(split_arguments_into("a b", 3, out, argv, argv_length, 2), 2);
    assert_int_equal(split_arguments_into("", 0, out, argv, argv_length, 0), 0);
}

static void
test_output_fits_in_line_length(void **state)
{
    /* Every escape shrinks: the decoded bytes never exceed the line. */
    const char line[] = "\"\\x41\" '\\'' \"\\n\"";
    char out[sizeof(line) - 1];
    const char *argv[4];
    size_t argv_length[4];

    assert_int_equal(split_arguments_into(line, sizeof(line) - 1, out, argv,
                                          argv_length, 4), 3);
    assert_ptr_equal(argv[0], out);
    assert_memory_equal(argv[0], "A", 1);
    assert_memory_equal(argv[1], "'", 1);
    assert_memory_equal(argv[2], "\n", 1);
}

static void
test_split_arguments_allocates_copies(void **state)
{
    struct argument_list list;
    int i;

    assert_int_equal(split_arguments("bind 127.0.0.1 \"::1\" '\\x00'", 27, &list), 0);
    assert_int_equal(list.count, 4);
    assert_string_equal(list.value[0], "bind");
    assert_string_equal(list.value[1], "127.0.0.1");
    assert_string_equal(list.value[2], "::1");
    assert_string_equal(list.value[3], "\\x00");
    assert_int_equal(list.length[3], 4);
    argument_list_free(&list);
    assert_int_equal(list.count, 0);
    assert_null(list.value);

    /* Binary bytes are kept, with the true length. */
    assert_int_equal(split_arguments("\"a\\x00b\"", 8, &list), 0);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.length[0], 3);
    assert_memory_equal(list.value[0], "a\0b", 4);
    argument_list_free(&list);

    /* Growth past the first allocation. */
    assert_int_equal(split_arguments("0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19",
                                     50, &list), 0);
    assert_int_equal(list.count, 20);
    for (i = 0; i < 20; i++) {
        char expected[16];

        snprintf(expected, sizeof(expected), "%d", i);
        assert_string_equal(list.value[i], expected);
    }
    argument_list_free(&list);
}

static void
test_split_arguments_unbalanced_leaves_list_empty(void **state)
{
    struct argument_list list;

    assert_int_equal(split_arguments("a b \"c", 6, &list), -1);
    assert_int_equal(list.count, 0);
    assert_null(list.value);
    argument_list_free(&list);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_words),
        cmocka_unit_test(test_empty_and_blank_lines),
        cmocka_unit_test(test_separators_inside_words),
        cmocka_unit_test(test_double_quote_escapes),
        cmocka_unit_test(test_binary_bytes),
        cmocka_unit_test(test_single_quotes),
        cmocka_unit_test(test_empty_quoted_arguments),
        cmocka_unit_test(test_quote_inside_word),
        cmocka_unit_test(test_unbalanced_quotes),
        cmocka_unit_test(test_too_many_arguments),
        cmocka_unit_test(test_output_fits_in_line_length),
        cmocka_unit_test(test_split_arguments_allocates_copies),
        cmocka_unit_test(test_split_arguments_unbalanced_leaves_list_empty),
    };

    return cmocka_run_group_tests_name("arguments", tests, NULL, NULL);
}
