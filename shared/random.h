/*
 * random.h — the small pseudo-random generator both programs use (node
 * order for RANDOMKEY on the proxy, a random key on the node, run ids).
 *
 * xorshift64*: fast, 64 bits of state, period 2^64 - 1, good enough for
 * shuffling and picking; not for anything secret.  The state lives in each
 * program's context struct; it must never be 0 (random_seed() never
 * returns 0, and random_next() keeps a nonzero state nonzero).
 */
#ifndef HERD_RANDOM_H
#define HERD_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Advances *state and returns the next number. */
uint64_t random_next(uint64_t *state);

/* A nonzero seed that differs between runs: from the kernel's random
 * source, or from the clocks and the process id when that fails. */
uint64_t random_seed(void);

/* Writes `digits` random lowercase hex digits and a NUL into out (which
 * holds digits + 1 bytes): a run id is random_hex(state, id, 40). */
void random_hex(uint64_t *state, char *out, size_t digits);

#endif
