/*
 * peer.h — one node's connection to another member (or to a seed not yet
 * known by id): a pipelined hiredis async connection on the node's event
 * loop.
 *
 * On connect the peer proves the cluster secret (HERD.CHALLENGE, then
 * HERD.PROVE node <proof>) when one is configured; requests sent meanwhile
 * queue behind it, in order.  A connection that fails, or whose oldest
 * request waits longer than the stall limit, is dropped: every request
 * still waiting gets its callback with a NULL reply (the caller turns that
 * into a hint), and the next send reconnects, at most once per
 * PEER_RECONNECT_MS.
 */
#ifndef HERD_NODE_PEER_H
#define HERD_NODE_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <tcutil.h>
#include <hiredis/hiredis.h>
#include "node/membership.h"

#define PEER_RECONNECT_MS 200

struct cluster;

/* A request's completion: reply is NULL when the request failed (no
 * connection, dropped, network dropped by DEBUG NET DROP). */
typedef void (*peer_reply_function)(struct peer *peer, const redisReply *reply,
                                    void *argument);

/* The connection to one other member, its hints and its anti-entropy
 * record. */
struct peer {
    struct cluster         *cluster;
    char                    address[MEMBERSHIP_ADDRESS_MAX];
    char                    host[MEMBERSHIP_ADDRESS_MAX];
    int                     port;
    struct redisAsyncContext *context;     /* NULL: not connected */
    int                     connected;     /* TCP connect finished */
    int                     ready;         /* takes requests (secret proved) */
    uint64_t                last_attempt_ms;
    long                    outstanding;   /* requests without a reply yet */
    uint64_t                last_reply_ms; /* monotonic */
    uint64_t                oldest_pending_ms; /* when the reply queue last became non-empty */
    TCMAP                  *hints;         /* keys this peer missed: key -> "" */
    uint64_t               *slot_equal_ms; /* SLOT_COUNT: last anti-entropy match */
};

/* A peer for `address` ("host:port").  NULL when malformed or no memory. */
struct peer *peer_new(struct cluster *cluster, const char *address);
void peer_free(struct peer *peer);
/* Sends a request; `done` (may be NULL) gets the reply.  Returns 0 when
 * queued; -1 when it cannot be sent now (then `done` is NOT called). */
int  peer_send(struct peer *peer, int argc, const char **argv, const size_t *lengths,
               peer_reply_function done, void *argument);
/* Drops the connection (pending requests fail). */
void peer_disconnect(struct peer *peer, const char *why);
/* Drops a connection whose replies stalled for longer than limit_ms. */
void peer_check_stall(struct peer *peer, uint64_t now_ms, uint64_t limit_ms);

#endif
