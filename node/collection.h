/*
 * collection.h — hashes, lists, sets and sorted sets on the node's storage.
 *
 * A collection is one metadata record under its key (type, version and
 * expiry in the record header, like a string) whose payload holds
 *
 *   generation   8  a node-local number minted when the collection is
 *                   created; its stored pages are keyed by it
 *   next page    8  the page-number allocator of its trees
 *   tree count   1  1, or 2 for a sorted set
 *   per tree:    4 + n  the encoded root page of a B+tree (node/btree.h)
 *
 * A small collection therefore is one record.  A big one has stored pages
 * keyed (generation, page number); deleting or overwriting it rewrites only
 * the metadata and hands its generation to the background reclaimer, so DEL
 * of any collection is O(1).  RENAME moves the metadata only.
 *
 * The trees per type:
 *
 *   hash        [0] by key: member key (below) -> field value
 *   set         [0] by key: member key -> empty
 *   list        [0] by position: elements
 *   sorted set  [COLLECTION_ZSET_MEMBERS] by key: member key -> score
 *                 (8 bytes, collection_score_value_encode)
 *               [COLLECTION_ZSET_SCORES] by key: score key -> empty
 *
 * A member key is the 8-byte big-endian hash64 of the member followed by
 * the member, so a by-key tree of member keys is in hash order: that order
 * gives HSCAN/SSCAN/ZSCAN a numeric cursor with SCAN's guarantee (the
 * cursor is the hash to resume at).  A score key is the score's 8-byte
 * order-preserving encoding followed by the member, so the score tree is in
 * (score, member) order, as a Redis sorted set.
 *
 * Use in a command:
 *
 *   struct collection hash;
 *   switch (collection_open(c->server, key, key_length, RECORD_HASH,
 *                           COLLECTION_CREATE, &hash)) { ... }
 *   ... btree_put(&hash.trees[0], ...) ...
 *   if (changed && collection_save(&hash) != 0) reply_error_storage(c);
 *   collection_close(&hash);
 *
 * collection_save() of a collection left empty deletes the key, as Redis
 * does.  collection_close() is safe after any collection_open() result.
 *
 * Decoded collections stay in a small per-server cache between commands;
 * a change to one the file already holds is written when the batch
 * commits (or when anything else touches the key), so a hot collection is
 * decoded and written once per batch, not once per command.  Two handles
 * on one key in one command share one state.
 */
#ifndef HERD_NODE_COLLECTION_H
#define HERD_NODE_COLLECTION_H

#include <stddef.h>
#include <stdint.h>
#include "node/btree.h"
#include "node/record.h"

struct server;

/* collection_open() flags. */
#define COLLECTION_READ     0         /* a read: counts keyspace hits/misses */
#define COLLECTION_WRITE    (1 << 0)  /* will change it: no hit/miss counting */
#define COLLECTION_CREATE   (1 << 1)  /* absent: start an empty one (implies WRITE) */
#define COLLECTION_REPLACE  (1 << 2)  /* start empty whatever the key holds, no
                                         expiry; save overwrites (the *STORE
                                         destinations; implies WRITE) */

/* collection_open() results besides DB_FOUND / DB_NOT_FOUND / DB_ERROR. */
#define COLLECTION_WRONG_TYPE  -2

/* The sorted set's two trees. */
#define COLLECTION_ZSET_MEMBERS 0
#define COLLECTION_ZSET_SCORES  1

/* Bytes at the start of a collection payload that describe its stored
 * pages (generation, next page, tree count): collection_release_payload()
 * needs only these. */
#define COLLECTION_PAYLOAD_PREFIX   17

#define COLLECTION_MEMBER_HASH_SIZE 8   /* bytes before the member in a member key */
#define COLLECTION_SCORE_SIZE       8   /* bytes before the member in a score key */

struct collection_state;   /* private to collection.c */

/* One collection opened by a command: a handle on its shared state. */
struct collection {
    struct server           *server;
    struct collection_state *state;
    struct btree            *trees;   /* the state's trees: [0], [1] */
    int                      type;    /* enum record_type */
};

/* A sort key built for a lookup; short ones live in `buffer`. */
struct collection_key {
    char   *data;
    size_t  length;
    char    buffer[128];
};

/*
 * Opens the collection at key, expecting `type`.  Returns
 *   DB_FOUND               it exists (usable)
 *   DB_NOT_FOUND           absent (usable, empty, only with CREATE/REPLACE)
 *   COLLECTION_WRONG_TYPE  the key holds another type (not with REPLACE)
 *   DB_ERROR               storage failure (logged)
 * An expired key counts as absent (and is deleted).
 */
int  collection_open(struct server *server, const char *key, size_t key_length,
                     int type, int flags, struct collection *collection);
/* Stores the changes with a new version (keeps the expiry); an empty
 * collection deletes the key.  Returns 0 or DB_ERROR. */
int  collection_save(struct collection *collection);
/* Frees the handle; unsaved changes are dropped. */
void collection_close(struct collection *collection);

/* Elements (the count of trees[0]). */
uint64_t collection_count(const struct collection *collection);
/* OBJECT ENCODING: "listpack" while the collection is one record, else
 * "btree". */
const char *collection_encoding(const struct collection *collection);

/* Trees of the collection (2 for a sorted set, else 1). */
int  collection_tree_count(const struct collection *collection);
/* 1 when tree `tree` of a collection of `type` is ordered by position (a
 * list), 0 when by key. */
int  collection_tree_positional(int type, int tree);
/* Sets the expiry (absolute Unix ms, 0: none) the next save stores. */
void collection_set_expire(struct collection *collection, int64_t expire_ms);

/* --- Sort keys --- */

void collection_key_member(struct collection_key *key, const char *member,
                           size_t member_length);
void collection_key_score(struct collection_key *key, double score,
                          const char *member, size_t member_length);
/* Only the score prefix (seek to the first element with score >= score). */
void collection_key_score_only(struct collection_key *key, double score);
void collection_key_free(struct collection_key *key);

/* The member inside a member key or score key (an item's key). */
const char *collection_member_of_member_key(const struct btree_item *item,
                                            size_t *member_length);
const char *collection_member_of_score_key(const struct btree_item *item,
                                           size_t *member_length);
/* The score of a score key. */
double collection_score_of_score_key(const struct btree_item *item);

/* Order-preserving 8 bytes of a score (-0.0 encodes as 0.0), and back. */
void   collection_score_encode(double score, unsigned char out[8]);
double collection_score_decode(const unsigned char in[8]);
/* The member tree's value: the score's IEEE 754 bits, big-endian. */
void   collection_score_value_encode(double score, unsigned char out[8]);
double collection_score_value_decode(const char *in, size_t length);

/* --- HSCAN / SSCAN / ZSCAN --- */

/* Visitor: return 0 to go on. */
typedef int (*collection_visitor)(const struct btree_item *item, void *context);

/*
 * One scan step over a tree of member keys, from `cursor` (a member hash;
 * 0 starts): visits at least `count` elements (then the rest of those that
 * share the last hash) and stores the cursor to resume with in *next (0 at
 * the end).  A collection that is one record is visited whole and *next is
 * 0, as Redis does for its compact encodings.  Returns 0 or -1.
 */
int  collection_scan(struct collection *collection, int tree, uint64_t cursor,
                     long count, collection_visitor visit, void *context,
                     uint64_t *next);

/* --- For the keyspace layer (db.c, t_keyspace.c) --- */

/* 1 when a record type is a collection. */
int  collection_type(int type);
/* Hands the stored pages described by a collection metadata payload (or
 * just its first COLLECTION_PAYLOAD_PREFIX bytes) to the background
 * reclaimer (called when the metadata record is deleted or overwritten by
 * another generation).  Returns 0 or DB_ERROR. */
int  collection_release_payload(struct server *server, const char *payload,
                                size_t length);
/* Copies a collection payload to a new generation (its pages too), for
 * COPY.  *copy is malloc'd.  Returns 0 or DB_ERROR. */
int  collection_copy_payload(struct server *server, const char *payload,
                             size_t length, char **copy, size_t *copy_length);
/* The encoding name of a stored collection payload of `type` (OBJECT
 * ENCODING). */
const char *collection_payload_encoding(struct server *server, int type,
                                        const char *payload, size_t length);
/* Queues a released generation found at start-up (its garbage record is
 * already stored).  Returns 0 or -1. */
int  collection_queue_generation(struct server *server, uint64_t generation);
/* One bounded step of the background reclaimer: removes up to `budget`
 * pages of released generations.  Returns pages examined, or -1. */
long collection_reclaim_step(struct server *server, long budget);
/* Released generations not yet swept. */
uint64_t collection_reclaim_pending(const struct server *server);
/* Frees the reclaimer's queue (at shutdown). */
void collection_reclaim_free(struct server *server);

/* --- The collection cache (decoded collections kept between commands) --- */

/* Writes every cached collection's pending changes (before a batch
 * commits).  Returns 0 or DB_ERROR. */
int  collection_cache_flush(struct server *server);
/* Called by db.c before it reads (`changing` 0) or writes (1) the record
 * of a user key: writes the cached collection's pending changes first, and
 * forgets the cached state when the record is about to change.  Returns 0
 * or DB_ERROR. */
int  collection_cache_sync_key(struct server *server, const char *key,
                               size_t key_length, int changing);
/* Forgets every cached collection without writing (FLUSHALL). */
void collection_cache_clear(struct server *server);
/* Forgets and frees the cache (at shutdown, after a flush). */
void collection_cache_free(struct server *server);

#endif
