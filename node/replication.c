/*
 * replication.c — the coordinator's side of a write: every key a batch
 * wrote is sent, as its whole state (keystate.h), to the key's other home
 * replicas when the batch commits; the replies of the batch's clients wait
 * until every write of the batch has write-consistency acknowledgements
 * (HERD.REPL is acknowledged only after the replica committed it), or
 * write-timeout passed — then each write reply in them becomes -NOQUORUM
 * (the write may or may not have reached enough replicas).  Held batches
 * are released in commit order, so a client's replies keep their order.
 *
 * A replica that is dead, not connected, or fails a HERD.REPL gets a hint:
 * the key's name, kept in memory per peer (at most hint-max-keys) and
 * replayed — as the key's state at replay time — once the member is alive
 * again.  Hints are lost on restart; anti-entropy repairs what they would
 * have.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/bufferevent.h>
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/reply.h"
#include "shared/slot.h"
#include "node/cluster.h"
#include "node/db.h"
#include "node/keystate.h"
#include "node/peer.h"
#include "node/server.h"

#define REPLICATION_NOQUORUM_ERROR \
    "NOQUORUM not enough replicas acknowledged the write within write-timeout; " \
    "its outcome is unknown"
/* Hinted keys replayed per peer per tick. */
#define REPLICATION_HINTS_PER_TICK 256

/* A client's replies up to `end` (bytes of c->reply) wait for `batch`. */
struct replication_hold {
    struct client            *client;
    struct replication_batch *batch;
    size_t                    end;
    TAILQ_ENTRY(replication_hold) batch_link;
    TAILQ_ENTRY(replication_hold) client_link;
};

/* One committed batch whose clients wait for acknowledgements. */
struct replication_batch {
    uint64_t sequence;
    uint64_t deadline_ms;          /* monotonic */
    int      writes_pending;       /* writes short of their acknowledgements */
    int      timed_out;
    TAILQ_HEAD(, replication_hold) holds;
    TAILQ_ENTRY(replication_batch) link;
};

/* One key's state on its way to the key's other home replicas. */
struct replication_write {
    struct cluster           *cluster;
    struct replication_batch *batch;   /* NULL: nobody waits for it */
    int                       needed;  /* acknowledgements it needs */
    int                       acks;
    int                       outstanding;  /* sends without an answer */
    size_t                    key_length;
    char                      key[];
};

/* ------------------------------------------------------------------------
 * Hints
 * ------------------------------------------------------------------------ */

void
replication_hint(struct cluster *cluster, struct peer *peer, const char *key,
                 size_t key_length)
{
    if (peer == NULL) {
        return;
    }
    if ((long long)tcmaprnum(peer->hints) >= cluster->server->settings.hint_max_keys) {
        cluster->stats.hints_dropped++;
        return;
    }
    tcmapputkeep(peer->hints, key, (int)key_length, "", 0);
}

uint64_t
replication_hints_pending(const struct cluster *cluster)
{
    uint64_t total = 0;
    int i;

    for (i = 0; i < cluster->peer_count; i++) {
        total += tcmaprnum(cluster->peers[i]->hints);
    }
    return total;
}

/* The reply to a pushed key (hint replay, anti-entropy). */
static void
replication_push_done(struct peer *peer, const redisReply *reply, void *argument)
{
    struct replication_write *write = argument;

    if (reply != NULL && reply->type == REDIS_REPLY_STATUS) {
        write->cluster->stats.replication_acks++;
    } else {
        replication_hint(write->cluster, peer, write->key, write->key_length);
    }
    free(write);
}

/* A write record for a key (the key copied in). */
static struct replication_write *
replication_write_new(struct cluster *cluster, const char *key, size_t key_length)
{
    struct replication_write *write = calloc(1, sizeof(*write) + key_length);

    if (write != NULL) {
        write->cluster = cluster;
        write->key_length = key_length;
        memcpy(write->key, key, key_length);
    }
    return write;
}

/* HERD.REPL key state to one peer.  Returns 0 when sent. */
static int
replication_send(struct cluster *cluster, struct peer *peer, const char *key,
                 size_t key_length, const char *state, size_t state_length,
                 peer_reply_function done, void *argument)
{
    const char *argv[3] = { "HERD.REPL", key, state };
    size_t lengths[3] = { 9, key_length, state_length };

    if (peer_send(peer, 3, argv, lengths, done, argument) != 0) {
        return -1;
    }
    cluster->stats.replication_writes_sent++;
    return 0;
}

void
replication_push_key(struct cluster *cluster, struct peer *peer, const char *key,
                     size_t key_length)
{
    struct replication_write *write;
    char *state;
    size_t state_length;

    if (keystate_export(cluster->server, key, key_length, &state, &state_length) !=
        DB_FOUND) {
        return;      /* gone (expired) or unreadable (logged) */
    }
    write = replication_write_new(cluster, key, key_length);
    if (write == NULL || replication_send(cluster, peer, key, key_length, state,
                                          state_length, replication_push_done,
                                          write) != 0) {
        free(write);
        replication_hint(cluster, peer, key, key_length);
    }
    free(state);
}

/* The membership index of a peer's member, or -1. */
static int
replication_member_of(struct cluster *cluster, struct peer *peer)
{
    int i;

    for (i = 1; i < cluster->member_count; i++) {
        if (cluster->member_peer[i] == peer) {
            return i;
        }
    }
    return -1;
}

/* Replays a bounded number of hints to every alive member holding some. */
static void
replication_replay_hints(struct cluster *cluster)
{
    struct peer *peer;
    TCLIST *keys;
    const char *key;
    int i, size, index, member;

    for (i = 0; i < cluster->peer_count; i++) {
        peer = cluster->peers[i];
        member = tcmaprnum(peer->hints) > 0 ? replication_member_of(cluster, peer) : -1;
        if (member < 0 || !cluster_member_alive(cluster, member)) {
            continue;
        }
        keys = tclistnew();
        tcmapiterinit(peer->hints);
        while (tclistnum(keys) < REPLICATION_HINTS_PER_TICK &&
               (key = tcmapiternext(peer->hints, &size)) != NULL) {
            tclistpush(keys, key, size);
        }
        for (index = 0; index < tclistnum(keys); index++) {
            key = tclistval(keys, index, &size);
            tcmapout(peer->hints, key, size);
            cluster->stats.hints_replayed++;
            replication_push_key(cluster, peer, key, (size_t)size);
        }
        tclistdel(keys);
    }
}

/* ------------------------------------------------------------------------
 * Held batches
 * ------------------------------------------------------------------------ */

/* Writes the first `end` bytes of c->reply to the client's output, each
 * write reply replaced by -NOQUORUM when the batch timed out. */
static void
replication_emit(struct client *c, size_t end, int timed_out)
{
    struct evbuffer *output = bufferevent_get_output(c->connection);
    size_t position = 0;
    int kept = 0, i;

    for (i = 0; i < c->write_span_count; i++) {
        struct reply_span *span = &c->write_spans[i];

        if (span->end > end || !timed_out) {
            c->write_spans[kept++] = *span;
            continue;
        }
        evbuffer_remove_buffer(c->reply, output, span->start - position);
        evbuffer_drain(c->reply, span->end - span->start);
        reply_error(output, REPLICATION_NOQUORUM_ERROR);
        position = span->end;
    }
    c->write_span_count = kept;
    evbuffer_remove_buffer(c->reply, output, end - position);
    /* What stays in c->reply moved up by `end` bytes. */
    kept = 0;
    for (i = 0; i < c->write_span_count; i++) {
        if (c->write_spans[i].end <= end) {
            continue;
        }
        c->write_spans[kept] = c->write_spans[i];
        c->write_spans[kept].start -= end;
        c->write_spans[kept].end -= end;
        kept++;
    }
    c->write_span_count = kept;
}

/* Lets go of one client's hold: its replies up to the hold leave. */
static void
replication_release_hold(struct replication_hold *hold, int timed_out)
{
    struct client *c = hold->client;
    struct replication_hold *later;
    size_t end = hold->end;

    TAILQ_REMOVE(&c->holds, hold, client_link);
    free(hold);
    replication_emit(c, end, timed_out);
    TAILQ_FOREACH(later, &c->holds, client_link) {
        later->end -= end;
    }
    if (TAILQ_EMPTY(&c->holds)) {
        client_replies_released(c);    /* may free the client */
    }
}

static void
replication_release_batch(struct cluster *cluster, struct replication_batch *batch)
{
    struct replication_hold *hold;

    TAILQ_REMOVE(&cluster->batches, batch, link);
    if (batch->timed_out) {
        cluster->stats.writes_timed_out++;
    }
    while ((hold = TAILQ_FIRST(&batch->holds)) != NULL) {
        TAILQ_REMOVE(&batch->holds, hold, batch_link);
        replication_release_hold(hold, batch->timed_out);
    }
    free(batch);
}

/* Releases finished batches from the oldest on. */
static void
replication_advance(struct cluster *cluster)
{
    struct replication_batch *batch;

    while ((batch = TAILQ_FIRST(&cluster->batches)) != NULL &&
           (batch->writes_pending == 0 || batch->timed_out)) {
        replication_release_batch(cluster, batch);
    }
}

/* The node cannot go on without memory for its own bookkeeping. */
static void __attribute__((noreturn))
replication_out_of_memory(void)
{
    log_warning("cluster: out of memory replicating a batch; exiting");
    exit(1);
}

/* A new held batch, last in the FIFO. */
static struct replication_batch *
replication_batch_new(struct cluster *cluster)
{
    struct replication_batch *batch = calloc(1, sizeof(*batch));

    if (batch == NULL) {
        replication_out_of_memory();
    }
    TAILQ_INIT(&batch->holds);
    batch->sequence = ++cluster->next_batch;
    batch->deadline_ms = monotonic_milliseconds() +
                         (uint64_t)cluster->server->settings.write_timeout;
    TAILQ_INSERT_TAIL(&cluster->batches, batch, link);
    return batch;
}

/* The reply to a write's HERD.REPL. */
static void
replication_write_answered(struct peer *peer, const redisReply *reply, void *argument)
{
    struct replication_write *write = argument;
    struct cluster *cluster = write->cluster;

    if (reply != NULL && reply->type == REDIS_REPLY_STATUS) {
        cluster->stats.replication_acks++;
        if (++write->acks == write->needed && write->batch != NULL) {
            write->batch->writes_pending--;
            write->batch = NULL;
            replication_advance(cluster);
        }
    } else {
        if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
            log_verbose("cluster: peer %s refused a replicated write: %s", peer->address,
                        reply->str);
        }
        replication_hint(cluster, peer, write->key, write->key_length);
    }
    if (--write->outstanding == 0) {
        if (write->batch != NULL && write->acks < write->needed) {
            write->batch->timed_out = 1;     /* can no longer succeed */
            write->batch = NULL;
            replication_advance(cluster);
        }
        free(write);
    }
}

/* Sends one written key's state to its other home replicas; a write that
 * needs acknowledgements joins *batch (created when NULL). */
static void
replication_send_key(struct cluster *cluster, struct replication_batch **batch,
                     const char *key, size_t key_length)
{
    unsigned int slot = key_slot(key, key_length);
    const int16_t *replicas;
    struct replication_write *write;
    struct peer *peer;
    char *state = NULL;
    size_t state_length;
    int count, i, self_home = 0, exported;

    replicas = cluster_slot_replicas(cluster, slot, &count);
    for (i = 0; i < count; i++) {
        self_home |= replicas[i] == CLUSTER_SELF;
    }
    write = replication_write_new(cluster, key, key_length);
    exported = keystate_export(cluster->server, key, key_length, &state, &state_length);
    if (write == NULL || exported != DB_FOUND) {
        free(write);
        if (exported == DB_ERROR && *batch != NULL) {
            (*batch)->timed_out = 1;
        }
        return;    /* expired at once: nothing to replicate */
    }
    write->needed = cluster_write_quorum(cluster, count) - (self_home ? 1 : 0);
    if (write->needed > 0) {
        if (*batch == NULL) {
            *batch = replication_batch_new(cluster);
        }
        write->batch = *batch;
        (*batch)->writes_pending++;
    }
    write->outstanding = 1;     /* held while sending */
    for (i = 0; i < count; i++) {
        if (replicas[i] == CLUSTER_SELF) {
            continue;
        }
        peer = cluster_member_peer(cluster, replicas[i]);
        if (!cluster_member_alive(cluster, replicas[i]) || peer == NULL ||
            replication_send(cluster, peer, key, key_length, state, state_length,
                             replication_write_answered, write) != 0) {
            replication_hint(cluster, peer, key, key_length);
            continue;
        }
        write->outstanding++;
    }
    free(state);
    if (--write->outstanding == 0) {
        if (write->batch != NULL) {
            write->batch->timed_out = 1;
        }
        free(write);
    }
}

/* Every client of the batch (server->waiting_commit) waits for it. */
static void
replication_hold_clients(struct cluster *cluster, struct replication_batch *batch)
{
    struct replication_hold *hold;
    struct client *c;

    TAILQ_FOREACH(c, &cluster->server->waiting_commit, commit_link) {
        if (c->flags & CLIENT_REPLICATION_PEER) {
            continue;     /* acks of its writes: they only wait for the commit */
        }
        hold = malloc(sizeof(*hold));
        if (hold == NULL) {
            replication_out_of_memory();
        }
        hold->client = c;
        hold->batch = batch;
        hold->end = evbuffer_get_length(c->reply);
        TAILQ_INSERT_TAIL(&batch->holds, hold, batch_link);
        TAILQ_INSERT_TAIL(&c->holds, hold, client_link);
    }
}

int
cluster_batch_committed(struct cluster *cluster)
{
    struct replication_batch *batch = NULL;
    const char *key;
    int size;

    if (tcmaprnum(cluster->written_keys) == 0) {
        return 0;
    }
    tcmapiterinit(cluster->written_keys);
    while ((key = tcmapiternext(cluster->written_keys, &size)) != NULL) {
        replication_send_key(cluster, &batch, key, (size_t)size);
    }
    tcmapclear(cluster->written_keys);
    if (batch == NULL) {
        return 0;      /* no write waits for an acknowledgement */
    }
    replication_hold_clients(cluster, batch);
    replication_advance(cluster);
    return 1;
}

void
cluster_key_written(struct cluster *cluster, const char *key, size_t key_length)
{
    if (cluster_has_peers(cluster)) {
        tcmapputkeep(cluster->written_keys, key, (int)key_length, "", 0);
    }
}

int
cluster_write_allowed(struct cluster *cluster, struct client *c,
                      const struct command_info *info)
{
    struct command_keys keys;
    const int16_t *replicas;
    unsigned int slot;
    int index, position, count, alive, wanted, home, i;

    if (!cluster_has_peers(cluster)) {
        return 1;
    }
    command_find_keys(info, c->argc, c->argv, c->argv_length, &keys);
    for (index = 0; index < keys.count; index++) {
        position = command_keys_position(&keys, index);
        slot = key_slot(c->argv[position], c->argv_length[position]);
        replicas = cluster_slot_replicas(cluster, slot, &count);
        for (i = 0, alive = 0, home = 0; i < count; i++) {
            alive += cluster_member_alive(cluster, replicas[i]);
            home |= replicas[i] == CLUSTER_SELF;
        }
        if (!home) {
            reply_error_format(c->reply, "NOTHOME slot %u is not held by this node; "
                               "write through herd-proxy", slot);
            return 0;
        }
        wanted = cluster_write_quorum(cluster, count);
        if (alive < wanted) {
            cluster->stats.writes_unavailable++;
            reply_error_format(c->reply, "UNAVAILABLE not enough live replicas for "
                               "slot %u (%d of %d needed)", slot, alive, wanted);
            return 0;
        }
    }
    return 1;
}

void
cluster_note_write_reply(struct client *c, size_t start, size_t end)
{
    struct reply_span *grown;
    int capacity;

    if (end <= start) {
        return;
    }
    if (c->write_span_count == c->write_span_capacity) {
        capacity = c->write_span_capacity ? c->write_span_capacity * 2 : 8;
        grown = realloc(c->write_spans, (size_t)capacity * sizeof(*grown));
        if (grown == NULL) {
            return;    /* that reply just stays as it is if its batch times out */
        }
        c->write_spans = grown;
        c->write_span_capacity = capacity;
    }
    c->write_spans[c->write_span_count].start = start;
    c->write_spans[c->write_span_count].end = end;
    c->write_span_count++;
}

void
cluster_client_gone(struct client *c)
{
    struct replication_hold *hold;

    while ((hold = TAILQ_FIRST(&c->holds)) != NULL) {
        TAILQ_REMOVE(&c->holds, hold, client_link);
        TAILQ_REMOVE(&hold->batch->holds, hold, batch_link);
        free(hold);
    }
    free(c->write_spans);
    c->write_spans = NULL;
    c->write_span_count = c->write_span_capacity = 0;
}

void
replication_tick(struct cluster *cluster, uint64_t now_ms)
{
    struct replication_batch *batch;

    TAILQ_FOREACH(batch, &cluster->batches, link) {
        if (now_ms >= batch->deadline_ms) {
            batch->timed_out = 1;
        }
    }
    replication_advance(cluster);
    if (now_ms - cluster->last_hint_replay_ms >= 100) {
        cluster->last_hint_replay_ms = now_ms;
        replication_replay_hints(cluster);
    }
}

void
replication_free(struct cluster *cluster)
{
    struct replication_batch *batch;

    TAILQ_FOREACH(batch, &cluster->batches, link) {
        batch->timed_out = 1;
    }
    replication_advance(cluster);
}

/* HERD.REPL <key> <state>: applies a replicated state when newer.  The
 * reply (+OK either way) leaves after the batch commits, so it means "this
 * replica holds this version or a newer one, durably". */
void
command_HERD_REPL(struct client *c)
{
    struct cluster *cluster = c->server->cluster;
    int result;

    c->flags |= CLIENT_REPLICATION_PEER;
    if (cluster->network_dropped) {
        reply_error(c->reply, "ERR network dropped (DEBUG NET DROP)");
        return;
    }
    result = keystate_apply(c->server, c->argv[1], c->argv_length[1], c->argv[2],
                            c->argv_length[2]);
    if (result < 0) {
        reply_error(c->reply, "ERR malformed or unstorable key state");
        return;
    }
    if (result == 1) {
        cluster->stats.replication_applied++;
    }
    reply_ok(c->reply);
}
