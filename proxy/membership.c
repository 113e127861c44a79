/*
 * membership.c — herd-proxy in seed mode: it is not a cluster member; it
 * learns the members from the nodes and routes with the same placement
 * code they use.
 *
 * Every membership-refresh-interval the proxy sends CLUSTER MEMBERS to
 * every node it is connected to (seeds first, then every member learnt).
 * Each reply is one node's view: the membership digest, the replica count
 * and every member's id, address and liveness.  A member not seen before
 * gets a backend (a seed whose address matches becomes that member); the
 * placement is rebuilt when the set of members changes, so two proxies
 * that know the same members (equal digests) route every key the same way.
 *
 * Liveness never changes placement; it picks the coordinator: a member is
 * routable while its connection takes requests and most of the views read
 * lately (its own included) say it is alive.  Writes go to the first
 * routable home replica of the slot, reads round-robin over the routable
 * ones (read-consistency one) or to the first (primary).  A node that
 * stops answering is skipped as soon as its connection fails or times out,
 * or the other nodes declare it dead; it is used again when it answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/network.h"
#include "shared/reply.h"
#include "proxy/proxy.h"

/* A view older than this many refresh intervals no longer votes. */
#define MEMBERSHIP_VIEW_INTERVALS 5

/* The backend of a member id, or -1. */
static int
membership_backend_of_id(struct proxy *proxy, const char *id, size_t length)
{
    int i;

    for (i = 0; i < proxy->backend_count; i++) {
        if (proxy->backends[i].member && strlen(proxy->node_addresses[i].name) == length &&
            memcmp(proxy->node_addresses[i].name, id, length) == 0) {
            return i;
        }
    }
    return -1;
}

/* Adds a backend for an address (seed or member).  Returns its index or -1. */
static int
membership_add_backend(struct proxy *proxy, const char *address)
{
    char error[256];
    int index = proxy->backend_count;

    if (index >= proxy->backend_capacity ||
        proxy_parse_node_address(address, &proxy->node_addresses[index], error,
                                 sizeof(error)) != 0) {
        return -1;
    }
    if (proxy_backend_init(proxy, &proxy->backends[index], index) != 0) {
        log_warning("cannot set up a connection to node %s (out of memory?)", address);
        return -1;
    }
    proxy->backend_count++;
    return index;
}

/* network_resolve_seed() callback: a backend for one seed address. */
static void
membership_seed_found(const char *address, void *context)
{
    membership_add_backend(context, address);
}

/* Adds the backends of one seed line: one per IPv4 address its host name
 * resolves to (a DNS name for several nodes counts), or the line as given
 * when it does not resolve now (the connection retries). */
static int
membership_add_seed(struct proxy *proxy, const char *seed)
{
    if (network_resolve_seed(seed, membership_seed_found, proxy) == 0 &&
        membership_add_backend(proxy, seed) < 0) {
        return -1;
    }
    return 0;
}

int
proxy_membership_init(struct proxy *proxy)
{
    int i;

    for (i = 0; i < proxy->settings.seed_count; i++) {
        if (membership_add_seed(proxy, proxy->settings.seeds[i]) != 0) {
            return -1;
        }
    }
    proxy_order_backends(proxy);
    return 0;
}

/* Makes `index` the backend of member `id` at `address`. */
static void
membership_adopt(struct proxy *proxy, int index, const char *id, size_t length)
{
    struct proxy_node_address *node = &proxy->node_addresses[index];

    if (length >= sizeof(node->name)) {
        length = sizeof(node->name) - 1;
    }
    memcpy(node->name, id, length);
    node->name[length] = '\0';
    proxy->backends[index].member = 1;
    proxy->backends[index].voted_alive = 1;
}

/* The backend of a member reported by a node: found by id, else a seed
 * (not yet a member) with its address, else a new one.  Returns its index,
 * or -1; *added is set when the member is new to the proxy. */
static int
membership_find_or_add(struct proxy *proxy, const redisReply *id,
                       const redisReply *address, int *added)
{
    int index = membership_backend_of_id(proxy, id->str, id->len);
    int i;

    if (index >= 0) {
        return index;
    }
    *added = 1;
    for (i = 0; i < proxy->backend_count; i++) {
        if (!proxy->backends[i].member &&
            strlen(proxy->node_addresses[i].address) == address->len &&
            memcmp(proxy->node_addresses[i].address, address->str, address->len) == 0) {
            membership_adopt(proxy, i, id->str, id->len);
            return i;
        }
    }
    index = membership_add_backend(proxy, address->str);
    if (index < 0) {
        log_warning("cannot add member %.*s at %.*s", (int)id->len, id->str,
                    (int)address->len, address->str);
        return -1;
    }
    membership_adopt(proxy, index, id->str, id->len);
    proxy_backend_connect(&proxy->backends[index]);
    log_notice("member %.*s at %.*s learnt", (int)id->len, id->str,
               (int)address->len, address->str);
    return index;
}

/* Rebuilds the placement over every member (sorted by nothing: placement
 * does not depend on order). */
static void
membership_rebuild_placement(struct proxy *proxy)
{
    struct placement_member *members;
    int i, count = 0;

    members = calloc((size_t)proxy->backend_count + 1, sizeof(*members));
    if (members == NULL) {
        proxy_out_of_memory();
    }
    for (i = 0; i < proxy->backend_count; i++) {
        if (!proxy->backends[i].member) {
            continue;
        }
        snprintf(members[count].id, sizeof(members[count].id), "%s",
                 proxy->node_addresses[i].name);
        members[count].owns_data = 1;
        proxy->member_backend[count++] = i;
    }
    placement_free(&proxy->placement);
    if (placement_build(&proxy->placement, members, count, proxy->cluster_replicas) != 0) {
        log_warning("cannot build the placement table");
        proxy->member_count = 0;
    } else {
        proxy->member_count = count;
        proxy->membership_digest = proxy->placement.digest;
        log_notice("membership: %d members, %d replicas, digest %016llx", count,
                   proxy->cluster_replicas, (unsigned long long)proxy->membership_digest);
    }
    free(members);
    proxy_order_backends(proxy);
}

/* Recomputes each member's vote: alive in most of the recent views. */
static void
membership_count_votes(struct proxy *proxy, uint64_t now_ms)
{
    uint64_t fresh = (uint64_t)proxy->settings.membership_refresh_interval *
                     MEMBERSHIP_VIEW_INTERVALS;
    int target, viewer, views, alive;

    for (target = 0; target < proxy->backend_count; target++) {
        views = alive = 0;
        for (viewer = 0; viewer < proxy->backend_count; viewer++) {
            const struct proxy_backend *voter = &proxy->backends[viewer];

            if (!voter->member || voter->view_ms == 0 || now_ms - voter->view_ms > fresh) {
                continue;
            }
            views++;
            alive += voter->view[target];
        }
        proxy->backends[target].voted_alive = views == 0 || alive * 2 > views;
    }
}

/* One member entry of a CLUSTER MEMBERS reply is well formed. */
static int
membership_entry_valid(const redisReply *entry)
{
    int i;

    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 5) {
        return 0;
    }
    for (i = 0; i < 4; i++) {
        if (entry->element[i]->type != REDIS_REPLY_STRING) {
            return 0;
        }
    }
    return entry->element[0]->len > 0 && entry->element[0]->len < PLACEMENT_ID_MAX &&
           entry->element[1]->len < PROXY_ADDRESS_MAX;
}

void
proxy_membership_reply(struct proxy_backend *backend, const redisReply *reply)
{
    struct proxy *proxy = backend->proxy;
    const redisReply *list;
    int added = 0, index;
    size_t i;

    backend->poll_pending = 0;
    if (proxy->stopping || reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
        reply->elements != 3 || reply->element[1]->type != REDIS_REPLY_INTEGER ||
        reply->element[2]->type != REDIS_REPLY_ARRAY) {
        backend->view_ms = 0;      /* no view from this node for now */
        return;
    }
    if (proxy->cluster_replicas != (int)reply->element[1]->integer) {
        proxy->cluster_replicas = (int)reply->element[1]->integer;
        added = 1;
    }
    list = reply->element[2];
    memset(backend->view, 0, (size_t)proxy->backend_capacity);
    for (i = 0; i < list->elements; i++) {
        if (!membership_entry_valid(list->element[i])) {
            continue;
        }
        index = membership_find_or_add(proxy, list->element[i]->element[0],
                                       list->element[i]->element[1], &added);
        if (index >= 0) {
            backend->view[index] = strcmp(list->element[i]->element[2]->str, "alive") == 0;
            if (list->element[i]->element[4]->type == REDIS_REPLY_INTEGER &&
                (uint64_t)list->element[i]->element[4]->integer >
                    proxy->backends[index].incarnation) {
                proxy->backends[index].incarnation =
                    (uint64_t)list->element[i]->element[4]->integer;
            }
        }
    }
    backend->view_ms = monotonic_milliseconds();
    if (added) {
        membership_rebuild_placement(proxy);
    }
    membership_count_votes(proxy, backend->view_ms);
}

/* Queues CLUSTER MEMBERS on one backend as the proxy's own request. */
static void
membership_poll(struct proxy_backend *backend)
{
    static const char command[] = "*2\r\n$7\r\nCLUSTER\r\n$7\r\nMEMBERS\r\n";
    struct proxy_request *request = calloc(1, sizeof(*request));

    if (request == NULL) {
        proxy_out_of_memory();
    }
    request->merge = PROXY_MERGE_MEMBERSHIP;
    request->command = COMMAND_CLUSTER;
    request->fragments = &request->single;
    request->fragment_count = 1;
    request->single.request = request;
    evbuffer_add(backend->output, command, sizeof(command) - 1);
    backend->poll_pending = 1;
    proxy_backend_enqueue(backend, &request->single);
}

void
proxy_membership_tick(struct proxy *proxy, uint64_t now_ms)
{
    enum proxy_node_failure failure;
    int i;

    if (now_ms - proxy->last_membership_poll_ms <
        (uint64_t)proxy->settings.membership_refresh_interval) {
        return;
    }
    proxy->last_membership_poll_ms = now_ms;
    for (i = 0; i < proxy->backend_count; i++) {
        struct proxy_backend *backend = &proxy->backends[i];

        if (!backend->poll_pending && !proxy_backend_refuses(backend, &failure)) {
            membership_poll(backend);
        }
    }
    membership_count_votes(proxy, now_ms);
}

/* 1 when requests may go to this backend now. */
static int
membership_routable(const struct proxy_backend *backend)
{
    enum proxy_node_failure failure;

    return backend->member && backend->voted_alive &&
           !proxy_backend_refuses(backend, &failure);
}

int
proxy_backend_routable(const struct proxy_backend *backend)
{
    enum proxy_node_failure failure;

    if (!backend->proxy->seed_mode) {
        return !proxy_backend_refuses(backend, &failure);
    }
    return membership_routable(backend);
}

void
proxy_write_listing(const struct proxy *proxy, struct evbuffer *out, int argc,
                    const char *const *argv, const size_t *lengths)
{
    int i;

    reply_array_header(out, argc + (proxy->seed_mode ? 1 : 0));
    if (proxy->seed_mode) {
        reply_bulk(out, "HERD.OWNED", 10);
    }
    for (i = 0; i < argc; i++) {
        reply_bulk(out, argv[i], lengths[i]);
    }
}

struct proxy_backend *
proxy_backend_for_slot(struct proxy *proxy, unsigned int slot, int write)
{
    const int16_t *replicas;
    struct proxy_backend *backend;
    int count, i, start = 0;

    if (!proxy->seed_mode) {
        return &proxy->backends[proxy->slot_backend[slot]];
    }
    if (proxy->member_count == 0) {
        return NULL;                    /* no membership yet */
    }
    replicas = placement_replicas(&proxy->placement, slot, &count);
    if (!write && proxy->settings.read_consistency == PROXY_READ_ONE && count > 0) {
        start = (int)(proxy->read_rotation++ % (unsigned int)count);
    }
    for (i = 0; i < count; i++) {
        backend = &proxy->backends[proxy->member_backend[replicas[(start + i) % count]]];
        if (membership_routable(backend)) {
            return backend;
        }
    }
    return &proxy->backends[proxy->member_backend[replicas[0]]];
}

/* ------------------------------------------------------------------------
 * CLUSTER on the proxy
 * ------------------------------------------------------------------------ */

static int
membership_argument_is(const struct resp_request *request, int index, const char *word)
{
    return strlen(word) == request->argv_length[index] &&
           strncasecmp(request->argv[index], word, request->argv_length[index]) == 0;
}

/* alive: routable; suspect: the nodes see it alive but this proxy cannot
 * reach it; dead: most nodes see it dead. */
static const char *
membership_liveness(const struct proxy_backend *backend)
{
    return membership_routable(backend) ? "alive" : backend->voted_alive ? "suspect"
                                                                         : "dead";
}

static void
membership_nodes(struct proxy *proxy, struct evbuffer *out)
{
    struct evbuffer *text = evbuffer_new();
    int i, index;

    for (i = 0; i < proxy->member_count; i++) {
        index = proxy->member_backend[i];
        evbuffer_add_printf(text, "%s %s %s normal %llu\n", proxy->node_addresses[index].name,
                            proxy->node_addresses[index].address,
                            membership_liveness(&proxy->backends[index]),
                            (unsigned long long)proxy->backends[index].incarnation);
    }
    reply_bulk(out, evbuffer_pullup(text, -1), evbuffer_get_length(text));
    evbuffer_free(text);
}

static void
membership_members(struct proxy *proxy, struct evbuffer *out)
{
    char digest[17];
    int i, index;

    snprintf(digest, sizeof(digest), "%016llx", (unsigned long long)proxy->membership_digest);
    reply_array_header(out, 3);
    reply_bulk_cstring(out, digest);
    reply_integer(out, proxy->seed_mode ? proxy->cluster_replicas
                                        : proxy->settings.replicas);
    reply_array_header(out, proxy->member_count);
    for (i = 0; i < proxy->member_count; i++) {
        index = proxy->member_backend[i];
        reply_array_header(out, 5);
        reply_bulk_cstring(out, proxy->node_addresses[index].name);
        reply_bulk_cstring(out, proxy->node_addresses[index].address);
        reply_bulk_cstring(out, membership_liveness(&proxy->backends[index]));
        reply_bulk_cstring(out, "normal");
        reply_integer(out, (long long)proxy->backends[index].incarnation);
    }
}

static void
membership_info(struct proxy *proxy, struct evbuffer *out)
{
    struct evbuffer *text = evbuffer_new();
    int i, alive = 0;

    for (i = 0; i < proxy->member_count; i++) {
        alive += membership_routable(&proxy->backends[proxy->member_backend[i]]);
    }
    evbuffer_add_printf(text, "cluster_state:%s\r\ncluster_known_nodes:%d\r\n"
                        "cluster_alive_nodes:%d\r\ncluster_replicas:%d\r\n"
                        "cluster_digest:%016llx\r\ncluster_mode:%s\r\n",
                        proxy->member_count > 0 && alive * 2 > proxy->member_count ? "ok"
                                                                                  : "fail",
                        proxy->member_count, alive,
                        proxy->seed_mode ? proxy->cluster_replicas
                                         : (int)proxy->settings.replicas,
                        (unsigned long long)proxy->membership_digest,
                        proxy->seed_mode ? "seed" : "static");
    reply_bulk(out, evbuffer_pullup(text, -1), evbuffer_get_length(text));
    evbuffer_free(text);
}

void
proxy_membership_command(struct proxy_client *client, const struct resp_request *request)
{
    struct proxy *proxy = client->proxy;
    struct evbuffer *out = proxy_client_reply_begin(client);

    if (request->argc == 2 && membership_argument_is(request, 1, "nodes")) {
        membership_nodes(proxy, out);
    } else if (request->argc == 2 && membership_argument_is(request, 1, "members")) {
        membership_members(proxy, out);
    } else if (request->argc == 2 && membership_argument_is(request, 1, "info")) {
        membership_info(proxy, out);
    } else {
        reply_error_unknown_subcommand(out, request->argv[1], request->argv_length[1],
                                       "CLUSTER");
    }
    proxy_client_reply_end(client);
}
