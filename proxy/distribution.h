/*
 * distribution.h — pool mode: which server (node line) a key goes to when
 * `distribution` is ketama, modula or random, exactly as twemproxy
 * (nutcracker 0.5.0) decides it, so herd-proxy can replace nutcracker in
 * front of the same redis-servers.  With `distribution slots` (the default)
 * keys go by herd's own slot placement, as before.
 *
 *   ketama  each live server gets about 160 points on a 32-bit circle,
 *           in proportion to its weight: MD5 of "NAME-N" (N = 0, 1, ...)
 *           gives four points each.  NAME is the node line's NAME when
 *           given, else "HOST:PORT" ("HOST" alone for port 11211).  A key
 *           goes to the first point at or after its hash, wrapping round.
 *   modula  the key's hash modulo the live servers' total weight picks a
 *           server, each taking `weight` consecutive values, in
 *           configuration order.
 *   random  a random live server per request (for caches: a read rarely
 *           finds what a write stored).
 *
 * The key hash is `hash` (shared/hash.h) over the whole key, or over the
 * part between the `hash-tag` characters when the key has them with
 * something between.  An empty key hashes to 0.
 *
 * With auto-eject-hosts, a server whose connection failed
 * server-failure-limit times in a row (refused, lost, timed out) leaves
 * the distribution for server-retry-timeout milliseconds; its keys go to
 * the others while it is out.  When every server is out, keys map as if
 * none were (and get the "unavailable" error).
 */
#ifndef HERD_PROXY_DISTRIBUTION_H
#define HERD_PROXY_DISTRIBUTION_H

#include <stddef.h>
#include <stdint.h>
#include "shared/hash.h"
#include "proxy/settings.h"

struct proxy;
struct proxy_backend;

/* Points per server in a ketama continuum, before weighting. */
#define DISTRIBUTION_KETAMA_POINTS 160
/* Points one MD5 digest gives. */
#define DISTRIBUTION_KETAMA_POINTS_PER_DIGEST 4

/* One point of the ketama circle. */
struct distribution_point {
    uint32_t value;
    int      backend;     /* backend index */
};

/* A server's auto-eject bookkeeping. */
struct distribution_server {
    long long failures;          /* failures in a row */
    uint64_t  ejected_until_ms;  /* monotonic; 0: in the distribution */
};

/* The distribution of a pool: built at start, rebuilt when auto-eject
 * changes the live set. */
struct proxy_distribution {
    enum proxy_distribution_kind kind;
    enum hash_function hash;
    char      tag_open;                 /* hash-tag characters; */
    char      tag_close;
    int       has_tag;                  /* 0: hash the whole key */
    int       server_count;             /* every backend */
    struct distribution_server *servers;  /* by backend index */
    struct distribution_point  *points;   /* ketama, sorted by value */
    int       point_count;
    int      *live_backend;             /* modula/random: live backends in order */
    uint32_t *weight_end;               /* running total of their weights */
    int       live_count;
    uint32_t  total_weight;
    uint64_t  next_rebuild_ms;          /* an ejected server comes back (0: none) */
};

/* Builds proxy->distribution for a pool (nothing for distribution slots).
 * Returns 0 or -1 (no memory). */
int  proxy_distribution_init(struct proxy *proxy);
void proxy_distribution_free(struct proxy *proxy);

/* The hash of a key as the pool hashes it (hash-tag applied). */
uint32_t distribution_key_hash(const struct proxy_distribution *distribution,
                               const char *key, size_t length);
/* The backend index the continuum gives `hash`; -1 when it is empty. */
int  distribution_ketama_find(const struct distribution_point *points, int count,
                              uint32_t hash);
/* Builds the ketama continuum of `count` servers (weights, names as
 * hashed, live flags) into a new array; returns its length, or -1. */
int  distribution_ketama_build(const int *weights, const char *const *names,
                               const int *live, int count,
                               struct distribution_point **points);
/* The text ketama hashes for a node line: NAME, or HOST:PORT (HOST for
 * port 11211). */
void distribution_server_name(const struct proxy_node_address *node, char *out,
                              size_t size);

/* The backend a request for the key goes to: with distribution slots, that
 * of the key's slot (proxy_backend_for_slot); else the pool's choice.
 * NULL only in seed mode before the membership is known. */
struct proxy_backend *proxy_backend_for_key(struct proxy *proxy, const char *key,
                                            size_t length, int write);

/* Auto-eject hooks: a connect or the connection failed (backend.c), or a
 * request was refused because the server is unreachable (route.c); a reply
 * arrived (backend.c). */
void proxy_distribution_failure(struct proxy *proxy, int backend_index);
void proxy_distribution_success(struct proxy *proxy, int backend_index);

#endif
