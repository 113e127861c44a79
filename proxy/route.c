/*
 * route.c — where each request goes.
 *
 *   - commands the proxy answers itself (local.c);
 *   - single-key commands, and multi-key ones whose keys share a slot: to
 *     the slot's first replica, as the client's raw bytes.  Keys are found
 *     as Redis finds them (command_find_keys): the table's positions, the
 *     numkeys argument of ZUNIONSTORE, LMPOP, BZMPOP and the other
 *     movable-keys commands, argv[2] of OBJECT ENCODING and friends;
 *     when a movable-keys command's numkeys is invalid (or OBJECT has no
 *     key), the request still goes to one node, which answers Redis's
 *     exact error;
 *   - MGET, DEL, UNLINK, EXISTS, TOUCH, MSET: split by node into one
 *     fragment per node, merged in merge.c (when every key lands on one
 *     node the request is forwarded whole instead);
 *   - KEYS, DBSIZE, FLUSHALL, FLUSHDB: to every node; RANDOMKEY: to nodes
 *     in random order until one has a key; SCAN: scan.c.
 *
 * Other multi-key commands (MSETNX, RENAME, COPY, SMOVE, SINTERSTORE,
 * LMOVE, ZUNIONSTORE, LMPOP, BLPOP...) get Redis Cluster's CROSSSLOT error
 * when their keys are in different slots; in pool mode (distribution
 * ketama/modula/random, proxy/distribution.h) keys map to servers instead of
 * slots, and keys on different servers get "CROSSSLOT ... same server".  Blocking commands are
 * forwarded like the others (the node answers them).  Keyless commands
 * the proxy cannot route get the unknown-command error.
 */
#include <stdlib.h>
#include <string.h>
#include "shared/random.h"
#include "shared/reply.h"
#include "proxy/proxy.h"

static const char crossslot_error[] = "CROSSSLOT Keys in request don't hash to the same slot";
/* Pool mode's counterpart, when the keys map to different servers. */
static const char crossserver_error[] =
    "CROSSSLOT Keys in request don't hash to the same server";
static const char *const randomkey_argv[] = { "RANDOMKEY" };
static const size_t randomkey_lengths[] = { 9 };

static struct proxy_request *
route_new_request(struct proxy_client *client, enum proxy_merge merge, enum command_id command,
                  int fragments)
{
    struct proxy_request *request = proxy_request_new(client, merge, command);
    int i;

    if (request == NULL || proxy_request_reserve(request, fragments) != 0) {
        proxy_out_of_memory();
    }
    request->fragment_count = fragments;
    for (i = 0; i < fragments; i++) {
        request->fragments[i].request = request;
    }
    return request;
}

/* Replies the error of a node that takes no requests now.  In pool mode
 * a request refused because the server is unreachable counts towards
 * auto-eject, as a failed request does in nutcracker. */
static void
route_refused(struct proxy_client *client, const struct proxy_backend *backend,
              enum proxy_node_failure failure)
{
    char text[PROXY_ADDRESS_MAX + 64];

    if (failure == PROXY_NODE_UNAVAILABLE) {
        proxy_distribution_failure(client->proxy, backend->index);
    }
    proxy_node_error_text(backend, failure, text, sizeof(text));
    proxy_client_error(client, text);
}

/* Writes the request for a node: its raw bytes when it came as multibulk,
 * re-encoded as multibulk when it came inline. */
static void
route_write_whole(struct evbuffer *out, const struct resp_request *request)
{
    int i;

    if (!request->inline_request) {
        evbuffer_add(out, request->raw, request->raw_length);
        return;
    }
    reply_array_header(out, request->argc);
    for (i = 0; i < request->argc; i++) {
        reply_bulk(out, request->argv[i], request->argv_length[i]);
    }
}

/* Sends the whole request to one node; its reply is the answer. */
static void
route_forward(struct proxy_client *client, const struct command_info *command,
              const struct resp_request *request, struct proxy_backend *backend)
{
    struct proxy_request *forwarded;
    enum proxy_node_failure failure;

    if (proxy_backend_refuses(backend, &failure)) {
        route_refused(client, backend, failure);
        return;
    }
    forwarded = route_new_request(client, PROXY_MERGE_FORWARD, command->id, 1);
    route_write_whole(backend->output, request);
    proxy_backend_enqueue(backend, &forwarded->fragments[0]);
}

/* 1 when a command without keys in this request still goes to a node,
 * which answers Redis's error: a movable-keys command whose numkeys Redis
 * refuses, or OBJECT HELP, an unknown OBJECT subcommand, a wrong arity. */
static int
route_node_answers_keyless(const struct command_info *command)
{
    return (command->flags & COMMAND_MOVABLEKEYS) != 0 || command->id == COMMAND_OBJECT;
}

/* The node for such a request: the one of the argument after numkeys,
 * else of the last argument (any node would do; this one is stable). */
static struct proxy_backend *
route_keyless_backend(struct proxy *proxy, const struct command_info *command,
                      const struct resp_request *request)
{
    int position = command_numkeys_position(command) + 1;

    if (position <= 1 || position >= request->argc) {
        position = request->argc - 1;
    }
    return proxy_backend_for_key(proxy, request->argv[position],
                                 request->argv_length[position],
                                 (command->flags & COMMAND_WRITE) != 0);
}

/*
 * Pool mode (ketama, modula, random): the keys must all map to one
 * server, else CROSSSLOT with a text naming servers instead of slots.
 * Random picks one server for the whole request.
 */
static void
route_by_pool_keys(struct proxy_client *client, const struct command_info *command,
                   const struct resp_request *request, const struct command_keys *keys)
{
    int write = (command->flags & COMMAND_WRITE) != 0;
    struct proxy_backend *backend, *first;
    int i, position;

    position = command_keys_position(keys, 0);
    first = proxy_backend_for_key(client->proxy, request->argv[position],
                                  request->argv_length[position], write);
    for (i = 1; i < keys->count &&
                client->proxy->settings.distribution != PROXY_DISTRIBUTION_RANDOM; i++) {
        position = command_keys_position(keys, i);
        backend = proxy_backend_for_key(client->proxy, request->argv[position],
                                        request->argv_length[position], write);
        if (backend != first) {
            proxy_client_error(client, crossserver_error);
            return;
        }
    }
    route_forward(client, command, request, first);
}

/*
 * Commands routed by their keys (command_find_keys: table positions,
 * numkeys, OBJECT's key), which must all share one slot: the request goes
 * whole to that slot's node, or the client gets CROSSSLOT.
 */
static void
route_by_keys(struct proxy_client *client, const struct command_info *command,
              const struct resp_request *request)
{
    struct command_keys keys;
    unsigned int slot;
    int i, position;

    if (command_find_keys(command, request->argc, request->argv, request->argv_length,
                          &keys) == 0) {
        if (route_node_answers_keyless(command)) {
            route_forward(client, command, request,
                          route_keyless_backend(client->proxy, command, request));
            return;
        }
        reply_error_unknown_command(proxy_client_reply_begin(client), request->argc,
                                    request->argv, request->argv_length);
        proxy_client_reply_end(client);
        return;
    }
    if (client->proxy->distribution != NULL) {
        route_by_pool_keys(client, command, request, &keys);
        return;
    }
    position = command_keys_position(&keys, 0);
    slot = key_slot(request->argv[position], request->argv_length[position]);
    for (i = 1; i < keys.count; i++) {
        position = command_keys_position(&keys, i);
        if (key_slot(request->argv[position], request->argv_length[position]) != slot) {
            proxy_client_error(client, crossslot_error);
            return;
        }
    }
    route_forward(client, command, request,
                  proxy_backend_for_slot(client->proxy, slot,
                                         (command->flags & COMMAND_WRITE) != 0));
}

/* Grows the proxy's key -> node scratch array. */
static void
route_reserve_keys(struct proxy *proxy, int count)
{
    uint16_t *grown;

    if (count <= proxy->key_backend_capacity) {
        return;
    }
    grown = realloc(proxy->key_backend, (size_t)count * sizeof(*grown));
    if (grown == NULL) {
        proxy_out_of_memory();
    }
    proxy->key_backend = grown;
    proxy->key_backend_capacity = count;
}

/* Finds each key's node (proxy->key_backend) and counts keys per node
 * (proxy->keys_per_backend).  Returns how many nodes are involved and the
 * last one in *some_backend. */
static int
route_assign_keys(struct proxy *proxy, const struct resp_request *request, int step,
                  int key_count, int write, int *some_backend)
{
    int key, argument, backend, touched = 0;

    route_reserve_keys(proxy, key_count);
    for (key = 0; key < key_count; key++) {
        argument = 1 + key * step;
        backend = proxy_backend_for_key(proxy, request->argv[argument],
                                        request->argv_length[argument], write)->index;
        proxy->key_backend[key] = (uint16_t)backend;
        if (proxy->keys_per_backend[backend]++ == 0) {
            touched++;
            *some_backend = backend;
        }
    }
    return touched;
}

static void
route_clear_counts(struct proxy *proxy)
{
    memset(proxy->keys_per_backend, 0, (size_t)proxy->backend_count * sizeof(int));
}

/* 1 (after replying the error) when a node involved takes no requests. */
static int
route_check_nodes(struct proxy_client *client, const int *involved)
{
    struct proxy *proxy = client->proxy;
    enum proxy_node_failure failure;
    int i;

    for (i = 0; i < proxy->backend_count; i++) {
        if ((involved == NULL || involved[i] > 0) &&
            proxy_backend_refuses(&proxy->backends[i], &failure)) {
            route_refused(client, &proxy->backends[i], failure);
            return 1;
        }
    }
    return 0;
}

/* Writes each fragment's header ("*N" and the command name) to its node
 * and numbers the fragments in node order. */
static void
route_split_headers(struct proxy *proxy, struct proxy_request *split,
                    const struct command_info *command, int step)
{
    size_t name_length = strlen(command->name);
    int backend, fragment = 0;

    for (backend = 0; backend < proxy->backend_count; backend++) {
        if (proxy->keys_per_backend[backend] == 0) {
            continue;
        }
        proxy->fragment_of_backend[backend] = fragment;
        split->fragments[fragment].backend = &proxy->backends[backend];
        reply_array_header(proxy->backends[backend].output,
                           1 + (long long)proxy->keys_per_backend[backend] * step);
        reply_bulk(proxy->backends[backend].output, command->name, name_length);
        fragment++;
    }
}

/* MGET remembers which fragment answers each key, in key order. */
static void
route_split_order(struct proxy *proxy, struct proxy_request *split, int key_count)
{
    uint16_t *grown;
    int key;

    if (key_count > split->order_capacity) {
        grown = realloc(split->order, (size_t)key_count * sizeof(*grown));
        if (grown == NULL) {
            proxy_out_of_memory();
        }
        split->order = grown;
        split->order_capacity = key_count;
    }
    for (key = 0; key < key_count; key++) {
        split->order[key] = (uint16_t)proxy->fragment_of_backend[proxy->key_backend[key]];
    }
    split->order_count = key_count;
}

/* MGET, DEL, UNLINK, EXISTS, TOUCH (step 1) and MSET (step 2): one
 * fragment per node, keys kept in their original order within each. */
static void
route_split(struct proxy_client *client, const struct command_info *command,
            const struct resp_request *request, enum proxy_merge merge)
{
    struct proxy *proxy = client->proxy;
    int step = command->key_step > 0 ? command->key_step : 1;
    int key_count = (request->argc - 1) / step;
    int touched, backend = 0, key, argument, i;
    struct proxy_request *split;
    struct evbuffer *out;

    touched = route_assign_keys(proxy, request, step, key_count,
                                (command->flags & COMMAND_WRITE) != 0, &backend);
    if (touched == 1) {
        route_clear_counts(proxy);
        route_forward(client, command, request, &proxy->backends[backend]);
        return;
    }
    if (route_check_nodes(client, proxy->keys_per_backend)) {
        route_clear_counts(proxy);
        return;
    }
    split = route_new_request(client, merge, command->id, touched);
    route_split_headers(proxy, split, command, step);
    for (key = 0; key < key_count; key++) {
        out = proxy->backends[proxy->key_backend[key]].output;
        argument = 1 + key * step;
        for (i = 0; i < step; i++) {
            reply_bulk(out, request->argv[argument + i], request->argv_length[argument + i]);
        }
    }
    if (merge == PROXY_MERGE_MGET) {
        route_split_order(proxy, split, key_count);
    }
    for (i = 0; i < touched; i++) {
        proxy_backend_enqueue(split->fragments[i].backend, &split->fragments[i]);
    }
    route_clear_counts(proxy);
    proxy->stats.fragmented_requests++;
}

/* The nodes a fan-out goes to: every node of a fixed pool; in seed mode
 * the routable members (each answers for the slots it owns).  Returns how
 * many, their indexes in proxy->fragment_of_backend. */
static int
route_fan_out_targets(struct proxy *proxy)
{
    int i, count = 0;

    for (i = 0; i < proxy->backend_count; i++) {
        if (!proxy->seed_mode || proxy_backend_routable(&proxy->backends[i])) {
            proxy->fragment_of_backend[count++] = i;
        }
    }
    return count;
}

/* KEYS, DBSIZE, FLUSHALL, FLUSHDB: the same request to every node. */
static void
route_fan_out(struct proxy_client *client, const struct command_info *command,
              const struct resp_request *request, enum proxy_merge merge)
{
    struct proxy *proxy = client->proxy;
    struct proxy_request *fanned;
    struct proxy_backend *backend;
    int listing = command->id == COMMAND_KEYS || command->id == COMMAND_DBSIZE;
    int i, count;

    if (proxy->backend_count == 1) {
        route_forward(client, command, request, &proxy->backends[0]);
        return;
    }
    if (!proxy->seed_mode && route_check_nodes(client, NULL)) {
        return;
    }
    count = route_fan_out_targets(proxy);
    if (count == 0) {
        proxy_client_error(client, "ERR no node of the cluster is available");
        return;
    }
    fanned = route_new_request(client, merge, command->id, count);
    for (i = 0; i < count; i++) {
        backend = &proxy->backends[proxy->fragment_of_backend[i]];
        if (listing) {
            proxy_write_listing(proxy, backend->output, request->argc, request->argv,
                                request->argv_length);
        } else {
            route_write_whole(backend->output, request);
        }
        proxy_backend_enqueue(backend, &fanned->fragments[i]);
    }
}

int
proxy_route_randomkey_next(struct proxy_request *request)
{
    struct proxy *proxy = request->client->proxy;
    struct proxy_backend *backend;
    enum proxy_node_failure failure;
    char text[PROXY_ADDRESS_MAX + 64];

    while (request->attempt < request->order_count) {
        backend = &proxy->backends[request->order[request->attempt++]];
        if (proxy_backend_refuses(backend, &failure)) {
            if (request->first_error == NULL) {
                proxy_node_error_text(backend, failure, text, sizeof(text));
                request->first_error = proxy_merge_error_reply(text);
            }
            continue;
        }
        if (proxy->seed_mode && !proxy_backend_routable(backend)) {
            continue;      /* its slots are owned by a live replica */
        }
        memset(&request->fragments[0], 0, sizeof(request->fragments[0]));
        request->fragments[0].request = request;
        proxy_write_listing(proxy, backend->output, 1, randomkey_argv, randomkey_lengths);
        proxy_backend_enqueue(backend, &request->fragments[0]);
        return 1;
    }
    return 0;
}

/* RANDOMKEY: nodes in a random order until one returns a key. */
static void
route_randomkey(struct proxy_client *client, const struct command_info *command)
{
    struct proxy *proxy = client->proxy;
    struct proxy_request *request;
    int count = proxy->backend_count, i, j;
    uint16_t swap;

    request = route_new_request(client, PROXY_MERGE_RANDOMKEY, command->id, 1);
    if (count > request->order_capacity) {
        free(request->order);
        request->order = malloc((size_t)count * sizeof(*request->order));
        if (request->order == NULL) {
            proxy_out_of_memory();
        }
        request->order_capacity = count;
    }
    for (i = 0; i < count; i++) {
        request->order[i] = (uint16_t)i;
    }
    for (i = count - 1; i > 0; i--) {
        j = (int)(random_next(&proxy->random_state) % (uint64_t)(i + 1));
        swap = request->order[i];
        request->order[i] = request->order[j];
        request->order[j] = swap;
    }
    request->order_count = count;
    if (!proxy_route_randomkey_next(request)) {
        proxy_request_merge_done(request);
    }
}

/* The merge a split command needs. */
static enum proxy_merge
route_split_merge(enum command_id id)
{
    switch (id) {
    case COMMAND_MGET:
        return PROXY_MERGE_MGET;
    case COMMAND_MSET:
        return PROXY_MERGE_ALL_OK;
    default:
        return PROXY_MERGE_SUM;
    }
}

/* Commands with a step of 2 (MSET) need pairs. */
static int
route_pairs_complete(const struct command_info *command, int argc)
{
    return command->key_step < 2 || command->first_key < 1 ||
           (argc - command->first_key) % command->key_step == 0;
}

/* The proxy is where clients log in: NOAUTH or NOPERM before routing.
 * Returns 1 when the request may go on, else 0 after replying. */
static int
route_access_allowed(struct proxy_client *client, const struct command_info *command,
                     const struct resp_request *request)
{
    int result = connection_access_check(&client->connection_info, command, request->argc,
                                         request->argv, request->argv_length);

    if (result == CONNECTION_ACCESS_ALLOWED) {
        return 1;
    }
    connection_access_reply(proxy_client_reply_begin(client), result, command);
    proxy_client_reply_end(client);
    return 0;
}

void
proxy_route_request(struct proxy_client *client, const struct resp_request *request)
{
    const struct command_info *command;

    command = command_lookup(request->argv[0], request->argv_length[0]);
    if (command == NULL || (command->flags & COMMAND_INTERNAL)) {
        reply_error_unknown_command(proxy_client_reply_begin(client), request->argc,
                                    request->argv, request->argv_length);
        proxy_client_reply_end(client);
        return;
    }
    client->connection_info.last_command = command->name;
    if (!command_arity_ok(command, request->argc) ||
        !route_pairs_complete(command, request->argc)) {
        reply_error_arity(proxy_client_reply_begin(client), command->name);
        proxy_client_reply_end(client);
        return;
    }
    if (!route_access_allowed(client, command, request)) {
        return;
    }
    client->proxy->stats.commands_processed++;
    if (client->proxy->seed_mode && client->proxy->member_count == 0 &&
        command->id != COMMAND_CLUSTER && !connection_command_handled(command->id)) {
        proxy_client_error(client, "CLUSTERDOWN herd-proxy has not learnt the cluster's "
                                   "members from its seeds yet");
        return;
    }
    switch (command->id) {
    case COMMAND_MGET:
    case COMMAND_MSET:
    case COMMAND_DEL:
    case COMMAND_UNLINK:
    case COMMAND_EXISTS:
    case COMMAND_TOUCH:
        route_split(client, command, request, route_split_merge(command->id));
        return;
    case COMMAND_KEYS:
        route_fan_out(client, command, request, PROXY_MERGE_CONCAT);
        return;
    case COMMAND_DBSIZE:
        route_fan_out(client, command, request, PROXY_MERGE_SUM);
        return;
    case COMMAND_FLUSHALL:
    case COMMAND_FLUSHDB:
        route_fan_out(client, command, request, PROXY_MERGE_ALL_OK);
        return;
    case COMMAND_RANDOMKEY:
        route_randomkey(client, command);
        return;
    case COMMAND_SCAN:
        proxy_scan_route(client, request);
        return;
    case COMMAND_CLUSTER:
        proxy_membership_command(client, request);
        return;
    case COMMAND_DEBUG:
        proxy_client_error(client, "ERR herd-proxy does not forward DEBUG; send it to a node");
        return;
    default:
        break;
    }
    if (proxy_local_execute(client, command, request)) {
        return;
    }
    route_by_keys(client, command, request);
}
