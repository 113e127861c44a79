/*
 * fuzz_util.h — small helpers shared by herd's libFuzzer targets.
 *
 * Everything here is static inline so that each target stays one file;
 * nothing keeps state between inputs, so every run is reproducible from
 * its input alone.
 */
#ifndef HERD_FUZZ_UTIL_H
#define HERD_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Reports a broken invariant and aborts; libFuzzer treats the abort as a
 * crash and saves the input that caused it.
 */
#define FUZZ_CHECK(condition, ...)                                         \
    do {                                                                   \
        if (!(condition)) {                                                \
            fprintf(stderr, "fuzz check failed at %s:%d: %s\n  ",          \
                    __FILE__, __LINE__, #condition);                       \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
            abort();                                                       \
        }                                                                  \
    } while (0)

/*
 * Cuts a byte stream into pieces, the way reads from a socket would.  The
 * sizes are derived from a seed byte taken from the fuzz input, so the
 * fuzzer itself explores how a stream is cut:
 *   seed 0      one byte at a time
 *   seed 1      everything at once
 *   otherwise   pseudo-random sizes, mostly small, sometimes large
 */
struct chunker {
    uint64_t state;     /* xorshift64 state; 0 and 1 select the fixed modes */
    int      mode;      /* the seed's mode: 0, 1, or 2 for random sizes */
};

static inline void
chunker_init(struct chunker *chunker, uint8_t seed, size_t length)
{
    chunker->mode = seed < 2 ? seed : 2;
    /* Any non-zero start works for xorshift; mixing in the length makes
     * the same seed cut different streams differently. */
    chunker->state = ((uint64_t)seed << 32) ^ (uint64_t)length ^ 0x9e3779b97f4a7c15ULL;
}

/* xorshift64: a fast, deterministic sequence of 64-bit numbers. */
static inline uint64_t
chunker_random(struct chunker *chunker)
{
    uint64_t x = chunker->state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    chunker->state = x;
    return x;
}

/* The size of the next piece, between 1 and `left` (left > 0). */
static inline size_t
chunker_next(struct chunker *chunker, size_t left)
{
    uint64_t random;
    size_t size;

    if (chunker->mode == 0) {
        return 1;
    }
    if (chunker->mode == 1) {
        return left;
    }
    random = chunker_random(chunker);
    switch (random & 3) {
    case 0:
        size = 1;
        break;
    case 1:
    case 2:
        size = 1 + (size_t)((random >> 8) % 8);
        break;
    default:
        size = 1 + (size_t)((random >> 8) % 512);
        break;
    }
    return size < left ? size : left;
}

/* A value from 0 to bound-1 from the same sequence (bound > 0). */
static inline size_t
chunker_pick(struct chunker *chunker, size_t bound)
{
    return (size_t)(chunker_random(chunker) % bound);
}

#endif
