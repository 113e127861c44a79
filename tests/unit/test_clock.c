/*
 * test_clock.c — the hybrid logical clock driven by a fake wall clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "shared/clock.h"

/* A wall clock the test sets by hand. */
struct fake_wall {
    uint64_t milliseconds;
    int      reads;        /* how often the clock read it */
};

static uint64_t
fake_wall_clock(void *context)
{
    struct fake_wall *wall = context;

    wall->reads++;
    return wall->milliseconds;
}

/* A clock on a fake wall reading `milliseconds`. */
static void
fake_clock_init(struct hlc *clock, struct fake_wall *wall, uint64_t milliseconds)
{
    wall->milliseconds = milliseconds;
    wall->reads = 0;
    hlc_init(clock, fake_wall_clock, wall);
}

static void
test_now_follows_the_wall_clock(void **state)
{
    struct fake_wall wall;
    struct hlc clock;

    fake_clock_init(&clock, &wall, 1000);
    assert_true(hlc_now(&clock) == HLC_MAKE(1000, 0));
    wall.milliseconds = 1005;
    assert_true(hlc_now(&clock) == HLC_MAKE(1005, 0));
    assert_true(HLC_MILLISECONDS(clock.last) == 1005);
    assert_int_equal(HLC_COUNTER(clock.last), 0);
}

static void
test_counter_increments_within_one_millisecond(void **state)
{
    struct fake_wall wall;
    struct hlc clock;

    fake_clock_init(&clock, &wall, 2000);
    assert_true(hlc_now(&clock) == HLC_MAKE(2000, 0));
    assert_true(hlc_now(&clock) == HLC_MAKE(2000, 1));
    assert_true(hlc_now(&clock) == HLC_MAKE(2000, 2));
    wall.milliseconds = 2001;
    assert_true(hlc_now(&clock) == HLC_MAKE(2001, 0));
}

static void
test_monotonic_when_the_wall_clock_steps_back(void **state)
{
    struct fake_wall wall;
    struct hlc clock;
    uint64_t previous, now;
    int i;

    fake_clock_init(&clock, &wall, 50000);
    previous = hlc_now(&clock);
    wall.milliseconds = 40000;
    for (i = 0; i < 1000; i++) {
        now = hlc_now(&clock);
        assert_true(now > previous);
        assert_true(HLC_MILLISECONDS(now) == 50000);
        previous = now;
    }
    wall.milliseconds = 50001;
    assert_true(hlc_now(&clock) == HLC_MAKE(50001, 0));
}

static void
test_full_counter_carries_into_milliseconds(void **state)
{
    struct fake_wall wall;
    struct hlc clock;

    fake_clock_init(&clock, &wall, 3000);
    assert_true(hlc_observe(&clock, HLC_MAKE(3000, 0xfffe)) == HLC_MAKE(3000, 0xffff));
    assert_true(hlc_now(&clock) == HLC_MAKE(3001, 0));
    assert_true(hlc_now(&clock) == HLC_MAKE(3001, 1));
}

static void
test_observe_moves_past_a_newer_remote(void **state)
{
    struct fake_wall wall;
    struct hlc clock;
    uint64_t remote = HLC_MAKE(10300, 7);

    fake_clock_init(&clock, &wall, 10000);
    hlc_now(&clock);
    assert_true(hlc_observe(&clock, remote) == remote + 1);
    /* Later local timestamps stay ahead of what was observed. */
    assert_true(hlc_now(&clock) == remote + 2);
    wall.milliseconds = 10301;
    assert_true(hlc_now(&clock) == HLC_MAKE(10301, 0));
}

static void
test_observe_of_an_older_remote_just_ticks(void **state)
{
    struct fake_wall wall;
    struct hlc clock;

    fake_clock_init(&clock, &wall, 20000);
    assert_true(hlc_now(&clock) == HLC_MAKE(20000, 0));
    assert_true(hlc_observe(&clock, HLC_MAKE(19000, 9)) == HLC_MAKE(20000, 1));
    wall.milliseconds = 20002;
    assert_true(hlc_observe(&clock, HLC_MAKE(20001, 5)) == HLC_MAKE(20002, 0));
}

static void
test_observe_ignores_a_remote_far_ahead(void **state)
{
    struct fake_wall wall;
    struct hlc clock;

    fake_clock_init(&clock, &wall, 30000);
    hlc_now(&clock);
    /* Exactly 500 ms ahead is accepted ... */
    assert_true(hlc_observe(&clock, HLC_MAKE(30500, 0)) == HLC_MAKE(30500, 1));
    /* ... 501 ms ahead is not. */
    fake_clock_init(&clock, &wall, 30000);
    hlc_now(&clock);
    assert_true(hlc_observe(&clock, HLC_MAKE(30501, 0)) == HLC_MAKE(30000, 1));
    assert_true(hlc_observe(&clock, UINT64_MAX) == HLC_MAKE(30000, 2));
    assert_true(HLC_MILLISECONDS(hlc_now(&clock)) <= 30000 + 500);
}

static void
test_observe_reads_the_wall_clock_once(void **state)
{
    struct fake_wall wall;
    struct hlc clock;

    fake_clock_init(&clock, &wall, 40000);
    hlc_observe(&clock, HLC_MAKE(40000, 3));
    assert_int_equal(wall.reads, 1);
}

static void
test_version_compare(void **state)
{
    struct version older = { HLC_MAKE(100, 0), 9 };
    struct version newer = { HLC_MAKE(100, 1), 1 };
    struct version same_clock_higher_node = { HLC_MAKE(100, 1), 2 };
    struct version copy = newer;

    assert_true(version_compare(&older, &newer) < 0);
    assert_true(version_compare(&newer, &older) > 0);
    assert_true(version_compare(&newer, &same_clock_higher_node) < 0);
    assert_true(version_compare(&same_clock_higher_node, &newer) > 0);
    assert_int_equal(version_compare(&newer, &copy), 0);
}

static void
test_real_clocks(void **state)
{
    struct hlc clock;
    uint64_t wall = wall_clock_milliseconds(NULL);
    uint64_t first = monotonic_microseconds();
    uint64_t a, b;

    /* After 2020-01-01 and before the 48-bit limit. */
    assert_true(wall > 1577836800000ULL);
    assert_true(wall < (1ULL << 48));
    assert_true(monotonic_microseconds() >= first);
    /* The coarse millisecond clock runs with the fine one (it may lag by
     * its resolution, a few milliseconds). */
    a = monotonic_milliseconds();
    b = monotonic_microseconds() / 1000;
    assert_true(a <= b && b - a < 100);
    assert_true(monotonic_milliseconds() >= a);
    hlc_init(&clock, NULL, NULL);
    a = hlc_now(&clock);
    b = hlc_now(&clock);
    assert_true(b > a);
    assert_true(HLC_MILLISECONDS(a) + 1000 >= wall);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_now_follows_the_wall_clock),
        cmocka_unit_test(test_counter_increments_within_one_millisecond),
        cmocka_unit_test(test_monotonic_when_the_wall_clock_steps_back),
        cmocka_unit_test(test_full_counter_carries_into_milliseconds),
        cmocka_unit_test(test_observe_moves_past_a_newer_remote),
        cmocka_unit_test(test_observe_of_an_older_remote_just_ticks),
        cmocka_unit_test(test_observe_ignores_a_remote_far_ahead),
        cmocka_unit_test(test_observe_reads_the_wall_clock_once),
        cmocka_unit_test(test_version_compare),
        cmocka_unit_test(test_real_clocks),
    };

    return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
