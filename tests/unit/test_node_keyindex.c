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

/* ---- Randomized differential test against a sorted-array reference ---- */

#define REFERENCE_KEY_SIZE  24
#define DIFFERENTIAL_OPS    200000
#define POOL_PLAIN          15000
#define POOL_HOT            5000
#define HOT_SLOT_KEYS       100000

/* One key of the reference model. */
struct reference_key {
    uint64_t position;
    char     key[REFERENCE_KEY_SIZE];
    size_t   length;
    int      type;
    int64_t  expire_ms;
};

/* The reference: every key, sorted by (position, key) like the index. */
struct reference {
    struct reference_key *keys;
    size_t                count;
    size_t                capacity;
};

/* A visitor context checking a walk against reference keys [next, end). */
struct expectation {
    const struct reference_key *keys;
    size_t                      next;
    size_t                      end;
    int                         mismatches;
};

static uint64_t
random_next64(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

static int
reference_order(uint64_t position, const char *key, size_t length,
                const struct reference_key *other)
{
    size_t common = length < other->length ? length : other->length;
    int result;

    if (position != other->position) {
        return position < other->position ? -1 : 1;
    }
    result = memcmp(key, other->key, common);
    if (result != 0) {
        return result;
    }
    return length < other->length ? -1 : (length > other->length ? 1 : 0);
}

/* The first reference key not before (position, key). */
static size_t
reference_lower_bound(const struct reference *reference, uint64_t position,
                      const char *key, size_t length)
{
    size_t low = 0, high = reference->count, middle;

    while (low < high) {
        middle = low + (high - low) / 2;
        if (reference_order(position, key, length, &reference->keys[middle]) > 0) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

/* The first reference key whose position is >= position. */
static size_t
reference_seek(const struct reference *reference, uint64_t position)
{
    return reference_lower_bound(reference, position, "", 0);
}

static struct reference_key *
reference_find(struct reference *reference, const char *key, size_t length)
{
    uint64_t position = keyindex_position(key, length);
    size_t at = reference_lower_bound(reference, position, key, length);

    if (at < reference->count &&
        reference_order(position, key, length, &reference->keys[at]) == 0) {
        return &reference->keys[at];
    }
    return NULL;
}

static int
reference_set(struct reference *reference, const char *key, size_t length,
              int type, int64_t expire_ms)
{
    uint64_t position = keyindex_position(key, length);
    size_t at = reference_lower_bound(reference, position, key, length);
    struct reference_key *slot;

    if (at < reference->count &&
        reference_order(position, key, length, &reference->keys[at]) == 0) {
        reference->keys[at].type = type;
        reference->keys[at].expire_ms = expire_ms;
        return 0;
    }
    if (reference->count == reference->capacity) {
        reference->capacity = reference->capacity ? reference->capacity * 2 : 1024;
        reference->keys = realloc(reference->keys,
                                  reference->capacity * sizeof(reference->keys[0]));
        assert_non_null(reference->keys);
    }
    memmove(&reference->keys[at + 1], &reference->keys[at],
            (reference->count - at) * sizeof(reference->keys[0]));
    slot = &reference->keys[at];
    slot->position = position;
    memcpy(slot->key, key, length);
    slot->length = length;
    slot->type = type;
    slot->expire_ms = expire_ms;
    reference->count++;
    return 1;
}

static int
reference_remove(struct reference *reference, const char *key, size_t length)
{
    struct reference_key *found = reference_find(reference, key, length);
    size_t at;

    if (found == NULL) {
        return 0;
    }
    at = (size_t)(found - reference->keys);
    memmove(&reference->keys[at], &reference->keys[at + 1],
            (reference->count - at - 1) * sizeof(reference->keys[0]));
    reference->count--;
    return 1;
}

/* Expiry order: expire_ms as unsigned, then the key bytes, then length. */
static const struct reference_key *
reference_first_expiring(const struct reference *reference, uint64_t *with_expiry)
{
    const struct reference_key *best = NULL, *candidate;
    size_t i, common;
    int result;

    *with_expiry = 0;
    for (i = 0; i < reference->count; i++) {
        candidate = &reference->keys[i];
        if (candidate->expire_ms == 0) {
            continue;
        }
        (*with_expiry)++;
        if (best == NULL || (uint64_t)candidate->expire_ms < (uint64_t)best->expire_ms) {
            best = candidate;
            continue;
        }
        if (candidate->expire_ms != best->expire_ms) {
            continue;
        }
        common = candidate->length < best->length ? candidate->length : best->length;
        result = memcmp(candidate->key, best->key, common);
        if (result < 0 || (result == 0 && candidate->length < best->length)) {
            best = candidate;
        }
    }
    return best;
}

static int
expect_visit(const struct keyindex_entry *entry, void *context)
{
    struct expectation *expectation = context;
    const struct reference_key *expected;

    if (expectation->next >= expectation->end) {
        expectation->mismatches++;
        return 0;
    }
    expected = &expectation->keys[expectation->next++];
    if (entry->position != expected->position || entry->key_length != expected->length ||
        memcmp(entry->key, expected->key, expected->length) != 0 ||
        entry->type != expected->type || entry->expire_ms != expected->expire_ms) {
        expectation->mismatches++;
    }
    return 0;
}

/* What keyindex_scan must answer, computed on the reference; fills the
 * range of keys it must visit. */
static uint64_t
reference_scan(const struct reference *reference, uint64_t cursor, long count,
               size_t *start, size_t *end)
{
    uint64_t last_position = 0;
    long visited = 0;
    size_t i;

    *start = *end = 0;
    if (cursor >= KEYINDEX_POSITION_END) {
        return 0;
    }
    *start = reference_seek(reference, cursor);
    for (i = *start; i < reference->count; i++) {
        if (visited >= count && reference->keys[i].position != last_position) {
            *end = i;
            return last_position + 1;
        }
        visited++;
        last_position = reference->keys[i].position;
    }
    *end = reference->count;
    return 0;
}

static void
check_scan(struct keyindex *index, const struct reference *reference,
           uint64_t cursor, long count)
{
    struct expectation expectation = { reference->keys, 0, 0, 0 };
    uint64_t expected_cursor, answered;

    expected_cursor = reference_scan(reference, cursor, count, &expectation.next,
                                     &expectation.end);
    answered = keyindex_scan(index, cursor, count, expect_visit, &expectation);
    assert_true(answered == expected_cursor);
    assert_int_equal(expectation.mismatches, 0);
    assert_true(expectation.next == expectation.end);
}

static void
check_slot_walk(struct keyindex *index, const struct reference *reference,
                unsigned int slot)
{
    struct expectation expectation = { reference->keys, 0, 0, 0 };

    expectation.next = reference_seek(reference, (uint64_t)slot << 40);
    expectation.end = reference_seek(reference, (uint64_t)(slot + 1) << 40);
    assert_int_equal(keyindex_foreach_in_slot(index, slot, expect_visit, &expectation), 0);
    assert_int_equal(expectation.mismatches, 0);
    assert_true(expectation.next == expectation.end);
}

static void
check_whole_walk(struct keyindex *index, const struct reference *reference)
{
    struct expectation expectation = { reference->keys, 0, reference->count, 0 };

    assert_int_equal(keyindex_foreach(index, expect_visit, &expectation), 0);
    assert_int_equal(expectation.mismatches, 0);
    assert_true(expectation.next == reference->count);
    assert_true(keyindex_count(index) == reference->count);
}

static void
check_visit_at(struct keyindex *index, const struct reference *reference,
               uint64_t position)
{
    struct expectation expectation = { reference->keys, 0, 0, 0 };
    int visited;

    if (reference->count == 0) {
        assert_int_equal(keyindex_visit_at(index, position, expect_visit, &expectation), 0);
        return;
    }
    expectation.next = reference_seek(reference, position % KEYINDEX_POSITION_END);
    if (expectation.next == reference->count) {
        expectation.next = 0;
    }
    expectation.end = expectation.next + 1;
    visited = keyindex_visit_at(index, position, expect_visit, &expectation);
    assert_int_equal(visited, 1);
    assert_int_equal(expectation.mismatches, 0);
    assert_true(expectation.next == expectation.end);
}

static void
check_first_expiring(struct keyindex *index, const struct reference *reference)
{
    struct keyindex_entry entry;
    uint64_t with_expiry;
    const struct reference_key *expected = reference_first_expiring(reference, &with_expiry);

    assert_true(keyindex_expires_count(index) == with_expiry);
    if (expected == NULL) {
        assert_int_equal(keyindex_first_expiring(index, &entry), 0);
        return;
    }
    assert_int_equal(keyindex_first_expiring(index, &entry), 1);
    assert_true(entry.expire_ms == expected->expire_ms);
    assert_int_equal(entry.key_length, expected->length);
    assert_memory_equal(entry.key, expected->key, expected->length);
    assert_int_equal(entry.type, -1);
    assert_true(entry.position == expected->position);
}

/* A key of the pool: plain keys spread over slots, hot keys share one. */
static size_t
pool_key(char *out, uint64_t *state)
{
    uint64_t pick = random_next64(state) % (POOL_PLAIN + POOL_HOT);

    if (pick < POOL_PLAIN) {
        return (size_t)snprintf(out, REFERENCE_KEY_SIZE, "k:%llu", (unsigned long long)pick);
    }
    return (size_t)snprintf(out, REFERENCE_KEY_SIZE, "{hot}:%llu",
                            (unsigned long long)(pick - POOL_PLAIN));
}

/* A cursor: near an existing key's position, or anywhere. */
static uint64_t
random_cursor(const struct reference *reference, uint64_t *state)
{
    uint64_t choice = random_next64(state) % 8;

    if (choice == 0) {
        return 0;
    }
    if (choice == 1) {
        return random_next64(state);      /* usually past the end */
    }
    if (choice < 5 && reference->count > 0) {
        return reference->keys[random_next64(state) % reference->count].position +
               random_next64(state) % 2;
    }
    return random_next64(state) % KEYINDEX_POSITION_END;
}

static void
differential_step(struct keyindex *index, struct reference *reference, uint64_t *state)
{
    char key[REFERENCE_KEY_SIZE];
    size_t length = pool_key(key, state);
    uint64_t operation = random_next64(state) % 100;
    int64_t expire_ms, expected_expire, got_expire;
    int type, expected_type, got_type;
    struct reference_key *found;

    if (operation < 40) {
        type = (int)(random_next64(state) % 5);
        expire_ms = random_next64(state) % 2 ? 0 : (int64_t)(1 + random_next64(state) % 500);
        assert_int_equal(keyindex_set(index, key, length, type, expire_ms),
                         reference_set(reference, key, length, type, expire_ms));
    } else if (operation < 55) {
        found = reference_find(reference, key, length);
        assert_int_equal(keyindex_get(index, key, length, &got_type, &got_expire),
                         found != NULL);
        if (found != NULL) {
            expected_type = found->type;
            expected_expire = found->expire_ms;
            assert_int_equal(got_type, expected_type);
            assert_true(got_expire == expected_expire);
        }
    } else if (operation < 75) {
        assert_int_equal(keyindex_remove(index, key, length),
                         reference_remove(reference, key, length));
    } else if (operation < 85) {
        check_scan(index, reference, random_cursor(reference, state),
                   (long)(1 + random_next64(state) % 40));
    } else if (operation < 88) {
        check_slot_walk(index, reference,
                        (unsigned int)(keyindex_position(key, length) >> 40));
    } else if (operation < 90) {
        check_slot_walk(index, reference, (unsigned int)(random_next64(state) % SLOT_COUNT));
    } else if (operation < 95) {
        check_visit_at(index, reference, random_cursor(reference, state));
    } else {
        check_first_expiring(index, reference);
    }
    assert_true(keyindex_count(index) == reference->count);
}

static void
test_differential_against_reference(void **state)
{
    struct keyindex *index = keyindex_new();
    struct reference reference = { NULL, 0, 0 };
    uint64_t random_state = 0x9e3779b97f4a7c15ULL;
    char key[REFERENCE_KEY_SIZE];
    size_t length;
    int operation;

    for (operation = 0; operation < DIFFERENTIAL_OPS; operation++) {
        differential_step(index, &reference, &random_state);
        if (operation % 20000 == 0) {
            check_whole_walk(index, &reference);
            assert_true(keyindex_count(index) == 0 || keyindex_memory(index) > 0);
        }
    }
    check_whole_walk(index, &reference);
    check_first_expiring(index, &reference);
    /* Empty it key by key: every structure must drain. */
    while (reference.count > 0) {
        length = reference.keys[0].length;
        memcpy(key, reference.keys[0].key, length);
        assert_int_equal(keyindex_remove(index, key, length), 1);
        reference_remove(&reference, key, length);
        if (reference.count % 997 == 0) {
            check_scan(index, &reference, random_cursor(&reference, &random_state), 10);
        }
    }
    assert_true(keyindex_count(index) == 0);
    assert_true(keyindex_expires_count(index) == 0);
    check_whole_walk(index, &reference);
    check_scan(index, &reference, 0, 10);
    check_visit_at(index, &reference, 0);
    check_first_expiring(index, &reference);
    free(reference.keys);
    keyindex_free(index);
}

static void
test_hot_slot(void **state)
{
    struct keyindex *index = keyindex_new();
    struct reference reference = { NULL, 0, 0 };
    uint64_t random_state = 12345, cursor = 0;
    unsigned int slot = key_slot("{tag}", 5);
    char key[REFERENCE_KEY_SIZE];
    size_t length;
    int i, steps = 0;

    for (i = 0; i < HOT_SLOT_KEYS; i++) {
        length = (size_t)snprintf(key, sizeof(key), "{tag}:%d", i);
        assert_int_equal(keyindex_set(index, key, length, RECORD_STRING, i % 3 ? 0 : i + 1),
                         reference_set(&reference, key, length, RECORD_STRING,
                                       i % 3 ? 0 : i + 1));
    }
    assert_true(keyindex_count(index) == HOT_SLOT_KEYS);
    check_whole_walk(index, &reference);
    check_slot_walk(index, &reference, slot);
    check_first_expiring(index, &reference);
    /* A full SCAN in small steps visits the slot in order. */
    do {
        check_scan(index, &reference, cursor, 97);
        cursor = reference_scan(&reference, cursor, 97, &(size_t){ 0 }, &(size_t){ 0 });
        steps++;
    } while (cursor != 0);
    assert_true(steps >= HOT_SLOT_KEYS / 97);
    /* Remove a random two thirds, then check everything again. */
    for (i = 0; i < HOT_SLOT_KEYS; i++) {
        if (random_next64(&random_state) % 3 == 0) {
            continue;
        }
        length = (size_t)snprintf(key, sizeof(key), "{tag}:%d", i);
        assert_int_equal(keyindex_remove(index, key, length), 1);
        reference_remove(&reference, key, length);
    }
    check_whole_walk(index, &reference);
    check_slot_walk(index, &reference, slot);
    check_first_expiring(index, &reference);
    for (i = 0; i < 200; i++) {
        check_scan(index, &reference, random_cursor(&reference, &random_state), 50);
        check_visit_at(index, &reference, random_cursor(&reference, &random_state));
    }
    keyindex_clear(index);
    assert_true(keyindex_count(index) == 0);
    assert_true(keyindex_expires_count(index) == 0);
    free(reference.keys);
    keyindex_free(index);
}

static void
test_empty_index(void **state)
{
    struct keyindex *index = keyindex_new();
    struct keyindex_entry entry;
    int visited = 0;

    assert_true(keyindex_count(index) == 0);
    assert_true(keyindex_expires_count(index) == 0);
    assert_true(keyindex_scan(index, 0, 1, count_visit, &visited) == 0);
    assert_true(keyindex_scan(index, KEYINDEX_POSITION_END - 1, 1, count_visit, &visited) == 0);
    assert_int_equal(keyindex_foreach(index, count_visit, &visited), 0);
    assert_int_equal(keyindex_foreach_in_slot(index, 0, count_visit, &visited), 0);
    assert_int_equal(keyindex_foreach_in_slot(index, SLOT_COUNT - 1, count_visit, &visited), 0);
    assert_int_equal(keyindex_visit_at(index, ~0ULL, count_visit, &visited), 0);
    assert_int_equal(keyindex_first_expiring(index, &entry), 0);
    assert_int_equal(keyindex_get(index, "x", 1, NULL, NULL), 0);
    assert_int_equal(keyindex_remove(index, "x", 1), 0);
    assert_int_equal(visited, 0);
    /* The empty key is a key like any other. */
    assert_int_equal(keyindex_set(index, "", 0, RECORD_STRING, 0), 1);
    assert_int_equal(keyindex_get(index, "", 0, NULL, NULL), 1);
    assert_int_equal(keyindex_foreach(index, count_visit, &visited), 0);
    assert_int_equal(visited, 1);
    assert_int_equal(keyindex_remove(index, "", 0), 1);
    assert_true(keyindex_count(index) == 0);
    keyindex_clear(index);
    keyindex_clear(index);
    keyindex_free(index);
    keyindex_free(NULL);
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
        cmocka_unit_test(test_differential_against_reference),
        cmocka_unit_test(test_hot_slot),
        cmocka_unit_test(test_empty_index),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
