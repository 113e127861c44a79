/*
 * keyindex.h — the node's in-memory index of the keys it stores, rebuilt
 * from the data file at start:
 *
 *   keys     per slot, sorted chunks of up to 128 entries (a two-level
 *            B+tree) ordered by (hash40, key); each entry holds the key's
 *            type and expire_ms
 *   expiry   a Tokyo Cabinet TCTREE ordered by expire_ms (BE64) | key
 *
 * hash40 is the top 40 bits of hash64(key).  The key order (slot, hash40,
 * key) gives per-slot iteration whose cost follows the slot's size, and a
 * numeric SCAN cursor: the "position" of a key is (slot << 40) | hash40, a
 * 54-bit number, and cursor C means "resume at the first key whose
 * position is >= C" (0 starts, and a finished scan answers 0).  A SCAN step
 * never stops in the middle of a run of keys sharing one position, so a
 * key present for the whole scan is always returned.
 *
 * The expiry tree lists keys by expiry time for the active expire cycle.
 *
 * Pointers handed to callbacks point into the trees: they are valid during
 * the callback only, and the callback must not change the index.
 */
#ifndef HERD_NODE_KEYINDEX_H
#define HERD_NODE_KEYINDEX_H

#include <stddef.h>
#include <stdint.h>

#define KEYINDEX_PREFIX_SIZE   7                       /* slot + hash40 */
#define KEYINDEX_POSITION_END  ((uint64_t)1 << 54)    /* past every position */

struct keyindex;

/* What the index knows about one key. */
struct keyindex_entry {
    const char *key;
    size_t      key_length;
    int64_t     expire_ms;   /* 0: never */
    int         type;        /* enum record_type */
    uint64_t    position;    /* (slot << 40) | hash40 */
};

/* Visitor: return 0 to go on, non-zero to stop. */
typedef int (*keyindex_visitor)(const struct keyindex_entry *entry, void *context);

struct keyindex *keyindex_new(void);
void     keyindex_free(struct keyindex *index);
void     keyindex_clear(struct keyindex *index);

/* Inserts or updates a key.  Returns 1 if the key was new, 0 if updated. */
int      keyindex_set(struct keyindex *index, const char *key, size_t key_length,
                      int type, int64_t expire_ms);
/* Looks a key up; returns 1 and fills type / expire_ms (either may be NULL)
 * when present, else 0. */
int      keyindex_get(struct keyindex *index, const char *key, size_t key_length,
                      int *type, int64_t *expire_ms);
/* Removes a key; returns 1 if it was present. */
int      keyindex_remove(struct keyindex *index, const char *key, size_t key_length);

uint64_t keyindex_count(const struct keyindex *index);
uint64_t keyindex_expires_count(const struct keyindex *index);
/* Bytes of memory the two trees use (approximate). */
uint64_t keyindex_memory(const struct keyindex *index);

/* The position of a key: (slot << 40) | top 40 bits of hash64(key). */
uint64_t keyindex_position(const char *key, size_t key_length);

/*
 * One SCAN step: visits at least `count` keys from position `cursor` on
 * (fewer at the end), then the rest of the run sharing the last position.
 * Returns the cursor to continue with, 0 when the walk reached the end.
 */
uint64_t keyindex_scan(struct keyindex *index, uint64_t cursor, long count,
                       keyindex_visitor visitor, void *context);

/* Visits every key of one slot in index order; returns what the visitor
 * last returned (non-zero: stopped early). */
int      keyindex_foreach_in_slot(struct keyindex *index, unsigned int slot,
                                  keyindex_visitor visitor, void *context);
/* Visits every key in index order. */
int      keyindex_foreach(struct keyindex *index, keyindex_visitor visitor,
                          void *context);

/* Visits the first key at or after `position`, wrapping to the first key
 * of the index.  Returns 1 when a key was visited, 0 when the index is
 * empty. */
int      keyindex_visit_at(struct keyindex *index, uint64_t position,
                           keyindex_visitor visitor, void *context);

/* The key that expires first: returns 1 and fills *entry (entry->key points
 * into the index and is valid until the next change; entry->type is -1),
 * or 0 when no key has an expiry. */
int      keyindex_first_expiring(struct keyindex *index,
                                 struct keyindex_entry *entry);

#endif
