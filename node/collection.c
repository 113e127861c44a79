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

/* The context of a page store: the server and the generation. */
struct page_store_context {
    struct server *server;
    uint64_t       generation;
    uint64_t      *next_page;
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
    struct page_store_context *store = context;

    return page_read(store->server, store->generation, page, data, size);
}

static int
store_write(void *context, uint64_t page, const char *data, size_t size)
{
    struct page_store_context *store = context;

    return page_write(store->server, store->generation, page, data, size);
}

static int
store_remove(void *context, uint64_t page)
{
    struct page_store_context *store = context;

    return page_remove(store->server, store->generation, page);
}

static uint64_t
store_allocate(void *context)
{
    struct page_store_context *store = context;

    return (*store->next_page)++;
}

/* Points a collection's page store at its generation. */
static int
collection_setup_store(struct collection *collection)
{
    struct page_store_context *context = malloc(sizeof(*context));

    if (context == NULL) {
        return -1;
    }
    context->server = collection->server;
    context->generation = collection->generation;
    context->next_page = &collection->next_page;
    collection->store.context = context;
    collection->store.read = store_read;
    collection->store.write = store_write;
    collection->store.remove = store_remove;
    collection->store.allocate = store_allocate;
    return 0;
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

/* Loads the trees of a payload into an opened collection.  Returns 0 or -1. */
static int
collection_decode_trees(struct collection *collection, const char *payload,
                        size_t length)
{
    size_t offset = COLLECTION_PAYLOAD_FIXED;
    int tree;

    for (tree = 0; tree < collection->tree_count; tree++) {
        uint32_t root_size;

        if (length - offset < 4) {
            return -1;
        }
        root_size = record_read_be32((const unsigned char *)payload + offset);
        offset += 4;
        if (length - offset < root_size ||
            btree_load(&collection->trees[tree], &collection->store,
                       collection_tree_order(collection->type, tree),
                       payload + offset, root_size) != 0) {
            return -1;
        }
        offset += root_size;
    }
    return offset == length ? 0 : -1;
}

/* Encodes a collection's payload into a malloc'd buffer. */
static char *
collection_encode(const struct collection *collection, size_t *length)
{
    size_t size = COLLECTION_PAYLOAD_FIXED, offset;
    unsigned char *out;
    int tree;

    for (tree = 0; tree < collection->tree_count; tree++) {
        size += 4 + btree_root_size(&collection->trees[tree]);
    }
    out = malloc(size);
    if (out == NULL) {
        return NULL;
    }
    record_write_be64(out, collection->generation);
    record_write_be64(out + 8, collection->next_page);
    out[16] = (unsigned char)collection->tree_count;
    offset = COLLECTION_PAYLOAD_FIXED;
    for (tree = 0; tree < collection->tree_count; tree++) {
        size_t root_size = btree_root_size(&collection->trees[tree]);

        record_write_be32(out + offset, (uint32_t)root_size);
        btree_root_encode(&collection->trees[tree], (char *)out + offset + 4);
        offset += 4 + root_size;
    }
    *length = size;
    return (char *)out;
}

/* ------------------------------------------------------------------------
 * Opening and saving
 * ------------------------------------------------------------------------ */

/* A fresh empty collection of `type` with a new generation. */
static int
collection_start_empty(struct collection *collection)
{
    int tree;

    collection->generation = hlc_now(&collection->server->clock);
    collection->next_page = 0;
    collection->tree_count = collection_tree_count_for(collection->type);
    if (collection_setup_store(collection) != 0) {
        return DB_ERROR;
    }
    for (tree = 0; tree < collection->tree_count; tree++) {
        btree_init(&collection->trees[tree], &collection->store,
                   collection_tree_order(collection->type, tree));
    }
    collection->usable = 1;
    return DB_NOT_FOUND;
}

/* Fills an opened collection from its stored payload. */
static int
collection_load(struct collection *collection, const struct db_value *value)
{
    struct payload_header header;

    if (payload_decode_header(value->data, value->length, &header) != 0 ||
        header.tree_count != collection_tree_count_for(collection->type)) {
        goto corrupt;
    }
    collection->generation = header.generation;
    collection->next_page = header.next_page;
    collection->tree_count = header.tree_count;
    collection->expire_ms = value->expire_ms;
    if (collection_setup_store(collection) != 0) {
        return DB_ERROR;
    }
    collection->usable = 1;   /* from here on close() releases the trees */
    if (collection_decode_trees(collection, value->data, value->length) != 0) {
        goto corrupt;
    }
    collection->existed = 1;
    return DB_FOUND;

corrupt:
    log_warning("collection: the metadata of a %zu-byte key does not decode",
                collection->key_length);
    return DB_ERROR;
}

int
collection_open(struct server *server, const char *key, size_t key_length,
                int type, int flags, struct collection *collection)
{
    struct db_value value;
    int result;

    memset(collection, 0, sizeof(*collection));
    collection->server = server;
    collection->type = type;
    collection->key = malloc(key_length + 1);
    if (collection->key == NULL) {
        return DB_ERROR;
    }
    memcpy(collection->key, key, key_length);
    collection->key[key_length] = '\0';
    collection->key_length = key_length;
    if (flags & COLLECTION_REPLACE) {
        return collection_start_empty(collection);
    }
    if (flags & (COLLECTION_WRITE | COLLECTION_CREATE)) {
        result = db_lookup_write(server, key, key_length, &value);
    } else {
        result = db_lookup(server, key, key_length, &value);
    }
    if (result == DB_NOT_FOUND) {
        return (flags & COLLECTION_CREATE) ? collection_start_empty(collection)
                                           : DB_NOT_FOUND;
    }
    if (result != DB_FOUND) {
        return result;
    }
    if (value.type != type) {
        result = COLLECTION_WRONG_TYPE;
    } else {
        result = collection_load(collection, &value);
    }
    db_value_release(&value);
    return result;
}

uint64_t
collection_count(const struct collection *collection)
{
    return collection->usable ? btree_count(&collection->trees[0]) : 0;
}

/* Removes the key of a collection left empty (its pages go too). */
static int
collection_remove_empty(struct collection *collection)
{
    int tree;

    for (tree = 0; tree < collection->tree_count; tree++) {
        if (btree_clear(&collection->trees[tree]) != 0) {
            return DB_ERROR;
        }
    }
    return db_delete(collection->server, collection->key,
                     collection->key_length) == DB_ERROR ? DB_ERROR : 0;
}

int
collection_save(struct collection *collection)
{
    char *payload;
    size_t length;
    int tree, result;

    if (!collection->usable) {
        return DB_ERROR;
    }
    if (collection_count(collection) == 0) {
        return collection_remove_empty(collection);
    }
    for (tree = 0; tree < collection->tree_count; tree++) {
        if (btree_flush(&collection->trees[tree]) != 0) {
            return DB_ERROR;
        }
    }
    payload = collection_encode(collection, &length);
    if (payload == NULL) {
        return DB_ERROR;
    }
    result = db_write(collection->server, collection->key, collection->key_length,
                      collection->type, payload, length, collection->expire_ms);
    free(payload);
    if (result == 0) {
        collection->existed = 1;
    }
    return result == 0 ? 0 : DB_ERROR;
}

void
collection_close(struct collection *collection)
{
    int tree;

    if (collection->usable) {
        for (tree = 0; tree < collection->tree_count; tree++) {
            btree_release(&collection->trees[tree]);
        }
    }
    free(collection->store.context);
    free(collection->key);
    memset(collection, 0, sizeof(*collection));
}

static int
collection_trees_inline(const struct collection *collection)
{
    int tree;

    for (tree = 0; tree < collection->tree_count; tree++) {
        if (!btree_is_inline(&collection->trees[tree])) {
            return 0;
        }
    }
    return 1;
}

const char *
collection_encoding(const struct collection *collection)
{
    return collection_trees_inline(collection) ? "listpack" : "btree";
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
    struct collection collection;
    struct db_value value;
    const char *encoding = "listpack";

    memset(&collection, 0, sizeof(collection));
    memset(&value, 0, sizeof(value));
    collection.server = server;
    collection.type = type;
    value.data = (char *)payload;
    value.length = length;
    if (collection_load(&collection, &value) == DB_FOUND) {
        encoding = collection_encoding(&collection);
    }
    collection_close(&collection);
    return encoding;
}
