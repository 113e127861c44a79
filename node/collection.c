/*
 * collection.c — hashes, lists, sets and sorted sets as a metadata record
 * plus B+tree pages (see collection.h for the layout).
 *
 * Stored pages are records of the node's data file under internal keys
 * (db_internal_key): kind DB_INTERNAL_PAGE + generation + page number, whose
 * value is a CRC-32 followed by the page bytes.  A released generation is
 * remembered by a record of kind DB_INTERNAL_GARBAGE (value: next page
 * number, then how many page numbers were already swept) until the
 * reclaimer has removed all its pages; the reclaimer resumes after a
 * restart from those records.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <tcutil.h>
#include "shared/checksum.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "node/server.h"
#include "node/storage.h"
#include "node/db.h"
#include "node/collection.h"

#define COLLECTION_PAYLOAD_FIXED  COLLECTION_PAYLOAD_PREFIX
#define COLLECTION_PAGE_CRC_SIZE   4

/* Released generations waiting for the reclaimer, oldest first. */
struct collection_reclaim {
    TCLIST *generations;   /* 8-byte big-endian generation numbers */
};

/* ------------------------------------------------------------------------
 * Page store: pages of one generation in the data file
 * ------------------------------------------------------------------------ */

/*
 * The shared state of one open collection: what its metadata record says
 * plus the decoded trees.  Between commands it may stay in the server's
 * collection cache (with changes not yet written: `dirty`), so a hot
 * collection is decoded once and written once per batch instead of once
 * per command.
 */
struct collection_state {
    struct server     *server;
    char              *key;
    size_t             key_length;
    int                type;
    int64_t            expire_ms;
    uint64_t           generation;
    uint64_t           next_page;
    int                tree_count;
    struct btree       trees[2];
    struct btree_store store;       /* context: this state */
    int                stored;      /* a metadata record of it exists */
    int                dirty;       /* changes not yet written to storage */
    int                writing;     /* being written: storage hooks ignore it */
    int                references;  /* handles open on it */
    int                cached;      /* listed in the server's cache */
    int                stale;       /* storage changed under it: never reuse */
    uint64_t           last_used;   /* cache clock at the last open */
};

/* The server's cache of collection states, by key. */
struct collection_cache {
    TCMAP   *by_key;     /* key -> struct collection_state * */
    uint64_t clock;
};

/* The internal key of a page. */
static size_t
page_key(uint64_t generation, uint64_t page, char *out)
{
    unsigned char body[16];

    record_write_be64(body, generation);
    record_write_be64(body + 8, page);
    return db_internal_key(DB_INTERNAL_PAGE, body, sizeof(body), out);
}

/* Reads page `page` of `generation`: 1 (malloc'd copy), 0 absent, -1.
 * The checksum is checked unless the page comes from the open batch. */
static int
page_read(struct server *server, uint64_t generation, uint64_t page,
          char **data, size_t *size)
{
    char key[DB_INTERNAL_KEY_MAX];
    size_t key_length = page_key(generation, page, key);
    char *record;
    size_t record_size;
    int found, in_batch;

    found = storage_get_noting_batch(server->storage, key, key_length, &record,
                                     &record_size, &in_batch);
    if (found <= 0) {
        return found;
    }
    if (record_size < COLLECTION_PAGE_CRC_SIZE ||
        (!in_batch && record_read_be32((const unsigned char *)record) !=
                      crc32_update(0, record + COLLECTION_PAGE_CRC_SIZE,
                                   record_size - COLLECTION_PAGE_CRC_SIZE))) {
        log_warning("collection: page %llu of generation %llu failed its checksum",
                    (unsigned long long)page, (unsigned long long)generation);
        free(record);
        return -1;
    }
    record_size -= COLLECTION_PAGE_CRC_SIZE;
    memmove(record, record + COLLECTION_PAGE_CRC_SIZE, record_size);
    *data = record;
    *size = record_size;
    return 1;
}

/* Stores page `page` of `generation`.  Returns 0 or -1. */
static int
page_write(struct server *server, uint64_t generation, uint64_t page,
           const char *data, size_t size)
{
    char key[DB_INTERNAL_KEY_MAX];
    size_t key_length = page_key(generation, page, key);
    char *record = malloc(size + COLLECTION_PAGE_CRC_SIZE);
    int result;

    if (record == NULL) {
        return -1;
    }
    record_write_be32((unsigned char *)record, crc32_update(0, data, size));
    memcpy(record + COLLECTION_PAGE_CRC_SIZE, data, size);
    db_prepare_storage_write(server);
    result = storage_put(server->storage, key, key_length, record,
                         size + COLLECTION_PAGE_CRC_SIZE);
    free(record);
    return result;
}

static int
page_remove(struct server *server, uint64_t generation, uint64_t page)
{
    char key[DB_INTERNAL_KEY_MAX];
    size_t key_length = page_key(generation, page, key);

    db_prepare_storage_write(server);
    return storage_delete(server->storage, key, key_length) < 0 ? -1 : 0;
}

static int
store_read(void *context, uint64_t page, char **data, size_t *size)
{
    struct collection_state *state = context;

    return page_read(state->server, state->generation, page, data, size);
}

static int
store_write(void *context, uint64_t page, const char *data, size_t size)
{
    struct collection_state *state = context;

    return page_write(state->server, state->generation, page, data, size);
}

static int
store_remove(void *context, uint64_t page)
{
    struct collection_state *state = context;

    return page_remove(state->server, state->generation, page);
}

static uint64_t
store_allocate(void *context)
{
    struct collection_state *state = context;

    return state->next_page++;
}

/* A new state for `key` (no trees yet), or NULL. */
static struct collection_state *
state_new(struct server *server, const char *key, size_t key_length, int type)
{
    struct collection_state *state = calloc(1, sizeof(*state));

    if (state == NULL) {
        return NULL;
    }
    state->key = malloc(key_length + 1);
    if (state->key == NULL) {
        free(state);
        return NULL;
    }
    memcpy(state->key, key, key_length);
    state->key[key_length] = '\0';
    state->key_length = key_length;
    state->server = server;
    state->type = type;
    state->store.context = state;
    state->store.read = store_read;
    state->store.write = store_write;
    state->store.remove = store_remove;
    state->store.allocate = store_allocate;
    return state;
}

static void
state_free(struct collection_state *state)
{
    int tree;

    for (tree = 0; tree < state->tree_count; tree++) {
        btree_release(&state->trees[tree]);
    }
    free(state->key);
    free(state);
}

/* ------------------------------------------------------------------------
 * Payload encoding
 * ------------------------------------------------------------------------ */

static int
collection_tree_count_for(int type)
{
    return type == RECORD_ZSET ? 2 : 1;
}

static int
collection_tree_order(int type, int tree)
{
    (void)tree;
    return type == RECORD_LIST ? BTREE_BY_POSITION : BTREE_BY_KEY;
}

/* The fixed part of a payload. */
struct payload_header {
    uint64_t generation;
    uint64_t next_page;
    int      tree_count;
};

static int
payload_decode_header(const char *payload, size_t length,
                      struct payload_header *header)
{
    const unsigned char *bytes = (const unsigned char *)payload;

    if (length < COLLECTION_PAYLOAD_FIXED) {
        return -1;
    }
    header->generation = record_read_be64(bytes);
    header->next_page = record_read_be64(bytes + 8);
    header->tree_count = bytes[16];
    if (header->tree_count < 1 || header->tree_count > 2) {
        return -1;
    }
    return 0;
}

/* Loads the trees of a payload into a state.  Returns 0 or -1. */
static int
state_decode_trees(struct collection_state *state, const char *payload,
                   size_t length)
{
    size_t offset = COLLECTION_PAYLOAD_FIXED;
    int tree;

    for (tree = 0; tree < state->tree_count; tree++) {
        uint32_t root_size;

        if (length - offset < 4) {
            return -1;
        }
        root_size = record_read_be32((const unsigned char *)payload + offset);
        offset += 4;
        if (length - offset < root_size ||
            btree_load(&state->trees[tree], &state->store,
                       collection_tree_order(state->type, tree),
                       payload + offset, root_size) != 0) {
            return -1;
        }
        offset += root_size;
    }
    return offset == length ? 0 : -1;
}

/* Encodes a state's payload into a malloc'd buffer. */
static char *
state_encode(const struct collection_state *state, size_t *length)
{
    size_t size = COLLECTION_PAYLOAD_FIXED, offset;
    unsigned char *out;
    int tree;

    for (tree = 0; tree < state->tree_count; tree++) {
        size += 4 + btree_root_size(&state->trees[tree]);
    }
    out = malloc(size);
    if (out == NULL) {
        return NULL;
    }
    record_write_be64(out, state->generation);
    record_write_be64(out + 8, state->next_page);
    out[16] = (unsigned char)state->tree_count;
    offset = COLLECTION_PAYLOAD_FIXED;
    for (tree = 0; tree < state->tree_count; tree++) {
        size_t root_size = btree_root_size(&state->trees[tree]);

        record_write_be32(out + offset, (uint32_t)root_size);
        btree_root_encode(&state->trees[tree], (char *)out + offset + 4);
        offset += 4 + root_size;
    }
    *length = size;
    return (char *)out;
}

/* ------------------------------------------------------------------------
 * The collection cache
 * ------------------------------------------------------------------------ */

/* Collections kept decoded between commands (the least recently opened
 * unused one is written if needed and dropped beyond this). */
#define COLLECTION_CACHE_SIZE 16

static struct collection_cache *
cache_get(struct server *server)
{
    if (server->collection_cache == NULL) {
        server->collection_cache = calloc(1, sizeof(*server->collection_cache));
        if (server->collection_cache == NULL) {
            return NULL;
        }
        server->collection_cache->by_key = tcmapnew();
    }
    return server->collection_cache;
}

static struct collection_state *
cache_find(struct server *server, const char *key, size_t key_length)
{
    struct collection_cache *cache = server->collection_cache;
    struct collection_state *const *found;
    int size;

    if (cache == NULL) {
        return NULL;
    }
    found = tcmapget(cache->by_key, key, (int)key_length, &size);
    return found != NULL && size == sizeof(*found) ? *found : NULL;
}

/* Takes a state out of the cache; frees it when no handle holds it. */
static void
cache_drop(struct server *server, struct collection_state *state)
{
    if (state->cached) {
        tcmapout(server->collection_cache->by_key, state->key, (int)state->key_length);
        state->cached = 0;
    }
    state->stale = 1;
    if (state->references == 0) {
        state_free(state);
    }
}

/* Writes a state's pending changes: pages, then the metadata record with
 * a new version.  Returns 0 or DB_ERROR. */
static int
state_write(struct collection_state *state)
{
    char *payload;
    size_t length;
    int tree, result = 0;

    state->writing = 1;
    for (tree = 0; tree < state->tree_count && result == 0; tree++) {
        if (btree_flush(&state->trees[tree]) != 0) {
            result = DB_ERROR;
        }
    }
    payload = result == 0 ? state_encode(state, &length) : NULL;
    if (payload == NULL ||
        db_write(state->server, state->key, state->key_length, state->type,
                 payload, length, state->expire_ms) != 0) {
        result = DB_ERROR;
    }
    free(payload);
    state->writing = 0;
    if (result == 0) {
        state->dirty = 0;
        state->stored = 1;
    }
    return result;
}

/* Makes room for one more cached state: writes and drops the least
 * recently opened unused one. */
static int
cache_make_room(struct server *server, struct collection_cache *cache)
{
    struct collection_state *oldest = NULL, *state;
    const char *key;
    int key_size, size;

    if (tcmaprnum(cache->by_key) < COLLECTION_CACHE_SIZE) {
        return 0;
    }
    tcmapiterinit(cache->by_key);
    while ((key = tcmapiternext(cache->by_key, &key_size)) != NULL) {
        state = *(struct collection_state *const *)tcmapiterval(key, &size);
        if (state->references == 0 &&
            (oldest == NULL || state->last_used < oldest->last_used)) {
            oldest = state;
        }
    }
    if (oldest == NULL) {
        return 0;      /* all in use: the cache grows for this command */
    }
    if (oldest->dirty && state_write(oldest) != 0) {
        return DB_ERROR;
    }
    cache_drop(server, oldest);
    return 0;
}

/* Lists a state in the cache (best effort: a full cache of states in use
 * just grows). */
static int
cache_add(struct server *server, struct collection_state *state)
{
    struct collection_cache *cache = cache_get(server);

    if (cache == NULL || state->cached) {
        return 0;
    }
    if (cache_make_room(server, cache) != 0) {
        return DB_ERROR;
    }
    tcmapput(cache->by_key, state->key, (int)state->key_length, &state,
             sizeof(state));
    state->cached = 1;
    return 0;
}

int
collection_cache_flush(struct server *server)
{
    struct collection_cache *cache = server->collection_cache;
    struct collection_state *state;
    const char *key;
    int key_size, size;

    if (cache == NULL) {
        return 0;
    }
    tcmapiterinit(cache->by_key);
    while ((key = tcmapiternext(cache->by_key, &key_size)) != NULL) {
        state = *(struct collection_state *const *)tcmapiterval(key, &size);
        if (state->dirty && state_write(state) != 0) {
            return DB_ERROR;
        }
    }
    return 0;
}

void
collection_cache_clear(struct server *server)
{
    struct collection_cache *cache = server->collection_cache;
    struct collection_state *state;
    const char *key;
    int key_size, size;

    if (cache == NULL) {
        return;
    }
    tcmapiterinit(cache->by_key);
    while ((key = tcmapiternext(cache->by_key, &key_size)) != NULL) {
        state = *(struct collection_state *const *)tcmapiterval(key, &size);
        state->cached = 0;
        state->stale = 1;
        if (state->references == 0) {
            state_free(state);
        }
    }
    tcmapclear(cache->by_key);
}

void
collection_cache_free(struct server *server)
{
    collection_cache_clear(server);
    if (server->collection_cache != NULL) {
        tcmapdel(server->collection_cache->by_key);
        free(server->collection_cache);
        server->collection_cache = NULL;
    }
}

int
collection_cache_sync_key(struct server *server, const char *key,
                          size_t key_length, int changing)
{
    struct collection_state *state = cache_find(server, key, key_length);

    if (state == NULL || state->writing) {
        return 0;
    }
    if (state->dirty && state_write(state) != 0) {
        return DB_ERROR;
    }
    if (changing) {
        cache_drop(server, state);   /* the record changes under it */
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Opening and saving
 * ------------------------------------------------------------------------ */

/* Gives a handle on a state. */
static void
handle_attach(struct collection *collection, struct server *server,
              struct collection_state *state)
{
    collection->server = server;
    collection->state = state;
    collection->trees = state->trees;
    collection->type = state->type;
    state->references++;
    if (server->collection_cache != NULL) {
        state->last_used = ++server->collection_cache->clock;
    }
}

/* A state for an empty collection of `type` with a new generation. */
static struct collection_state *
state_new_empty(struct server *server, const char *key, size_t key_length,
                int type)
{
    struct collection_state *state = state_new(server, key, key_length, type);
    int tree;

    if (state == NULL) {
        return NULL;
    }
    state->generation = hlc_now(&server->clock);
    state->tree_count = collection_tree_count_for(type);
    for (tree = 0; tree < state->tree_count; tree++) {
        btree_init(&state->trees[tree], &state->store,
                   collection_tree_order(type, tree));
    }
    return state;
}

/* A state decoded from a stored payload, or NULL (logged) when it does not
 * decode. */
static struct collection_state *
state_from_payload(struct server *server, const char *key, size_t key_length,
                   int type, const char *payload, size_t length,
                   int64_t expire_ms)
{
    struct collection_state *state = state_new(server, key, key_length, type);
    struct payload_header header;

    if (state == NULL) {
        return NULL;
    }
    if (payload_decode_header(payload, length, &header) != 0 ||
        header.tree_count != collection_tree_count_for(type)) {
        goto corrupt;
    }
    state->generation = header.generation;
    state->next_page = header.next_page;
    state->tree_count = header.tree_count;
    state->expire_ms = expire_ms;
    state->stored = 1;
    if (state_decode_trees(state, payload, length) != 0) {
        goto corrupt;
    }
    return state;

corrupt:
    log_warning("collection: the metadata of a %zu-byte key does not decode",
                key_length);
    state_free(state);
    return NULL;
}

/* Opens from storage (the cache did not have the key). */
static int
collection_open_stored(struct server *server, const char *key, size_t key_length,
                       int type, int flags, struct collection *collection)
{
    struct collection_state *state;
    struct db_value value;
    int result;

    if (flags & (COLLECTION_WRITE | COLLECTION_CREATE)) {
        result = db_lookup_write(server, key, key_length, &value);
    } else {
        result = db_lookup(server, key, key_length, &value);
    }
    if (result == DB_NOT_FOUND && (flags & COLLECTION_CREATE)) {
        state = state_new_empty(server, key, key_length, type);
        if (state == NULL) {
            return DB_ERROR;
        }
        handle_attach(collection, server, state);
        return DB_NOT_FOUND;
    }
    if (result != DB_FOUND) {
        return result;
    }
    if (value.type != type) {
        db_value_release(&value);
        return COLLECTION_WRONG_TYPE;
    }
    state = state_from_payload(server, key, key_length, type, value.data,
                               value.length, value.expire_ms);
    db_value_release(&value);
    if (state == NULL) {
        return DB_ERROR;
    }
    handle_attach(collection, server, state);
    return cache_add(server, state) == 0 ? DB_FOUND : DB_ERROR;
}

/* Opens a cached state if it is still what the key holds.  Returns 1 when
 * it answered (result in *result), 0 to go to storage. */
static int
collection_open_cached(struct server *server, struct collection_state *state,
                       int type, int flags, struct collection *collection,
                       int *result)
{
    if (db_is_expired(state->expire_ms, db_now_ms(server))) {
        /* Let the storage path delete it (and count it) as for any key. */
        *result = collection_cache_sync_key(server, state->key, state->key_length, 1);
        return *result != 0;
    }
    if (!(flags & (COLLECTION_WRITE | COLLECTION_CREATE))) {
        server->stats.keyspace_hits++;
    }
    if (state->type != type) {
        *result = COLLECTION_WRONG_TYPE;
        return 1;
    }
    handle_attach(collection, server, state);
    *result = DB_FOUND;
    return 1;
}

int
collection_open(struct server *server, const char *key, size_t key_length,
                int type, int flags, struct collection *collection)
{
    struct collection_state *state;
    int result;

    memset(collection, 0, sizeof(*collection));
    collection->server = server;
    collection->type = type;
    if (flags & COLLECTION_REPLACE) {
        /* The stored record must be current before it is overwritten (its
         * pages are released by generation). */
        if (collection_cache_sync_key(server, key, key_length, 1) != 0) {
            return DB_ERROR;
        }
        state = state_new_empty(server, key, key_length, type);
        if (state == NULL) {
            return DB_ERROR;
        }
        handle_attach(collection, server, state);
        return DB_NOT_FOUND;
    }
    state = cache_find(server, key, key_length);
    if (state != NULL &&
        collection_open_cached(server, state, type, flags, collection, &result)) {
        return result;
    }
    return collection_open_stored(server, key, key_length, type, flags, collection);
}

uint64_t
collection_count(const struct collection *collection)
{
    return collection->state != NULL ? btree_count(&collection->state->trees[0]) : 0;
}

int
collection_tree_count(const struct collection *collection)
{
    return collection->state != NULL ? collection->state->tree_count : 0;
}

int
collection_tree_positional(int type, int tree)
{
    return collection_tree_order(type, tree) == BTREE_BY_POSITION;
}

void
collection_set_expire(struct collection *collection, int64_t expire_ms)
{
    if (collection->state != NULL) {
        collection->state->expire_ms = expire_ms;
    }
}

/* Removes the key of a collection left empty (its pages go too). */
static int
collection_remove_empty(struct collection *collection)
{
    struct collection_state *state = collection->state;
    struct server *server = collection->server;
    int tree;

    for (tree = 0; tree < state->tree_count; tree++) {
        if (btree_clear(&state->trees[tree]) != 0) {
            return DB_ERROR;
        }
    }
    state->dirty = 0;
    if (state->cached) {
        cache_drop(server, state);   /* freed at close (a handle holds it) */
    }
    /* Delete whatever the key holds: this collection's record (its pages
     * are gone already) or, for a REPLACE that came out empty, the value
     * it replaces. */
    state->stored = 0;
    state->writing = 1;
    if (db_delete(server, state->key, state->key_length) == DB_ERROR) {
        state->writing = 0;
        return DB_ERROR;
    }
    state->writing = 0;
    return 0;
}

/*
 * A change to a collection the file already holds, with the same expiry,
 * stays in the cached state and is written once, when the batch commits
 * (collection_cache_flush) or when anything else reads or writes the key
 * (collection_cache_sync_key).  A new collection is written at once, so
 * the key index and every header reader see it.
 */
int
collection_save(struct collection *collection)
{
    struct collection_state *state = collection->state;

    if (state == NULL || state->stale) {
        return DB_ERROR;
    }
    if (collection_count(collection) == 0) {
        return collection_remove_empty(collection);
    }
    if (state->stored && state->cached) {
        state->dirty = 1;
        db_prepare_storage_write(collection->server);   /* the batch holds replies */
        return 0;
    }
    if (state_write(state) != 0) {
        return DB_ERROR;
    }
    return cache_add(collection->server, state);
}

void
collection_close(struct collection *collection)
{
    struct collection_state *state = collection->state;

    if (state != NULL) {
        state->references--;
        if (state->references == 0 && !state->cached) {
            state_free(state);
        }
    }
    memset(collection, 0, sizeof(*collection));
}

static int
state_trees_inline(const struct collection_state *state)
{
    int tree;

    for (tree = 0; tree < state->tree_count; tree++) {
        if (!btree_is_inline(&state->trees[tree])) {
            return 0;
        }
    }
    return 1;
}

const char *
collection_encoding(const struct collection *collection)
{
    return state_trees_inline(collection->state) ? "listpack" : "btree";
}

/* ------------------------------------------------------------------------
 * Sort keys
 * ------------------------------------------------------------------------ */

/* Makes room for `length` bytes in a sort key. */
static char *
collection_key_reserve(struct collection_key *key, size_t length)
{
    key->length = length;
    if (length <= sizeof(key->buffer)) {
        key->data = key->buffer;
    } else {
        key->data = malloc(length);
        if (key->data == NULL) {
            log_warning("collection: out of memory for a %zu-byte key", length);
            abort();
        }
    }
    return key->data;
}

void
collection_key_member(struct collection_key *key, const char *member,
                      size_t member_length)
{
    char *out = collection_key_reserve(key, COLLECTION_MEMBER_HASH_SIZE +
                                            member_length);

    record_write_be64((unsigned char *)out, hash64(member, member_length));
    if (member_length > 0) {
        memcpy(out + COLLECTION_MEMBER_HASH_SIZE, member, member_length);
    }
}

void
collection_key_score(struct collection_key *key, double score,
                     const char *member, size_t member_length)
{
    char *out = collection_key_reserve(key, COLLECTION_SCORE_SIZE + member_length);

    collection_score_encode(score, (unsigned char *)out);
    if (member_length > 0) {
        memcpy(out + COLLECTION_SCORE_SIZE, member, member_length);
    }
}

void
collection_key_score_only(struct collection_key *key, double score)
{
    collection_key_score(key, score, NULL, 0);
}

void
collection_key_free(struct collection_key *key)
{
    if (key->data != NULL && key->data != key->buffer) {
        free(key->data);
    }
    key->data = NULL;
    key->length = 0;
}

const char *
collection_member_of_member_key(const struct btree_item *item,
                                size_t *member_length)
{
    if (item->key_length < COLLECTION_MEMBER_HASH_SIZE) {
        *member_length = 0;
        return item->key;
    }
    *member_length = item->key_length - COLLECTION_MEMBER_HASH_SIZE;
    return item->key + COLLECTION_MEMBER_HASH_SIZE;
}

const char *
collection_member_of_score_key(const struct btree_item *item,
                               size_t *member_length)
{
    if (item->key_length < COLLECTION_SCORE_SIZE) {
        *member_length = 0;
        return item->key;
    }
    *member_length = item->key_length - COLLECTION_SCORE_SIZE;
    return item->key + COLLECTION_SCORE_SIZE;
}

double
collection_score_of_score_key(const struct btree_item *item)
{
    if (item->key_length < COLLECTION_SCORE_SIZE) {
        return NAN;
    }
    return collection_score_decode((const unsigned char *)item->key);
}

/* The bits of a double. */
static uint64_t
double_bits(double value)
{
    uint64_t bits;

    memcpy(&bits, &value, sizeof(bits));
    return bits;
}

static double
bits_double(uint64_t bits)
{
    double value;

    memcpy(&value, &bits, sizeof(value));
    return value;
}

/*
 * Negative doubles sort backwards by their bits, so their bits are all
 * flipped; non-negative ones get the sign bit set so they sort after every
 * negative one.  -0.0 is stored as 0.0 (they compare equal).
 */
void
collection_score_encode(double score, unsigned char out[8])
{
    uint64_t bits;

    if (score == 0) {
        score = 0.0;
    }
    bits = double_bits(score);
    if (bits >> 63) {
        bits = ~bits;
    } else {
        bits |= (uint64_t)1 << 63;
    }
    record_write_be64(out, bits);
}

double
collection_score_decode(const unsigned char in[8])
{
    uint64_t bits = record_read_be64(in);

    if (bits >> 63) {
        bits &= ~((uint64_t)1 << 63);
    } else {
        bits = ~bits;
    }
    return bits_double(bits);
}

void
collection_score_value_encode(double score, unsigned char out[8])
{
    record_write_be64(out, double_bits(score));
}

double
collection_score_value_decode(const char *in, size_t length)
{
    if (length != 8) {
        return NAN;
    }
    return bits_double(record_read_be64((const unsigned char *)in));
}

/* ------------------------------------------------------------------------
 * Scanning
 * ------------------------------------------------------------------------ */

/* The member hash of a member-key item (its scan position). */
static uint64_t
item_member_hash(const struct btree_item *item)
{
    if (item->key_length < COLLECTION_MEMBER_HASH_SIZE) {
        return 0;
    }
    return record_read_be64((const unsigned char *)item->key);
}

int
collection_scan(struct collection *collection, int tree, uint64_t cursor,
                long count, collection_visitor visit, void *context,
                uint64_t *next)
{
    struct btree *btree = &collection->trees[tree];
    struct btree_cursor position;
    struct btree_item item;
    unsigned char seek[8];
    uint64_t hash, last_hash = 0;
    long visited = 0;
    int whole = btree_is_inline(btree), step;

    *next = 0;
    record_write_be64(seek, whole ? 0 : cursor);
    step = btree_seek_key(btree, seek, whole ? 0 : sizeof(seek), &position);
    while (step == 1) {
        if (btree_cursor_item(&position, &item) != 1) {
            break;
        }
        hash = item_member_hash(&item);
        if (!whole && visited >= count && hash != last_hash) {
            *next = hash;
            return 0;
        }
        if (visit(&item, context) != 0) {
            return 0;
        }
        visited++;
        last_hash = hash;
        step = btree_cursor_next(&position);
    }
    return step < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Keyspace support: release, copy, encoding
 * ------------------------------------------------------------------------ */

int
collection_type(int type)
{
    return type == RECORD_HASH || type == RECORD_LIST || type == RECORD_SET ||
           type == RECORD_ZSET;
}

/* The internal key of a released generation's garbage record. */
static size_t
garbage_key(uint64_t generation, char *out)
{
    unsigned char body[8];

    record_write_be64(body, generation);
    return db_internal_key(DB_INTERNAL_GARBAGE, body, sizeof(body), out);
}

static struct collection_reclaim *
collection_reclaim_get(struct server *server)
{
    if (server->reclaim == NULL) {
        server->reclaim = calloc(1, sizeof(*server->reclaim));
        if (server->reclaim == NULL) {
            return NULL;
        }
        server->reclaim->generations = tclistnew();
    }
    return server->reclaim;
}

/* Writes a garbage record (next page, swept so far). */
static int
garbage_write(struct server *server, uint64_t generation, uint64_t next_page,
              uint64_t swept)
{
    char key[DB_INTERNAL_KEY_MAX];
    size_t key_length = garbage_key(generation, key);
    unsigned char value[16];

    record_write_be64(value, next_page);
    record_write_be64(value + 8, swept);
    db_prepare_storage_write(server);
    return storage_put(server->storage, key, key_length, (const char *)value,
                       sizeof(value));
}

int
collection_queue_generation(struct server *server, uint64_t generation)
{
    struct collection_reclaim *reclaim = collection_reclaim_get(server);
    unsigned char bytes[8];

    if (reclaim == NULL) {
        return -1;
    }
    record_write_be64(bytes, generation);
    tclistpush(reclaim->generations, bytes, sizeof(bytes));
    return 0;
}

int
collection_release_payload(struct server *server, const char *payload,
                           size_t length)
{
    struct payload_header header;

    if (payload_decode_header(payload, length, &header) != 0) {
        log_warning("collection: released metadata does not decode; its pages leak");
        return 0;
    }
    if (header.next_page == 0) {
        return 0;   /* never had stored pages */
    }
    if (garbage_write(server, header.generation, header.next_page, 0) != 0 ||
        collection_queue_generation(server, header.generation) != 0) {
        return DB_ERROR;
    }
    return 0;
}

/* Sweeps up to `budget` pages of the oldest released generation.  Returns
 * pages examined, or -1. */
static long
collection_reclaim_generation(struct server *server, uint64_t generation,
                              long budget, int *finished)
{
    char key[DB_INTERNAL_KEY_MAX];
    size_t key_length = garbage_key(generation, key);
    char *record;
    size_t size;
    uint64_t next_page, swept;
    long examined = 0;
    int found = storage_get(server->storage, key, key_length, &record, &size);

    *finished = 1;
    if (found <= 0) {
        return found < 0 ? -1 : 0;
    }
    if (size != 16) {
        free(record);
        db_prepare_storage_write(server);
        return storage_delete(server->storage, key, key_length) < 0 ? -1 : 0;
    }
    next_page = record_read_be64((const unsigned char *)record);
    swept = record_read_be64((const unsigned char *)record + 8);
    free(record);
    while (swept < next_page && examined < budget) {
        if (page_remove(server, generation, swept) != 0) {
            return -1;
        }
        swept++;
        examined++;
    }
    if (swept < next_page) {
        *finished = 0;
        return garbage_write(server, generation, next_page, swept) == 0 ?
               examined : -1;
    }
    db_prepare_storage_write(server);
    return storage_delete(server->storage, key, key_length) < 0 ? -1 : examined;
}

long
collection_reclaim_step(struct server *server, long budget)
{
    struct collection_reclaim *reclaim = server->reclaim;
    long total = 0;

    while (reclaim != NULL && tclistnum(reclaim->generations) > 0 && total < budget) {
        int size, finished;
        const unsigned char *bytes = tclistval(reclaim->generations, 0, &size);
        long examined = collection_reclaim_generation(server, record_read_be64(bytes),
                                                      budget - total, &finished);

        if (examined < 0) {
            return -1;
        }
        total += examined;
        if (finished) {
            free(tclistshift2(reclaim->generations));
        }
    }
    return total;
}

uint64_t
collection_reclaim_pending(const struct server *server)
{
    return server->reclaim == NULL ? 0 :
           (uint64_t)tclistnum(server->reclaim->generations);
}

void
collection_reclaim_free(struct server *server)
{
    if (server->reclaim != NULL) {
        tclistdel(server->reclaim->generations);
        free(server->reclaim);
        server->reclaim = NULL;
    }
}

int
collection_copy_payload(struct server *server, const char *payload,
                        size_t length, char **copy, size_t *copy_length)
{
    struct payload_header header;
    uint64_t generation, page;
    char *data;
    size_t size;
    int found;

    if (payload_decode_header(payload, length, &header) != 0) {
        return DB_ERROR;
    }
    generation = hlc_now(&server->clock);
    for (page = 0; page < header.next_page; page++) {
        found = page_read(server, header.generation, page, &data, &size);
        if (found < 0) {
            return DB_ERROR;
        }
        if (found == 1) {
            int written = page_write(server, generation, page, data, size);

            free(data);
            if (written != 0) {
                return DB_ERROR;
            }
        }
    }
    *copy = malloc(length);
    if (*copy == NULL) {
        return DB_ERROR;
    }
    memcpy(*copy, payload, length);
    record_write_be64((unsigned char *)*copy, generation);
    *copy_length = length;
    return 0;
}

const char *
collection_payload_encoding(struct server *server, int type,
                            const char *payload, size_t length)
{
    struct collection_state *state = state_from_payload(server, "", 0, type,
                                                        payload, length, 0);
    const char *encoding = "listpack";

    if (state != NULL) {
        encoding = state_trees_inline(state) ? "listpack" : "btree";
        state_free(state);
    }
    return encoding;
}
