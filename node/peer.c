/*
 * peer.c — connections from this node to the other members (see peer.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>
#include "shared/clock.h"
#include "shared/cluster_secret.h"
#include "shared/log.h"
#include "shared/network.h"
#include "shared/slot.h"
#include "node/cluster.h"
#include "node/peer.h"
#include "node/server.h"

/* One request in flight: whom to tell when its reply comes. */
struct peer_request {
    struct peer        *peer;
    peer_reply_function done;
    void               *argument;
};

struct peer *
peer_new(struct cluster *cluster, const char *address)
{
    struct peer *peer = calloc(1, sizeof(*peer));

    if (peer == NULL) {
        return NULL;
    }
    peer->cluster = cluster;
    snprintf(peer->address, sizeof(peer->address), "%s", address);
    peer->hints = tcmapnew2(1024);
    peer->slot_equal_ms = calloc(SLOT_COUNT, sizeof(*peer->slot_equal_ms));
    if (strlen(address) >= sizeof(peer->address) ||
        network_parse_address(address, peer->host, sizeof(peer->host), &peer->port) != 0 ||
        peer->slot_equal_ms == NULL) {
        peer_free(peer);
        return NULL;
    }
    return peer;
}

void
peer_free(struct peer *peer)
{
    if (peer == NULL) {
        return;
    }
    if (peer->context != NULL) {
        peer->context->data = NULL;
        redisAsyncFree(peer->context);    /* pending callbacks get NULL */
        peer->context = NULL;
    }
    if (peer->hints != NULL) {
        tcmapdel(peer->hints);
    }
    free(peer->slot_equal_ms);
    free(peer);
}

/* hiredis: the TCP connect finished (or failed). */
static void
peer_connected(const redisAsyncContext *context, int status)
{
    struct peer *peer = context->data;

    if (peer == NULL) {
        return;
    }
    if (status != REDIS_OK) {
        log_verbose("cluster: cannot connect to peer %s: %s", peer->address,
                    context->errstr);
        peer->context = NULL;         /* hiredis frees the context */
        peer->connected = 0;
        peer->ready = 0;
        return;
    }
    peer->connected = 1;
    log_verbose("cluster: connected to peer %s", peer->address);
}

/* hiredis: the connection is gone (the context is freed after this). */
static void
peer_disconnected(const redisAsyncContext *context, int status)
{
    struct peer *peer = context->data;

    if (peer == NULL) {
        return;
    }
    if (status != REDIS_OK) {
        log_verbose("cluster: lost the connection to peer %s: %s", peer->address,
                    context->errstr);
    }
    peer->context = NULL;
    peer->connected = 0;
    peer->ready = 0;
}

/* A reply (or NULL) for one request. */
static void
peer_request_done(redisAsyncContext *context, void *reply, void *argument)
{
    struct peer_request *request = argument;
    struct peer *peer = request->peer;

    (void)context;
    peer->outstanding--;
    peer->last_reply_ms = monotonic_milliseconds();
    if (request->done != NULL) {
        request->done(peer, reply, request->argument);
    }
    free(request);
}

/* Queues one request on the connection, whatever its state. */
static int
peer_queue(struct peer *peer, int argc, const char **argv, const size_t *lengths,
           peer_reply_function done, void *argument)
{
    struct peer_request *request = malloc(sizeof(*request));

    if (request == NULL) {
        return -1;
    }
    request->peer = peer;
    request->done = done;
    request->argument = argument;
    if (redisAsyncCommandArgv(peer->context, peer_request_done, request, argc, argv,
                              lengths) != REDIS_OK) {
        free(request);
        return -1;
    }
    if (peer->outstanding++ == 0) {
        peer->oldest_pending_ms = monotonic_milliseconds();
    }
    return 0;
}

/* HERD.PROVE answered: the connection takes requests from now on. */
static void
peer_proof_answered(struct peer *peer, const redisReply *reply, void *argument)
{
    (void)argument;
    if (reply == NULL) {
        return;
    }
    if (reply->type != REDIS_REPLY_STATUS) {
        log_warning("cluster: peer %s refused this node's cluster-secret proof "
                    "(is its cluster-secret the same?)", peer->address);
        peer_disconnect(peer, "cluster-secret proof refused");
        return;
    }
    peer->ready = 1;
}

/* HERD.CHALLENGE answered: prove the secret.  No other request goes out
 * before the proof is accepted (the node would refuse it). */
static void
peer_challenge_answered(struct peer *peer, const redisReply *reply, void *argument)
{
    const struct cluster_secret *secret = &peer->cluster->server->settings.cluster_secret;
    char proof[CLUSTER_PROOF_HEX_LENGTH + 1];
    const char *argv[3] = { "HERD.PROVE", "node", proof };
    size_t lengths[3] = { 10, 4, CLUSTER_PROOF_HEX_LENGTH };

    (void)argument;
    if (reply == NULL) {
        return;
    }
    if (reply->type != REDIS_REPLY_STRING ||
        cluster_proof_compute(secret, reply->str, reply->len, "node", 4, proof) != 0) {
        log_warning("cluster: peer %s refused the cluster-secret challenge", peer->address);
        peer_disconnect(peer, "cluster-secret challenge refused");
        return;
    }
    if (peer->context != NULL) {
        peer_queue(peer, 3, argv, lengths, peer_proof_answered, NULL);
    }
}

/* Opens the connection (and queues the cluster-secret proof). */
static int
peer_connect(struct peer *peer)
{
    const struct cluster_secret *secret = &peer->cluster->server->settings.cluster_secret;
    const char *argv[1] = { "HERD.CHALLENGE" };
    size_t lengths[1] = { 14 };
    redisAsyncContext *context;
    uint64_t now = monotonic_milliseconds();

    if (now - peer->last_attempt_ms < PEER_RECONNECT_MS && peer->last_attempt_ms != 0) {
        return -1;
    }
    peer->last_attempt_ms = now;
    context = redisAsyncConnect(peer->host, peer->port);
    if (context == NULL) {
        return -1;
    }
    if (context->err) {
        log_verbose("cluster: cannot connect to peer %s: %s", peer->address,
                    context->errstr);
        redisAsyncFree(context);
        return -1;
    }
    context->data = peer;
    if (redisLibeventAttach(context, peer->cluster->server->base) != REDIS_OK) {
        redisAsyncFree(context);
        return -1;
    }
    redisAsyncSetConnectCallback(context, peer_connected);
    redisAsyncSetDisconnectCallback(context, peer_disconnected);
    peer->context = context;
    peer->outstanding = 0;
    peer->ready = !cluster_secret_configured(secret);
    if (!peer->ready && peer_queue(peer, 1, argv, lengths, peer_challenge_answered,
                                   NULL) != 0) {
        peer_disconnect(peer, "cannot queue the cluster-secret challenge");
        return -1;
    }
    return 0;
}

int
peer_send(struct peer *peer, int argc, const char **argv, const size_t *lengths,
          peer_reply_function done, void *argument)
{
    if (peer->cluster->network_dropped) {
        return -1;
    }
    if (peer->context == NULL && peer_connect(peer) != 0) {
        return -1;
    }
    if (!peer->ready) {
        return -1;      /* the cluster-secret proof is not through yet */
    }
    return peer_queue(peer, argc, argv, lengths, done, argument);
}

void
peer_disconnect(struct peer *peer, const char *why)
{
    redisAsyncContext *context = peer->context;

    if (context == NULL) {
        return;
    }
    log_verbose("cluster: dropping the connection to peer %s: %s", peer->address, why);
    peer->context = NULL;
    peer->connected = 0;
    peer->ready = 0;
    redisAsyncFree(context);
}

void
peer_check_stall(struct peer *peer, uint64_t now_ms, uint64_t limit_ms)
{
    uint64_t since;

    if (peer->context == NULL || peer->outstanding <= 0) {
        return;
    }
    since = peer->last_reply_ms > peer->oldest_pending_ms ? peer->last_reply_ms
                                                          : peer->oldest_pending_ms;
    if (now_ms - since > limit_ms) {
        peer_disconnect(peer, "no reply in time");
    }
}
