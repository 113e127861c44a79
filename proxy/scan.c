/*
 * scan.c — SCAN over every node with one cursor.
 *
 * A cluster cursor is (node ordinal << 54) | the node's own cursor, where
 * ordinals number the nodes sorted by placement identity (name), so every
 * proxy with the same membership reads a cursor the same way.  The
 * request goes to the node of that ordinal as "SCAN <node cursor> ...";
 * when the node says 0 (done), the proxy answers (ordinal + 1) << 54,
 * which starts the next node, or 0 after the last node.
 */
#include <stdio.h>
#include <string.h>
#include "shared/reply.h"
#include "proxy/proxy.h"

#define SCAN_NODE_MASK ((UINT64_C(1) << PROXY_SCAN_NODE_BITS) - 1)

static const char invalid_cursor[] = "ERR invalid cursor";

/* Parses a decimal unsigned 64-bit cursor (digits only).  Returns 0 or -1. */
static int
scan_parse_unsigned(const char *text, size_t length, uint64_t *value)
{
    uint64_t result = 0;
    size_t i;

    if (length == 0 || length > 20) {
        return -1;
    }
    for (i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return -1;
        }
        if (result > (UINT64_MAX - (uint64_t)(text[i] - '0')) / 10) {
            return -1;
        }
        result = result * 10 + (uint64_t)(text[i] - '0');
    }
    *value = result;
    return 0;
}

int
proxy_scan_cursor_parse(const char *text, size_t length, int node_count,
                        int *ordinal, uint64_t *node_cursor)
{
    uint64_t cursor;

    if (scan_parse_unsigned(text, length, &cursor) != 0) {
        return -1;
    }
    if ((cursor >> PROXY_SCAN_NODE_BITS) >= (uint64_t)node_count) {
        return -1;
    }
    *ordinal = (int)(cursor >> PROXY_SCAN_NODE_BITS);
    *node_cursor = cursor & SCAN_NODE_MASK;
    return 0;
}

int
proxy_scan_cursor_next(int ordinal, uint64_t node_cursor, int node_count, uint64_t *cursor)
{
    if (node_cursor == 0) {
        *cursor = ordinal + 1 < node_count
                      ? (uint64_t)(ordinal + 1) << PROXY_SCAN_NODE_BITS : 0;
        return 0;
    }
    if (node_cursor > SCAN_NODE_MASK) {
        return -1;
    }
    *cursor = ((uint64_t)ordinal << PROXY_SCAN_NODE_BITS) | node_cursor;
    return 0;
}

/* A finished scan whose remaining nodes are all unavailable: cursor 0. */
static void
scan_reply_end(struct proxy_client *client)
{
    struct evbuffer *out = proxy_client_reply_begin(client);

    reply_array_header(out, 2);
    reply_bulk(out, "0", 1);
    reply_array_header(out, 0);
    proxy_client_reply_end(client);
}

/* SCAN <node cursor> [options] for one node (in HERD.OWNED in seed mode). */
static void
scan_write_request(struct proxy *proxy, struct proxy_backend *backend,
                   const struct resp_request *request, uint64_t node_cursor)
{
    const char **argv = malloc((size_t)request->argc * sizeof(*argv));
    size_t *lengths = malloc((size_t)request->argc * sizeof(*lengths));
    char digits[24];
    int i;

    if (argv == NULL || lengths == NULL) {
        proxy_out_of_memory();
    }
    argv[0] = "scan";
    lengths[0] = 4;
    lengths[1] = (size_t)snprintf(digits, sizeof(digits), "%llu",
                                  (unsigned long long)node_cursor);
    argv[1] = digits;
    for (i = 2; i < request->argc; i++) {
        argv[i] = request->argv[i];
        lengths[i] = request->argv_length[i];
    }
    proxy_write_listing(proxy, backend->output, request->argc, argv, lengths);
    free(argv);
    free(lengths);
}

void
proxy_scan_route(struct proxy_client *client, const struct resp_request *request)
{
    struct proxy *proxy = client->proxy;
    struct proxy_backend *backend;
    struct proxy_request *scan;
    enum proxy_node_failure failure;
    char text[PROXY_ADDRESS_MAX + 64];
    uint64_t node_cursor;
    int ordinal;

    if (proxy_scan_cursor_parse(request->argv[1], request->argv_length[1],
                                proxy->backend_count, &ordinal, &node_cursor) != 0) {
        proxy_client_error(client, invalid_cursor);
        return;
    }
    backend = &proxy->backends[proxy->scan_order[ordinal]];
    while (proxy->seed_mode && !proxy_backend_routable(backend)) {
        /* Its slots are owned by live replicas: go on with the next node. */
        if (++ordinal >= proxy->backend_count) {
            scan_reply_end(client);
            return;
        }
        node_cursor = 0;
        backend = &proxy->backends[proxy->scan_order[ordinal]];
    }
    if (proxy_backend_refuses(backend, &failure)) {
        proxy_node_error_text(backend, failure, text, sizeof(text));
        proxy_client_error(client, text);
        return;
    }
    scan = proxy_request_new(client, PROXY_MERGE_SCAN, COMMAND_SCAN);
    if (scan == NULL || proxy_request_reserve(scan, 1) != 0) {
        proxy_out_of_memory();
    }
    scan->fragment_count = 1;
    scan->fragments[0].request = scan;
    scan->scan_ordinal = ordinal;
    scan_write_request(proxy, backend, request, node_cursor);
    proxy_backend_enqueue(backend, &scan->fragments[0]);
}

/* 1 when the reply has SCAN's shape: [cursor string, array]. */
static int
scan_reply_valid(const redisReply *reply)
{
    return reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
           reply->element[0]->type == REDIS_REPLY_STRING &&
           reply->element[1]->type == REDIS_REPLY_ARRAY;
}

void
proxy_scan_merge(struct proxy_request *request, const redisReply *reply, struct evbuffer *out)
{
    const struct proxy_fragment *fragment = &request->fragments[0];
    int node_count = request->client->proxy->backend_count;
    uint64_t node_cursor, cursor;
    char digits[24];
    int length;

    if (!scan_reply_valid(reply) ||
        scan_parse_unsigned(reply->element[0]->str, reply->element[0]->len, &node_cursor) != 0) {
        reply_error_format(out, "ERR node %s sent an unexpected reply",
                           fragment->backend->node->address);
        return;
    }
    if (proxy_scan_cursor_next(request->scan_ordinal, node_cursor, node_count, &cursor) != 0) {
        reply_error_format(out, "ERR node %s returned a SCAN cursor wider than %d bits",
                           fragment->backend->node->address, PROXY_SCAN_NODE_BITS);
        return;
    }
    length = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)cursor);
    reply_array_header(out, 2);
    reply_bulk(out, digits, (size_t)length);
    proxy_merge_write_reply(out, reply->element[1]);
}
