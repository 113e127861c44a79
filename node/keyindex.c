/*
 * keyindex.c — the in-memory key and expiry index (see keyindex.h).
 *
 * Both trees are Tokyo Cabinet TCTREEs (splay trees with the lexical
 * comparator), so big-endian prefixes give numeric order.  TCTREE keeps a
 * single iterator per tree; every walk here starts by positioning it, and
 * nothing else in the node uses it.  Two TCTREE quirks are handled:
 * tctreeiterinit() and tctreeiterinit2() leave the iterator untouched when
 * nothing qualifies (empty tree, or seeking past the last key), so the
 * iterator is cleared before every seek.
 */
#include <stdlib.h>
#include <string.h>
#include <tcutil.h>
#include "shared/checksum.h"
#include "shared/slot.h"
#include "node/record.h"
#include "node/keyindex.h"

#define KEYINDEX_VALUE_SIZE   9     /* int64 expire_ms (native) + type byte */
#define KEYINDEX_EXPIRY_PREFIX 8    /* BE64 expire_ms */
#define HASH40_MASK           (((uint64_t)1 << 40) - 1)

/* The two trees and a scratch buffer for composing tree keys. */
struct keyindex {
    TCTREE  *keys;
    TCTREE  *expiry;
    uint64_t expires;        /* keys with an expiry */
    char    *scratch;
    size_t   scratch_size;
};

struct keyindex *
keyindex_new(void)
{
    struct keyindex *index = calloc(1, sizeof(*index));

    if (index == NULL) {
        return NULL;
    }
    index->keys = tctreenew();
    index->expiry = tctreenew();
    return index;
}

void
keyindex_free(struct keyindex *index)
{
    if (index == NULL) {
        return;
    }
    tctreedel(index->keys);
    tctreedel(index->expiry);
    free(index->scratch);
    free(index);
}

void
keyindex_clear(struct keyindex *index)
{
    tctreeclear(index->keys);
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

/* Writes the 7-byte tree prefix of a position. */
static void
write_position(unsigned char *out, uint64_t position)
{
    record_write_be16(out, (uint16_t)(position >> 40));
    record_write_be32(out + 2, (uint32_t)((position & HASH40_MASK) >> 8));
    out[6] = (unsigned char)position;
}

static uint64_t
read_position(const unsigned char *in)
{
    uint64_t slot = record_read_be16(in);
    uint64_t hash40 = ((uint64_t)record_read_be32(in + 2) << 8) | in[6];

    return (slot << 40) | hash40;
}

/* Makes the scratch buffer at least `size` bytes; NULL on no memory. */
static char *
scratch(struct keyindex *index, size_t size)
{
    char *grown;

    if (size > index->scratch_size) {
        grown = realloc(index->scratch, size);
        if (grown == NULL) {
            return NULL;
        }
        index->scratch = grown;
        index->scratch_size = size;
    }
    return index->scratch;
}

/* The key tree's key for a user key, in the scratch buffer. */
static char *
compose_key(struct keyindex *index, const char *key, size_t key_length)
{
    char *out = scratch(index, KEYINDEX_PREFIX_SIZE + key_length);

    if (out == NULL) {
        return NULL;
    }
    write_position((unsigned char *)out, keyindex_position(key, key_length));
    memcpy(out + KEYINDEX_PREFIX_SIZE, key, key_length);
    return out;
}

/* Adds or removes the expiry tree entry of (expire_ms, key). */
static void
expiry_update(struct keyindex *index, const char *key, size_t key_length,
              int64_t expire_ms, int add)
{
    size_t size = KEYINDEX_EXPIRY_PREFIX + key_length;
    char *composed = malloc(size);

    if (composed == NULL) {
        abort();
    }
    record_write_be64((unsigned char *)composed, (uint64_t)expire_ms);
    memcpy(composed + KEYINDEX_EXPIRY_PREFIX, key, key_length);
    if (add) {
        tctreeput(index->expiry, composed, (int)size, "", 0);
        index->expires++;
    } else if (tctreeout(index->expiry, composed, (int)size)) {
        index->expires--;
    }
    free(composed);
}

static void
decode_value(const char *value, int64_t *expire_ms, int *type)
{
    int64_t expire;

    memcpy(&expire, value, sizeof(expire));
    if (expire_ms != NULL) {
        *expire_ms = expire;
    }
    if (type != NULL) {
        *type = (unsigned char)value[8];
    }
}

int
keyindex_set(struct keyindex *index, const char *key, size_t key_length,
             int type, int64_t expire_ms)
{
    char value[KEYINDEX_VALUE_SIZE];
    const char *old;
    char *composed = compose_key(index, key, key_length);
    int size = (int)(KEYINDEX_PREFIX_SIZE + key_length);
    int old_size, old_type, is_new = 1;
    int64_t old_expire = 0;

    if (composed == NULL) {
        abort();
    }
    old = tctreeget(index->keys, composed, size, &old_size);
    if (old != NULL) {
        decode_value(old, &old_expire, &old_type);
        if (old_expire == expire_ms && old_type == type) {
            return 0;
        }
        is_new = 0;
    }
    memcpy(value, &expire_ms, sizeof(expire_ms));
    value[8] = (char)type;
    tctreeput(index->keys, composed, size, value, sizeof(value));
    if (old_expire != expire_ms) {
        if (old_expire != 0) {
            expiry_update(index, key, key_length, old_expire, 0);
        }
        if (expire_ms != 0) {
            expiry_update(index, key, key_length, expire_ms, 1);
        }
    }
    return is_new;
}

int
keyindex_get(struct keyindex *index, const char *key, size_t key_length,
             int *type, int64_t *expire_ms)
{
    char *composed = compose_key(index, key, key_length);
    const char *value;
    int size;

    if (composed == NULL) {
        abort();
    }
    value = tctreeget(index->keys, composed,
                      (int)(KEYINDEX_PREFIX_SIZE + key_length), &size);
    if (value == NULL) {
        return 0;
    }
    decode_value(value, expire_ms, type);
    return 1;
}

int
keyindex_remove(struct keyindex *index, const char *key, size_t key_length)
{
    char *composed = compose_key(index, key, key_length);
    int size = (int)(KEYINDEX_PREFIX_SIZE + key_length);
    const char *value;
    int value_size;
    int64_t expire_ms;

    if (composed == NULL) {
        abort();
    }
    value = tctreeget(index->keys, composed, size, &value_size);
    if (value == NULL) {
        return 0;
    }
    decode_value(value, &expire_ms, NULL);
    tctreeout(index->keys, composed, size);
    if (expire_ms != 0) {
        expiry_update(index, key, key_length, expire_ms, 0);
    }
    return 1;
}

uint64_t
keyindex_count(const struct keyindex *index)
{
    return tctreernum(index->keys);
}

uint64_t
keyindex_expires_count(const struct keyindex *index)
{
    return index->expires;
}

uint64_t
keyindex_memory(const struct keyindex *index)
{
    return tctreemsiz(index->keys) + tctreemsiz(index->expiry);
}

/* Positions the key tree's iterator at the first key >= position. */
static void
seek(struct keyindex *index, uint64_t position)
{
    unsigned char prefix[KEYINDEX_PREFIX_SIZE];

    index->keys->cur = NULL;
    if (position == 0) {
        tctreeiterinit(index->keys);
        return;
    }
    write_position(prefix, position);
    tctreeiterinit2(index->keys, prefix, sizeof(prefix));
}

/* The next key of the iterator as an entry; 0 at the end. */
static int
next_entry(struct keyindex *index, struct keyindex_entry *entry)
{
    int size, value_size;
    const char *tree_key = tctreeiternext(index->keys, &size);
    const char *value;

    if (tree_key == NULL) {
        return 0;
    }
    value = tctreeiterval(tree_key, &value_size);
    entry->key = tree_key + KEYINDEX_PREFIX_SIZE;
    entry->key_length = (size_t)size - KEYINDEX_PREFIX_SIZE;
    entry->position = read_position((const unsigned char *)tree_key);
    decode_value(value, &entry->expire_ms, &entry->type);
    return 1;
}

uint64_t
keyindex_scan(struct keyindex *index, uint64_t cursor, long count,
              keyindex_visitor visitor, void *context)
{
    struct keyindex_entry entry;
    uint64_t last_position = 0;
    long visited = 0;

    if (cursor >= KEYINDEX_POSITION_END) {
        return 0;
    }
    seek(index, cursor);
    while (next_entry(index, &entry)) {
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
    int result = 0;

    seek(index, (uint64_t)slot << 40);
    while (result == 0 && next_entry(index, &entry)) {
        if ((entry.position >> 40) != slot) {
            break;
        }
        result = visitor(&entry, context);
    }
    return result;
}

int
keyindex_foreach(struct keyindex *index, keyindex_visitor visitor, void *context)
{
    struct keyindex_entry entry;
    int result = 0;

    seek(index, 0);
    while (result == 0 && next_entry(index, &entry)) {
        result = visitor(&entry, context);
    }
    return result;
}

int
keyindex_visit_at(struct keyindex *index, uint64_t position,
                  keyindex_visitor visitor, void *context)
{
    struct keyindex_entry entry;

    seek(index, position % KEYINDEX_POSITION_END);
    if (!next_entry(index, &entry)) {
        seek(index, 0);
        if (!next_entry(index, &entry)) {
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
