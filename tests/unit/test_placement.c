/*
 * test_placement.c — rendezvous placement: determinism, balance, minimal
 * movement on join, digests and argument checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "shared/clock.h"
#include "shared/placement.h"

/* Fills members[0..count) with ids "node-<i>" that all own data. */
static void
make_members(struct placement_member *members, int count)
{
    int i;

    memset(members, 0, sizeof(*members) * (size_t)count);
    for (i = 0; i < count; i++) {
        snprintf(members[i].id, sizeof(members[i].id), "node-%d", i);
        members[i].owns_data = 1;
    }
}

/* The id of the i-th replica of a slot. */
static const char *
replica_id(const struct placement_table *table,
           const struct placement_member *members, unsigned int slot, int i)
{
    int count;
    const int16_t *replicas = placement_replicas(table, slot, &count);

    assert_true(i < count);
    assert_true(replicas[i] >= 0);
    return members[replicas[i]].id;
}

/* Nonzero when the slot's replica set contains member id. */
static int
holds(const struct placement_table *table, const struct placement_member *members,
      unsigned int slot, const char *id)
{
    int count, i;
    const int16_t *replicas = placement_replicas(table, slot, &count);

    for (i = 0; i < count; i++) {
        if (strcmp(members[replicas[i]].id, id) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
test_score_is_frozen(void **state)
{
    assert_true(placement_score("node-a", 0) == 0xd04bb2f08358fbbdULL);
    assert_true(placement_score("node-a", 16383) == 0x90e58a7156791200ULL);
}

static void
test_member_order_does_not_matter(void **state)
{
    struct placement_member forward[7], backward[7];
    struct placement_table a, b;
    unsigned int slot;
    int i, count_a, count_b;

    make_members(forward, 7);
    forward[3].owns_data = 0;
    for (i = 0; i < 7; i++) {
        backward[i] = forward[6 - i];
    }
    assert_int_equal(placement_build(&a, forward, 7, 3), 0);
    assert_int_equal(placement_build(&b, backward, 7, 3), 0);
    assert_true(a.digest == b.digest);
    assert_true(a.digest == placement_digest(backward, 7, 3));
    for (slot = 0; slot < SLOT_COUNT; slot++) {
        placement_replicas(&a, slot, &count_a);
        placement_replicas(&b, slot, &count_b);
        assert_int_equal(count_a, 3);
        assert_int_equal(count_b, 3);
        for (i = 0; i < 3; i++) {
            assert_string_equal(replica_id(&a, forward, slot, i),
                                replica_id(&b, backward, slot, i));
        }
    }
    placement_free(&a);
    placement_free(&b);
}

static void
test_replicas_are_distinct_owners_ranked_by_score(void **state)
{
    struct placement_member members[6];
    struct placement_table table;
    const int16_t *replicas;
    unsigned int slot;
    int i, j, count;

    make_members(members, 6);
    members[2].owns_data = 0;
    assert_int_equal(placement_build(&table, members, 6, 4), 0);
    assert_int_equal(table.replica_count, 4);
    assert_int_equal(table.member_count, 6);
    for (slot = 0; slot < SLOT_COUNT; slot++) {
        replicas = placement_replicas(&table, slot, &count);
        for (i = 0; i < count; i++) {
            assert_true(replicas[i] >= 0 && replicas[i] < 6);
            assert_int_not_equal(replicas[i], 2);
            for (j = 0; j < i; j++) {
                assert_int_not_equal(replicas[i], replicas[j]);
                assert_true(placement_score(members[replicas[j]].id, slot) >
                            placement_score(members[replicas[i]].id, slot));
            }
        }
        for (i = count; i < PLACEMENT_MAX_REPLICAS; i++) {
            assert_int_equal(replicas[i], -1);
        }
    }
    placement_free(&table);
}

static void
test_load_is_even(void **state)
{
    struct placement_member members[5];
    struct placement_table table;
    int primaries[5] = { 0 }, copies[5] = { 0 };
    const int16_t *replicas;
    unsigned int slot;
    int i, count;

    make_members(members, 5);
    assert_int_equal(placement_build(&table, members, 5, 3), 0);
    for (slot = 0; slot < SLOT_COUNT; slot++) {
        replicas = placement_replicas(&table, slot, &count);
        primaries[replicas[0]]++;
        for (i = 0; i < count; i++) {
            copies[replicas[i]]++;
        }
    }
    for (i = 0; i < 5; i++) {
        assert_in_range(copies[i], SLOT_COUNT * 3 / 5 * 9 / 10, SLOT_COUNT * 3 / 5 * 11 / 10);
        assert_in_range(primaries[i], SLOT_COUNT / 5 * 9 / 10, SLOT_COUNT / 5 * 11 / 10);
    }
    placement_free(&table);
}

static void
test_join_moves_about_one_sixth(void **state)
{
    struct placement_member members[6];
    struct placement_table before, after;
    unsigned int slot;
    int moved = 0, count, i;
    const char *old_primary, *new_primary, *id;

    make_members(members, 6);
    assert_int_equal(placement_build(&before, members, 5, 3), 0);
    assert_int_equal(placement_build(&after, members, 6, 3), 0);
    for (slot = 0; slot < SLOT_COUNT; slot++) {
        old_primary = replica_id(&before, members, slot, 0);
        new_primary = replica_id(&after, members, slot, 0);
        if (strcmp(old_primary, new_primary) != 0) {
            moved++;
            assert_string_equal(new_primary, "node-5");
        }
        /* Every copy the new table places on an old member was there before. */
        placement_replicas(&after, slot, &count);
        for (i = 0; i < count; i++) {
            id = replica_id(&after, members, slot, i);
            if (strcmp(id, "node-5") != 0) {
                assert_true(holds(&before, members, slot, id));
            }
        }
    }
    assert_in_range(moved, SLOT_COUNT / 10, SLOT_COUNT / 4);
    placement_free(&before);
    placement_free(&after);
}

static void
test_more_replicas_than_members(void **state)
{
    struct placement_member members[3];
    struct placement_table table;
    unsigned int slot;
    int count;

    make_members(members, 3);
    assert_int_equal(placement_build(&table, members, 3, 5), 0);
    assert_int_equal(table.replicas, 5);
    assert_int_equal(table.replica_count, 3);
    for (slot = 0; slot < SLOT_COUNT; slot += 97) {
        placement_replicas(&table, slot, &count);
        assert_int_equal(count, 3);
        assert_true(holds(&table, members, slot, "node-0"));
        assert_true(holds(&table, members, slot, "node-1"));
        assert_true(holds(&table, members, slot, "node-2"));
    }
    placement_free(&table);
}

static void
test_no_owners(void **state)
{
    struct placement_member members[2];
    struct placement_table table;
    const int16_t *replicas;
    int count;

    make_members(members, 2);
    members[0].owns_data = 0;
    members[1].owns_data = 0;
    assert_int_equal(placement_build(&table, members, 2, 3), 0);
    replicas = placement_replicas(&table, 5, &count);
    assert_int_equal(count, 0);
    assert_int_equal(replicas[0], -1);
    placement_free(&table);
    assert_int_equal(placement_build(&table, NULL, 0, 3), 0);
    assert_int_equal(table.replica_count, 0);
    placement_free(&table);
    assert_null(placement_replicas(&table, 5, &count));
    assert_int_equal(count, 0);
}

static void
test_digest_covers_membership(void **state)
{
    struct placement_member members[4], changed[4];
    uint64_t digest;

    make_members(members, 4);
    digest = placement_digest(members, 4, 3);
    assert_true(digest == placement_digest(members, 4, 3));
    assert_true(digest != placement_digest(members, 4, 2));
    assert_true(digest != placement_digest(members, 3, 3));
    memcpy(changed, members, sizeof(members));
    changed[1].owns_data = 0;
    assert_true(digest != placement_digest(changed, 4, 3));
    memcpy(changed, members, sizeof(members));
    snprintf(changed[2].id, sizeof(changed[2].id), "node-x");
    assert_true(digest != placement_digest(changed, 4, 3));
    /* Any nonzero owns_data is the same as 1. */
    memcpy(changed, members, sizeof(members));
    changed[0].owns_data = 7;
    assert_true(digest == placement_digest(changed, 4, 3));
}

static void
test_bad_arguments(void **state)
{
    struct placement_member members[3];
    struct placement_table table;

    memset(&table, 0, sizeof(table));
    make_members(members, 3);
    assert_int_equal(placement_build(&table, members, 3, 0), -1);
    assert_int_equal(placement_build(&table, members, 3, PLACEMENT_MAX_REPLICAS + 1), -1);
    assert_int_equal(placement_build(&table, members, -1, 3), -1);
    assert_int_equal(placement_build(&table, members, PLACEMENT_MAX_MEMBERS + 1, 3), -1);
    assert_int_equal(placement_build(&table, NULL, 2, 3), -1);
    /* Duplicate, empty or unterminated ids. */
    snprintf(members[2].id, sizeof(members[2].id), "node-0");
    assert_int_equal(placement_build(&table, members, 3, 3), -1);
    members[2].id[0] = '\0';
    assert_int_equal(placement_build(&table, members, 3, 3), -1);
    memset(members[2].id, 'z', sizeof(members[2].id));
    assert_int_equal(placement_build(&table, members, 3, 3), -1);
    /* A failed build leaves the table alone. */
    assert_null(table.replica);
}

static void
test_build_is_fast(void **state)
{
    struct placement_member members[10];
    struct placement_table table;
    uint64_t start, elapsed;
    int round;

    make_members(members, 10);
    start = monotonic_microseconds();
    for (round = 0; round < 10; round++) {
        assert_int_equal(placement_build(&table, members, 10, 3), 0);
        placement_free(&table);
    }
    elapsed = (monotonic_microseconds() - start) / 10;
    print_message("placement_build: 16384 slots x 10 members, replicas 3: %llu us\n",
                  (unsigned long long)elapsed);
    /* ~1 ms expected; generous for shared, sanitized or loaded machines. */
    assert_true(elapsed < 50000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_is_frozen),
        cmocka_unit_test(test_member_order_does_not_matter),
        cmocka_unit_test(test_replicas_are_distinct_owners_ranked_by_score),
        cmocka_unit_test(test_load_is_even),
        cmocka_unit_test(test_join_moves_about_one_sixth),
        cmocka_unit_test(test_more_replicas_than_members),
        cmocka_unit_test(test_no_owners),
        cmocka_unit_test(test_digest_covers_membership),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_build_is_fast),
    };

    return cmocka_run_group_tests_name("placement", tests, NULL, NULL);
}
