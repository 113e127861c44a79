/*
 * test_number.c — strict number parsing and Redis's number formats.  The
 * expected texts were checked against redis-server 7.0 (INCR on the input,
 * ZADD/ZSCORE for %.17g, INCRBYFLOAT for the long double format).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shared/number.h"

/* string_to_long_long() on a C string. */
static int
parse_ll(const char *text, long long *value)
{
    return string_to_long_long(text, strlen(text), value);
}

static void
test_long_long_accepts_canonical(void **state)
{
    long long value = 42;

    assert_true(parse_ll("0", &value));
    assert_int_equal(value, 0);
    assert_true(parse_ll("7", &value));
    assert_int_equal(value, 7);
    assert_true(parse_ll("-12", &value));
    assert_int_equal(value, -12);
    assert_true(parse_ll("1234567890", &value));
    assert_int_equal(value, 1234567890);
    assert_true(parse_ll("9223372036854775807", &value));
    assert_true(value == LLONG_MAX);
    assert_true(parse_ll("-9223372036854775808", &value));
    assert_true(value == LLONG_MIN);
    /* value may be NULL when only validity matters. */
    assert_true(parse_ll("5", NULL));
}

static void
test_long_long_rejects_non_canonical(void **state)
{
    static const char *const rejected[] = {
        "", "-", "+1", "+0", "007", "00", "01", "-0", "-01", " 1", "1 ",
        "\t1", "1\n", "1a", "a1", "0x10", "1.0", "1e3", "--1", "1-",
    };
    long long value = 99;
    size_t i;

    for (i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
        if (parse_ll(rejected[i], &value)) {
            fail_msg("accepted '%s'", rejected[i]);
        }
    }
    /* A NUL byte inside the length is not a digit. */
    assert_false(string_to_long_long("1\0", 2, &value));
    assert_false(string_to_long_long("\0", 1, &value));
    /* Refused input leaves the output untouched. */
    assert_int_equal(value, 99);
}

static void
test_long_long_rejects_overflow(void **state)
{
    long long value;

    assert_false(parse_ll("9223372036854775808", &value));
    assert_false(parse_ll("-9223372036854775809", &value));
    assert_false(parse_ll("18446744073709551615", &value));
    assert_false(parse_ll("18446744073709551616", &value));
    assert_false(parse_ll("99999999999999999999", &value));
    assert_false(parse_ll("-99999999999999999999999", &value));
}

static void
test_long_long_uses_length_not_nul(void **state)
{
    long long value;

    /* Only the first two bytes of "123" are the number. */
    assert_true(string_to_long_long("123", 2, &value));
    assert_int_equal(value, 12);
    assert_false(string_to_long_long("123", 0, &value));
}

static void
test_unsigned_long_long(void **state)
{
    unsigned long long value;

    assert_true(string_to_unsigned_long_long("0", 1, &value));
    assert_true(value == 0);
    assert_true(string_to_unsigned_long_long("18446744073709551615", 20, &value));
    assert_true(value == ULLONG_MAX);
    assert_true(string_to_unsigned_long_long("9223372036854775808", 19, &value));
    assert_true(value == 9223372036854775808ULL);
    assert_false(string_to_unsigned_long_long("18446744073709551616", 20, &value));
    assert_false(string_to_unsigned_long_long("-1", 2, &value));
    assert_false(string_to_unsigned_long_long("+1", 2, &value));
    assert_false(string_to_unsigned_long_long("01", 2, &value));
    assert_false(string_to_unsigned_long_long(" 1", 2, &value));
    assert_false(string_to_unsigned_long_long("", 0, &value));
}

/* string_to_double() on a C string. */
static int
parse_d(const char *text, double *value)
{
    return string_to_double(text, strlen(text), value);
}

static void
test_double_accepts_redis_forms(void **state)
{
    double value;

    assert_true(parse_d("1.5", &value));
    assert_true(value == 1.5);
    assert_true(parse_d("-3e3", &value));
    assert_true(value == -3000.0);
    assert_true(parse_d("+5", &value));
    assert_true(value == 5.0);
    assert_true(parse_d(".5", &value));
    assert_true(value == 0.5);
    assert_true(parse_d("5.", &value));
    assert_true(value == 5.0);
    assert_true(parse_d("0x10", &value));
    assert_true(value == 16.0);
    assert_true(parse_d("007", &value));
    assert_true(value == 7.0);
    assert_true(parse_d("inf", &value));
    assert_true(isinf(value) && value > 0);
    assert_true(parse_d("+inf", &value));
    assert_true(isinf(value) && value > 0);
    assert_true(parse_d("-inf", &value));
    assert_true(isinf(value) && value < 0);
    assert_true(parse_d("infinity", &value));
    assert_true(isinf(value));
    assert_true(parse_d("-0.0", &value));
    assert_true(value == 0 && signbit(value));
    /* A denormal is not an underflow to zero: ZADD z 1e-320 m works. */
    assert_true(parse_d("1e-320", &value));
    assert_true(value > 0);
    assert_true(parse_d("1.7976931348623157e308", &value));
}

static void
test_double_rejects(void **state)
{
    static const char *const rejected[] = {
        "", " 1", "\t1", "\n1", "1 ", "1\n", "nan", "NaN", "-nan", "nan(1)",
        "1e400", "-1e400", "1e-400", "abc", "1x", "--1", "1e", ".", "-",
    };
    double value = 7;
    size_t i;

    for (i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
        if (parse_d(rejected[i], &value)) {
            fail_msg("accepted '%s'", rejected[i]);
        }
    }
    assert_false(string_to_double("1\0", 2, &value));
    assert_true(value == 7);
}

static void
test_double_long_input(void **state)
{
    /* Longer than the stack copy: "1." followed by many digits. */
    size_t length = 1000;
    char *text = malloc(length);
    double value;

    assert_non_null(text);
    memset(text, '0', length);
    text[0] = '2';
    text[1] = '.';
    text[length - 1] = '5';
    assert_true(string_to_double(text, length, &value));
    assert_true(value == 2.0);
    /* The same text with a trailing blank is refused. */
    text[length - 1] = ' ';
    assert_false(string_to_double(text, length, &value));
    free(text);
}

static void
test_long_double_parsing(void **state)
{
    long double value;
    char *text;

    assert_true(string_to_long_double("10.5", 4, &value));
    assert_true(value == 10.5L);
    /* long double has the range that double lacks (INCRBYFLOAT 1e400). */
    assert_true(string_to_long_double("1e400", 5, &value));
    assert_true(string_to_long_double("1e-400", 6, &value));
    assert_true(value > 0);
    assert_true(string_to_long_double("inf", 3, &value));
    assert_true(isinf(value));
    assert_false(string_to_long_double("1e5000", 6, &value));
    assert_false(string_to_long_double("nan", 3, &value));
    assert_false(string_to_long_double(" 1", 2, &value));
    assert_false(string_to_long_double("1 ", 2, &value));
    assert_false(string_to_long_double("", 0, &value));

    /* Redis refuses inputs of 5120 bytes or more, even valid ones. */
    text = malloc(5120);
    assert_non_null(text);
    memset(text, '0', 5120);
    text[5119] = '1';
    assert_true(string_to_long_double(text, 5119, &value));
    assert_false(string_to_long_double(text, 5120, &value));
    free(text);
}

static void
test_long_long_to_string(void **state)
{
    char buffer[32];

    assert_int_equal(long_long_to_string(buffer, sizeof(buffer), 0), 1);
    assert_string_equal(buffer, "0");
    assert_int_equal(long_long_to_string(buffer, sizeof(buffer), -1), 2);
    assert_string_equal(buffer, "-1");
    assert_int_equal(long_long_to_string(buffer, sizeof(buffer), LLONG_MAX), 19);
    assert_string_equal(buffer, "9223372036854775807");
    assert_int_equal(long_long_to_string(buffer, 21, LLONG_MIN), 20);
    assert_string_equal(buffer, "-9223372036854775808");
    /* Too small for the digits and the NUL: nothing written. */
    assert_int_equal(long_long_to_string(buffer, 3, 123), 0);
    assert_int_equal(long_long_to_string(buffer, 4, 123), 3);
    assert_string_equal(buffer, "123");
}

/* double_to_string() must give `expected`. */
static void
assert_double_text(double value, const char *expected)
{
    char buffer[64];
    int length = double_to_string(buffer, sizeof(buffer), value);

    assert_int_equal(length, strlen(expected));
    assert_string_equal(buffer, expected);
}

static void
test_double_to_string_matches_zscore(void **state)
{
    assert_double_text(1.1, "1.1000000000000001");
    assert_double_text(10.5, "10.5");
    assert_double_text(3e3, "3000");
    assert_double_text(0.1, "0.10000000000000001");
    assert_double_text(-0.0, "-0");
    assert_double_text(1e300, "1.0000000000000001e+300");
    assert_double_text(1e-20, "9.9999999999999995e-21");
    assert_double_text(123456789012345678.0, "1.2345678901234568e+17");
    assert_double_text(5, "5");
    assert_double_text(INFINITY, "inf");
    assert_double_text(-INFINITY, "-inf");
}

/* long_double_to_string() of the parsed text must give `expected`. */
static void
assert_long_double_text(long double value, const char *expected)
{
    char buffer[5 * 1024];
    int length = long_double_to_string(buffer, sizeof(buffer), value);

    assert_int_equal(length, strlen(expected));
    assert_string_equal(buffer, expected);
}

/* Parses a long double the way INCRBYFLOAT does. */
static long double
ld(const char *text)
{
    long double value = 0;

    assert_true(string_to_long_double(text, strlen(text), &value));
    return value;
}

static void
test_long_double_to_string_matches_incrbyfloat(void **state)
{
    static const char incr_1e300[] =
        "1000000000000000000008997324079559193870523944273290747938260082"
        "3212656465961809357558491520837504971903503725086142748359035925"
        "5618467298391309626052074864628732713564184365329408425510760601"
        "6789726652932370030551382947620994540294772781889620606179267611"
        "627097410650567187386105690089424915104006144";

    assert_long_double_text(ld("10.5"), "10.5");
    assert_long_double_text(ld("3.0e3"), "3000");
    assert_long_double_text(ld("1.1"), "1.1");
    assert_long_double_text(ld("0.1"), "0.1");
    assert_long_double_text(ld("1.1") + ld("2.2"), "3.3");
    assert_long_double_text(ld("1.5") + ld("-1.5"), "0");
    assert_long_double_text(ld("-1") + ld("0.9"), "-0.1");
    assert_long_double_text(ld("-0.0"), "0");
    assert_long_double_text(ld("5.0e-5"), "0.00005");
    assert_long_double_text(ld("1e-20"), "0");
    assert_long_double_text(ld("0x10"), "16");
    assert_long_double_text(ld("5."), "5");
    assert_long_double_text(0 + ld("1e300"), incr_1e300);
    assert_long_double_text(ld("inf"), "inf");
    assert_long_double_text(ld("-inf"), "-inf");
}

static void
test_long_double_to_string_small_buffer(void **state)
{
    char buffer[8];

    /* "%.17Lf" needs room before trimming: 10.5 prints 20 bytes first. */
    assert_int_equal(long_double_to_string(buffer, sizeof(buffer), 10.5L), 0);
    assert_int_equal(long_double_to_string(buffer, 4, INFINITY), 3);
    assert_string_equal(buffer, "inf");
    assert_int_equal(long_double_to_string(buffer, 4, -INFINITY), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_long_accepts_canonical),
        cmocka_unit_test(test_long_long_rejects_non_canonical),
        cmocka_unit_test(test_long_long_rejects_overflow),
        cmocka_unit_test(test_long_long_uses_length_not_nul),
        cmocka_unit_test(test_unsigned_long_long),
        cmocka_unit_test(test_double_accepts_redis_forms),
        cmocka_unit_test(test_double_rejects),
        cmocka_unit_test(test_double_long_input),
        cmocka_unit_test(test_long_double_parsing),
        cmocka_unit_test(test_long_long_to_string),
        cmocka_unit_test(test_double_to_string_matches_zscore),
        cmocka_unit_test(test_long_double_to_string_matches_incrbyfloat),
        cmocka_unit_test(test_long_double_to_string_small_buffer),
    };

    return cmocka_run_group_tests_name("number", tests, NULL, NULL);
}
