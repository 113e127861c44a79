/*
 * clock.h — clock readings, the hybrid logical clock (HLC) and the versions
 * it mints.
 *
 * A timestamp is 48 bits of milliseconds since the Unix epoch and a 16-bit
 * counter.  hlc_now() never returns a value <= one it returned before, even
 * when the wall clock steps backwards.  A version adds the minting node's
 * index as a tie-breaker; only nodes mint versions.
 */
#ifndef HERD_CLOCK_H
#define HERD_CLOCK_H

#include <stdint.h>

#define HLC_COUNTER_BITS 16
#define HLC_MAKE(ms, counter) (((uint64_t)(ms) << HLC_COUNTER_BITS) | (uint64_t)(counter))
#define HLC_MILLISECONDS(t)   ((t) >> HLC_COUNTER_BITS)
#define HLC_COUNTER(t)        ((t) & 0xffffu)

/* A source of wall-clock milliseconds; tests pass a fake one. */
typedef uint64_t (*wall_clock_function)(void *context);

/* Hybrid logical clock state. */
struct hlc {
    uint64_t            last;          /* last timestamp issued or observed */
    wall_clock_function wall_clock;
    void               *context;
};

/* A stored key's version: HLC timestamp, then minting node as tie-break. */
struct version {
    uint64_t clock;
    uint16_t node;
};

uint64_t wall_clock_milliseconds(void *context);  /* CLOCK_REALTIME */
uint64_t monotonic_microseconds(void);            /* CLOCK_MONOTONIC */
/* CLOCK_MONOTONIC_COARSE: cheap (no system call), a few ms of resolution;
 * for timeouts, ages and idle times. */
uint64_t monotonic_milliseconds(void);

void     hlc_init(struct hlc *clock, wall_clock_function wall_clock, void *context);
uint64_t hlc_now(struct hlc *clock);
/* Merges a timestamp seen from elsewhere; returns the new local time. */
uint64_t hlc_observe(struct hlc *clock, uint64_t remote);

/* <0, 0, >0 as a is older, equal, newer than b. */
int version_compare(const struct version *a, const struct version *b);

#endif
