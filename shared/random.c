/*
 * random.c — xorshift64* (shift triple 12, 25, 27 and its odd 64-bit
 * multiplier), seeding, and random hex strings.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "shared/random.h"

/* The multiplier of xorshift64*. */
#define RANDOM_MULTIPLIER 0x2545F4914F6CDD1DULL
/* Replaces a seed of 0, which xorshift would never leave. */
#define RANDOM_NONZERO_SEED 0x9E3779B97F4A7C15ULL

uint64_t
random_next(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * RANDOM_MULTIPLIER;
}

/* Spreads the bits of x over the whole word (the splitmix64 finalizer). */
static uint64_t
random_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return x;
}

/* A seed from the wall clock, the monotonic clock and the process id, for
 * when the kernel's random source is unavailable. */
static uint64_t
random_seed_from_clocks(void)
{
    struct timespec wall, monotonic;

    clock_gettime(CLOCK_REALTIME, &wall);
    clock_gettime(CLOCK_MONOTONIC, &monotonic);
    return random_mix((uint64_t)wall.tv_sec * 1000000000ULL + (uint64_t)wall.tv_nsec) ^
           random_mix((uint64_t)monotonic.tv_nsec ^ ((uint64_t)getpid() << 32));
}

uint64_t
random_seed(void)
{
    uint64_t seed = 0;
    ssize_t got;

    do {
        got = getrandom(&seed, sizeof(seed), GRND_NONBLOCK);
    } while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof(seed)) {
        seed = random_seed_from_clocks();
    }
    return seed != 0 ? seed : RANDOM_NONZERO_SEED;
}

void
random_hex(uint64_t *state, char *out, size_t digits)
{
    static const char hex_digits[] = "0123456789abcdef";
    uint64_t bits = 0;
    size_t i;

    for (i = 0; i < digits; i++) {
        if (i % 16 == 0) {
            bits = random_next(state);
        }
        out[i] = hex_digits[bits & 15];
        bits >>= 4;
    }
    out[digits] = '\0';
}
