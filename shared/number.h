/*
 * number.h — strict number parsing and formatting with Redis's rules.
 *
 * Redis accepts "-12" but not " 12", "+12", "012" or "12 "; these functions
 * follow it exactly so herd gives the same answers to the same input.
 */
#ifndef HERD_NUMBER_H
#define HERD_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/* Returns 1 and stores the value when s[0..length) is a canonical long long. */
int string_to_long_long(const char *s, size_t length, long long *value);
int string_to_unsigned_long_long(const char *s, size_t length, unsigned long long *value);
/* Returns 1 for a finite or infinite double Redis would accept (no NaN,
 * no leading/trailing space). */
int string_to_double(const char *s, size_t length, double *value);
int string_to_long_double(const char *s, size_t length, long double *value);
/* Writes the canonical decimal form; returns its length (buffer >= 21). */
int long_long_to_string(char *buffer, size_t size, long long value);
/* Redis's %.17g formatting of a double (inf / -inf); returns length. */
int double_to_string(char *buffer, size_t size, double value);
/* Redis's "human friendly" long double formatting (INCRBYFLOAT). */
int long_double_to_string(char *buffer, size_t size, long double value);

#endif
