/*
 * keystate.c — a key's whole state as bytes, and applying one (format in
 * keystate.h).
 */
#include <stdlib.h>
#include <string.h>
#include "shared/log.h"
#include "node/btree.h"
#include "node/collection.h"
#include "node/db.h"
#include "node/keystate.h"
#include "node/record.h"
#include "node/server.h"

/* A growing output buffer; `failed` once a size limit or malloc failed. */
struct state_buffer {
    char   *data;
    size_t  length;
    size_t  capacity;
    int     failed;
};

static void
buffer_append(struct state_buffer *buffer, const void *bytes, size_t length)
{
    size_t wanted = buffer->length + length, capacity;
    char *grown;

    if (buffer->failed) {
        return;
    }
    if (wanted > (size_t)KEYSTATE_MAX_SIZE) {
        buffer->failed = 1;
        return;
    }
    if (wanted > buffer->capacity) {
        capacity = buffer->capacity ? buffer->capacity : 256;
        while (capacity < wanted) {
            capacity *= 2;
        }
        grown = realloc(buffer->data, capacity);
        if (grown == NULL) {
            buffer->failed = 1;
            return;
        }
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, bytes, length);
    buffer->length = wanted;
}

static void
buffer_append_be32(struct state_buffer *buffer, uint32_t value)
{
    unsigned char bytes[4];

    record_write_be32(bytes, value);
    buffer_append(buffer, bytes, sizeof(bytes));
}

static void
buffer_append_be64(struct state_buffer *buffer, uint64_t value)
{
    unsigned char bytes[8];

    record_write_be64(bytes, value);
    buffer_append(buffer, bytes, sizeof(bytes));
}

/* Appends every element of one tree: count, then (key, value) pairs. */
static int
export_tree(struct btree *tree, struct state_buffer *buffer)
{
    struct btree_cursor cursor;
    struct btree_item item;
    int step;

    buffer_append_be64(buffer, btree_count(tree));
    if (btree_count(tree) == 0) {
        return 0;
    }
    step = btree_seek_position(tree, 0, &cursor);
    while (step == 1 && !buffer->failed) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            return -1;
        }
        buffer_append_be32(buffer, (uint32_t)item.key_length);
        buffer_append(buffer, item.key, item.key_length);
        buffer_append_be32(buffer, (uint32_t)item.value_length);
        buffer_append(buffer, item.value, item.value_length);
        step = btree_cursor_next(&cursor);
    }
    return step < 0 || buffer->failed ? -1 : 0;
}

/* The body of a collection's state: every element of every tree. */
static int
export_collection(struct server *server, const char *key, size_t key_length,
                  int type, struct state_buffer *buffer)
{
    struct collection collection;
    unsigned char tree_count;
    int result, tree;

    result = collection_open(server, key, key_length, type, COLLECTION_WRITE,
                             &collection);
    if (result != DB_FOUND) {
        if (result == DB_NOT_FOUND) {
            collection_close(&collection);
        }
        return result == DB_NOT_FOUND ? DB_NOT_FOUND : DB_ERROR;
    }
    tree_count = (unsigned char)collection_tree_count(&collection);
    buffer_append(buffer, &tree_count, 1);
    for (tree = 0; tree < tree_count; tree++) {
        if (export_tree(&collection.trees[tree], buffer) != 0) {
            collection_close(&collection);
            return DB_ERROR;
        }
    }
    collection_close(&collection);
    return DB_FOUND;
}

int
keystate_export(struct server *server, const char *key, size_t key_length,
                char **state, size_t *state_length)
{
    struct state_buffer buffer = { NULL, 0, 0, 0 };
    struct record_header header;
    const char *payload;
    size_t payload_length, record_size;
    char *record = NULL;
    int result;

    result = db_read_stored_record(server, key, key_length, &record, &record_size);
    if (result != DB_FOUND) {
        return result;
    }
    if (record_decode(record, record_size, &header, &payload, &payload_length) != 0) {
        log_warning("replication: the record of a %zu-byte key failed its checksum",
                    key_length);
        result = DB_ERROR;
        goto out;
    }
    if (header.type != RECORD_TOMBSTONE &&
        db_is_expired(header.expire_ms, wall_clock_milliseconds(NULL))) {
        result = DB_NOT_FOUND;
        goto out;
    }
    buffer_append(&buffer, record, RECORD_HEADER_SIZE);     /* room for the header */
    if (collection_type(header.type)) {
        result = export_collection(server, key, key_length, header.type, &buffer);
    } else {
        buffer_append(&buffer, payload, payload_length);
        result = DB_FOUND;
    }
    if (result == DB_FOUND && buffer.failed) {
        log_warning("replication: the state of a %zu-byte key is too big to send",
                    key_length);
        result = DB_ERROR;
    }
    if (result == DB_FOUND) {
        record_encode(buffer.data, &header, buffer.data + RECORD_HEADER_SIZE,
                      buffer.length - RECORD_HEADER_SIZE);
        *state = buffer.data;
        *state_length = buffer.length;
        buffer.data = NULL;
    }

out:
    free(buffer.data);
    free(record);
    return result;
}

int
keystate_version(const char *state, size_t state_length, struct version *version)
{
    struct record_header header;

    if (record_decode_header(state, state_length, &header) != 0) {
        return -1;
    }
    *version = header.version;
    return 0;
}

/* A reader over a state's body. */
struct state_reader {
    const unsigned char *data;
    size_t               remaining;
};

static int
read_be32(struct state_reader *reader, uint32_t *value)
{
    if (reader->remaining < 4) {
        return -1;
    }
    *value = record_read_be32(reader->data);
    reader->data += 4;
    reader->remaining -= 4;
    return 0;
}

static int
read_bytes(struct state_reader *reader, const char **bytes, size_t *length)
{
    uint32_t size;

    if (read_be32(reader, &size) != 0 || reader->remaining < size) {
        return -1;
    }
    *bytes = (const char *)reader->data;
    *length = size;
    reader->data += size;
    reader->remaining -= size;
    return 0;
}

/* Fills one empty tree from the state.  Returns 0, -1 malformed, or
 * DB_ERROR-like -2 on a storage failure. */
static int
apply_tree(struct btree *tree, int positional, struct state_reader *reader)
{
    const char *key, *value;
    size_t key_length, value_length;
    uint64_t count, index;
    int stored;

    if (reader->remaining < 8) {
        return -1;
    }
    count = record_read_be64(reader->data);
    reader->data += 8;
    reader->remaining -= 8;
    for (index = 0; index < count; index++) {
        if (read_bytes(reader, &key, &key_length) != 0 ||
            read_bytes(reader, &value, &value_length) != 0) {
            return -1;
        }
        if (positional) {
            stored = btree_insert_at(tree, index, value, value_length);
        } else {
            stored = btree_put(tree, key, key_length, value, value_length);
        }
        if (stored < 0) {
            return -2;
        }
    }
    return 0;
}

/* Replaces the key by the collection in the state's body. */
static int
apply_collection(struct server *server, const char *key, size_t key_length,
                 const struct record_header *header, const char *body, size_t length)
{
    struct state_reader reader = { (const unsigned char *)body, length };
    struct collection collection;
    int result, tree, tree_count;

    if (length < 1) {
        return -1;
    }
    tree_count = reader.data[0];
    reader.data++;
    reader.remaining--;
    result = collection_open(server, key, key_length, header->type, COLLECTION_REPLACE,
                             &collection);
    if (result != DB_FOUND && result != DB_NOT_FOUND) {
        return DB_ERROR;
    }
    if (tree_count != collection_tree_count(&collection)) {
        collection_close(&collection);
        return -1;
    }
    for (tree = 0; tree < tree_count && result >= 0; tree++) {
        result = apply_tree(&collection.trees[tree],
                            collection_tree_positional(header->type, tree), &reader);
    }
    if (result >= 0 && reader.remaining != 0) {
        result = -1;
    }
    if (result >= 0) {
        collection_set_expire(&collection, header->expire_ms);
        result = collection_save(&collection) == 0 ? 0 : DB_ERROR;
    }
    collection_close(&collection);
    if (result == 0 && collection_cache_sync_key(server, key, key_length, 1) != 0) {
        result = DB_ERROR;
    }
    return result == -2 ? DB_ERROR : result;
}

int
keystate_apply(struct server *server, const char *key, size_t key_length,
               const char *state, size_t state_length)
{
    struct record_header incoming, stored;
    const char *body;
    size_t body_length;
    int found, result;

    if (record_decode(state, state_length, &incoming, &body, &body_length) != 0 ||
        incoming.type < RECORD_TOMBSTONE || incoming.type > RECORD_ZSET) {
        return -1;
    }
    found = db_stored_header(server, key, key_length, &stored);
    if (found == DB_ERROR) {
        return DB_ERROR;
    }
    if (found == DB_FOUND && version_compare(&incoming.version, &stored.version) <= 0) {
        return 0;
    }
    hlc_observe(&server->clock, incoming.version.clock);
    server->import_version = &incoming.version;
    if (incoming.type == RECORD_TOMBSTONE) {
        result = db_tombstone_version(server, key, key_length, &incoming.version);
    } else if (collection_type(incoming.type)) {
        result = apply_collection(server, key, key_length, &incoming, body, body_length);
    } else {
        result = db_store_version(server, key, key_length, &incoming, body, body_length);
    }
    server->import_version = NULL;
    return result == 0 ? 1 : result;
}
