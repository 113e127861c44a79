/*
 * test_node_keyindex.c — the in-memory key index (node/keyindex.h): ordering by
 * (slot, hash40, key), the SCAN cursor contract, per-slot walks, the
 * expiry index and the counters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shared/checksum.h"
#include "shared/slot.h"
#include "node/keyindex.h"
#include "node/record.h"

#define KEY_COUNT 2000

/* Collects the keys a walk visits (copies) and checks their order. */
struct collector {
    char     keys[KEY_COUNT * 4][32];
    int      count;
    uint64_t last_position;
    char     last_key[32];
    int      out_of_order;
};

static int
collect(const struct keyindex_entry *entry, void *context)
{
    struct collector *collector = context;
    char key[32];

    assert_true(entry->key_length < sizeof(key));
    memcpy(key, entry->key, entry->key_length);
    key[entry->key_length] = '\0';
    assert_true(entry->position == keyindex_position(entry->key, entry->key_length));
    if (collector->count > 0 &&
        (entry->position < collector->last_position ||
         (entry->position == collector->last_position &&
          strcmp(key, collector->last_key) <= 0))) {
        collector->out_of_order++;
    }
    collector->last_position = entry->position;
    strcpy(collector->last_key, key);
    strcpy(collector->keys[collector->count++], key);
    return 0;
}

static void
key_name(char *out, int i)
{
    snprintf(out, 32, "key:%d", i);
}

static struct keyindex *
filled_index(int count)
{
    struct keyindex *index = keyindex_new();
    char key[32];
    int i;

    for (i = 0; i < count; i++) {
        key_name(key, i);
        assert_int_equal(keyindex_set(index, key, strlen(key), RECORD_STRING, 0), 1);
    }
    return index;
}

static int
seen_index_of(const char *key)
{
    int i;

    assert_int_equal(sscanf(key, "key:%d", &i), 1);
    return i;
}

static void
test_position_is_slot_and_hash40(void **state)
{
    uint64_t position = keyindex_position("foo", 3);

    assert_true((position >> 40) == key_slot("foo", 3));
    assert_true((position & ((1ULL << 40) - 1)) == hash64("foo", 3) >> 24);
    assert_true(position < KEYINDEX_POSITION_END);
    /* Hash tags co-locate keys in one slot. */
    assert_true((keyindex_position("{u}a", 4) >> 40) == (keyindex_position("{u}b", 4) >> 40));
}

static void
test_set_get_remove_and_counts(void **state)
{
    struct keyindex *index = keyindex_new();
    int64_t expire;
    int type;

    assert_int_equal(keyindex_set(index, "a", 1, RECORD_STRING, 0), 1);
    assert_int_equal(keyindex_set(index, "a", 1, RECORD_STRING, 0), 0);
    assert_int_equal(keyindex_set(index, "b", 1, RECORD_HASH, 5000), 1);
    assert_int_equal(keyindex_count(index), 2);
    assert_int_equal(keyindex_expires_count(index), 1);
    assert_int_equal(keyindex_get(index, "b", 1, &type, &expire), 1);
    assert_int_equal(type, RECORD_HASH);
    assert_true(expire == 5000);
    assert_int_equal(keyindex_get(index, "c", 1, NULL, NULL), 0);
    /* Changing the expiry replaces the expiry entry. */
    assert_int_equal(keyindex_set(index, "b", 1, RECORD_HASH, 7000), 0);
    assert_int_equal(keyindex_expires_count(index), 1);
    assert_int_equal(keyindex_set(index, "a", 1, RECORD_STRING, 100), 0);
    assert_int_equal(keyindex_expires_count(index), 2);
    assert_int_equal(keyindex_set(index, "a", 1, RECORD_STRING, 0), 0);
    assert_int_equal(keyindex_expires_count(index), 1);
    assert_int_equal(keyindex_remove(index, "b", 1), 1);
    assert_int_equal(keyindex_remove(index, "b", 1), 0);
    assert_int_equal(keyindex_expires_count(index), 0);
    assert_int_equal(keyindex_count(index), 1);
    keyindex_clear(index);
    assert_int_equal(keyindex_count(index), 0);
    keyindex_free(index);
}

static void
test_foreach_is_ordered(void **state)
{
    struct keyindex *index = filled_index(KEY_COUNT);
    struct collector *collector = calloc(1, sizeof(*collector));

    keyindex_foreach(index, collect, collector);
    assert_int_equal(collector->count, KEY_COUNT);
    assert_int_equal(collector->out_of_order, 0);
    free(collector);
    keyindex_free(index);
}

/* Runs a whole SCAN with the given COUNT; every key must come exactly
 * once, and every step must return at least `count` keys unless it is
 * the last one. */
static void
scan_all(struct keyindex *index, long count, int expected)
{
    struct collector *collector = calloc(1, sizeof(*collector));
    unsigned char *seen = calloc(KEY_COUNT * 4, 1);
    uint64_t cursor = 0;
    int before, i, steps = 0;

    do {
        before = collector->count;
        cursor = keyindex_scan(index, cursor, count, collect, collector);
        if (cursor != 0) {
            assert_true(collector->count - before >= count);
        }
        steps++;
    } while (cursor != 0);
    assert_int_equal(collector->count, expected);
    assert_int_equal(collector->out_of_order, 0);
    for (i = 0; i < collector->count; i++) {
        int n = seen_index_of(collector->keys[i]);

        assert_int_equal(seen[n], 0);
        seen[n] = 1;
    }
    assert_true(steps >= expected / count);
    free(seen);
    free(collector);
}

static void
test_scan_visits_every_key_once(void **state)
{
    struct keyindex *index = filled_index(KEY_COUNT);

    scan_all(index, 1, KEY_COUNT);
    scan_all(index, 7, KEY_COUNT);
    scan_all(index, 100, KEY_COUNT);
    scan_all(index, 100000, KEY_COUNT);
    keyindex_free(index);
}

static int
count_visit(const struct keyindex_entry *entry, void *context)
{
    (*(int *)context)++;
    return 0;
}

static void
test_scan_cursor_contract(void **state)
{
    struct keyindex *index = keyindex_new();
    uint64_t position = keyindex_position("only", 4), cursor;
    int visited = 0;

    /* Empty index and cursors past the end answer 0. */
    assert_true(keyindex_scan(index, 0, 10, count_visit, &visited) == 0);
    assert_int_equal(visited, 0);
    keyindex_set(index, "only", 4, RECORD_STRING, 0);
    assert_true(keyindex_scan(index, KEYINDEX_POSITION_END, 10, count_visit, &visited) == 0);
    assert_true(keyindex_scan(index, ~0ULL, 10, count_visit, &visited) == 0);
    assert_int_equal(visited, 0);
    /* A cursor is a position: resume at the first key at or after it. */
    assert_true(keyindex_scan(index, position, 10, count_visit, &visited) == 0);
    assert_int_equal(visited, 1);
    assert_true(keyindex_scan(index, position + 1, 10, count_visit, &visited) == 0);
    assert_int_equal(visited, 1);
    /* With a second key after it, a COUNT 1 step stops right after the
     * first run: the cursor is that run's position + 1. */
    keyindex_set(index, "other", 5, RECORD_STRING, 0);
    if (keyindex_position("other", 5) > position) {
        cursor = keyindex_scan(index, 0, 1, count_visit, &visited);
        assert_true(cursor == position + 1);
    }
    keyindex_free(index);
}

static void
test_scan_keeps_keys_present_throughout(void **state)
{
    struct keyindex *index = filled_index(KEY_COUNT);
    struct collector *collector = calloc(1, sizeof(*collector));
    unsigned char *seen = calloc(KEY_COUNT * 4, 1);
    uint64_t cursor = 0;
    char key[32];
    int i, step = 0;

    /* Between steps, add new keys and remove keys >= KEY_COUNT / 2 that
     * are odd; every even key below KEY_COUNT must still be returned. */
    do {
        cursor = keyindex_scan(index, cursor, 13, collect, collector);
        key_name(key, KEY_COUNT + step);
        keyindex_set(index, key, strlen(key), RECORD_STRING, 0);
        key_name(key, KEY_COUNT / 2 + 2 * step + 1);
        keyindex_remove(index, key, strlen(key));
        step++;
    } while (cursor != 0);
    for (i = 0; i < collector->count; i++) {
        seen[seen_index_of(collector->keys[i])] = 1;
    }
    for (i = 0; i < KEY_COUNT; i += 2) {
        assert_int_equal(seen[i], 1);
    }
    free(seen);
    free(collector);
    keyindex_free(index);
}

static int
check_slot(const struct keyindex_entry *entry, void *context)
{
    unsigned int *slot = context;

    assert_int_equal(key_slot(entry->key, entry->key_length), *slot);
    return 0;
}

static void
test_foreach_in_slot(void **state)
{
    struct keyindex *index = keyindex_new();
    char key[32];
    unsigned int slot = key_slot("{tag}", 5);
    int i, visited = 0;

    for (i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "{tag}:%d", i);
        keyindex_set(index, key, strlen(key), RECORD_STRING, 0);
        snprintf(key, sizeof(key), "other:%d", i);
        keyindex_set(index, key, strlen(key), RECORD_STRING, 0);
    }
    keyindex_foreach_in_slot(index, slot, check_slot, &slot);
    keyindex_foreach_in_slot(index, slot, count_visit, &visited);
    assert_true(visited >= 50);
    keyindex_free(index);
}

static void
test_visit_at_wraps(void **state)
{
    struct keyindex *index = keyindex_new();
    int visited = 0;

    assert_int_equal(keyindex_visit_at(index, 12345, count_visit, &visited), 0);
    keyindex_set(index, "k", 1, RECORD_STRING, 0);
    /* Past the only key: wraps to the first one. */
    assert_int_equal(keyindex_visit_at(index, keyindex_position("k", 1) + 1,
                                       count_visit, &visited), 1);
    assert_int_equal(keyindex_visit_at(index, 0, count_visit, &visited), 1);
    assert_int_equal(visited, 2);
    keyindex_free(index);
}

static void
test_first_expiring_in_time_order(void **state)
{
    struct keyindex *index = keyindex_new();
    struct keyindex_entry entry;

    assert_int_equal(keyindex_first_expiring(index, &entry), 0);
    keyindex_set(index, "late", 4, RECORD_STRING, 3000);
    keyindex_set(index, "early", 5, RECORD_STRING, 1000);
    keyindex_set(index, "never", 5, RECORD_STRING, 0);
    keyindex_set(index, "middle", 6, RECORD_STRING, 2000);
    assert_int_equal(keyindex_first_expiring(index, &entry), 1);
    assert_true(entry.expire_ms == 1000);
    assert_int_equal(entry.key_length, 5);
    assert_memory_equal(entry.key, "early", 5);
    keyindex_remove(index, "early", 5);
    assert_int_equal(keyindex_first_expiring(index, &entry), 1);
    assert_memory_equal(entry.key, "middle", 6);
    /* Moving an expiry later reorders it. */
    keyindex_set(index, "middle", 6, RECORD_STRING, 9000);
    assert_int_equal(keyindex_first_expiring(index, &entry), 1);
    assert_memory_equal(entry.key, "late", 4);
    keyindex_free(index);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_position_is_slot_and_hash40),
        cmocka_unit_test(test_set_get_remove_and_counts),
        cmocka_unit_test(test_foreach_is_ordered),
        cmocka_unit_test(test_scan_visits_every_key_once),
        cmocka_unit_test(test_scan_cursor_contract),
        cmocka_unit_test(test_scan_keeps_keys_present_throughout),
        cmocka_unit_test(test_foreach_in_slot),
        cmocka_unit_test(test_visit_at_wraps),
        cmocka_unit_test(test_first_expiring_in_time_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
