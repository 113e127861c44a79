/*
 * db.c — the keyspace as commands see it (see db.h): records in storage,
 * the in-memory key index beside them, versions, lazy expiry.
 *
 * Invariant: a key is in the key index exactly when storage holds a live
 * (non-tombstone) record for it, with the same type and expiry.  Every
 * function here that changes storage changes the index in the same call.
 *
 * "Now" for expiry decisions is server->command_time_ms, set when a command
 * starts, so one command sees one consistent time (as Redis does).
 */
#include <stdlib.h>
#include <string.h>
#include <tcutil.h>
#include "shared/checksum.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/slot.h"
#include "node/server.h"
#include "node/storage.h"
#include "node/keyindex.h"
#include "node/db.h"
#include "node/collection.h"
#include "node/cluster.h"

/* Records bigger than this are encoded in a buffer of their own rather
 * than the server's reusable scratch buffer (so it never stays huge). */
#define DB_SCRATCH_KEEP_LIMIT (1024 * 1024)

int
db_is_expired(int64_t expire_ms, uint64_t now_ms)
{
    return expire_ms > 0 && (int64_t)now_ms > expire_ms;
}

uint64_t
db_now_ms(struct server *server)
{
    return server->command_time_ms != 0 ? server->command_time_ms
                                        : wall_clock_milliseconds(NULL);
}

static struct version
db_new_version(struct server *server)
{
    struct version version;

    if (server->import_version != NULL) {
        return *server->import_version;
    }
    version.clock = hlc_now(&server->clock);
    version.node = (uint16_t)server->settings.node_index;
    return version;
}

/* Returns a buffer of `size` bytes for encoding a record. */
static char *
db_encode_buffer(struct server *server, size_t size)
{
    char *grown;

    if (size > DB_SCRATCH_KEEP_LIMIT) {
        return malloc(size);
    }
    if (size > server->scratch_size) {
        grown = realloc(server->scratch, size);
        if (grown == NULL) {
            return NULL;
        }
        server->scratch = grown;
        server->scratch_size = size;
    }
    return server->scratch;
}

static void
db_encode_buffer_done(struct server *server, char *buffer)
{
    if (buffer != server->scratch) {
        free(buffer);
    }
}

/* Every storage write goes through here first: it opens the batch and, if
 * this write started it, tells the server to schedule the commit. */
void
db_prepare_storage_write(struct server *server)
{
    if (storage_begin(server->storage)) {
        server_batch_opened(server);
    }
}

static void
db_prepare_write(struct server *server)
{
    db_prepare_storage_write(server);
}

size_t
db_internal_key(int kind, const void *body, size_t body_length, char *out)
{
    out[0] = '\0';
    out[1] = (char)kind;
    memcpy(out + 2, body, body_length);
    return body_length + 2;
}

/* The stored form of a user key (see db.h): the key itself, or for a key
 * starting with '\0' a malloc'd copy with one more '\0' in front. */
struct stored_key {
    const char *data;
    size_t      length;
    char       *allocated;
};

static int
stored_key_make(struct stored_key *stored, const char *key, size_t key_length)
{
    stored->allocated = NULL;
    stored->data = key;
    stored->length = key_length;
    if (key_length == 0 || key[0] != '\0') {
        return 0;
    }
    stored->allocated = malloc(key_length + 1);
    if (stored->allocated == NULL) {
        return -1;
    }
    stored->allocated[0] = '\0';
    memcpy(stored->allocated + 1, key, key_length);
    stored->data = stored->allocated;
    stored->length = key_length + 1;
    return 0;
}

static void
stored_key_done(struct stored_key *stored)
{
    free(stored->allocated);
}

/* Before any storage access to a user key: lets the collection cache
 * write a cached collection's pending changes to it (and forget it when
 * `changing`), then makes the stored form of the key.  Returns 0 or -1. */
static int
stored_key_open(struct server *server, struct stored_key *stored, const char *key,
                size_t key_length, int changing)
{
    if (collection_cache_sync_key(server, key, key_length, changing) != 0) {
        return -1;
    }
    return stored_key_make(stored, key, key_length);
}

/* storage_get / storage_get_prefix / storage_put / storage_delete of a user
 * key.  Each first lets the collection cache write a cached collection's
 * pending changes to that key (and forget it before the record changes). */
static int
db_storage_get(struct server *server, const char *key, size_t key_length,
               char **record, size_t *size, int *in_batch)
{
    struct stored_key stored;
    int result;

    if (stored_key_open(server, &stored, key, key_length, 0) != 0) {
        return -1;
    }
    result = storage_get_noting_batch(server->storage, stored.data, stored.length,
                                      record, size, in_batch);
    stored_key_done(&stored);
    return result;
}

static int
db_storage_get_prefix(struct server *server, const char *key, size_t key_length,
                      char *buffer, size_t capacity, size_t *size)
{
    struct stored_key stored;
    int result;

    if (stored_key_open(server, &stored, key, key_length, 0) != 0) {
        return -1;
    }
    result = storage_get_prefix(server->storage, stored.data, stored.length,
                                buffer, capacity, size);
    stored_key_done(&stored);
    return result;
}

static int
db_storage_put(struct server *server, const char *key, size_t key_length,
               const char *record, size_t size)
{
    struct stored_key stored;
    int result;

    if (stored_key_open(server, &stored, key, key_length, 1) != 0) {
        return -1;
    }
    result = storage_put(server->storage, stored.data, stored.length, record, size);
    stored_key_done(&stored);
    return result;
}

static int
db_storage_delete(struct server *server, const char *key, size_t key_length)
{
    struct stored_key stored;
    int result;

    if (stored_key_open(server, &stored, key, key_length, 1) != 0) {
        return -1;
    }
    result = storage_delete(server->storage, stored.data, stored.length);
    stored_key_done(&stored);
    return result;
}

/* ------------------------------------------------------------------------
 * Per-slot digests and the tombstone index
 * ------------------------------------------------------------------------ */

/* One key's share of its slot's digest: a mix of the key and its version.
 * The digest is their sum, so it can be kept up to date per write. */
static uint64_t
db_digest_term(const char *key, size_t key_length, const struct version *version)
{
    unsigned char bytes[10];

    record_write_be64(bytes, version->clock);
    record_write_be16(bytes + 8, version->node);
    return mix64(hash64(key, key_length) ^ hash64(bytes, sizeof(bytes)));
}

/* A key's record changes from version `old` to `new` (either NULL: absent):
 * updates its slot's digest and tells the cluster layer about writes made
 * here (not about imported states or expiries). */
static void
db_record_changed(struct server *server, const char *key, size_t key_length,
                  const struct version *old, const struct version *new)
{
    unsigned int slot = key_slot(key, key_length);

    if (old != NULL) {
        server->slot_digests[slot] -= db_digest_term(key, key_length, old);
    }
    if (new != NULL) {
        server->slot_digests[slot] += db_digest_term(key, key_length, new);
        if (server->import_version == NULL && server->cluster != NULL) {
            cluster_key_written(server->cluster, key, key_length);
        }
    }
}

uint64_t
db_slot_digest_now(struct server *server, unsigned int slot)
{
    return server->slot_digests[slot];
}

/* The tombstone index keeps, per slot, the keys whose record is a
 * tombstone; its "expiry" field holds the tombstone's HLC milliseconds, so
 * the oldest tombstone comes first. */
static void
db_tombstone_indexed(struct server *server, const char *key, size_t key_length,
                     const struct version *version)
{
    keyindex_set(server->tombstones, key, key_length, RECORD_TOMBSTONE,
                 (int64_t)HLC_MILLISECONDS(version->clock));
}

/* A stored header plus, for a collection, the start of its payload (what
 * says where its stored pages are). */
struct stored_header {
    struct record_header header;
    char                 payload[COLLECTION_PAYLOAD_PREFIX];
    size_t               payload_length;
};

/* Reads the stored header of a key (no CRC check, no expiry handling).
 * Returns DB_FOUND, DB_NOT_FOUND or DB_ERROR. */
static int
db_read_stored_header(struct server *server, const char *key, size_t key_length,
                      struct stored_header *stored)
{
    char buffer[RECORD_HEADER_SIZE + COLLECTION_PAYLOAD_PREFIX];
    size_t size;
    int result = db_storage_get_prefix(server, key, key_length, buffer,
                                       sizeof(buffer), &size);

    if (result <= 0) {
        return result < 0 ? DB_ERROR : DB_NOT_FOUND;
    }
    if (record_decode_header(buffer, size, &stored->header) != 0) {
        log_warning("db: record of a %zu-byte key has a bad header", key_length);
        return DB_ERROR;
    }
    stored->payload_length = size - RECORD_HEADER_SIZE;
    memcpy(stored->payload, buffer + RECORD_HEADER_SIZE, stored->payload_length);
    return DB_FOUND;
}

static int
db_read_header(struct server *server, const char *key, size_t key_length,
               struct record_header *header)
{
    struct stored_header stored;
    int result = db_read_stored_header(server, key, key_length, &stored);

    if (result == DB_FOUND) {
        *header = stored.header;
    }
    return result;
}

/* When a stored record that is going away (deleted, or overwritten by
 * another generation) is a collection with stored pages, hands them to the
 * reclaimer.  Returns 0 or DB_ERROR. */
static int
db_release_stored(struct server *server, const struct stored_header *stored)
{
    if (!collection_type(stored->header.type)) {
        return 0;
    }
    return collection_release_payload(server, stored->payload,
                                      stored->payload_length);
}

/* How a key's record goes away. */
enum db_removal {
    DB_REMOVE_RECORD,     /* the record goes (expiry, slot drop) */
    DB_REMOVE_TOMBSTONE   /* a versioned tombstone replaces it (a delete
                             that replicas must learn about) */
};

/* Writes a tombstone with `version` in place of a key's record. */
static int
db_put_tombstone(struct server *server, const char *key, size_t key_length,
                 const struct version *version)
{
    struct record_header header;
    char record[RECORD_HEADER_SIZE];

    header.type = RECORD_TOMBSTONE;
    header.version = *version;
    header.expire_ms = 0;
    record_encode(record, &header, NULL, 0);
    if (db_storage_put(server, key, key_length, record, sizeof(record)) != 0) {
        return DB_ERROR;
    }
    db_tombstone_indexed(server, key, key_length, version);
    return 0;
}

/* Removes a key from storage and the index; `stored` (may be NULL: read
 * here) describes its record, whose pages are released unless keep_pages.
 * `removal` says whether a tombstone stays behind. */
static int
db_remove_stored(struct server *server, const char *key, size_t key_length,
                 const struct stored_header *stored, int keep_pages,
                 enum db_removal removal)
{
    struct stored_header read;
    struct version version;
    int result;

    db_prepare_write(server);
    if (stored == NULL) {
        result = db_read_stored_header(server, key, key_length, &read);
        if (result == DB_ERROR) {
            return DB_ERROR;
        }
        stored = result == DB_FOUND ? &read : NULL;
    }
    if (!keep_pages && stored != NULL && db_release_stored(server, stored) != 0) {
        return DB_ERROR;
    }
    if (removal == DB_REMOVE_TOMBSTONE) {
        version = db_new_version(server);
        if (db_put_tombstone(server, key, key_length, &version) != 0) {
            return DB_ERROR;
        }
    } else if (db_storage_delete(server, key, key_length) < 0) {
        return DB_ERROR;
    }
    if (stored != NULL && stored->header.type == RECORD_TOMBSTONE) {
        keyindex_remove(server->tombstones, key, key_length);
    }
    db_record_changed(server, key, key_length,
                      stored != NULL ? &stored->header.version : NULL,
                      removal == DB_REMOVE_TOMBSTONE ? &version : NULL);
    keyindex_remove(server->keyindex, key, key_length);
    return DB_FOUND;
}

static int
db_remove(struct server *server, const char *key, size_t key_length)
{
    return db_remove_stored(server, key, key_length, NULL, 0, DB_REMOVE_RECORD);
}

int
db_delete_expired(struct server *server, const char *key, size_t key_length)
{
    int result = db_remove(server, key, key_length);

    if (result == DB_FOUND) {
        server->stats.expired_keys++;
    }
    return result;
}

/* Shared checks after reading a header: tombstones are absent and expired
 * keys are deleted.  Returns DB_FOUND, DB_NOT_FOUND or DB_ERROR. */
static int
db_check_live(struct server *server, const char *key, size_t key_length,
              const struct record_header *header)
{
    if (header->type == RECORD_TOMBSTONE) {
        return DB_NOT_FOUND;
    }
    if (db_is_expired(header->expire_ms, db_now_ms(server))) {
        return db_delete_expired(server, key, key_length) == DB_ERROR ?
               DB_ERROR : DB_NOT_FOUND;
    }
    return DB_FOUND;
}

static void
db_count_lookup(struct server *server, int result)
{
    if (result == DB_FOUND) {
        server->stats.keyspace_hits++;
    } else if (result == DB_NOT_FOUND) {
        server->stats.keyspace_misses++;
    }
}

/* Decodes a record; its CRC is checked unless it came from the open batch
 * (written by this process moments ago).  Returns 0 or -1. */
static int
db_decode_record(const char *record, size_t size, int in_batch,
                 struct record_header *header, const char **payload,
                 size_t *payload_length)
{
    if (!in_batch) {
        return record_decode(record, size, header, payload, payload_length);
    }
    if (record_decode_header(record, size, header) != 0) {
        return -1;
    }
    *payload = record + RECORD_HEADER_SIZE;
    *payload_length = size - RECORD_HEADER_SIZE;
    return 0;
}

/* Reads and verifies a whole record.  On DB_FOUND *record (malloc'd) and
 * the decoded header/payload are filled in. */
static int
db_read_record(struct server *server, const char *key, size_t key_length,
               char **record, struct record_header *header,
               const char **payload, size_t *payload_length)
{
    size_t size;
    int in_batch;
    int found = db_storage_get(server, key, key_length, record, &size, &in_batch);
    int result;

    if (found <= 0) {
        return found < 0 ? DB_ERROR : DB_NOT_FOUND;
    }
    if (db_decode_record(*record, size, in_batch, header, payload,
                         payload_length) != 0) {
        log_warning("db: record of a %zu-byte key failed its checksum", key_length);
        free(*record);
        return DB_ERROR;
    }
    result = db_check_live(server, key, key_length, header);
    if (result != DB_FOUND) {
        free(*record);
    }
    return result;
}

/* Reads a key and its value; counts a keyspace hit or miss when asked. */
static int
db_read_value(struct server *server, const char *key, size_t key_length,
              struct db_value *value, int count_lookup)
{
    struct record_header header;
    const char *payload;
    size_t length;
    char *record;
    int result;

    memset(value, 0, sizeof(*value));
    result = db_read_record(server, key, key_length, &record, &header,
                            &payload, &length);
    if (count_lookup) {
        db_count_lookup(server, result);
    }
    if (result != DB_FOUND) {
        return result;
    }
    /* Reuse TC's buffer: it has room for a trailing NUL after the record. */
    memmove(record, payload, length);
    record[length] = '\0';
    value->type = header.type;
    value->version = header.version;
    value->expire_ms = header.expire_ms;
    value->data = record;
    value->length = length;
    return DB_FOUND;
}

int
db_lookup(struct server *server, const char *key, size_t key_length,
          struct db_value *value)
{
    return db_read_value(server, key, key_length, value, 1);
}

int
db_lookup_write(struct server *server, const char *key, size_t key_length,
                struct db_value *value)
{
    return db_read_value(server, key, key_length, value, 0);
}

int
db_lookup_header(struct server *server, const char *key, size_t key_length,
                 struct db_value *value)
{
    struct record_header header;
    int result;

    memset(value, 0, sizeof(*value));
    result = db_read_header(server, key, key_length, &header);
    if (result == DB_ERROR) {
        return DB_ERROR;
    }
    if (result == DB_FOUND) {
        result = db_check_live(server, key, key_length, &header);
    }
    db_count_lookup(server, result);
    if (result == DB_FOUND) {
        value->type = header.type;
        value->version = header.version;
        value->expire_ms = header.expire_ms;
    }
    return result;
}

/* 1 when writing (header, data) over the stored record drops a collection
 * generation: the old record is a collection and the new one is not the
 * same generation. */
static int
db_replaces_generation(const struct stored_header *stored,
                       const struct record_header *header, const void *data,
                       size_t length)
{
    if (!collection_type(stored->header.type)) {
        return 0;
    }
    if (!collection_type(header->type) || length < 8 || stored->payload_length < 8) {
        return 1;
    }
    return memcmp(stored->payload, data, 8) != 0;
}

/* Encodes and stores a record, then updates the index.  The index is only
 * touched when the key is new or its type or expiry changed: the stored
 * header (an O(1) hash lookup) tells, where the ordered index would cost
 * a tree search. */
static int
db_store(struct server *server, const char *key, size_t key_length,
         const struct record_header *header, const void *data, size_t length)
{
    size_t size = RECORD_HEADER_SIZE + length;
    char *buffer;
    struct stored_header stored;
    const struct record_header *old = &stored.header;
    int previous, result = 0;

    /* Read first: reading writes out the key's pending cached collection,
     * which itself goes through here and the scratch buffer. */
    previous = db_read_stored_header(server, key, key_length, &stored);
    buffer = db_encode_buffer(server, size);
    if (buffer == NULL) {
        return DB_ERROR;
    }
    record_encode(buffer, header, data, length);
    db_prepare_write(server);
    if (previous == DB_FOUND && db_replaces_generation(&stored, header, data, length) &&
        db_release_stored(server, &stored) != 0) {
        result = DB_ERROR;
    } else if (previous == DB_ERROR ||
        db_storage_put(server, key, key_length, buffer, size) != 0) {
        result = DB_ERROR;
    } else {
        if (previous == DB_NOT_FOUND || old->type == RECORD_TOMBSTONE ||
            old->type != header->type || old->expire_ms != header->expire_ms) {
            keyindex_set(server->keyindex, key, key_length, header->type,
                         header->expire_ms);
        }
        if (previous == DB_FOUND && old->type == RECORD_TOMBSTONE) {
            keyindex_remove(server->tombstones, key, key_length);
        }
        db_record_changed(server, key, key_length,
                          previous == DB_FOUND ? &old->version : NULL,
                          &header->version);
    }
    db_encode_buffer_done(server, buffer);
    return result;
}

int
db_write(struct server *server, const char *key, size_t key_length,
         int type, const void *data, size_t length, int64_t expire_ms)
{
    struct record_header header;

    header.type = type;
    header.version = db_new_version(server);
    header.expire_ms = expire_ms;
    return db_store(server, key, key_length, &header, data, length);
}

int
db_delete(struct server *server, const char *key, size_t key_length)
{
    struct stored_header stored;
    int result = db_read_stored_header(server, key, key_length, &stored);

    if (result != DB_FOUND || stored.header.type == RECORD_TOMBSTONE) {
        return result == DB_ERROR ? DB_ERROR : DB_NOT_FOUND;
    }
    if (db_is_expired(stored.header.expire_ms, db_now_ms(server))) {
        result = db_remove_stored(server, key, key_length, &stored, 0, DB_REMOVE_RECORD);
    } else {
        result = db_remove_stored(server, key, key_length, &stored, 0,
                                  DB_REMOVE_TOMBSTONE);
    }
    if (result == DB_FOUND && db_is_expired(stored.header.expire_ms, db_now_ms(server))) {
        server->stats.expired_keys++;
        return DB_NOT_FOUND;
    }
    return result;
}

int
db_rename(struct server *server, const char *from, size_t from_length,
          const char *to, size_t to_length)
{
    struct db_value value;
    int result = db_lookup_write(server, from, from_length, &value);

    if (result != DB_FOUND) {
        return result;
    }
    if (db_write(server, to, to_length, value.type, value.data, value.length,
                 value.expire_ms) != 0 ||
        db_remove_stored(server, from, from_length, NULL, 1,
                         DB_REMOVE_TOMBSTONE) != DB_FOUND) {
        result = DB_ERROR;
    }
    db_value_release(&value);
    return result;
}

int
db_set_expire(struct server *server, const char *key, size_t key_length,
              int64_t expire_ms)
{
    struct record_header header;
    const char *payload;
    size_t length;
    char *record;
    int result;

    result = db_read_record(server, key, key_length, &record, &header,
                            &payload, &length);
    if (result != DB_FOUND) {
        return result;
    }
    if (expire_ms != 0 && expire_ms <= (int64_t)db_now_ms(server)) {
        free(record);
        return db_remove_stored(server, key, key_length, NULL, 0, DB_REMOVE_TOMBSTONE);
    }
    header.version = db_new_version(server);
    header.expire_ms = expire_ms;
    result = db_store(server, key, key_length, &header, payload, length);
    free(record);
    return result == 0 ? DB_FOUND : DB_ERROR;
}

void
db_value_release(struct db_value *value)
{
    free(value->data);
    value->data = NULL;
    value->length = 0;
}

long long
db_size(struct server *server)
{
    return (long long)keyindex_count(server->keyindex);
}

long long
db_expires_count(struct server *server)
{
    return (long long)keyindex_expires_count(server->keyindex);
}

int
db_peek(struct server *server, const char *key, size_t key_length,
        int *type, int64_t *expire_ms)
{
    struct record_header header;
    int result = db_read_header(server, key, key_length, &header);

    if (result == DB_FOUND) {
        result = db_check_live(server, key, key_length, &header);
    }
    if (result == DB_FOUND) {
        if (type != NULL) {
            *type = header.type;
        }
        if (expire_ms != NULL) {
            *expire_ms = header.expire_ms;
        }
    }
    return result;
}

int
db_flush(struct server *server)
{
    collection_cache_clear(server);
    if (storage_vanish(server->storage) != 0) {
        return DB_ERROR;
    }
    keyindex_clear(server->keyindex);
    keyindex_clear(server->tombstones);
    memset(server->slot_digests, 0, SLOT_COUNT * sizeof(*server->slot_digests));
    collection_reclaim_free(server);   /* the pages went with the file */
    return 0;
}

/* ------------------------------------------------------------------------
 * Slot-level work
 * ------------------------------------------------------------------------ */

/* State of a walk over one slot's keys. */
struct slot_walk {
    struct server *server;
    uint64_t       digest;
    uint64_t       keys;
    TCLIST        *collected;   /* keys to drop */
    int            failed;
};

/* Adds one key and its version to the digest (a sum, so order does not
 * matter). */
static int
slot_digest_visit(const struct keyindex_entry *entry, void *context)
{
    struct slot_walk *walk = context;
    struct record_header header;

    if (db_read_header(walk->server, entry->key, entry->key_length, &header) != DB_FOUND) {
        walk->failed = 1;
        return 1;
    }
    walk->digest += db_digest_term(entry->key, entry->key_length, &header.version);
    walk->keys++;
    return 0;
}

int
db_slot_digest(struct server *server, unsigned int slot, uint64_t *digest,
               uint64_t *keys)
{
    struct slot_walk walk;

    memset(&walk, 0, sizeof(walk));
    walk.server = server;
    keyindex_foreach_in_slot(server->keyindex, slot, slot_digest_visit, &walk);
    keyindex_foreach_in_slot(server->tombstones, slot, slot_digest_visit, &walk);
    *digest = walk.digest;
    *keys = walk.keys;
    return walk.failed ? DB_ERROR : 0;
}

static int
slot_collect_visit(const struct keyindex_entry *entry, void *context)
{
    struct slot_walk *walk = context;

    tclistpush(walk->collected, entry->key, (int)entry->key_length);
    return 0;
}

int
db_slot_drop(struct server *server, unsigned int slot, uint64_t *removed)
{
    struct slot_walk walk;
    const char *key;
    int index, size, result = 0;

    memset(&walk, 0, sizeof(walk));
    walk.collected = tclistnew();
    keyindex_foreach_in_slot(server->keyindex, slot, slot_collect_visit, &walk);
    *removed = 0;
    for (index = 0; index < tclistnum(walk.collected); index++) {
        key = tclistval(walk.collected, index, &size);
        if (db_remove(server, key, (size_t)size) != DB_FOUND) {
            result = DB_ERROR;
            break;
        }
        (*removed)++;
    }
    tclistdel(walk.collected);
    return result;
}

/* ------------------------------------------------------------------------
 * Replication: versioned states, tombstones, per-slot walks
 * ------------------------------------------------------------------------ */

int
db_stored_header(struct server *server, const char *key, size_t key_length,
                 struct record_header *header)
{
    return db_read_header(server, key, key_length, header);
}

int
db_read_stored_record(struct server *server, const char *key, size_t key_length,
                      char **record, size_t *size)
{
    int in_batch;
    int found = db_storage_get(server, key, key_length, record, size, &in_batch);

    return found < 0 ? DB_ERROR : found == 0 ? DB_NOT_FOUND : DB_FOUND;
}

int
db_store_version(struct server *server, const char *key, size_t key_length,
                 const struct record_header *header, const void *data, size_t length)
{
    return db_store(server, key, key_length, header, data, length);
}

int
db_tombstone_version(struct server *server, const char *key, size_t key_length,
                     const struct version *version)
{
    struct stored_header stored;
    int previous = db_read_stored_header(server, key, key_length, &stored);

    if (previous == DB_ERROR) {
        return DB_ERROR;
    }
    db_prepare_write(server);
    if (previous == DB_FOUND && db_release_stored(server, &stored) != 0) {
        return DB_ERROR;
    }
    if (db_put_tombstone(server, key, key_length, version) != 0) {
        return DB_ERROR;
    }
    keyindex_remove(server->keyindex, key, key_length);
    db_record_changed(server, key, key_length,
                      previous == DB_FOUND ? &stored.header.version : NULL, version);
    return 0;
}

int
db_tombstone_purge(struct server *server, const char *key, size_t key_length)
{
    struct stored_header stored;
    int result = db_read_stored_header(server, key, key_length, &stored);

    if (result != DB_FOUND || stored.header.type != RECORD_TOMBSTONE) {
        if (result != DB_ERROR) {
            keyindex_remove(server->tombstones, key, key_length);
        }
        return result == DB_ERROR ? DB_ERROR : DB_NOT_FOUND;
    }
    return db_remove_stored(server, key, key_length, &stored, 0, DB_REMOVE_RECORD);
}

uint64_t
db_tombstone_count(struct server *server)
{
    return keyindex_count(server->tombstones);
}

int
db_tombstones_foreach(struct server *server, keyindex_visitor visitor, void *context)
{
    return keyindex_foreach(server->tombstones, visitor, context);
}

int
db_slot_foreach(struct server *server, unsigned int slot, keyindex_visitor visitor,
                void *context)
{
    if (keyindex_foreach_in_slot(server->keyindex, slot, visitor, context) != 0) {
        return 1;
    }
    return keyindex_foreach_in_slot(server->tombstones, slot, visitor, context);
}

/* ------------------------------------------------------------------------
 * Start-up: building the index from the data file
 * ------------------------------------------------------------------------ */

/* State of the start-up walk over the data file. */
struct db_loader {
    struct server *server;
    int            validate;       /* check every CRC (unclean stop) */
    uint64_t       highest_clock;  /* newest version seen */
    TCLIST        *corrupt;        /* keys to drop after the walk */
};

/* An internal record met at start-up: pages are checked after an unclean
 * stop, released generations go back to the reclaimer. */
static int
db_load_internal(struct db_loader *loader, const char *key, size_t key_length,
                 const char *record, size_t size)
{
    struct server *server = loader->server;

    if (key_length == 2 + 16 && key[1] == DB_INTERNAL_PAGE) {
        server->load.pages++;
        if (loader->validate &&
            (size < 4 || record_read_be32((const unsigned char *)record) !=
                         crc32_update(0, record + 4, size - 4))) {
            tclistpush(loader->corrupt, key, (int)key_length);
        }
        return 0;
    }
    if (key_length == 2 + 8 && key[1] == DB_INTERNAL_GARBAGE) {
        return collection_queue_generation(
            server, record_read_be64((const unsigned char *)key + 2));
    }
    log_warning("db: unknown internal record (kind %d, %zu bytes) left alone",
                key_length > 1 ? (unsigned char)key[1] : -1, key_length);
    return 0;
}

static int
db_load_record(const char *key, size_t key_length, const char *record,
               size_t size, void *context)
{
    struct db_loader *loader = context;
    struct server *server = loader->server;
    struct record_header header;
    const char *stored_key = key;
    size_t stored_key_length = key_length;
    int decoded;

    if (key_length > 0 && key[0] == '\0') {
        if (key_length < 2 || key[1] != '\0') {
            return db_load_internal(loader, key, key_length, record, size);
        }
        key++;             /* a user key starting with '\0' */
        key_length--;
    }
    server->load.records++;
    if (loader->validate) {
        decoded = record_decode(record, size, &header, NULL, NULL);
    } else {
        decoded = record_decode_header(record, size, &header);
    }
    if (decoded != 0) {
        tclistpush(loader->corrupt, stored_key, (int)stored_key_length);
        return 0;
    }
    if (header.version.clock > loader->highest_clock) {
        loader->highest_clock = header.version.clock;
    }
    server->slot_digests[key_slot(key, key_length)] +=
        db_digest_term(key, key_length, &header.version);
    if (header.type == RECORD_TOMBSTONE) {
        server->load.tombstones++;
        db_tombstone_indexed(server, key, key_length, &header.version);
        return 0;
    }
    keyindex_set(server->keyindex, key, key_length, header.type, header.expire_ms);
    return 0;
}

/* Copies up to 32 bytes of a key for a log line, non-printable bytes as
 * '.'. */
static void
db_printable_key(const char *key, int size, char *out, size_t out_size)
{
    size_t i;

    for (i = 0; i + 1 < out_size && (int)i < size; i++) {
        out[i] = (key[i] >= ' ' && key[i] <= '~') ? key[i] : '.';
    }
    out[i] = '\0';
}

/* Removes the records that failed validation, in one committed batch. */
static int
db_drop_corrupt(struct server *server, TCLIST *corrupt)
{
    char printable[33];
    int index, size;
    const char *key;

    for (index = 0; index < tclistnum(corrupt); index++) {
        key = tclistval(corrupt, index, &size);
        db_printable_key(key, size, printable, sizeof(printable));
        log_warning("db: dropping a corrupt record (key of %d bytes: '%s')",
                    size, printable);
        if (storage_delete(server->storage, key, (size_t)size) < 0) {
            return -1;
        }
        server->load.corrupt_dropped++;
    }
    return storage_commit(server->storage);
}

static int
db_load(struct server *server, char *error, size_t error_size)
{
    struct db_loader loader;
    uint64_t started = monotonic_microseconds();
    int result = -1;

    memset(&loader, 0, sizeof(loader));
    loader.server = server;
    loader.validate = !server->load.previous_stop_clean;
    loader.corrupt = tclistnew();
    if (storage_iterate(server->storage, db_load_record, &loader) != 0) {
        snprintf(error, error_size, "cannot read %s; refusing to serve it",
                 storage_path(server->storage));
        goto out;
    }
    if (db_drop_corrupt(server, loader.corrupt) != 0) {
        snprintf(error, error_size, "cannot remove corrupt records from %s",
                 storage_path(server->storage));
        goto out;
    }
    if (loader.highest_clock > server->clock.last) {
        server->clock.last = loader.highest_clock;
    }
    server->load.duration_ms = (monotonic_microseconds() - started) / 1000;
    result = 0;

out:
    tclistdel(loader.corrupt);
    return result;
}

int
db_open(struct server *server, char *error, size_t error_size)
{
    struct storage_options options;

    options.dir = server->settings.dir;
    options.hash_buckets = server->settings.hash_buckets;
    options.mmap_size = server->settings.mmap_size;
    options.fsync_policy = server->settings.fsync;
    server->storage = storage_open(&options, error, error_size);
    if (server->storage == NULL) {
        return -1;
    }
    server->keyindex = keyindex_new();
    server->tombstones = keyindex_new();
    server->slot_digests = calloc(SLOT_COUNT, sizeof(*server->slot_digests));
    if (server->keyindex == NULL || server->tombstones == NULL ||
        server->slot_digests == NULL) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    server->load.previous_stop_clean = storage_was_clean(server->storage);
    return db_load(server, error, error_size);
}

int
db_close(struct server *server, int clean)
{
    int result = 0;

    if (collection_cache_flush(server) != 0) {
        result = -1;
        clean = 0;
    }
    collection_cache_free(server);
    if (storage_close(server->storage, clean) != 0) {
        result = -1;
    }

    server->storage = NULL;
    collection_reclaim_free(server);
    keyindex_free(server->keyindex);
    server->keyindex = NULL;
    keyindex_free(server->tombstones);
    server->tombstones = NULL;
    free(server->slot_digests);
    server->slot_digests = NULL;
    free(server->scratch);
    server->scratch = NULL;
    server->scratch_size = 0;
    return result;
}
