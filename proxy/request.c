/*
 * request.c — the life of a client request: taken from the client's pool,
 * queued in its FIFO, completed by fragment replies (forwarded or merged),
 * written in order, and given back.
 *
 * A request whose client disconnects while fragments are still out on
 * nodes is orphaned (request->client = NULL): node replies keep arriving
 * in order and are dropped, and the request is freed with its last one.
 */
#include <stdlib.h>
#include <string.h>
#include "shared/reply.h"
#include "proxy/proxy.h"

/* Most released requests a client keeps for reuse. */
#define REQUEST_POOL_MAX 128
/* Arrays larger than this are not kept in pooled requests. */
#define REQUEST_KEEP_ORDER_MAX 4096

/* Clears the per-use fields of a request (arrays and buffer stay). */
static void
request_clear(struct proxy_request *request)
{
    request->done = 0;
    request->fragment_count = 0;
    request->fragments_pending = 0;
    request->fragments = &request->single;
    request->held = 0;
    request->order_count = 0;
    request->attempt = 0;
    request->scan_ordinal = 0;
    request->first_error = NULL;
    memset(&request->single, 0, sizeof(request->single));
}

struct proxy_request *
proxy_request_new(struct proxy_client *client, enum proxy_merge merge,
                  enum command_id command)
{
    struct proxy_client_session *session = proxy_client_session(client);
    struct proxy_request *request = TAILQ_FIRST(&session->pool);

    if (request != NULL) {
        TAILQ_REMOVE(&session->pool, request, client_link);
        session->pool_count--;
    } else {
        request = calloc(1, sizeof(*request));
        if (request == NULL) {
            return NULL;
        }
    }
    request_clear(request);
    request->client = client;
    request->merge = merge;
    request->command = command;
    TAILQ_INSERT_TAIL(&session->pending, request, client_link);
    session->pending_count++;
    return request;
}

int
proxy_request_reserve(struct proxy_request *request, int count)
{
    struct proxy_fragment *grown;

    if (count <= 1) {
        request->fragments = &request->single;
    } else {
        if (count > request->many_capacity) {
            grown = realloc(request->many, (size_t)count * sizeof(*grown));
            if (grown == NULL) {
                return -1;
            }
            request->many = grown;
            request->many_capacity = count;
        }
        request->fragments = request->many;
        memset(request->many, 0, (size_t)count * sizeof(*request->many));
    }
    return 0;
}

/* Frees parsed replies still attached to the request. */
static void
request_free_replies(struct proxy_request *request)
{
    int i;

    for (i = 0; i < request->fragment_count; i++) {
        if (request->fragments[i].reply != NULL) {
            freeReplyObject(request->fragments[i].reply);
            request->fragments[i].reply = NULL;
        }
    }
    if (request->first_error != NULL) {
        freeReplyObject(request->first_error);
        request->first_error = NULL;
    }
}

void
proxy_request_destroy(struct proxy_request *request)
{
    request_free_replies(request);
    if (request->reply != NULL) {
        evbuffer_free(request->reply);
    }
    free(request->many);
    free(request->order);
    free(request);
}

void
proxy_request_release(struct proxy_request *request)
{
    struct proxy_client *client = request->client;

    request_free_replies(request);
    if (client == NULL || client->session->pool_count >= REQUEST_POOL_MAX) {
        proxy_request_destroy(request);
        return;
    }
    if (request->reply != NULL && evbuffer_get_length(request->reply) > 0) {
        evbuffer_drain(request->reply, evbuffer_get_length(request->reply));
    }
    if (request->order_capacity > REQUEST_KEEP_ORDER_MAX) {
        free(request->order);
        request->order = NULL;
        request->order_capacity = 0;
    }
    TAILQ_INSERT_HEAD(&client->session->pool, request, client_link);
    client->session->pool_count++;
}

struct evbuffer *
proxy_request_destination(struct proxy_request *request)
{
    struct proxy_client *client = request->client;

    if (client == NULL || (client->flags & PROXY_CLIENT_CLOSING)) {
        return NULL;
    }
    if (TAILQ_FIRST(&client->session->pending) == request) {
        if (request->reply != NULL && request->held > 0) {
            client->session->held_bytes -= request->held;
            request->held = 0;
            evbuffer_add_buffer(client->session->output, request->reply);
        }
        return client->session->output;
    }
    if (request->reply == NULL && (request->reply = evbuffer_new()) == NULL) {
        proxy_out_of_memory();
    }
    return request->reply;
}

/* Counts bytes just added to a held reply against the client's limit. */
static void
request_account(struct proxy_request *request, struct evbuffer *destination)
{
    struct proxy_client *client = request->client;
    size_t now;

    if (destination == client->session->output) {
        proxy_client_output_added(client);
        return;
    }
    now = evbuffer_get_length(destination);
    client->session->held_bytes += now - request->held;
    request->held = now;
    proxy_client_output_added(client);
}

void
proxy_request_complete(struct proxy_request *request)
{
    request->done = 1;
    proxy_client_advance(request->client);
}

/* A fragment of an orphaned request is over; frees the request with its
 * last fragment. */
static void
request_orphan_fragment_done(struct proxy_request *request)
{
    if (--request->fragments_pending <= 0) {
        proxy_request_destroy(request);
    }
}

void
proxy_fragment_forward(struct proxy_fragment *fragment, struct evbuffer *input,
                       size_t length, int complete)
{
    struct proxy_request *request = fragment->request;
    struct evbuffer *destination = proxy_request_destination(request);

    if (destination == NULL) {
        evbuffer_drain(input, length);
    } else {
        evbuffer_remove_buffer(input, destination, length);
        request_account(request, destination);
    }
    if (!complete) {
        fragment->streamed += length;
        return;
    }
    if (request->client == NULL) {
        request_orphan_fragment_done(request);
        return;
    }
    request->fragments_pending--;
    proxy_request_complete(request);
}

void
proxy_request_merge_done(struct proxy_request *request)
{
    struct evbuffer *destination = proxy_request_destination(request);

    if (destination != NULL) {
        proxy_merge_write(request, destination);
        request_account(request, destination);
    }
    request_free_replies(request);
    proxy_request_complete(request);
}

/* RANDOMKEY: one node answered; maybe ask the next one. */
static void
request_randomkey_step(struct proxy_request *request, redisReply *reply)
{
    if (proxy_merge_randomkey_reply(request, reply)) {
        proxy_request_merge_done(request);
        return;
    }
    if (!proxy_route_randomkey_next(request)) {
        proxy_request_merge_done(request);
    }
}

void
proxy_fragment_replied(struct proxy_fragment *fragment, redisReply *reply)
{
    struct proxy_request *request = fragment->request;

    if (request->merge == PROXY_MERGE_MEMBERSHIP) {
        proxy_membership_reply(fragment->backend, reply);
        freeReplyObject(reply);
        proxy_request_destroy(request);
        return;
    }
    if (request->client == NULL) {
        freeReplyObject(reply);
        request_orphan_fragment_done(request);
        return;
    }
    request->fragments_pending--;
    if (request->merge == PROXY_MERGE_RANDOMKEY) {
        request_randomkey_step(request, reply);
        return;
    }
    fragment->reply = reply;
    if (request->fragments_pending == 0) {
        proxy_request_merge_done(request);
    }
}

void
proxy_fragment_failed(struct proxy_fragment *fragment, enum proxy_node_failure failure)
{
    struct proxy_request *request = fragment->request;
    struct evbuffer *destination;
    char text[PROXY_ADDRESS_MAX + 64];

    fragment->backend->stats.failures++;
    proxy_node_error_text(fragment->backend, failure, text, sizeof(text));
    if (request->merge != PROXY_MERGE_FORWARD) {
        proxy_fragment_replied(fragment, proxy_merge_error_reply(text));
        return;
    }
    if (request->client == NULL) {
        request_orphan_fragment_done(request);
        return;
    }
    if (fragment->streamed > 0) {
        /* Part of the reply already went out: the stream cannot be mended. */
        proxy_client_close_later(request->client, "node failed in the middle of a reply");
        request->fragments_pending--;
        request->done = 1;
        return;
    }
    destination = proxy_request_destination(request);
    if (destination != NULL) {
        reply_error(destination, text);
        request_account(request, destination);
    }
    request->fragments_pending--;
    proxy_request_complete(request);
}
