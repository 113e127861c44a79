/*
 * keyindex.c — the in-memory key and expiry index (see keyindex.h).
 *
 * Keys: one small two-level B+tree per slot.  A slot (NULL while empty)
 * holds an array of chunk references sorted by each chunk's first entry;
 * a chunk is an array of at most CHUNK_CAPACITY entries sorted by
 * (hash40, key).  A lookup is a binary search over the chunk references
 * (their first hash40 is cached next to the pointer) then one inside the
 * chunk; keys are compared only when the hash40 values are equal.  Chunks
 * start small and double up to CHUNK_CAPACITY, then split in two halves;
 * a chunk that becomes empty is dropped, and a sparse one is merged into
 * its neighbour.  A bitmap of non-empty slots makes walks skip empty ones.
 *
 * Each key is one malloc'd block: a native uint32 length, then the bytes.
 * Key order inside a position is the lexical order TCTREE used: bytes
 * first (memcmp), then the shorter key first.
 *
 * Expiry: a Tokyo Cabinet TCTREE keyed by BE64 expire_ms | key.  It is
 * only touched for keys with a time to live, and its splay behaviour suits
 * the "take the first one" pattern of the expire cycle.
 */
#include <stdlib.h>
#include <string.h>
#include <tcutil.h>
#include "shared/checksum.h"
#include "shared/slot.h"
#include "node/record.h"
#include "node/keyindex.h"

#define KEYINDEX_EXPIRY_PREFIX 8    /* BE64 expire_ms */
#define HASH40_MASK            (((uint64_t)1 << 40) - 1)
#define CHUNK_CAPACITY         128  /* most entries in one chunk */
#define CHUNK_FIRST_CAPACITY   4    /* entries of a slot's first chunk */
#define CHUNK_MERGE_LIMIT      (CHUNK_CAPACITY / 2)
#define SLOT_FIRST_REFERENCES  2
#define OCCUPIED_WORDS         (SLOT_COUNT / 64)
#define KEY_LENGTH_SIZE        sizeof(uint32_t)

/* One key: hash40 << 8 | type byte, the expiry and the key block. */
struct key_entry {
    uint64_t hash_and_type;
    int64_t  expire_ms;
    char    *key;             /* uint32 length, then the key bytes */
};

/* A sorted run of entries. */
struct chunk {
    uint32_t         count;
    uint32_t         capacity;
    struct key_entry entries[];
};

/* A chunk and the hash40 of its first entry (saves a pointer chase). */
struct chunk_reference {
    uint64_t      first_hash;
    struct chunk *chunk;
};

/* The chunks of one slot, in order. */
struct slot_keys {
    uint32_t               chunk_count;
    uint32_t               chunk_capacity;
    struct chunk_reference chunks[];
};

/* Where an entry is (or would go) inside a slot. */
struct entry_place {
    uint32_t chunk;
    uint32_t entry;
    int      found;
};

/* A walk's current entry: slot, chunk and entry numbers. */
struct cursor {
    unsigned int slot;
    uint32_t     chunk;
    uint32_t     entry;
};

/* The per-slot key trees, the expiry tree and the counters. */
struct keyindex {
    struct slot_keys *slots[SLOT_COUNT];
    uint64_t          occupied[OCCUPIED_WORDS];   /* bit per non-empty slot */
    uint64_t          count;
    uint64_t          memory;                     /* bytes of the key side */
    TCTREE           *expiry;
    uint64_t          expires;                    /* keys with an expiry */
    char             *scratch;
    size_t            scratch_size;
};

/* malloc that aborts on no memory, as TCTREE does. */
static void *
must_allocate(size_t size)
{
    void *memory = malloc(size);

    if (memory == NULL) {
        abort();
    }
    return memory;
}

static void *
must_reallocate(void *memory, size_t size)
{
    void *grown = realloc(memory, size);

    if (grown == NULL) {
        abort();
    }
    return grown;
}

static uint64_t
entry_hash(const struct key_entry *entry)
{
    return entry->hash_and_type >> 8;
}

static size_t
key_block_length(const char *block)
{
    uint32_t length;

    memcpy(&length, block, sizeof(length));
    return length;
}

static const char *
key_block_bytes(const char *block)
{
    return block + KEY_LENGTH_SIZE;
}

/* Lexical order: bytes first, then the shorter key first. */
static int
compare_keys(const char *a, size_t a_length, const char *b, size_t b_length)
{
    size_t common = a_length < b_length ? a_length : b_length;
    int result = memcmp(a, b, common);

    if (result != 0) {
        return result;
    }
    return a_length < b_length ? -1 : (a_length > b_length ? 1 : 0);
}

/* Orders an entry against (hash, key): negative when the entry is first. */
static int
compare_entry(const struct key_entry *entry, uint64_t hash, const char *key,
              size_t key_length)
{
    uint64_t own = entry_hash(entry);

    if (own != hash) {
        return own < hash ? -1 : 1;
    }
    return compare_keys(key_block_bytes(entry->key), key_block_length(entry->key),
                        key, key_length);
}

static size_t
chunk_size(uint32_t capacity)
{
    return sizeof(struct chunk) + (size_t)capacity * sizeof(struct key_entry);
}

static size_t
slot_size(uint32_t capacity)
{
    return sizeof(struct slot_keys) + (size_t)capacity * sizeof(struct chunk_reference);
}

static struct chunk *
chunk_new(struct keyindex *index, uint32_t capacity)
{
    struct chunk *chunk = must_allocate(chunk_size(capacity));

    chunk->count = 0;
    chunk->capacity = capacity;
    index->memory += chunk_size(capacity);
    return chunk;
}

static void
chunk_free(struct keyindex *index, struct chunk *chunk)
{
    index->memory -= chunk_size(chunk->capacity);
    free(chunk);
}

/* Resizes a chunk to `capacity` entries (>= its count). */
static struct chunk *
chunk_resize(struct keyindex *index, struct chunk *chunk, uint32_t capacity)
{
    index->memory -= chunk_size(chunk->capacity);
    chunk = must_reallocate(chunk, chunk_size(capacity));
    chunk->capacity = capacity;
    index->memory += chunk_size(capacity);
    return chunk;
}

/* The first entry of `chunk` not before (hash, key); with key NULL, the
 * first entry whose hash40 is >= hash. */
static uint32_t
chunk_lower_bound(const struct chunk *chunk, uint64_t hash, const char *key,
                  size_t key_length)
{
    uint32_t low = 0, high = chunk->count, middle;
    const struct key_entry *entry;

    while (low < high) {
        middle = low + (high - low) / 2;
        entry = &chunk->entries[middle];
        if (entry_hash(entry) < hash ||
            (key != NULL && entry_hash(entry) == hash &&
             compare_entry(entry, hash, key, key_length) < 0)) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

/* The chunk that holds (hash, key) or would receive it: the last one whose
 * first entry is before it (the first chunk when there is none).  With key
 * NULL, "before" means a smaller hash40. */
static uint32_t
slot_find_chunk(const struct slot_keys *slot, uint64_t hash, const char *key,
                size_t key_length)
{
    uint32_t low = 0, high = slot->chunk_count, middle;
    const struct chunk_reference *reference;
    int before;

    while (low < high) {
        middle = low + (high - low) / 2;
        reference = &slot->chunks[middle];
        if (reference->first_hash != hash) {
            before = reference->first_hash < hash;
        } else {
            before = key != NULL &&
                     compare_entry(&reference->chunk->entries[0], hash, key,
                                   key_length) <= 0;
        }
        if (before) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low == 0 ? 0 : low - 1;
}

/* Finds (hash, key) in a slot. */
static struct entry_place
slot_find(const struct slot_keys *slot, uint64_t hash, const char *key,
          size_t key_length)
{
    struct entry_place place;
    const struct chunk *chunk;

    place.chunk = slot_find_chunk(slot, hash, key, key_length);
    chunk = slot->chunks[place.chunk].chunk;
    place.entry = chunk_lower_bound(chunk, hash, key, key_length);
    place.found = place.entry < chunk->count &&
                  compare_entry(&chunk->entries[place.entry], hash, key,
                                key_length) == 0;
    return place;
}

static void
refresh_first_hash(struct slot_keys *slot, uint32_t chunk_number)
{
    struct chunk *chunk = slot->chunks[chunk_number].chunk;

    slot->chunks[chunk_number].first_hash = entry_hash(&chunk->entries[0]);
}

static void
mark_occupied(struct keyindex *index, unsigned int slot, int occupied)
{
    uint64_t bit = (uint64_t)1 << (slot % 64);

    if (occupied) {
        index->occupied[slot / 64] |= bit;
    } else {
        index->occupied[slot / 64] &= ~bit;
    }
}

/* A new slot holding one empty chunk. */
static struct slot_keys *
slot_new(struct keyindex *index, unsigned int slot_number)
{
    struct slot_keys *slot = must_allocate(slot_size(SLOT_FIRST_REFERENCES));

    slot->chunk_count = 1;
    slot->chunk_capacity = SLOT_FIRST_REFERENCES;
    slot->chunks[0].first_hash = 0;
    slot->chunks[0].chunk = chunk_new(index, CHUNK_FIRST_CAPACITY);
    index->memory += slot_size(SLOT_FIRST_REFERENCES);
    index->slots[slot_number] = slot;
    mark_occupied(index, slot_number, 1);
    return slot;
}

/* Inserts a reference to `chunk` at `at`, growing the array as needed. */
static void
slot_insert_chunk(struct keyindex *index, unsigned int slot_number, uint32_t at,
                  struct chunk *chunk)
{
    struct slot_keys *slot = index->slots[slot_number];
    uint32_t capacity;

    if (slot->chunk_count == slot->chunk_capacity) {
        capacity = slot->chunk_capacity * 2;
        index->memory -= slot_size(slot->chunk_capacity);
        slot = must_reallocate(slot, slot_size(capacity));
        slot->chunk_capacity = capacity;
        index->memory += slot_size(capacity);
        index->slots[slot_number] = slot;
    }
    memmove(&slot->chunks[at + 1], &slot->chunks[at],
            (slot->chunk_count - at) * sizeof(slot->chunks[0]));
    slot->chunks[at].chunk = chunk;
    slot->chunk_count++;
    refresh_first_hash(slot, at);
}

/* Drops the reference at `at` (the chunk is freed by the caller); frees
 * the slot when it was the last one. */
static void
slot_remove_chunk(struct keyindex *index, unsigned int slot_number, uint32_t at)
{
    struct slot_keys *slot = index->slots[slot_number];

    memmove(&slot->chunks[at], &slot->chunks[at + 1],
            (slot->chunk_count - at - 1) * sizeof(slot->chunks[0]));
    slot->chunk_count--;
    if (slot->chunk_count == 0) {
        index->memory -= slot_size(slot->chunk_capacity);
        free(slot);
        index->slots[slot_number] = NULL;
        mark_occupied(index, slot_number, 0);
    }
}

/*
 * Makes room for one more entry at *place: grows a small chunk, or splits
 * a full one in two halves (then *place moves to the half that receives
 * the entry).
 */
static void
make_room(struct keyindex *index, unsigned int slot_number, struct entry_place *place)
{
    struct slot_keys *slot = index->slots[slot_number];
    struct chunk *chunk = slot->chunks[place->chunk].chunk, *upper;
    uint32_t half;

    if (chunk->count < chunk->capacity) {
        return;
    }
    if (chunk->capacity < CHUNK_CAPACITY) {
        chunk = chunk_resize(index, chunk, chunk->capacity * 2);
        slot->chunks[place->chunk].chunk = chunk;
        return;
    }
    half = chunk->count / 2;
    upper = chunk_new(index, CHUNK_CAPACITY);
    upper->count = chunk->count - half;
    memcpy(upper->entries, &chunk->entries[half], upper->count * sizeof(upper->entries[0]));
    chunk->count = half;
    slot_insert_chunk(index, slot_number, place->chunk + 1, upper);
    if (place->entry > half) {
        place->chunk++;
        place->entry -= half;
    }
}

/* A key block for a key. */
static char *
key_block_new(struct keyindex *index, const char *key, size_t key_length)
{
    uint32_t length = (uint32_t)key_length;
    char *block = must_allocate(KEY_LENGTH_SIZE + key_length);

    memcpy(block, &length, sizeof(length));
    memcpy(block + KEY_LENGTH_SIZE, key, key_length);
    index->memory += KEY_LENGTH_SIZE + key_length;
    return block;
}

static void
key_block_free(struct keyindex *index, char *block)
{
    index->memory -= KEY_LENGTH_SIZE + key_block_length(block);
    free(block);
}

/* Inserts a new entry at `place` of a slot (created when absent). */
static void
insert_entry(struct keyindex *index, unsigned int slot_number, struct entry_place place,
             const struct key_entry *entry)
{
    struct slot_keys *slot;
    struct chunk *chunk;

    make_room(index, slot_number, &place);
    slot = index->slots[slot_number];
    chunk = slot->chunks[place.chunk].chunk;
    memmove(&chunk->entries[place.entry + 1], &chunk->entries[place.entry],
            (chunk->count - place.entry) * sizeof(chunk->entries[0]));
    chunk->entries[place.entry] = *entry;
    chunk->count++;
    if (place.entry == 0) {
        refresh_first_hash(slot, place.chunk);
    }
    index->count++;
}

/* Moves every entry of chunk `at + 1` to the end of chunk `at`. */
static void
merge_with_next(struct keyindex *index, unsigned int slot_number, uint32_t at)
{
    struct slot_keys *slot = index->slots[slot_number];
    struct chunk *lower = slot->chunks[at].chunk;
    struct chunk *upper = slot->chunks[at + 1].chunk;

    if (lower->capacity < lower->count + upper->count) {
        lower = chunk_resize(index, lower, CHUNK_CAPACITY);
        slot->chunks[at].chunk = lower;
    }
    memcpy(&lower->entries[lower->count], upper->entries,
           upper->count * sizeof(upper->entries[0]));
    lower->count += upper->count;
    chunk_free(index, upper);
    slot_remove_chunk(index, slot_number, at + 1);
    refresh_first_hash(slot, at);
}

/* After a removal from chunk `at`: drops it when empty, merges it with a
 * neighbour when both together fill at most half a chunk. */
static void
rebalance(struct keyindex *index, unsigned int slot_number, uint32_t at)
{
    struct slot_keys *slot = index->slots[slot_number];
    struct chunk *chunk = slot->chunks[at].chunk;

    if (chunk->count == 0) {
        chunk_free(index, chunk);
        slot_remove_chunk(index, slot_number, at);
        return;
    }
    refresh_first_hash(slot, at);
    if (at + 1 < slot->chunk_count &&
        chunk->count + slot->chunks[at + 1].chunk->count <= CHUNK_MERGE_LIMIT) {
        merge_with_next(index, slot_number, at);
    } else if (at > 0 &&
               chunk->count + slot->chunks[at - 1].chunk->count <= CHUNK_MERGE_LIMIT) {
        merge_with_next(index, slot_number, at - 1);
    }
}

/* Removes the entry at `place` (which exists) and frees its key block. */
static void
remove_entry(struct keyindex *index, unsigned int slot_number, struct entry_place place)
{
    struct chunk *chunk = index->slots[slot_number]->chunks[place.chunk].chunk;

    key_block_free(index, chunk->entries[place.entry].key);
    memmove(&chunk->entries[place.entry], &chunk->entries[place.entry + 1],
            (chunk->count - place.entry - 1) * sizeof(chunk->entries[0]));
    chunk->count--;
    index->count--;
    rebalance(index, slot_number, place.chunk);
}

/* The entry of a key, or NULL; fills *place when the slot exists. */
static struct key_entry *
lookup(struct keyindex *index, const char *key, size_t key_length,
       unsigned int *slot_number, struct entry_place *place)
{
    uint64_t position = keyindex_position(key, key_length);
    struct slot_keys *slot;

    *slot_number = (unsigned int)(position >> 40);
    slot = index->slots[*slot_number];
    if (slot == NULL) {
        place->found = 0;
        return NULL;
    }
    *place = slot_find(slot, position & HASH40_MASK, key, key_length);
    if (!place->found) {
        return NULL;
    }
    return &slot->chunks[place->chunk].chunk->entries[place->entry];
}

struct keyindex *
keyindex_new(void)
{
    struct keyindex *index = calloc(1, sizeof(*index));

    if (index == NULL) {
        return NULL;
    }
    index->expiry = tctreenew();
    return index;
}

/* Frees every chunk, key block and slot of the key side. */
static void
free_slots(struct keyindex *index)
{
    struct slot_keys *slot;
    struct chunk *chunk;
    unsigned int slot_number;
    uint32_t chunk_number, entry_number;

    for (slot_number = 0; slot_number < SLOT_COUNT; slot_number++) {
        slot = index->slots[slot_number];
        if (slot == NULL) {
            continue;
        }
        for (chunk_number = 0; chunk_number < slot->chunk_count; chunk_number++) {
            chunk = slot->chunks[chunk_number].chunk;
            for (entry_number = 0; entry_number < chunk->count; entry_number++) {
                free(chunk->entries[entry_number].key);
            }
            free(chunk);
        }
        free(slot);
        index->slots[slot_number] = NULL;
    }
    memset(index->occupied, 0, sizeof(index->occupied));
    index->count = 0;
    index->memory = 0;
}

void
keyindex_free(struct keyindex *index)
{
    if (index == NULL) {
        return;
    }
    free_slots(index);
    tctreedel(index->expiry);
    free(index->scratch);
    free(index);
}

void
keyindex_clear(struct keyindex *index)
{
    free_slots(index);
    tctreeclear(index->expiry);
    index->expires = 0;
}

uint64_t
keyindex_position(const char *key, size_t key_length)
{
    uint64_t slot = key_slot(key, key_length);
    uint64_t hash40 = hash64(key, key_length) >> 24;

    return (slot << 40) | hash40;
}

/* Makes the scratch buffer at least `size` bytes. */
static char *
scratch(struct keyindex *index, size_t size)
{
    if (size > index->scratch_size) {
        index->scratch = must_reallocate(index->scratch, size);
        index->scratch_size = size;
    }
    return index->scratch;
}

/* Adds or removes the expiry tree entry of (expire_ms, key). */
static void
expiry_update(struct keyindex *index, const char *key, size_t key_length,
              int64_t expire_ms, int add)
{
    size_t size = KEYINDEX_EXPIRY_PREFIX + key_length;
    char *composed = scratch(index, size);

    record_write_be64((unsigned char *)composed, (uint64_t)expire_ms);
    memcpy(composed + KEYINDEX_EXPIRY_PREFIX, key, key_length);
    if (add) {
        tctreeput(index->expiry, composed, (int)size, "", 0);
        index->expires++;
    } else if (tctreeout(index->expiry, composed, (int)size)) {
        index->expires--;
    }
}

/* Moves a key's expiry entry from old_expire to expire_ms (0: none). */
static void
expiry_change(struct keyindex *index, const char *key, size_t key_length,
              int64_t old_expire, int64_t expire_ms)
{
    if (old_expire == expire_ms) {
        return;
    }
    if (old_expire != 0) {
        expiry_update(index, key, key_length, old_expire, 0);
    }
    if (expire_ms != 0) {
        expiry_update(index, key, key_length, expire_ms, 1);
    }
}

static uint64_t
hash_and_type(uint64_t position, int type)
{
    return ((position & HASH40_MASK) << 8) | (unsigned char)type;
}

int
keyindex_set(struct keyindex *index, const char *key, size_t key_length,
             int type, int64_t expire_ms)
{
    struct entry_place place;
    struct key_entry *existing, entry;
    unsigned int slot_number;
    int64_t old_expire;

    existing = lookup(index, key, key_length, &slot_number, &place);
    if (existing != NULL) {
        old_expire = existing->expire_ms;
        existing->hash_and_type = hash_and_type(existing->hash_and_type >> 8, type);
        existing->expire_ms = expire_ms;
        expiry_change(index, key, key_length, old_expire, expire_ms);
        return 0;
    }
    if (index->slots[slot_number] == NULL) {
        slot_new(index, slot_number);
        place.chunk = 0;
        place.entry = 0;
    }
    entry.hash_and_type = hash_and_type(keyindex_position(key, key_length), type);
    entry.expire_ms = expire_ms;
    entry.key = key_block_new(index, key, key_length);
    insert_entry(index, slot_number, place, &entry);
    expiry_change(index, key, key_length, 0, expire_ms);
    return 1;
}

int
keyindex_get(struct keyindex *index, const char *key, size_t key_length,
             int *type, int64_t *expire_ms)
{
    struct entry_place place;
    unsigned int slot_number;
    const struct key_entry *entry = lookup(index, key, key_length, &slot_number, &place);

    if (entry == NULL) {
        return 0;
    }
    if (type != NULL) {
        *type = (int)(entry->hash_and_type & 0xff);
    }
    if (expire_ms != NULL) {
        *expire_ms = entry->expire_ms;
    }
    return 1;
}

int
keyindex_remove(struct keyindex *index, const char *key, size_t key_length)
{
    struct entry_place place;
    unsigned int slot_number;
    const struct key_entry *entry = lookup(index, key, key_length, &slot_number, &place);
    int64_t expire_ms;

    if (entry == NULL) {
        return 0;
    }
    expire_ms = entry->expire_ms;
    remove_entry(index, slot_number, place);
    expiry_change(index, key, key_length, expire_ms, 0);
    return 1;
}

uint64_t
keyindex_count(const struct keyindex *index)
{
    return index->count;
}

uint64_t
keyindex_expires_count(const struct keyindex *index)
{
    return index->expires;
}

uint64_t
keyindex_memory(const struct keyindex *index)
{
    return sizeof(*index) + index->memory + tctreemsiz(index->expiry);
}

/* The first non-empty slot at or after `slot`; SLOT_COUNT when none. */
static unsigned int
next_occupied_slot(const struct keyindex *index, unsigned int slot)
{
    unsigned int word;
    uint64_t bits;

    if (slot >= SLOT_COUNT) {
        return SLOT_COUNT;
    }
    word = slot / 64;
    bits = index->occupied[word] & (~(uint64_t)0 << (slot % 64));
    while (bits == 0) {
        word++;
        if (word == OCCUPIED_WORDS) {
            return SLOT_COUNT;
        }
        bits = index->occupied[word];
    }
    return word * 64 + (unsigned int)__builtin_ctzll(bits);
}

/* Moves a cursor that may sit past its chunk's end to a real entry, or to
 * slot SLOT_COUNT (the end). */
static void
cursor_settle(const struct keyindex *index, struct cursor *cursor)
{
    const struct slot_keys *slot;

    while (cursor->slot < SLOT_COUNT) {
        slot = index->slots[cursor->slot];
        if (slot != NULL) {
            while (cursor->chunk < slot->chunk_count) {
                if (cursor->entry < slot->chunks[cursor->chunk].chunk->count) {
                    return;
                }
                cursor->chunk++;
                cursor->entry = 0;
            }
        }
        cursor->slot = next_occupied_slot(index, cursor->slot + 1);
        cursor->chunk = 0;
        cursor->entry = 0;
    }
}

/* A cursor at the first key whose position is >= position. */
static struct cursor
cursor_seek(const struct keyindex *index, uint64_t position)
{
    struct cursor cursor;
    const struct slot_keys *slot;
    uint64_t hash = position & HASH40_MASK;

    cursor.slot = next_occupied_slot(index, (unsigned int)(position >> 40));
    cursor.chunk = 0;
    cursor.entry = 0;
    if (cursor.slot == (position >> 40) && hash != 0) {
        slot = index->slots[cursor.slot];
        cursor.chunk = slot_find_chunk(slot, hash, NULL, 0);
        cursor.entry = chunk_lower_bound(slot->chunks[cursor.chunk].chunk, hash, NULL, 0);
    }
    cursor_settle(index, &cursor);
    return cursor;
}

/* Fills *entry from the cursor's key and advances; 0 at the end. */
static int
cursor_next(const struct keyindex *index, struct cursor *cursor,
            struct keyindex_entry *entry)
{
    const struct key_entry *current;

    if (cursor->slot >= SLOT_COUNT) {
        return 0;
    }
    current = &index->slots[cursor->slot]->chunks[cursor->chunk].chunk->entries[cursor->entry];
    entry->key = key_block_bytes(current->key);
    entry->key_length = key_block_length(current->key);
    entry->expire_ms = current->expire_ms;
    entry->type = (int)(current->hash_and_type & 0xff);
    entry->position = ((uint64_t)cursor->slot << 40) | entry_hash(current);
    cursor->entry++;
    cursor_settle(index, cursor);
    return 1;
}

uint64_t
keyindex_scan(struct keyindex *index, uint64_t cursor, long count,
              keyindex_visitor visitor, void *context)
{
    struct keyindex_entry entry;
    struct cursor walk;
    uint64_t last_position = 0;
    long visited = 0;

    if (cursor >= KEYINDEX_POSITION_END) {
        return 0;
    }
    walk = cursor_seek(index, cursor);
    while (cursor_next(index, &walk, &entry)) {
        if (visited >= count && entry.position != last_position) {
            return last_position + 1;
        }
        visitor(&entry, context);
        visited++;
        last_position = entry.position;
    }
    return 0;
}

int
keyindex_foreach_in_slot(struct keyindex *index, unsigned int slot,
                         keyindex_visitor visitor, void *context)
{
    struct keyindex_entry entry;
    struct cursor walk;
    int result = 0;

    if (slot >= SLOT_COUNT) {
        return 0;
    }
    walk = cursor_seek(index, (uint64_t)slot << 40);
    while (result == 0 && walk.slot == slot && cursor_next(index, &walk, &entry)) {
        result = visitor(&entry, context);
    }
    return result;
}

int
keyindex_foreach(struct keyindex *index, keyindex_visitor visitor, void *context)
{
    struct keyindex_entry entry;
    struct cursor walk = cursor_seek(index, 0);
    int result = 0;

    while (result == 0 && cursor_next(index, &walk, &entry)) {
        result = visitor(&entry, context);
    }
    return result;
}

int
keyindex_visit_at(struct keyindex *index, uint64_t position,
                  keyindex_visitor visitor, void *context)
{
    struct keyindex_entry entry;
    struct cursor walk = cursor_seek(index, position % KEYINDEX_POSITION_END);

    if (!cursor_next(index, &walk, &entry)) {
        walk = cursor_seek(index, 0);
        if (!cursor_next(index, &walk, &entry)) {
            return 0;
        }
    }
    visitor(&entry, context);
    return 1;
}

int
keyindex_first_expiring(struct keyindex *index, struct keyindex_entry *entry)
{
    const char *tree_key;
    int size;

    index->expiry->cur = NULL;
    tctreeiterinit(index->expiry);
    tree_key = tctreeiternext(index->expiry, &size);
    if (tree_key == NULL) {
        return 0;
    }
    entry->expire_ms = (int64_t)record_read_be64((const unsigned char *)tree_key);
    entry->key = tree_key + KEYINDEX_EXPIRY_PREFIX;
    entry->key_length = (size_t)size - KEYINDEX_EXPIRY_PREFIX;
    entry->type = -1;
    entry->position = keyindex_position(entry->key, entry->key_length);
    return 1;
}
