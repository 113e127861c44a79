/*
 * distribution.c — pool mode key distribution (see distribution.h): the
 * ketama continuum, modula and random over the live servers, the key
 * hash with hash-tag, and auto-eject.  Tables are built at start and when
 * the live set changes; a lookup hashes the key and binary-searches, with
 * no allocation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/random.h"
#include "proxy/distribution.h"
#include "proxy/proxy.h"

/* ketama names the points of port 11211 servers without the port (as
 * libmemcached did, and nutcracker after it). */
#define DISTRIBUTION_KETAMA_DEFAULT_PORT 11211
/* Longest "NAME-N" text ketama hashes. */
#define DISTRIBUTION_POINT_NAME_MAX (PLACEMENT_ID_MAX + 16)

void
distribution_server_name(const struct proxy_node_address *node, char *out, size_t size)
{
    if (node->named) {
        snprintf(out, size, "%s", node->name);
    } else if (node->port == DISTRIBUTION_KETAMA_DEFAULT_PORT) {
        snprintf(out, size, "%s", node->host);
    } else {
        snprintf(out, size, "%s:%d", node->host, node->port);
    }
}

/* Orders points by value; equal values by backend, as a stable sort of
 * the points in server order would leave them. */
static int
distribution_compare_points(const void *a, const void *b)
{
    const struct distribution_point *left = a, *right = b;

    if (left->value != right->value) {
        return left->value < right->value ? -1 : 1;
    }
    return (left->backend > right->backend) - (left->backend < right->backend);
}

/* How many continuum points a live server of `weight` gets, computed in
 * single precision as nutcracker does, so rounding gives the same count. */
static int
distribution_ketama_server_points(int weight, uint32_t total_weight, int live_count)
{
    float share = (float)weight / (float)total_weight;
    float groups = (float)(share * DISTRIBUTION_KETAMA_POINTS / 4 * (float)live_count +
                           0.0000000001);

    return (int)(floorf(groups) * 4);
}

/* Adds the points of one server: four per MD5 digest of "NAME-N". */
static void
distribution_ketama_add_server(const char *name, int backend, int point_total,
                               struct distribution_point *points, int *next)
{
    char text[DISTRIBUTION_POINT_NAME_MAX];
    unsigned char digest[16];
    int group, part, length;

    for (group = 0; group < point_total / DISTRIBUTION_KETAMA_POINTS_PER_DIGEST; group++) {
        length = snprintf(text, sizeof(text), "%s-%d", name, group);
        if (length < 0 || (size_t)length >= sizeof(text)) {
            length = (int)strlen(text);
        }
        hash_md5_digest(text, (size_t)length, digest);
        for (part = 0; part < DISTRIBUTION_KETAMA_POINTS_PER_DIGEST; part++) {
            points[*next].value = (uint32_t)digest[part * 4] |
                                  ((uint32_t)digest[part * 4 + 1] << 8) |
                                  ((uint32_t)digest[part * 4 + 2] << 16) |
                                  ((uint32_t)digest[part * 4 + 3] << 24);
            points[*next].backend = backend;
            (*next)++;
        }
    }
}

int
distribution_ketama_build(const int *weights, const char *const *names, const int *live,
                          int count, struct distribution_point **points)
{
    struct distribution_point *built;
    uint32_t total_weight = 0;
    int live_count = 0, point_count = 0, next = 0, i;

    for (i = 0; i < count; i++) {
        if (live[i]) {
            live_count++;
            total_weight += (uint32_t)weights[i];
        }
    }
    for (i = 0; i < count; i++) {
        if (live[i]) {
            point_count += distribution_ketama_server_points(weights[i], total_weight,
                                                             live_count);
        }
    }
    built = calloc((size_t)point_count + 1, sizeof(*built));
    if (built == NULL) {
        return -1;
    }
    for (i = 0; i < count; i++) {
        if (live[i]) {
            distribution_ketama_add_server(names[i], i,
                                           distribution_ketama_server_points(
                                               weights[i], total_weight, live_count),
                                           built, &next);
        }
    }
    qsort(built, (size_t)next, sizeof(*built), distribution_compare_points);
    *points = built;
    return next;
}

int
distribution_ketama_find(const struct distribution_point *points, int count, uint32_t hash)
{
    int low = 0, high = count, middle;

    if (count == 0) {
        return -1;
    }
    /* The first point whose value is >= hash; past the last, the first. */
    while (low < high) {
        middle = low + (high - low) / 2;
        if (points[middle].value < hash) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return points[low == count ? 0 : low].backend;
}

uint32_t
distribution_key_hash(const struct proxy_distribution *distribution, const char *key,
                      size_t length)
{
    const char *open, *close;

    if (distribution->has_tag) {
        open = memchr(key, distribution->tag_open, length);
        if (open != NULL) {
            close = memchr(open + 1, distribution->tag_close,
                           length - (size_t)(open + 1 - key));
            if (close != NULL && close - open > 1) {
                key = open + 1;
                length = (size_t)(close - key);
            }
        }
    }
    if (length == 0) {
        return 0;
    }
    return hash_key(distribution->hash, key, length);
}

/* 1 when the server takes part in the distribution at `now_ms`. */
static int
distribution_server_live(const struct proxy_distribution *distribution, int index,
                         uint64_t now_ms)
{
    return distribution->servers[index].ejected_until_ms <= now_ms;
}

/* Fills `live` (by backend) and notes when the next ejected server comes
 * back.  When no server is live, all count as live. */
static void
distribution_mark_live(struct proxy_distribution *distribution, int *live, uint64_t now_ms)
{
    int i, any = 0;

    distribution->next_rebuild_ms = 0;
    for (i = 0; i < distribution->server_count; i++) {
        live[i] = distribution_server_live(distribution, i, now_ms);
        if (live[i]) {
            distribution->servers[i].ejected_until_ms = 0;
            any = 1;
        } else if (distribution->next_rebuild_ms == 0 ||
                   distribution->servers[i].ejected_until_ms <
                       distribution->next_rebuild_ms) {
            distribution->next_rebuild_ms = distribution->servers[i].ejected_until_ms;
        }
    }
    if (!any) {
        for (i = 0; i < distribution->server_count; i++) {
            live[i] = 1;
        }
    }
}

/* Orders server names as nutcracker orders its server list (it sorts
 * the list by name when it checks for duplicates): shorter names first,
 * equal lengths bytewise. */
static int
distribution_compare_names(const void *a, const void *b, void *argument)
{
    const char *const *names = argument;
    const char *left = names[*(const int *)a], *right = names[*(const int *)b];
    size_t left_length = strlen(left), right_length = strlen(right);

    if (left_length != right_length) {
        return left_length < right_length ? -1 : 1;
    }
    return memcmp(left, right, left_length);
}

/* Builds the modula/random tables: live backends in nutcracker's server
 * order and the running total of their weights. */
static void
distribution_build_weighted(struct proxy_distribution *distribution, const int *weights,
                            const int *live, const char *const *names, int *order)
{
    int position, i;

    for (i = 0; i < distribution->server_count; i++) {
        order[i] = i;
    }
    qsort_r(order, (size_t)distribution->server_count, sizeof(*order),
            distribution_compare_names, (void *)names);
    distribution->live_count = 0;
    distribution->total_weight = 0;
    for (position = 0; position < distribution->server_count; position++) {
        i = order[position];
        if (live[i]) {
            distribution->total_weight += (uint32_t)weights[i];
            distribution->live_backend[distribution->live_count] = i;
            distribution->weight_end[distribution->live_count] = distribution->total_weight;
            distribution->live_count++;
        }
    }
}

/* (Re)builds the tables for the servers live at `now_ms`.  Returns 0 or
 * -1 (no memory; the old tables stay). */
static int
distribution_rebuild(struct proxy *proxy, uint64_t now_ms)
{
    struct proxy_distribution *distribution = proxy->distribution;
    int count = distribution->server_count;
    int *live = calloc((size_t)count, sizeof(*live));
    int *order = calloc((size_t)count, sizeof(*order));
    int *weights = calloc((size_t)count, sizeof(*weights));
    const char **names = calloc((size_t)count, sizeof(*names));
    char (*name_texts)[PLACEMENT_ID_MAX] = calloc((size_t)count, sizeof(*name_texts));
    struct distribution_point *points = NULL;
    int i, point_count, result = -1;

    if (live == NULL || order == NULL || weights == NULL || names == NULL || name_texts == NULL) {
        goto out;
    }
    distribution_mark_live(distribution, live, now_ms);
    for (i = 0; i < count; i++) {
        weights[i] = proxy->node_addresses[i].weight;
        distribution_server_name(&proxy->node_addresses[i], name_texts[i],
                                 sizeof(name_texts[i]));
        names[i] = name_texts[i];
    }
    distribution_build_weighted(distribution, weights, live, names, order);
    if (distribution->kind == PROXY_DISTRIBUTION_KETAMA) {
        point_count = distribution_ketama_build(weights, names, live, count, &points);
        if (point_count < 0) {
            goto out;
        }
        free(distribution->points);
        distribution->points = points;
        distribution->point_count = point_count;
    }
    result = 0;
out:
    free(live);
    free(order);
    free(weights);
    free(names);
    free(name_texts);
    return result;
}

int
proxy_distribution_init(struct proxy *proxy)
{
    struct proxy_distribution *distribution;
    const struct proxy_settings *settings = &proxy->settings;
    int count = proxy->backend_count;

    if (settings->distribution == PROXY_DISTRIBUTION_SLOTS || proxy->seed_mode) {
        return 0;
    }
    distribution = calloc(1, sizeof(*distribution));
    if (distribution == NULL) {
        return -1;
    }
    proxy->distribution = distribution;
    distribution->kind = (enum proxy_distribution_kind)settings->distribution;
    distribution->hash = (enum hash_function)settings->hash;
    distribution->has_tag = settings->hash_tag[0] != '\0';
    distribution->tag_open = settings->hash_tag[0];
    distribution->tag_close = settings->hash_tag[1];
    distribution->server_count = count;
    distribution->servers = calloc((size_t)count, sizeof(*distribution->servers));
    distribution->live_backend = calloc((size_t)count, sizeof(*distribution->live_backend));
    distribution->weight_end = calloc((size_t)count, sizeof(*distribution->weight_end));
    if (distribution->servers == NULL || distribution->live_backend == NULL ||
        distribution->weight_end == NULL) {
        return -1;
    }
    return distribution_rebuild(proxy, monotonic_milliseconds());
}

void
proxy_distribution_free(struct proxy *proxy)
{
    struct proxy_distribution *distribution = proxy->distribution;

    if (distribution == NULL) {
        return;
    }
    free(distribution->servers);
    free(distribution->points);
    free(distribution->live_backend);
    free(distribution->weight_end);
    free(distribution);
    proxy->distribution = NULL;
}

/* The live backend that takes `value` (< total_weight) in modula. */
static int
distribution_weighted_find(const struct proxy_distribution *distribution, uint32_t value)
{
    int low = 0, high = distribution->live_count - 1, middle;

    /* The first live backend whose running weight total exceeds value. */
    while (low < high) {
        middle = low + (high - low) / 2;
        if (distribution->weight_end[middle] <= value) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return distribution->live_backend[low];
}

/* Rebuilds when an ejected server's retry time has come. */
static void
distribution_check_rebuild(struct proxy *proxy)
{
    uint64_t now_ms;

    if (proxy->distribution->next_rebuild_ms == 0) {
        return;
    }
    now_ms = monotonic_milliseconds();
    if (now_ms >= proxy->distribution->next_rebuild_ms &&
        distribution_rebuild(proxy, now_ms) == 0) {
        log_notice("pool: distribution rebuilt, %d of %d servers live",
                   proxy->distribution->live_count, proxy->distribution->server_count);
    }
}

struct proxy_backend *
proxy_backend_for_key(struct proxy *proxy, const char *key, size_t length, int write)
{
    struct proxy_distribution *distribution = proxy->distribution;
    uint32_t hash;
    int index;

    if (distribution == NULL) {
        return proxy_backend_for_slot(proxy, key_slot(key, length), write);
    }
    distribution_check_rebuild(proxy);
    switch (distribution->kind) {
    case PROXY_DISTRIBUTION_KETAMA:
        hash = distribution_key_hash(distribution, key, length);
        index = distribution_ketama_find(distribution->points, distribution->point_count,
                                         hash);
        break;
    case PROXY_DISTRIBUTION_MODULA:
        hash = distribution_key_hash(distribution, key, length);
        index = distribution_weighted_find(distribution,
                                           hash % distribution->total_weight);
        break;
    default:
        index = distribution->live_backend[random_next(&proxy->random_state) %
                                           (uint64_t)distribution->live_count];
        break;
    }
    return &proxy->backends[index < 0 ? 0 : index];
}

void
proxy_distribution_failure(struct proxy *proxy, int backend_index)
{
    struct proxy_distribution *distribution = proxy->distribution;
    struct distribution_server *server;
    uint64_t now_ms;

    if (distribution == NULL || !proxy->settings.auto_eject_hosts ||
        backend_index < 0 || backend_index >= distribution->server_count) {
        return;
    }
    server = &distribution->servers[backend_index];
    if (server->ejected_until_ms != 0 ||
        ++server->failures < proxy->settings.server_failure_limit) {
        return;
    }
    now_ms = monotonic_milliseconds();
    server->failures = 0;
    server->ejected_until_ms = now_ms + (uint64_t)proxy->settings.server_retry_timeout;
    if (distribution_rebuild(proxy, now_ms) == 0) {
        log_warning("pool: server %s ejected for %lld ms after %lld failures",
                    proxy->node_addresses[backend_index].address,
                    proxy->settings.server_retry_timeout,
                    proxy->settings.server_failure_limit);
    }
}

void
proxy_distribution_success(struct proxy *proxy, int backend_index)
{
    struct proxy_distribution *distribution = proxy->distribution;

    if (distribution != NULL && backend_index >= 0 &&
        backend_index < distribution->server_count) {
        distribution->servers[backend_index].failures = 0;
    }
}
