/*
 * keystate.h — a key's whole state as one byte string: what replication,
 * hinted handoff, anti-entropy and read repair send between nodes.
 *
 * A state is a record header (record.h: format, type, version, expiry,
 * CRC-32 over everything that follows) and a body:
 *
 *   string     the value bytes
 *   tombstone  nothing (a delete)
 *   hash, list, set, sorted set
 *              1 byte: tree count, then per tree an 8-byte element count
 *              and the elements, each as 4-byte key length, key bytes,
 *              4-byte value length, value bytes (the node's own element
 *              encoding: replicas run the same format version)
 *
 * All integers big-endian.  Applying a state is idempotent and order-free:
 * it replaces what the key holds only when its version is newer (the one
 * merge rule every replication path uses).
 */
#ifndef HERD_NODE_KEYSTATE_H
#define HERD_NODE_KEYSTATE_H

#include <stddef.h>
#include "shared/clock.h"

struct server;

/* Largest state keystate_export() produces for one key. */
#define KEYSTATE_MAX_SIZE (512LL * 1024 * 1024)

/* Encodes the key's current state (a tombstone too) into *state (malloc'd).
 * An expired key reads as absent.  Returns DB_FOUND, DB_NOT_FOUND or
 * DB_ERROR (logged). */
int  keystate_export(struct server *server, const char *key, size_t key_length,
                     char **state, size_t *state_length);
/* The version a state carries.  Returns 0, or -1 when it is malformed. */
int  keystate_version(const char *state, size_t state_length, struct version *version);
/* Applies a state when it is newer than what the key holds.  Returns 1
 * applied, 0 not newer (nothing changed), -1 malformed (nothing changed),
 * DB_ERROR (-1 too: storage failure, logged). */
int  keystate_apply(struct server *server, const char *key, size_t key_length,
                    const char *state, size_t state_length);

#endif
