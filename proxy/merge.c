/*
 * merge.c — coalescing the replies of a split or fanned-out request.
 *
 * Fragment replies are hiredis objects (parsed in backend.c).  When any
 * fragment failed or the node returned an error, the first such error (in
 * node order) is the answer; otherwise:
 *   MGET    one array, values back in the client's key order
 *   SUM     one integer (DEL, UNLINK, EXISTS, TOUCH, DBSIZE)
 *   ALL_OK  +OK (MSET, FLUSHALL, FLUSHDB)
 *   CONCAT  one array with every node's elements (KEYS)
 * RANDOMKEY and SCAN have their own rules (below and scan.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/reply.h"
#include "proxy/proxy.h"

redisReply *
proxy_merge_error_reply(const char *text)
{
    redisReply *reply = calloc(1, sizeof(*reply));

    if (reply == NULL) {
        return NULL;
    }
    reply->type = REDIS_REPLY_ERROR;
    reply->str = strdup(text);
    if (reply->str == NULL) {
        free(reply);
        return NULL;
    }
    reply->len = strlen(text);
    return reply;
}

void
proxy_merge_write_reply(struct evbuffer *out, const redisReply *reply)
{
    size_t i;

    switch (reply->type) {
    case REDIS_REPLY_STRING:
        reply_bulk(out, reply->str, reply->len);
        break;
    case REDIS_REPLY_ARRAY:
        reply_array_header(out, (long long)reply->elements);
        for (i = 0; i < reply->elements; i++) {
            proxy_merge_write_reply(out, reply->element[i]);
        }
        break;
    case REDIS_REPLY_INTEGER:
        reply_integer(out, reply->integer);
        break;
    case REDIS_REPLY_STATUS:
        reply_status(out, reply->str);
        break;
    case REDIS_REPLY_ERROR:
        reply_error(out, reply->str);
        break;
    default:
        reply_null(out);
        break;
    }
}

/* Writes "-ERR node HOST:PORT sent an unexpected reply". */
static void
merge_unexpected(struct evbuffer *out, const struct proxy_fragment *fragment)
{
    reply_error_format(out, "ERR node %s sent an unexpected reply",
                       fragment->backend->node->address);
}

/* Writes the first failure among the fragments; returns 1 if there was
 * one.  A missing reply means the proxy ran out of memory. */
static int
merge_first_error(const struct proxy_request *request, struct evbuffer *out)
{
    const redisReply *reply;
    int i;

    for (i = 0; i < request->fragment_count; i++) {
        reply = request->fragments[i].reply;
        if (reply == NULL) {
            reply_error(out, "ERR out of memory");
            return 1;
        }
        if (reply->type == REDIS_REPLY_ERROR) {
            reply_error(out, reply->str);
            return 1;
        }
    }
    return 0;
}

/* 1 when every fragment's reply has `type`; otherwise writes the error. */
static int
merge_all_of_type(const struct proxy_request *request, int type, struct evbuffer *out)
{
    int i;

    for (i = 0; i < request->fragment_count; i++) {
        if (request->fragments[i].reply->type != type) {
            merge_unexpected(out, &request->fragments[i]);
            return 0;
        }
    }
    return 1;
}

static void
merge_sum(const struct proxy_request *request, struct evbuffer *out)
{
    long long total = 0;
    int i;

    if (!merge_all_of_type(request, REDIS_REPLY_INTEGER, out)) {
        return;
    }
    for (i = 0; i < request->fragment_count; i++) {
        total += request->fragments[i].reply->integer;
    }
    reply_integer(out, total);
}

static void
merge_all_ok(const struct proxy_request *request, struct evbuffer *out)
{
    const redisReply *reply;
    int i;

    for (i = 0; i < request->fragment_count; i++) {
        reply = request->fragments[i].reply;
        if (reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "OK") != 0) {
            merge_unexpected(out, &request->fragments[i]);
            return;
        }
    }
    reply_ok(out);
}

static void
merge_concat(const struct proxy_request *request, struct evbuffer *out)
{
    size_t total = 0, j;
    int i;

    if (!merge_all_of_type(request, REDIS_REPLY_ARRAY, out)) {
        return;
    }
    for (i = 0; i < request->fragment_count; i++) {
        total += request->fragments[i].reply->elements;
    }
    reply_array_header(out, (long long)total);
    for (i = 0; i < request->fragment_count; i++) {
        for (j = 0; j < request->fragments[i].reply->elements; j++) {
            proxy_merge_write_reply(out, request->fragments[i].reply->element[j]);
        }
    }
}

/* MGET: each fragment's array must hold one value per key it was sent;
 * values are taken back in key order.  `next` is per-fragment scratch. */
static void
merge_mget(const struct proxy_request *request, int *next, struct evbuffer *out)
{
    const redisReply *reply;
    int key, fragment, i;

    if (!merge_all_of_type(request, REDIS_REPLY_ARRAY, out)) {
        return;
    }
    memset(next, 0, (size_t)request->fragment_count * sizeof(*next));
    for (key = 0; key < request->order_count; key++) {
        next[request->order[key]]++;
    }
    for (i = 0; i < request->fragment_count; i++) {
        if (request->fragments[i].reply->elements != (size_t)next[i]) {
            merge_unexpected(out, &request->fragments[i]);
            return;
        }
        next[i] = 0;
    }
    reply_array_header(out, request->order_count);
    for (key = 0; key < request->order_count; key++) {
        fragment = request->order[key];
        reply = request->fragments[fragment].reply;
        proxy_merge_write_reply(out, reply->element[next[fragment]++]);
    }
}

int
proxy_merge_randomkey_reply(struct proxy_request *request, redisReply *reply)
{
    if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
        request->fragments[0].reply = reply;
        return 1;
    }
    if (reply == NULL || reply->type == REDIS_REPLY_NIL) {
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return 0;
    }
    if (request->first_error == NULL) {
        request->first_error = reply;
    } else {
        freeReplyObject(reply);
    }
    return 0;
}

/* RANDOMKEY: a key if any node had one, else the first node error, else
 * nil. */
static void
merge_randomkey(const struct proxy_request *request, struct evbuffer *out)
{
    const redisReply *key = request->fragments[0].reply;

    if (key != NULL) {
        proxy_merge_write_reply(out, key);
    } else if (request->first_error != NULL) {
        proxy_merge_write_reply(out, request->first_error);
    } else {
        reply_null(out);
    }
}

void
proxy_merge_write(struct proxy_request *request, struct evbuffer *out)
{
    struct proxy *proxy = request->client->proxy;

    if (request->merge == PROXY_MERGE_RANDOMKEY) {
        merge_randomkey(request, out);
        return;
    }
    if (merge_first_error(request, out)) {
        return;
    }
    switch (request->merge) {
    case PROXY_MERGE_MGET:
        merge_mget(request, proxy->fragment_of_backend, out);
        break;
    case PROXY_MERGE_SUM:
        merge_sum(request, out);
        break;
    case PROXY_MERGE_ALL_OK:
        merge_all_ok(request, out);
        break;
    case PROXY_MERGE_CONCAT:
        merge_concat(request, out);
        break;
    case PROXY_MERGE_SCAN:
        proxy_scan_merge(request, request->fragments[0].reply, out);
        break;
    default:
        reply_error(out, "ERR internal error: nothing to merge");
        break;
    }
}
