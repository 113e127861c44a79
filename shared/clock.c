/*
 * clock.c — clock readings, the hybrid logical clock and version ordering.
 *
 * hlc_now() returns (wall milliseconds, counter 0) when the wall clock has
 * moved past the last timestamp, and last + 1 otherwise: within one
 * millisecond, or after the wall clock stepped backwards, the counter
 * counts up (and a full counter carries into the milliseconds, which only
 * moves the clock a little ahead of the wall).
 *
 * hlc_observe() lets a timestamp from another node pull the local clock
 * forward, so a version minted after seeing another is always newer than
 * it.  A remote timestamp more than HLC_MAX_AHEAD_MILLISECONDS ahead of the
 * local wall clock is ignored: one node with a clock far in the future must
 * not drag every other node's clock along with it.
 */
#include <time.h>

#include "shared/clock.h"

/* How far ahead of the local wall clock an observed timestamp may be. */
#define HLC_MAX_AHEAD_MILLISECONDS 500

/* Reads clock `id` in units of 1/per_second seconds (per_second divides
 * one billion). */
static uint64_t
clock_read(clockid_t id, uint64_t per_second)
{
    struct timespec now;

    clock_gettime(id, &now);
    return (uint64_t)now.tv_sec * per_second +
           (uint64_t)now.tv_nsec / (1000000000 / per_second);
}

uint64_t
wall_clock_milliseconds(void *context)
{
    return clock_read(CLOCK_REALTIME, 1000);
}

uint64_t
monotonic_microseconds(void)
{
    return clock_read(CLOCK_MONOTONIC, 1000000);
}

uint64_t
monotonic_milliseconds(void)
{
    return clock_read(CLOCK_MONOTONIC_COARSE, 1000);
}

/* A NULL wall_clock means the real one (wall_clock_milliseconds). */
void
hlc_init(struct hlc *clock, wall_clock_function wall_clock, void *context)
{
    clock->last = 0;
    clock->wall_clock = (wall_clock != NULL) ? wall_clock : wall_clock_milliseconds;
    clock->context = context;
}

/* Advances the clock past its last timestamp given the wall time. */
static uint64_t
hlc_tick(struct hlc *clock, uint64_t wall)
{
    if (wall > HLC_MILLISECONDS(clock->last)) {
        clock->last = HLC_MAKE(wall, 0);
    } else {
        clock->last++;
    }
    return clock->last;
}

uint64_t
hlc_now(struct hlc *clock)
{
    return hlc_tick(clock, clock->wall_clock(clock->context));
}

uint64_t
hlc_observe(struct hlc *clock, uint64_t remote)
{
    uint64_t wall = clock->wall_clock(clock->context);

    if (HLC_MILLISECONDS(remote) <= wall + HLC_MAX_AHEAD_MILLISECONDS &&
        remote > clock->last) {
        clock->last = remote;
    }
    return hlc_tick(clock, wall);
}

int
version_compare(const struct version *a, const struct version *b)
{
    if (a->clock != b->clock) {
        return (a->clock < b->clock) ? -1 : 1;
    }
    if (a->node != b->node) {
        return (a->node < b->node) ? -1 : 1;
    }
    return 0;
}
