/*
 * antientropy.c — repair without an operator, and tombstone collection.
 *
 * Every anti-entropy-interval the node starts a round with the next
 * member (round-robin) that is alive:
 *   1. HERD.DIGESTS: the member's running digest of every slot (db.h's
 *      db_slot_digest_now, one sum of (key, version) terms per slot).
 *   2. For each slot both hold as home replicas whose digests differ (at
 *      most ANTI_ENTROPY_SLOTS_PER_ROUND): HERD.SLOTKEYS, the member's
 *      (key, version) list, compared with ours by anti_entropy_compare():
 *      keys newer here are pushed (HERD.REPL), keys newer there are pulled
 *      (HERD.FETCH, applied with the usual newer-version rule).
 *   3. A slot found equal (digest or lists) records the round's start in
 *      peer->slot_equal_ms[slot].
 * Expired keys and tombstones older than tombstone-gc-grace are left out
 * of the comparison, so replicas that expire or collect them at slightly
 * different moments do not repair them back.
 *
 * A tombstone is removed for good once it is older than tombstone-gc-grace
 * and every other home replica of its slot was found equal after the
 * tombstone was written (so each of them has it, or something newer).
 */
#include <stdlib.h>
#include <string.h>
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/number.h"
#include "shared/reply.h"
#include "shared/slot.h"
#include "node/cluster.h"
#include "node/db.h"
#include "node/keystate.h"
#include "node/peer.h"
#include "node/record.h"
#include "node/server.h"

#define ANTI_ENTROPY_SLOTS_PER_ROUND 64
#define ANTI_ENTROPY_VERSION_SIZE    11     /* clock 8, node 2, tombstone 1 */
#define TOMBSTONE_PURGE_PER_SWEEP    10000

/* One round with one member. */
struct anti_entropy_round {
    struct cluster *cluster;
    struct peer    *peer;
    int             member;
    uint64_t        started_ms;     /* wall clock */
    int             pending;        /* requests without an answer */
};

/* A key being pulled from a member. */
struct anti_entropy_pull {
    struct anti_entropy_round *round;
    size_t                     key_length;
    char                       key[];
};

/* A slot whose key lists are being compared. */
struct anti_entropy_slot {
    struct anti_entropy_round *round;
    unsigned int               slot;
};

/* ------------------------------------------------------------------------
 * Comparing two key lists (pure: no I/O)
 * ------------------------------------------------------------------------ */

/* 1 when an entry takes part in the comparison at `now_ms`. */
static int
anti_entropy_counts(const struct anti_entropy_entry *entry, uint64_t now_ms,
                    uint64_t grace_ms)
{
    uint64_t written = HLC_MILLISECONDS(entry->version.clock);

    return !entry->tombstone || now_ms < written || now_ms - written < grace_ms;
}

int
anti_entropy_compare(const struct anti_entropy_entry *local, int local_count,
                     const struct anti_entropy_entry *remote, int remote_count,
                     uint64_t now_ms, uint64_t grace_ms,
                     void (*push)(void *context, const struct anti_entropy_entry *entry),
                     void (*pull)(void *context, const struct anti_entropy_entry *entry),
                     void *context)
{
    TCMAP *ours = tcmapnew2((uint32_t)(local_count * 2 + 16));
    const struct anti_entropy_entry *mine;
    const char *key;
    int i, size, differences = 0, order;

    for (i = 0; i < local_count; i++) {
        if (anti_entropy_counts(&local[i], now_ms, grace_ms)) {
            mine = &local[i];
            tcmapput(ours, local[i].key, (int)local[i].key_length, &mine, sizeof(mine));
        }
    }
    for (i = 0; i < remote_count; i++) {
        const void *found = tcmapget(ours, remote[i].key, (int)remote[i].key_length, &size);

        if (!anti_entropy_counts(&remote[i], now_ms, grace_ms)) {
            continue;
        }
        if (found == NULL) {
            differences++;
            pull(context, &remote[i]);
            continue;
        }
        memcpy(&mine, found, sizeof(mine));
        tcmapout(ours, remote[i].key, (int)remote[i].key_length);
        order = version_compare(&mine->version, &remote[i].version);
        if (order < 0) {
            differences++;
            pull(context, &remote[i]);
        } else if (order > 0) {
            differences++;
            push(context, mine);
        }
    }
    tcmapiterinit(ours);
    while ((key = tcmapiternext(ours, &size)) != NULL) {
        memcpy(&mine, tcmapiterval(key, &size), sizeof(mine));
        differences++;
        push(context, mine);
    }
    tcmapdel(ours);
    return differences;
}

/* ------------------------------------------------------------------------
 * Key lists
 * ------------------------------------------------------------------------ */

/* A slot's entries as read from this node's storage. */
struct anti_entropy_list {
    struct server              *server;
    struct anti_entropy_entry  *entries;
    int                         count;
    int                         capacity;
    uint64_t                    now_ms;
    int                         failed;
};

static int
anti_entropy_list_visit(const struct keyindex_entry *entry, void *context)
{
    struct anti_entropy_list *list = context;
    struct anti_entropy_entry *grown, *item;
    struct record_header header;
    char *key;

    if (entry->type != RECORD_TOMBSTONE && db_is_expired(entry->expire_ms, list->now_ms)) {
        return 0;
    }
    if (db_stored_header(list->server, entry->key, entry->key_length, &header) != DB_FOUND) {
        list->failed = 1;
        return 1;
    }
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 64;
        grown = realloc(list->entries, (size_t)list->capacity * sizeof(*grown));
        if (grown == NULL) {
            list->failed = 1;
            return 1;
        }
        list->entries = grown;
    }
    key = malloc(entry->key_length + 1);
    if (key == NULL) {
        list->failed = 1;
        return 1;
    }
    memcpy(key, entry->key, entry->key_length);
    item = &list->entries[list->count++];
    item->key = key;
    item->key_length = entry->key_length;
    item->version = header.version;
    item->tombstone = header.type == RECORD_TOMBSTONE;
    return 0;
}

static void
anti_entropy_list_free(struct anti_entropy_list *list)
{
    int i;

    for (i = 0; i < list->count; i++) {
        free((char *)list->entries[i].key);
    }
    free(list->entries);
}

/* Reads a slot's live keys and tombstones.  Returns 0 or -1. */
static int
anti_entropy_list_slot(struct server *server, unsigned int slot,
                       struct anti_entropy_list *list)
{
    memset(list, 0, sizeof(*list));
    list->server = server;
    list->now_ms = wall_clock_milliseconds(NULL);
    db_slot_foreach(server, slot, anti_entropy_list_visit, list);
    if (list->failed) {
        anti_entropy_list_free(list);
        return -1;
    }
    return 0;
}

/* The 11 bytes of a version on the wire. */
static void
anti_entropy_encode_version(const struct anti_entropy_entry *entry, unsigned char *out)
{
    record_write_be64(out, entry->version.clock);
    record_write_be16(out + 8, entry->version.node);
    out[10] = (unsigned char)(entry->tombstone ? 1 : 0);
}

/* ------------------------------------------------------------------------
 * Internal commands (the answering side)
 * ------------------------------------------------------------------------ */

/* The answer of a node whose network is dropped by DEBUG NET DROP. */
static int
anti_entropy_refused(struct client *c)
{
    if (c->server->cluster->network_dropped) {
        reply_error(c->reply, "ERR network dropped (DEBUG NET DROP)");
        return 1;
    }
    return 0;
}

/* HERD.FETCH <key>: the key's state, or nil. */
void
command_HERD_FETCH(struct client *c)
{
    char *state;
    size_t length;
    int result;

    if (anti_entropy_refused(c)) {
        return;
    }
    result = keystate_export(c->server, c->argv[1], c->argv_length[1], &state, &length);
    if (result == DB_ERROR) {
        reply_error_storage(c);
    } else if (result == DB_NOT_FOUND) {
        reply_null(c->reply);
    } else {
        reply_bulk(c->reply, state, length);
        free(state);
    }
}

/* HERD.DIGESTS: every slot's digest, 8 bytes big-endian each. */
void
command_HERD_DIGESTS(struct client *c)
{
    unsigned char *digests;
    unsigned int slot;

    if (anti_entropy_refused(c)) {
        return;
    }
    digests = malloc(SLOT_COUNT * 8);
    if (digests == NULL) {
        reply_error(c->reply, "ERR out of memory");
        return;
    }
    for (slot = 0; slot < SLOT_COUNT; slot++) {
        record_write_be64(digests + slot * 8, db_slot_digest_now(c->server, slot));
    }
    reply_bulk(c->reply, digests, SLOT_COUNT * 8);
    free(digests);
}

/* HERD.SLOTKEYS <slot>: [key, version, ...] of the slot's live keys and
 * tombstones. */
void
command_HERD_SLOTKEYS(struct client *c)
{
    struct anti_entropy_list list;
    unsigned char version[ANTI_ENTROPY_VERSION_SIZE];
    long long slot;
    int i;

    if (anti_entropy_refused(c)) {
        return;
    }
    if (!string_to_long_long(c->argv[1], c->argv_length[1], &slot) || slot < 0 ||
        slot >= SLOT_COUNT) {
        reply_error(c->reply, "ERR invalid slot");
        return;
    }
    if (anti_entropy_list_slot(c->server, (unsigned int)slot, &list) != 0) {
        reply_error_storage(c);
        return;
    }
    reply_array_header(c->reply, (long long)list.count * 2);
    for (i = 0; i < list.count; i++) {
        anti_entropy_encode_version(&list.entries[i], version);
        reply_bulk(c->reply, list.entries[i].key, list.entries[i].key_length);
        reply_bulk(c->reply, version, sizeof(version));
    }
    anti_entropy_list_free(&list);
}

/* ------------------------------------------------------------------------
 * Rounds (the asking side)
 * ------------------------------------------------------------------------ */

/* One request of the round answered: the round ends with the last one. */
static void
anti_entropy_request_done(struct anti_entropy_round *round)
{
    if (--round->pending == 0) {
        round->cluster->anti_entropy_busy = 0;
        free(round);
    }
}

static void
anti_entropy_pulled(struct peer *peer, const redisReply *reply, void *argument)
{
    struct anti_entropy_pull *pull = argument;
    struct anti_entropy_round *round = pull->round;
    struct server *server = round->cluster->server;

    (void)peer;
    if (reply != NULL && reply->type == REDIS_REPLY_STRING &&
        keystate_apply(server, pull->key, pull->key_length, reply->str, reply->len) == 1) {
        round->cluster->stats.anti_entropy_keys_repaired++;
    }
    free(pull);
    anti_entropy_request_done(round);
}

/* anti_entropy_compare() callbacks for a round. */
static void
anti_entropy_push_entry(void *context, const struct anti_entropy_entry *entry)
{
    struct anti_entropy_round *round = context;

    round->cluster->stats.anti_entropy_keys_repaired++;
    replication_push_key(round->cluster, round->peer, entry->key, entry->key_length);
}

static void
anti_entropy_pull_entry(void *context, const struct anti_entropy_entry *entry)
{
    struct anti_entropy_round *round = context;
    struct anti_entropy_pull *pull = malloc(sizeof(*pull) + entry->key_length);
    const char *argv[2] = { "HERD.FETCH", entry->key };
    size_t lengths[2] = { 10, entry->key_length };

    if (pull == NULL) {
        return;
    }
    pull->round = round;
    pull->key_length = entry->key_length;
    memcpy(pull->key, entry->key, entry->key_length);
    round->pending++;
    if (peer_send(round->peer, 2, argv, lengths, anti_entropy_pulled, pull) != 0) {
        round->pending--;
        free(pull);
    }
}

/* Decodes a HERD.SLOTKEYS reply.  Returns the entry count, or -1. */
static int
anti_entropy_decode_keys(const redisReply *reply, struct anti_entropy_entry **entries)
{
    const unsigned char *version;
    int count, i;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0) {
        return -1;
    }
    count = (int)(reply->elements / 2);
    *entries = calloc((size_t)count + 1, sizeof(**entries));
    if (*entries == NULL) {
        return -1;
    }
    for (i = 0; i < count; i++) {
        const redisReply *key = reply->element[2 * i], *stamp = reply->element[2 * i + 1];

        if (key->type != REDIS_REPLY_STRING || stamp->type != REDIS_REPLY_STRING ||
            stamp->len != ANTI_ENTROPY_VERSION_SIZE) {
            free(*entries);
            return -1;
        }
        version = (const unsigned char *)stamp->str;
        (*entries)[i].key = key->str;
        (*entries)[i].key_length = key->len;
        (*entries)[i].version.clock = record_read_be64(version);
        (*entries)[i].version.node = record_read_be16(version + 8);
        (*entries)[i].tombstone = version[10] != 0;
    }
    return count;
}

static void
anti_entropy_keys_answered(struct peer *peer, const redisReply *reply, void *argument)
{
    struct anti_entropy_slot *compared = argument;
    struct anti_entropy_round *round = compared->round;
    struct cluster *cluster = round->cluster;
    struct anti_entropy_entry *remote = NULL;
    struct anti_entropy_list local;
    int remote_count = reply != NULL ? anti_entropy_decode_keys(reply, &remote) : -1;

    if (remote_count >= 0 &&
        anti_entropy_list_slot(cluster->server, compared->slot, &local) == 0) {
        cluster->stats.anti_entropy_slots_compared++;
        if (anti_entropy_compare(local.entries, local.count, remote, remote_count,
                                 wall_clock_milliseconds(NULL),
                                 (uint64_t)cluster->server->settings.tombstone_gc_grace,
                                 anti_entropy_push_entry, anti_entropy_pull_entry,
                                 round) == 0) {
            peer->slot_equal_ms[compared->slot] = round->started_ms;
        }
        anti_entropy_list_free(&local);
    }
    free(remote);
    free(compared);
    anti_entropy_request_done(round);
}

/* 1 when both this node and `member` are home replicas of the slot. */
static int
anti_entropy_shared(struct cluster *cluster, unsigned int slot, int member)
{
    const int16_t *replicas;
    int count, i, mine = 0, theirs = 0;

    replicas = cluster_slot_replicas(cluster, slot, &count);
    for (i = 0; i < count; i++) {
        mine |= replicas[i] == CLUSTER_SELF;
        theirs |= replicas[i] == member;
    }
    return mine && theirs;
}

static void
anti_entropy_digests_answered(struct peer *peer, const redisReply *reply, void *argument)
{
    struct anti_entropy_round *round = argument;
    struct cluster *cluster = round->cluster;
    struct anti_entropy_slot *compared;
    const unsigned char *digests;
    char slot_text[16];
    const char *argv[2] = { "HERD.SLOTKEYS", slot_text };
    size_t lengths[2] = { 13, 0 };
    unsigned int slot, asked = 0;

    if (reply == NULL || reply->type != REDIS_REPLY_STRING ||
        reply->len != SLOT_COUNT * 8) {
        anti_entropy_request_done(round);
        return;
    }
    digests = (const unsigned char *)reply->str;
    for (slot = 0; slot < SLOT_COUNT; slot++) {
        if (!anti_entropy_shared(cluster, slot, round->member)) {
            continue;
        }
        if (record_read_be64(digests + slot * 8) == db_slot_digest_now(cluster->server, slot)) {
            peer->slot_equal_ms[slot] = round->started_ms;
            continue;
        }
        if (asked >= ANTI_ENTROPY_SLOTS_PER_ROUND || (compared = malloc(sizeof(*compared))) == NULL) {
            continue;
        }
        compared->round = round;
        compared->slot = slot;
        lengths[1] = (size_t)snprintf(slot_text, sizeof(slot_text), "%u", slot);
        round->pending++;
        if (peer_send(peer, 2, argv, lengths, anti_entropy_keys_answered, compared) != 0) {
            round->pending--;
            free(compared);
            continue;
        }
        asked++;
    }
    anti_entropy_request_done(round);
}

/* Starts a round with the next alive member. */
static void
anti_entropy_start_round(struct cluster *cluster)
{
    struct anti_entropy_round *round;
    const char *argv[1] = { "HERD.DIGESTS" };
    size_t lengths[1] = { 12 };
    int tries, member = -1;

    for (tries = 0; tries < cluster->member_count && member < 0; tries++) {
        cluster->anti_entropy_next = cluster->anti_entropy_next % cluster->member_count + 1;
        if (cluster->anti_entropy_next < cluster->member_count &&
            cluster_member_alive(cluster, cluster->anti_entropy_next) &&
            cluster_member_peer(cluster, cluster->anti_entropy_next) != NULL) {
            member = cluster->anti_entropy_next;
        }
    }
    if (member < 0 || (round = calloc(1, sizeof(*round))) == NULL) {
        return;
    }
    round->cluster = cluster;
    round->member = member;
    round->peer = cluster_member_peer(cluster, member);
    round->started_ms = wall_clock_milliseconds(NULL);
    round->pending = 1;
    if (peer_send(round->peer, 1, argv, lengths, anti_entropy_digests_answered, round) != 0) {
        free(round);
        return;
    }
    cluster->anti_entropy_busy = 1;
    cluster->stats.anti_entropy_rounds++;
}

/* ------------------------------------------------------------------------
 * Tombstone collection
 * ------------------------------------------------------------------------ */

/* A sweep over the tombstones: the keys safe to purge. */
struct tombstone_sweep {
    struct cluster *cluster;
    uint64_t        now_ms;
    TCLIST         *purge;
};

/* 1 when every other home replica of the slot matched us after `since`. */
static int
tombstone_everywhere(struct cluster *cluster, unsigned int slot, uint64_t since)
{
    const int16_t *replicas;
    struct peer *peer;
    int count, i;

    replicas = cluster_slot_replicas(cluster, slot, &count);
    for (i = 0; i < count; i++) {
        if (replicas[i] == CLUSTER_SELF) {
            continue;
        }
        peer = cluster_member_peer(cluster, replicas[i]);
        if (peer == NULL || peer->slot_equal_ms[slot] <= since) {
            return 0;
        }
    }
    return 1;
}

static int
tombstone_sweep_visit(const struct keyindex_entry *entry, void *context)
{
    struct tombstone_sweep *sweep = context;
    uint64_t written = (uint64_t)entry->expire_ms;
    uint64_t grace = (uint64_t)sweep->cluster->server->settings.tombstone_gc_grace;

    if (sweep->now_ms < written || sweep->now_ms - written < grace) {
        return 0;
    }
    if (tombstone_everywhere(sweep->cluster, (unsigned int)(entry->position >> 40), written)) {
        tclistpush(sweep->purge, entry->key, (int)entry->key_length);
    }
    return tclistnum(sweep->purge) >= TOMBSTONE_PURGE_PER_SWEEP;
}

static void
anti_entropy_sweep_tombstones(struct cluster *cluster)
{
    struct tombstone_sweep sweep;
    const char *key;
    int i, size;

    if (db_tombstone_count(cluster->server) == 0) {
        return;
    }
    sweep.cluster = cluster;
    sweep.now_ms = wall_clock_milliseconds(NULL);
    sweep.purge = tclistnew();
    db_tombstones_foreach(cluster->server, tombstone_sweep_visit, &sweep);
    for (i = 0; i < tclistnum(sweep.purge); i++) {
        key = tclistval(sweep.purge, i, &size);
        if (db_tombstone_purge(cluster->server, key, (size_t)size) == DB_FOUND) {
            cluster->stats.tombstones_purged++;
        }
    }
    tclistdel(sweep.purge);
}

void
anti_entropy_tick(struct cluster *cluster, uint64_t now_ms)
{
    uint64_t interval = (uint64_t)cluster->server->settings.anti_entropy_interval;

    if (now_ms - cluster->last_anti_entropy_ms < interval) {
        return;
    }
    cluster->last_anti_entropy_ms = now_ms;
    if (cluster_has_peers(cluster) && !cluster->anti_entropy_busy &&
        !cluster->network_dropped) {
        anti_entropy_start_round(cluster);
    }
    anti_entropy_sweep_tombstones(cluster);
}
