/*
 * db.h — the keyspace as commands see it: lookups with lazy expiry, writes
 * that mint versions, deletes.  Built on node/storage.h.  Every write made
 * while a command runs joins the current write batch; the batch commits
 * (and, with `fsync always`, fsyncs) before any reply of the batch leaves
 * the node.
 */
#ifndef HERD_NODE_DB_H
#define HERD_NODE_DB_H

#include <stddef.h>
#include <stdint.h>
#include "shared/clock.h"
#include "node/record.h"
#include "node/keyindex.h"

struct server;

/* Results of db functions. */
#define DB_FOUND      1
#define DB_NOT_FOUND  0
#define DB_ERROR     -1

/* A key's stored value, owned by the caller until db_value_release(). */
struct db_value {
    int            type;       /* enum record_type */
    struct version version;
    int64_t        expire_ms;  /* absolute Unix ms; 0: never */
    char          *data;       /* value bytes (malloc'd, NUL-terminated) */
    size_t         length;
};

/* Reads a key.  An expired key is deleted and reported as DB_NOT_FOUND.
 * Counts keyspace hits and misses. */
int  db_lookup(struct server *server, const char *key, size_t key_length,
               struct db_value *value);
/* Like db_lookup for a command that will write the key: Redis counts no
 * keyspace hit or miss for those. */
int  db_lookup_write(struct server *server, const char *key, size_t key_length,
                     struct db_value *value);
/* Like db_lookup but reads only the header (type, version, expiry);
 * value->data is NULL. */
int  db_lookup_header(struct server *server, const char *key, size_t key_length,
                      struct db_value *value);
/* Stores a whole value with a new version; expire_ms 0 means no expiry.
 * Returns 0 or DB_ERROR. */
int  db_write(struct server *server, const char *key, size_t key_length,
              int type, const void *data, size_t length, int64_t expire_ms);
/* Deletes a key; returns DB_FOUND if it existed (and was not expired),
 * DB_NOT_FOUND, or DB_ERROR. */
int  db_delete(struct server *server, const char *key, size_t key_length);
/* Changes only the expiry of an existing key (new version).  An expiry in
 * the past deletes the key.  Returns DB_FOUND, DB_NOT_FOUND or DB_ERROR. */
int  db_set_expire(struct server *server, const char *key, size_t key_length,
                   int64_t expire_ms);
void db_value_release(struct db_value *value);
/* Number of keys (including ones expired but not yet reclaimed). */
long long db_size(struct server *server);

/* --- Beyond the command API: opening, header-only lookups, maintenance. --- */

/* Opens the data directory and builds the key index from it; after an
 * unclean stop every record's CRC is checked and corrupt records are
 * dropped (and logged).  Returns 0, or -1 with a message in error. */
int  db_open(struct server *server, char *error, size_t error_size);
/* Commits, syncs and closes; `clean` writes the clean-shutdown marker. */
int  db_close(struct server *server, int clean);
/* Type and expiry of a key (reads only the record's header).  An expired
 * key is deleted and reported as DB_NOT_FOUND.  Does not count keyspace
 * hits/misses.  type / expire_ms may be NULL. */
int  db_peek(struct server *server, const char *key, size_t key_length,
             int *type, int64_t *expire_ms);
/* "Now" for expiry decisions: the current command's start time. */
uint64_t db_now_ms(struct server *server);
/* 1 when an expiry (absolute Unix ms, 0 = none) has passed at `now_ms`. */
int  db_is_expired(int64_t expire_ms, uint64_t now_ms);
/* Deletes a key whose expiry passed (active expiry): counts expired_keys.
 * Returns DB_FOUND, DB_NOT_FOUND or DB_ERROR. */
int  db_delete_expired(struct server *server, const char *key, size_t key_length);
/* Removes every key (FLUSHDB / FLUSHALL).  Returns 0 or DB_ERROR. */
int  db_flush(struct server *server);
/* Keys that have an expiry. */
long long db_expires_count(struct server *server);

/* --- Internal records and slot-level work --- */

/*
 * Internal records share the data file with the keys.  A stored key that
 * starts with '\0' followed by a kind byte other than '\0' is internal
 * (collection pages, released generations); a user key that starts with
 * '\0' is stored with one more '\0' in front, every other user key as is.
 */
#define DB_INTERNAL_PAGE     'p'
#define DB_INTERNAL_GARBAGE  'g'
#define DB_INTERNAL_KEY_MAX  32

/* Writes the stored key of an internal record (kind + body, body at most
 * DB_INTERNAL_KEY_MAX - 2 bytes) into out; returns its length. */
size_t db_internal_key(int kind, const void *body, size_t body_length, char *out);
/* Joins the current write batch (opening one if needed) before a storage
 * write that does not go through db_write/db_delete. */
void db_prepare_storage_write(struct server *server);

/* Renames a key: its record (and, for a collection, its stored pages) moves
 * to `to`, replacing what `to` held, with a new version.  Returns
 * DB_FOUND, DB_NOT_FOUND (no source) or DB_ERROR. */
int  db_rename(struct server *server, const char *from, size_t from_length,
               const char *to, size_t to_length);

/* An order-independent digest of a slot's keys and their versions, and how
 * many keys it covered; costs O(keys in the slot).  Returns 0 or DB_ERROR. */
int  db_slot_digest(struct server *server, unsigned int slot, uint64_t *digest,
                    uint64_t *keys);
/* Deletes every key of a slot (collections in O(1) each, their pages go to
 * the reclaimer); *removed receives how many.  Returns 0 or DB_ERROR. */
int  db_slot_drop(struct server *server, unsigned int slot, uint64_t *removed);

/* --- Replication (node/replication.c, node/keystate.c) --- */

/* The current digest of a slot: the sum of a term per stored key and
 * tombstone (key and version), kept up to date by every write; equal on
 * replicas that hold the same versions.  O(1). */
uint64_t db_slot_digest_now(struct server *server, unsigned int slot);
/* The stored header of a key, tombstones and expired keys included (no
 * expiry handling).  Returns DB_FOUND, DB_NOT_FOUND or DB_ERROR. */
int  db_stored_header(struct server *server, const char *key, size_t key_length,
                      struct record_header *header);
/* The raw stored record of a key (tombstones included; *record is
 * malloc'd).  Returns DB_FOUND, DB_NOT_FOUND or DB_ERROR. */
int  db_read_stored_record(struct server *server, const char *key, size_t key_length,
                           char **record, size_t *size);
/* Stores a value with the given header (its version is kept, not minted):
 * how a replica applies a state.  Returns 0 or DB_ERROR. */
int  db_store_version(struct server *server, const char *key, size_t key_length,
                      const struct record_header *header, const void *data,
                      size_t length);
/* Replaces whatever the key holds by a tombstone of `version`.  Returns 0
 * or DB_ERROR. */
int  db_tombstone_version(struct server *server, const char *key, size_t key_length,
                          const struct version *version);
/* Removes a key's tombstone for good (garbage collection).  Returns
 * DB_FOUND, DB_NOT_FOUND (no tombstone there) or DB_ERROR. */
int  db_tombstone_purge(struct server *server, const char *key, size_t key_length);
uint64_t db_tombstone_count(struct server *server);
/* Visits every tombstone (entry->expire_ms holds its HLC milliseconds). */
int  db_tombstones_foreach(struct server *server, keyindex_visitor visitor,
                           void *context);
/* Visits a slot's keys, then its tombstones (entry->type tells them
 * apart).  Returns non-zero when the visitor stopped the walk. */
int  db_slot_foreach(struct server *server, unsigned int slot,
                     keyindex_visitor visitor, void *context);

#endif
