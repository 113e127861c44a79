/*
 * test_node_db.c — the keyspace layer on a real data directory (node/db.h,
 * node/collection.h): user keys that look like internal records, slot-level
 * work that touches only the slot, and O(1) deletion of a big collection
 * whose pages the reclaimer sweeps later.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "shared/clock.h"
#include "shared/slot.h"
#include "node/btree.h"
#include "node/collection.h"
#include "node/db.h"
#include "node/server.h"
#include "node/storage.h"

/* A node context on a temporary directory, without network or events. */
struct fixture {
    struct server server;
    char          dir[64];
};

static int
open_server(struct fixture *fixture)
{
    char error[256];
    struct server *server = &fixture->server;

    memset(server, 0, sizeof(*server));
    snprintf(server->settings.dir, sizeof(server->settings.dir), "%s", fixture->dir);
    server->settings.hash_buckets = 4096;
    server->settings.mmap_size = 1 << 20;
    server->settings.fsync = FSYNC_NO;
    hlc_init(&server->clock, wall_clock_milliseconds, NULL);
    if (db_open(server, error, sizeof(error)) != 0) {
        fprintf(stderr, "db_open: %s\n", error);
        return -1;
    }
    return 0;
}

static void
close_server(struct fixture *fixture)
{
    assert_int_equal(db_close(&fixture->server, 1), 0);
}

static int
setup(void **state)
{
    struct fixture *fixture = calloc(1, sizeof(*fixture));

    snprintf(fixture->dir, sizeof(fixture->dir), "/tmp/herd-test-db-XXXXXX");
    if (mkdtemp(fixture->dir) == NULL || open_server(fixture) != 0) {
        return -1;
    }
    *state = fixture;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fixture = *state;
    char command[128];

    if (fixture->server.storage != NULL) {
        db_close(&fixture->server, 1);
    }
    snprintf(command, sizeof(command), "rm -rf '%s'", fixture->dir);
    if (system(command) != 0) {
        return -1;
    }
    free(fixture);
    return 0;
}

static void
commit(struct fixture *fixture)
{
    assert_int_equal(storage_commit(fixture->server.storage), 0);
}

static void
reopen(struct fixture *fixture)
{
    close_server(fixture);
    assert_int_equal(open_server(fixture), 0);
}

static void
write_string(struct server *server, const char *key, size_t length, const char *value)
{
    assert_int_equal(db_write(server, key, length, RECORD_STRING, value,
                              strlen(value), 0), 0);
}

static void
expect_string_value(struct server *server, const char *key, size_t length, const char *value)
{
    struct db_value found;

    assert_int_equal(db_lookup(server, key, length, &found), DB_FOUND);
    assert_int_equal(found.type, RECORD_STRING);
    assert_int_equal(found.length, strlen(value));
    assert_memory_equal(found.data, value, found.length);
    db_value_release(&found);
}

/* Keys that start with '\0' (even ones shaped like internal page and
 * garbage keys) are ordinary keys: stored, listed, reloaded. */
static void
test_keys_shaped_like_internal_records(void **state)
{
    struct fixture *fixture = *state;
    struct server *server = &fixture->server;
    static const char page_like[18] = { 0, 'p', 0, 0, 0, 0, 0, 0, 0, 1,
                                        0, 0, 0, 0, 0, 0, 0, 0 };
    static const char garbage_like[10] = { 0, 'g', 0, 0, 0, 0, 0, 0, 0, 1 };

    write_string(server, "\0", 1, "zero");
    write_string(server, "\0\0a", 3, "two zeros");
    write_string(server, page_like, sizeof(page_like), "page-like");
    write_string(server, garbage_like, sizeof(garbage_like), "garbage-like");
    write_string(server, "", 0, "empty");
    commit(fixture);
    assert_int_equal(db_size(server), 5);
    reopen(fixture);
    server = &fixture->server;
    assert_int_equal(db_size(server), 5);
    assert_int_equal(server->load.pages, 0);
    expect_string_value(server, "\0", 1, "zero");
    expect_string_value(server, "\0\0a", 3, "two zeros");
    expect_string_value(server, page_like, sizeof(page_like), "page-like");
    expect_string_value(server, garbage_like, sizeof(garbage_like), "garbage-like");
    expect_string_value(server, "", 0, "empty");
    assert_int_equal(db_delete(server, "\0", 1), DB_FOUND);
    assert_int_equal(db_delete(server, "\0", 1), DB_NOT_FOUND);
    expect_string_value(server, "\0\0a", 3, "two zeros");
}

/* Writes `count` keys with hash tag `tag` (all in one slot). */
static unsigned int
fill_slot(struct server *server, const char *tag, int count)
{
    char key[64];
    int i, length = 0;

    for (i = 0; i < count; i++) {
        length = snprintf(key, sizeof(key), "{%s}:%d", tag, i);
        write_string(server, key, (size_t)length, "v");
    }
    return key_slot(key, (size_t)length);
}

/* A slot digest covers exactly the slot's keys (its cost follows the
 * slot, not the node), changes when one of them changes and not when
 * another slot changes; dropping a slot removes exactly its keys. */
static void
test_slot_digest_and_drop(void **state)
{
    struct fixture *fixture = *state;
    struct server *server = &fixture->server;
    unsigned int small, big;
    uint64_t digest, again, keys, removed;
    char key[16];
    long long background = 0;
    int i;

    small = fill_slot(server, "small", 10);
    big = fill_slot(server, "big", 5000);
    for (i = 0; i < 5000; i++) {    /* background keys in other slots */
        int length = snprintf(key, sizeof(key), "bg%d", i);
        unsigned int slot = key_slot(key, (size_t)length);

        if (slot != small && slot != big) {
            write_string(server, key, (size_t)length, "x");
            background++;
        }
    }
    commit(fixture);
    assert_int_equal(db_slot_digest(server, small, &digest, &keys), 0);
    assert_int_equal(keys, 10);
    assert_int_equal(db_slot_digest(server, big, &again, &keys), 0);
    assert_int_equal(keys, 5000);

    write_string(server, "bg0", 3, "changed elsewhere");
    assert_int_equal(db_slot_digest(server, small, &again, &keys), 0);
    assert_true(again == digest);
    write_string(server, "{small}:3", 9, "changed here");
    assert_int_equal(db_slot_digest(server, small, &again, &keys), 0);
    assert_true(again != digest);

    assert_int_equal(db_slot_drop(server, small, &removed), 0);
    assert_int_equal(removed, 10);
    commit(fixture);
    assert_int_equal(db_slot_digest(server, small, &digest, &keys), 0);
    assert_int_equal(keys, 0);
    assert_int_equal(db_size(server), 5000 + background);
}

/* Builds a set of `count` members through the collection layer. */
static void
build_set(struct server *server, const char *key, int count)
{
    struct collection set;
    struct collection_key member_key;
    char member[32];
    int i;

    assert_int_equal(collection_open(server, key, strlen(key), RECORD_SET,
                                     COLLECTION_CREATE, &set), DB_NOT_FOUND);
    for (i = 0; i < count; i++) {
        int length = snprintf(member, sizeof(member), "member-%d", i);

        collection_key_member(&member_key, member, (size_t)length);
        assert_int_equal(btree_put(&set.trees[0], member_key.data,
                                   member_key.length, "", 0), 1);
        collection_key_free(&member_key);
    }
    assert_int_equal(collection_save(&set), 0);
    collection_close(&set);
}

static uint64_t
set_count(struct server *server, const char *key)
{
    struct collection set;
    uint64_t count;
    int result = collection_open(server, key, strlen(key), RECORD_SET,
                                 COLLECTION_READ, &set);

    count = result == DB_FOUND ? collection_count(&set) : 0;
    collection_close(&set);
    return count;
}

/* Deleting a big collection removes one record now; the reclaimer removes
 * its pages later, also after a restart in the middle. */
static void
test_big_collection_delete_is_deferred(void **state)
{
    struct fixture *fixture = *state;
    struct server *server = &fixture->server;
    uint64_t before, after_build, after_delete;

    before = storage_record_count(server->storage);
    build_set(server, "big", 20000);
    commit(fixture);
    after_build = storage_record_count(server->storage);
    assert_true(after_build > before + 100);    /* stored pages exist */
    assert_int_equal(set_count(server, "big"), 20000);

    assert_int_equal(db_delete(server, "big", 3), DB_FOUND);
    commit(fixture);
    after_delete = storage_record_count(server->storage);
    /* the metadata became a tombstone (kept for replicas), one garbage
     * record came, the pages are still there */
    assert_int_equal(after_delete, after_build + 1);
    assert_int_equal(db_tombstone_count(server), 1);
    assert_int_equal(set_count(server, "big"), 0);
    assert_int_equal(collection_reclaim_pending(server), 1);

    assert_true(collection_reclaim_step(server, 10) == 10);
    commit(fixture);
    reopen(fixture);                             /* resumes after a restart */
    server = &fixture->server;
    assert_int_equal(collection_reclaim_pending(server), 1);
    while (collection_reclaim_pending(server) > 0) {
        assert_true(collection_reclaim_step(server, 1000) >= 0);
    }
    commit(fixture);
    assert_int_equal(storage_record_count(server->storage), before + 1);
    assert_int_equal(db_tombstone_count(server), 1);     /* rebuilt at load */
    assert_int_equal(db_tombstone_purge(server, "big", 3), DB_FOUND);
    commit(fixture);
    assert_int_equal(storage_record_count(server->storage), before);
    assert_int_equal(db_tombstone_count(server), 0);

    /* a new set at the same key starts empty */
    build_set(server, "big", 3);
    commit(fixture);
    assert_int_equal(set_count(server, "big"), 3);
}

/* Overwriting a big collection with a string releases its pages too;
 * RENAME keeps them (the metadata moves). */
static void
test_overwrite_and_rename(void **state)
{
    struct fixture *fixture = *state;
    struct server *server = &fixture->server;

    build_set(server, "a", 5000);
    build_set(server, "b", 5000);
    commit(fixture);
    write_string(server, "a", 1, "now a string");
    assert_int_equal(collection_reclaim_pending(server), 1);
    assert_int_equal(db_rename(server, "b", 1, "c", 1), DB_FOUND);
    assert_int_equal(collection_reclaim_pending(server), 1);
    commit(fixture);
    assert_int_equal(set_count(server, "c"), 5000);
    while (collection_reclaim_pending(server) > 0) {
        assert_true(collection_reclaim_step(server, 1000) >= 0);
    }
    commit(fixture);
    reopen(fixture);
    server = &fixture->server;
    assert_int_equal(set_count(server, "c"), 5000);
    expect_string_value(server, "a", 1, "now a string");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys_shaped_like_internal_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slot_digest_and_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_collection_delete_is_deferred, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overwrite_and_rename, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
