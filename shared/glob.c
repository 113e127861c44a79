/*
 * glob.c — Redis-compatible glob matching (see glob.h for the syntax).
 *
 * The matcher walks pattern and string once, remembering the position of
 * the last '*' seen; when an element fails to match it retries with that
 * star swallowing one more character.  Every element other than '*'
 * consumes exactly one character, so remembering only the last star is
 * enough, and the cost is O(pattern * string) at worst with no recursion.
 *
 * Characters compare as the signed `char` values Redis compares on x86
 * (this matters for [a-z] ranges with bytes >= 0x80), and case folding
 * only touches ASCII letters, as Redis does in the C locale.
 */
#include <stdint.h>
#include "shared/glob.h"

/* ASCII-only lower-casing (the C locale's tolower). */
static int
fold(int c)
{
    if (c >= 'A' && c <= 'Z') {
        return c + ('a' - 'A');
    }
    return c;
}

static int
same_character(char a, char b, int nocase)
{
    if (nocase) {
        return fold((signed char)a) == fold((signed char)b);
    }
    return a == b;
}

/* Does c fall in the range written as pattern[position] '-' pattern[position+2]? */
static int
in_range(const char *range, char c, int nocase)
{
    int start = (signed char)range[0];
    int end = (signed char)range[2];
    int value = (signed char)c;
    int swap;

    if (start > end) {
        swap = start;
        start = end;
        end = swap;
    }
    if (nocase) {
        start = fold(start);
        end = fold(end);
        value = fold(value);
    }
    return value >= start && value <= end;
}

/*
 * Matches a [...] class starting at pattern[*position] (the '[') against c
 * and moves *position past the class.  An unterminated class extends to the
 * end of the pattern.
 */
static int
match_class(const char *pattern, size_t length, size_t *position, char c,
            int nocase)
{
    size_t p = *position + 1;
    int negate = 0;
    int matched = 0;

    if (p < length && pattern[p] == '^') {
        negate = 1;
        p++;
    }
    for (;;) {
        if (p >= length) {
            break;
        }
        if (pattern[p] == '\\' && length - p >= 2) {
            p++;
            if (pattern[p] == c) {
                matched = 1;
            }
        } else if (pattern[p] == ']') {
            p++;
            break;
        } else if (length - p >= 3 && pattern[p + 1] == '-') {
            if (in_range(pattern + p, c, nocase)) {
                matched = 1;
            }
            p += 2;
        } else if (same_character(pattern[p], c, nocase)) {
            matched = 1;
        }
        p++;
    }
    *position = p;
    return negate ? !matched : matched;
}

/*
 * Matches the element at pattern[*position] (anything but '*') against the
 * character c and moves *position past the element.
 */
static int
match_element(const char *pattern, size_t length, size_t *position, char c,
              int nocase)
{
    size_t p = *position;

    switch (pattern[p]) {
    case '?':
        *position = p + 1;
        return 1;
    case '[':
        return match_class(pattern, length, position, c, nocase);
    case '\\':
        if (length - p >= 2) {
            p++;
        }
        break;
    default:
        break;
    }
    *position = p + 1;
    return same_character(pattern[p], c, nocase);
}

/* Redis refuses a match that nests more than this many '*' groups deep. */
#define GLOB_MAX_STAR_NESTING 1000

/* The position just past the [...] class starting at pattern[p] == '['
 * (an unterminated class takes the rest of the pattern). */
static size_t
skip_class(const char *pattern, size_t length, size_t p)
{
    p++;
    if (p < length && pattern[p] == '^') {
        p++;
    }
    while (p < length && pattern[p] != ']') {
        p += (pattern[p] == '\\' && length - p >= 2) ? 2 : 1;
    }
    return p < length ? p + 1 : length;
}

/*
 * 1 when the pattern has more runs of '*' followed by more pattern than
 * Redis will nest through.  Redis matches recursively, one level per such
 * run, and answers "no match" past GLOB_MAX_STAR_NESTING levels (its guard
 * against abusive patterns); herd gives the same answers.  Each counted
 * run needs at least two pattern bytes, so short patterns are not scanned.
 */
static int
too_many_star_runs(const char *pattern, size_t length)
{
    size_t p = 0, runs = 0;

    if (length <= 2 * GLOB_MAX_STAR_NESTING) {
        return 0;
    }
    while (p < length) {
        if (pattern[p] == '*') {
            while (p < length && pattern[p] == '*') {
                p++;
            }
            runs += p < length;
        } else if (pattern[p] == '[') {
            p = skip_class(pattern, length, p);
        } else {
            p += (pattern[p] == '\\' && length - p >= 2) ? 2 : 1;
        }
    }
    return runs > GLOB_MAX_STAR_NESTING;
}

int
glob_match(const char *pattern, size_t pattern_length,
           const char *string, size_t string_length, int nocase)
{
    size_t p = 0, s = 0, next;
    size_t star_pattern = SIZE_MAX, star_string = 0;

    if (string_length == 0) {
        return pattern_length == 0;
    }
    if (too_many_star_runs(pattern, pattern_length)) {
        return 0;
    }
    while (s < string_length) {
        if (p < pattern_length && pattern[p] == '*') {
            while (p < pattern_length && pattern[p] == '*') {
                p++;
            }
            if (p == pattern_length) {
                return 1;
            }
            star_pattern = p;
            star_string = s;
            continue;
        }
        next = p;
        if (p < pattern_length &&
            match_element(pattern, pattern_length, &next, string[s], nocase)) {
            p = next;
            s++;
            continue;
        }
        if (star_pattern == SIZE_MAX) {
            return 0;
        }
        star_string++;
        s = star_string;
        p = star_pattern;
    }
    while (p < pattern_length && pattern[p] == '*') {
        p++;
    }
    return p == pattern_length;
}

int
glob_matches_everything(const char *pattern, size_t pattern_length)
{
    return pattern_length == 1 && pattern[0] == '*';
}
