/*
 * fuzz_glob.c — libFuzzer target for glob-style matching (shared/glob.c),
 * used by KEYS and SCAN MATCH with client-chosen patterns.
 *
 * Input layout:
 *   byte 0    bit 0: nocase
 *   byte 1    pattern length (capped to what follows)
 *   rest      the pattern, then the string
 *
 * Checked:
 *  - no crash or out-of-bounds read (pattern and string are copied to
 *    blocks of their exact size, so ASan sees a read past either);
 *  - bounded time: Redis's recursive matcher before 7.0.9 takes
 *    exponential time on patterns like "a*a*a*a*...b" (CVE-2022-36021);
 *    glob.c backtracks only to the last '*', O(pattern * string).  Each
 *    call must finish within GLOB_CPU_LIMIT of CPU time (a 4 KB input
 *    needs milliseconds); run.sh's -timeout catches a hang;
 *  - the answer equals that of a reference matcher written here from
 *    Redis 7.0's documented behaviour: the pattern is cut into elements
 *    (a run of '*', or one element matching a set of bytes), and a
 *    dynamic program over (element, string position) decides the match,
 *    with Redis's empty-string rule ("" matches only the pattern "");
 *  - a pattern made of the string's bytes, each escaped with '\', matches
 *    it; "*" matches every non-empty string; glob_matches_everything() is
 *    true for "*" only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/glob.h"
#include "tests/fuzz/fuzz_util.h"

/* Most CPU time one glob_match() call may take. */
#define GLOB_CPU_LIMIT_SECONDS 1.0

/* The reference matcher compares only when elements * string bytes is at
 * most this (it costs that many steps). */
#define REFERENCE_MAX_STEPS (64 * 1024)

/* One element of a pattern: a run of '*', or a set of accepted bytes. */
struct element {
    int     star;
    uint8_t accepts[256];
};

/* ASCII-only lower-casing, as the C locale's tolower(). */
static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Does byte c (compared as a signed char, as Redis does on x86) fall in
 * the range [low, high], ends in either order, folded when nocase? */
static int
range_accepts(signed char low, signed char high, signed char c, int nocase)
{
    int start = low, end = high, value = c;

    if (start > end) {
        int swap = start;

        start = end;
        end = swap;
    }
    if (nocase) {
        start = lower(start);
        end = lower(end);
        value = lower(value);
    }
    return value >= start && value <= end;
}

/* Byte equality, case-folded (ASCII only) when nocase. */
static int
same_byte(char a, char b, int nocase)
{
    return nocase ? lower((signed char)a) == lower((signed char)b) : a == b;
}

/*
 * Whether the class starting at pattern[start] (the '[') accepts c, and
 * where it ends.  Redis's rules: optional '^'; "\x" is x (compared
 * exactly, even with nocase); ']' closes; "a-z" is a range when three
 * bytes are left; a class left open takes the rest of the pattern.
 */
static int
class_accepts(const char *pattern, size_t length, size_t start, char c, int nocase,
              size_t *end)
{
    size_t i = start + 1;
    int negate = 0, accepted = 0;

    if (i < length && pattern[i] == '^') {
        negate = 1;
        i++;
    }
    while (i < length && pattern[i] != ']') {
        if (pattern[i] == '\\' && i + 1 < length) {
            accepted |= pattern[i + 1] == c;
            i += 2;
        } else if (i + 2 < length && pattern[i + 1] == '-') {
            accepted |= range_accepts((signed char)pattern[i], (signed char)pattern[i + 2],
                                      (signed char)c, nocase);
            i += 3;
        } else {
            accepted |= same_byte(pattern[i], c, nocase);
            i++;
        }
    }
    *end = i < length ? i + 1 : length;
    return negate ? !accepted : accepted;
}

/* Fills element->accepts for the non-star element at pattern[start] and
 * returns the index after it. */
static size_t
parse_element(const char *pattern, size_t length, size_t start, int nocase,
              struct element *element)
{
    size_t end = start + 1;
    int c;

    element->star = 0;
    for (c = 0; c < 256; c++) {
        char byte = (char)c;

        switch (pattern[start]) {
        case '?':
            element->accepts[c] = 1;
            break;
        case '[':
            element->accepts[c] = (uint8_t)class_accepts(pattern, length, start, byte,
                                                         nocase, &end);
            break;
        case '\\':
            if (start + 1 < length) {
                element->accepts[c] = same_byte(pattern[start + 1], byte, nocase);
                end = start + 2;
                break;
            }
            /* A final backslash is itself. */
            element->accepts[c] = same_byte('\\', byte, nocase);
            break;
        default:
            element->accepts[c] = same_byte(pattern[start], byte, nocase);
            break;
        }
    }
    return end;
}

/* Cuts the pattern into elements; returns how many. */
static size_t
parse_pattern(const char *pattern, size_t length, int nocase, struct element *elements)
{
    size_t i = 0, count = 0;

    while (i < length) {
        if (pattern[i] == '*') {
            while (i < length && pattern[i] == '*') {
                i++;
            }
            elements[count].star = 1;
        } else {
            i = parse_element(pattern, length, i, nocase, &elements[count]);
        }
        count++;
    }
    return count;
}

/*
 * The reference answer.  matched[e] says whether elements e.. match the
 * string from position j on (for the j being computed), next[e] the
 * same from j + 1; star_reach[e] whether the element after the star e
 * matches from some position >= j.  Positions go from the end back, so
 * each step needs only the row after it.  At the last byte, what follows
 * must be empty or a lone star run, as in Redis (which skips trailing
 * stars once the string is used up).
 */
static int
reference_match(const struct element *elements, size_t count, const char *string,
                size_t length)
{
    uint8_t *matched, *next, *star_reach, *swap;
    size_t e, j;
    int result;

    if (length == 0) {
        return count == 0;
    }
    matched = calloc(count + 1, 1);
    next = calloc(count + 1, 1);
    star_reach = calloc(count + 1, 1);
    FUZZ_CHECK(matched != NULL && next != NULL && star_reach != NULL, "out of memory");
    for (j = length; j-- > 0;) {
        unsigned char c = (unsigned char)string[j];

        matched[count] = 0;
        for (e = count; e-- > 0;) {
            if (elements[e].star) {
                if (e + 1 == count) {
                    matched[e] = 1;
                } else {
                    star_reach[e] = (uint8_t)(matched[e + 1] | star_reach[e]);
                    matched[e] = star_reach[e];
                }
            } else if (!elements[e].accepts[c]) {
                matched[e] = 0;
            } else if (j + 1 == length) {
                matched[e] = e + 1 == count ||
                             (e + 2 == count && elements[e + 1].star);
            } else {
                matched[e] = next[e + 1];
            }
        }
        swap = next;
        next = matched;
        matched = swap;
    }
    result = next[0];
    free(matched);
    free(next);
    free(star_reach);
    return result;
}

/* glob_match() on exact-size copies, within the CPU time limit. */
static int
timed_match(const char *pattern, size_t pattern_length, const char *string,
            size_t string_length, int nocase)
{
    char *pattern_copy = malloc(pattern_length > 0 ? pattern_length : 1);
    char *string_copy = malloc(string_length > 0 ? string_length : 1);
    clock_t started;
    double seconds;
    int result;

    FUZZ_CHECK(pattern_copy != NULL && string_copy != NULL, "out of memory");
    memcpy(pattern_copy, pattern, pattern_length);
    memcpy(string_copy, string, string_length);
    started = clock();
    result = glob_match(pattern_copy, pattern_length, string_copy, string_length, nocase);
    seconds = (double)(clock() - started) / CLOCKS_PER_SEC;
    FUZZ_CHECK(seconds <= GLOB_CPU_LIMIT_SECONDS,
               "glob_match took %.2f s of CPU for a %zu-byte pattern and a %zu-byte "
               "string", seconds, pattern_length, string_length);
    FUZZ_CHECK(result == 0 || result == 1, "glob_match returned %d", result);
    free(pattern_copy);
    free(string_copy);
    return result;
}

/* A pattern of the string's bytes, each escaped, must match it. */
static void
check_escaped(const char *string, size_t length, int nocase)
{
    char *pattern = malloc(2 * length + 1);
    size_t i;

    FUZZ_CHECK(pattern != NULL, "out of memory");
    for (i = 0; i < length; i++) {
        pattern[2 * i] = '\\';
        pattern[2 * i + 1] = string[i];
    }
    FUZZ_CHECK(timed_match(pattern, 2 * length, string, length, nocase) == 1,
               "the escaped string does not match itself");
    free(pattern);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct element *elements;
    const char *pattern, *string;
    size_t pattern_length, string_length, count;
    int nocase, result;

    if (size < 2) {
        return 0;
    }
    nocase = data[0] & 1;
    pattern_length = data[1] < size - 2 ? data[1] : size - 2;
    pattern = (const char *)data + 2;
    string = pattern + pattern_length;
    string_length = size - 2 - pattern_length;

    result = timed_match(pattern, pattern_length, string, string_length, nocase);
    FUZZ_CHECK(glob_matches_everything(pattern, pattern_length) ==
               (pattern_length == 1 && pattern[0] == '*'), "glob_matches_everything");

    elements = malloc((pattern_length + 1) * sizeof(*elements));
    FUZZ_CHECK(elements != NULL, "out of memory");
    count = parse_pattern(pattern, pattern_length, nocase, elements);
    if ((count + 1) * (string_length + 1) <= REFERENCE_MAX_STEPS) {
        FUZZ_CHECK(result == reference_match(elements, count, string, string_length),
                   "glob_match says %d, the reference matcher %d (nocase %d)", result,
                   !result, nocase);
    }
    free(elements);

    check_escaped(string, string_length, nocase);
    if (string_length > 0) {
        FUZZ_CHECK(timed_match("*", 1, string, string_length, nocase) == 1,
                   "'*' does not match a non-empty string");
    }
    return 0;
}
