/*
 * number.c — strict number parsing and Redis-compatible formatting.
 *
 * Integers: only the canonical decimal form is accepted ("0", "12", "-12";
 * never "+12", "012", "-0", " 12", "12 " or anything that overflows), the
 * same rule as Redis's string2ll(), so "SET k 012; INCR k" fails the same
 * way in herd and in Redis.
 *
 * Doubles: strtod()/strtold() decide, as in Redis, but the whole input must
 * be consumed, it may not start with a blank, NaN is refused, and a value
 * that overflows to infinity or underflows to zero is refused too.  "inf",
 * "+inf", "-inf", "infinity", hex floats and denormals are accepted, like
 * Redis 7.0.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/number.h"

/* Longest input string_to_long_double() takes (Redis's MAX_LONG_DOUBLE_CHARS). */
#define NUMBER_LONG_DOUBLE_INPUT_MAX (5 * 1024)

/* Inputs shorter than this are copied to the stack before strtod(). */
#define NUMBER_STACK_COPY 128

/* The blanks of isspace() in the C locale. */
static int
is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * Parses a run of decimal digits without sign: "0", or a non-zero digit
 * followed by digits.  Returns 1 and the magnitude, 0 when the text is not
 * canonical or does not fit in an unsigned long long.
 */
static int
parse_magnitude(const char *s, size_t length, unsigned long long *magnitude)
{
    unsigned long long value;
    size_t i;

    if (length == 0) {
        return 0;
    }
    if (length == 1 && s[0] == '0') {
        *magnitude = 0;
        return 1;
    }
    if (s[0] < '1' || s[0] > '9') {
        return 0;
    }
    value = (unsigned long long)(s[0] - '0');
    for (i = 1; i < length; i++) {
        unsigned int digit = (unsigned int)(unsigned char)s[i] - '0';

        if (digit > 9) {
            return 0;
        }
        if (value > ULLONG_MAX / 10) {
            return 0;
        }
        value *= 10;
        if (value > ULLONG_MAX - digit) {
            return 0;
        }
        value += digit;
    }
    *magnitude = value;
    return 1;
}

int
string_to_long_long(const char *s, size_t length, long long *value)
{
    unsigned long long magnitude;
    long long result;
    int negative = 0;

    if (length > 0 && s[0] == '-') {
        negative = 1;
        s++;
        length--;
    }
    if (!parse_magnitude(s, length, &magnitude)) {
        return 0;
    }
    if (negative) {
        /* "-0" is not canonical: Redis refuses it. */
        if (magnitude == 0 || magnitude > (unsigned long long)LLONG_MAX + 1) {
            return 0;
        }
        result = magnitude == (unsigned long long)LLONG_MAX + 1
                 ? LLONG_MIN : -(long long)magnitude;
    } else {
        if (magnitude > (unsigned long long)LLONG_MAX) {
            return 0;
        }
        result = (long long)magnitude;
    }
    if (value != NULL) {
        *value = result;
    }
    return 1;
}

int
string_to_unsigned_long_long(const char *s, size_t length,
                             unsigned long long *value)
{
    unsigned long long magnitude;

    if (!parse_magnitude(s, length, &magnitude)) {
        return 0;
    }
    if (value != NULL) {
        *value = magnitude;
    }
    return 1;
}

/*
 * Copies s[0..length) into a NUL-terminated string: into `stack` when it
 * fits, else into a malloc'd block.  Returns NULL on ENOMEM.
 */
static char *
terminated_copy(const char *s, size_t length, char *stack, size_t stack_size)
{
    char *copy = stack;

    if (length >= stack_size) {
        copy = malloc(length + 1);
        if (copy == NULL) {
            return NULL;
        }
    }
    memcpy(copy, s, length);
    copy[length] = '\0';
    return copy;
}

int
string_to_double(const char *s, size_t length, double *value)
{
    char stack[NUMBER_STACK_COPY];
    char *text, *end;
    double result;
    int ok = 0;

    if (length == 0 || is_space(s[0])) {
        return 0;
    }
    text = terminated_copy(s, length, stack, sizeof(stack));
    if (text == NULL) {
        return 0;
    }
    errno = 0;
    result = strtod(text, &end);
    if ((size_t)(end - text) != length || isnan(result)) {
        goto out;
    }
    if (errno == ERANGE && (isinf(result) || result == 0)) {
        goto out;
    }
    if (value != NULL) {
        *value = result;
    }
    ok = 1;
out:
    if (text != stack) {
        free(text);
    }
    return ok;
}

int
string_to_long_double(const char *s, size_t length, long double *value)
{
    char stack[NUMBER_STACK_COPY];
    char *text, *end;
    long double result;
    int ok = 0;

    if (length == 0 || length >= NUMBER_LONG_DOUBLE_INPUT_MAX || is_space(s[0])) {
        return 0;
    }
    text = terminated_copy(s, length, stack, sizeof(stack));
    if (text == NULL) {
        return 0;
    }
    errno = 0;
    result = strtold(text, &end);
    if ((size_t)(end - text) != length || isnan(result)) {
        goto out;
    }
    if (errno == ERANGE && (isinf(result) || result == 0)) {
        goto out;
    }
    if (value != NULL) {
        *value = result;
    }
    ok = 1;
out:
    if (text != stack) {
        free(text);
    }
    return ok;
}

int
long_long_to_string(char *buffer, size_t size, long long value)
{
    char reversed[24];
    unsigned long long magnitude;
    int length = 0, i;

    magnitude = value < 0 ? 0ULL - (unsigned long long)value
                          : (unsigned long long)value;
    do {
        reversed[length++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    if (value < 0) {
        reversed[length++] = '-';
    }
    if ((size_t)length + 1 > size) {
        if (size > 0) {
            buffer[0] = '\0';
        }
        return 0;
    }
    for (i = 0; i < length; i++) {
        buffer[i] = reversed[length - 1 - i];
    }
    buffer[length] = '\0';
    return length;
}

/* Copies a fixed text when it fits; returns its length or 0. */
static int
copy_text(char *buffer, size_t size, const char *text)
{
    size_t length = strlen(text);

    if (length + 1 > size) {
        return 0;
    }
    memcpy(buffer, text, length + 1);
    return (int)length;
}

/* Returns 0 when the value does not fit in size bytes (with its NUL). */
int
double_to_string(char *buffer, size_t size, double value)
{
    int length;

    if (isinf(value)) {
        return copy_text(buffer, size, value > 0 ? "inf" : "-inf");
    }
    length = snprintf(buffer, size, "%.17g", value);
    if (length < 0 || (size_t)length + 1 > size) {
        return 0;
    }
    return length;
}

/*
 * INCRBYFLOAT's format: "%.17Lf", then trailing zeros after the point and
 * a bare point removed, and "-0" written as "0".  Returns 0 when it does
 * not fit (1e300 prints all of its 301 integer digits: give it 5 KB).
 */
int
long_double_to_string(char *buffer, size_t size, long double value)
{
    int length;

    if (isinf(value)) {
        return copy_text(buffer, size, value > 0 ? "inf" : "-inf");
    }
    length = snprintf(buffer, size, "%.17Lf", value);
    if (length < 0 || (size_t)length + 1 > size) {
        return 0;
    }
    if (memchr(buffer, '.', (size_t)length) != NULL) {
        while (buffer[length - 1] == '0') {
            length--;
        }
        if (buffer[length - 1] == '.') {
            length--;
        }
    }
    if (length == 2 && buffer[0] == '-' && buffer[1] == '0') {
        buffer[0] = '0';
        length = 1;
    }
    buffer[length] = '\0';
    return length;
}
