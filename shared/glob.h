/*
 * glob.h — Redis-compatible glob-style pattern matching (KEYS, SCAN MATCH).
 *
 * Supported syntax, with the same results as Redis 7.0:
 *
 *   *        any run of characters (also empty)
 *   ?        exactly one character
 *   [abc]    one of the listed characters; [^abc] none of them
 *   [a-z]    a range (the ends may be given in either order)
 *   \x       the character x literally (also inside [...])
 *
 * An unterminated [ ... takes the rest of the pattern as the set.  Both
 * pattern and string are binary safe: lengths are explicit.
 *
 * Note that, exactly like Redis, a pattern other than "*" never matches an
 * empty string; callers treat the pattern "*" as "everything" before
 * calling glob_match().
 */
#ifndef HERD_GLOB_H
#define HERD_GLOB_H

#include <stddef.h>

/* Returns 1 when string[0..string_length) matches the pattern, else 0.
 * With nocase set, letters compare case-insensitively (except inside
 * escapes within [...], as in Redis). */
int glob_match(const char *pattern, size_t pattern_length,
               const char *string, size_t string_length, int nocase);

/* 1 when the pattern is exactly "*" (matches every key, even ""). */
int glob_matches_everything(const char *pattern, size_t pattern_length);

#endif
