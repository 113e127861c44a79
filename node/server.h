/*
 * server.h — herd-node's one context (struct server), its settings and its
 * clients.  Everything the node knows lives in struct server; there is no
 * other global state except the logger.
 */
#ifndef HERD_NODE_SERVER_H
#define HERD_NODE_SERVER_H

#include <limits.h>
#include <stdint.h>
#include <sys/queue.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include "shared/resp.h"
#include "shared/acl.h"
#include "shared/auth.h"
#include "shared/cluster_secret.h"
#include "shared/clock.h"
#include "shared/commands.h"
#include "shared/connection.h"
#include "shared/tls.h"

#ifndef HERD_VERSION
#define HERD_VERSION "0.1.0"
#endif
/* The Redis version herd-node reports (client libraries parse it). */
#define HERD_REDIS_VERSION "7.0.15"

/* How hard the node works to keep acknowledged writes on disk. */
enum fsync_policy {
    FSYNC_ALWAYS,    /* fsync before replying to each write batch */
    FSYNC_EVERYSEC,  /* fsync once a second from a background thread */
    FSYNC_NO         /* leave write-back to the OS */
};

#define NODE_SEEDS_MAX 64

/* Settings read from herd.conf and the command line (see node/settings.c). */
struct node_settings {
    char      bind[256];              /* listen address */
    long long port;                   /* client port */
    char      dir[PATH_MAX];          /* data directory */
    long long node_index;             /* 0..65535, version tie-breaker */
    int       fsync;                  /* enum fsync_policy */
    long long maxclients;
    long long timeout;                /* idle seconds before close; 0 never */
    long long max_bulk_length;        /* proto-max-bulk-len */
    long long max_multibulk_count;    /* proto-max-multibulk-len */
    long long max_inline_length;      /* proto-inline-max-size */
    long long query_buffer_limit;     /* client-query-buffer-limit */
    long long output_buffer_limit;    /* client-output-buffer-limit */
    long long hz;                     /* active-expire cycles per second */
    long long hash_buckets;           /* Tokyo Cabinet bnum for a new file */
    long long mmap_size;              /* Tokyo Cabinet xmsiz */
    int       loglevel;               /* enum log_level */
    char      logfile[PATH_MAX];
    char      pidfile[PATH_MAX];
    struct acl acl;                   /* requirepass and user lines */
    struct cluster_secret cluster_secret; /* length 0: none; else peers must prove it */
    long long tls_port;                   /* TLS port; 0: none */
    char      tls_cert_file[PATH_MAX];    /* PEM certificate chain */
    char      tls_key_file[PATH_MAX];     /* PEM private key */
    char      tls_ca_cert_file[PATH_MAX]; /* CAs of peer (proxy, client) certificates */
    int       tls_auth_clients;           /* enum tls_auth_clients */
    char      tls_protocols[TLS_PROTOCOLS_MAX];  /* "TLSv1.2 TLSv1.3" */
    /* Cluster (node/cluster.h; timings in milliseconds). */
    char      node_id[64];                /* "": generated, kept in dir/node-id */
    char      announce[280];              /* HOST:PORT peers use; "": bind:port */
    char      seeds[NODE_SEEDS_MAX][280]; /* seed lines, HOST:PORT */
    int       seed_count;
    long long replicas;                   /* copies of each slot */
    int       write_consistency;          /* enum write_consistency */
    long long write_timeout;
    long long probe_interval;
    long long probe_timeout;
    long long suspicion_timeout;
    long long indirect_checks;
    long long push_pull_interval;
    long long anti_entropy_interval;
    long long tombstone_gc_grace;
    long long hint_max_keys;              /* hints kept per peer */
    int       enable_debug_command;
};

/* Client flags. */
#define CLIENT_CLOSE_AFTER_REPLY (1u << 0)  /* QUIT or protocol error */
#define CLIENT_WAITING_COMMIT    (1u << 1)  /* replies held until commit */
#define CLIENT_CLOSING           (1u << 2)  /* freed when output drains */
#define CLIENT_OUTPUT_PAUSED     (1u << 3)  /* output over the soft limit: not reading */
#define CLIENT_CLUSTER_MEMBER    (1u << 4)  /* proved the cluster secret */
#define CLIENT_TLS               (1u << 5)  /* came in on tls-port: bytes go through SSL */
#define CLIENT_REPLICATION_PEER  (1u << 7)  /* another member sending replication:
                                               its acks never wait for this node's
                                               own replication (no deadlock) */
#define CLIENT_OWNED_VIEW        (1u << 6)  /* inside HERD.OWNED: keyspace listings show
                                               only the slots this node owns */

/* Commands refused before the cluster-secret proof before the node closes
 * the connection. */
#define CLIENT_CLUSTER_REFUSALS_MAX 3

/* Where a write command's reply lies in c->reply (node/replication.c). */
struct reply_span {
    size_t start;
    size_t end;
};

struct replication_hold;

/* One connected client. */
struct client {
    struct connection_info connection_info;  /* id, fd, name, addresses, times */
    struct server       *server;
    struct bufferevent  *connection;
    struct evbuffer     *reply;        /* replies not yet handed to connection */
    struct resp_parser   parser;
    /* The request being executed (valid during its handler only). */
    int                  argc;
    const char         **argv;
    size_t              *argv_length;
    const struct command_info *command;
    unsigned int         flags;
    /* Cluster secret (node/t_connection.c): the nonce of the pending
     * HERD.CHALLENGE ("" when none) and the commands refused so far. */
    char                 cluster_nonce[CLUSTER_NONCE_HEX_LENGTH + 1];
    int                  cluster_refusals;
    /* Replies held until the batches they follow reach write-consistency
     * (node/replication.c), and the write replies among them. */
    TAILQ_HEAD(, replication_hold) holds;
    struct reply_span   *write_spans;
    int                  write_span_count;
    int                  write_span_capacity;
    TAILQ_ENTRY(client)  clients_link;     /* server->clients */
    TAILQ_ENTRY(client)  commit_link;      /* server->waiting_commit */
};

TAILQ_HEAD(client_list, client);

struct storage;

/* Counters reported by INFO. */
struct server_stats {
    uint64_t connections_received;
    uint64_t commands_processed;
    uint64_t rejected_connections;
    uint64_t keyspace_hits;
    uint64_t keyspace_misses;
    uint64_t expired_keys;
    uint64_t protocol_errors;
    uint64_t output_limit_disconnections;
    uint64_t expire_cycles;
    uint64_t expire_time_limit_reached;   /* active expire cycles that ran out of time */
};

/* What the start-up load of the data file found (INFO storage). */
struct server_load_info {
    int      previous_stop_clean;   /* clean-shutdown marker was present */
    uint64_t records;               /* records read */
    uint64_t corrupt_dropped;       /* records failing their CRC, removed */
    uint64_t tombstones;            /* tombstone records (treated as absent) */
    uint64_t pages;                 /* collection pages (not counted in records) */
    uint64_t duration_ms;
};

struct keyindex;
struct cluster;
struct collection_reclaim;
struct collection_cache;

/* The node's one context. */
struct server {
    struct node_settings  settings;
    char                  config_file[PATH_MAX];
    struct event_base    *base;
    struct evconnlistener *listener;       /* port; NULL when 0 */
    struct evconnlistener *tls_listener;   /* tls-port; NULL when 0 */
    SSL_CTX              *tls_context;     /* shared/tls.h; NULL without tls-port */
    struct storage       *storage;
    struct hlc            clock;
    struct client_list    clients;
    struct client_list    waiting_commit;  /* replies held for the batch */
    unsigned long         client_count;
    uint64_t              next_client_id;
    uint64_t              start_ms;        /* monotonic */
    uint64_t              command_time_ms; /* wall time when the current command started */
    struct server_stats   stats;
    struct event         *commit_event;    /* low priority: ends a write batch */
    struct event         *cron_event;      /* active expire, idle clients */
    struct event         *signal_events[3];
    char                  run_id[41];
    /* Added by the server/storage implementation. */
    struct keyindex      *keyindex;        /* in-memory key and expiry index */
    struct server_load_info load;
    char                 *scratch;         /* record encoding buffer */
    size_t                scratch_size;
    uint64_t              random_state;    /* RANDOMKEY */
    int                   listener_paused; /* accept failed (EMFILE): retry from cron */
    uint64_t              accept_error_logged_ms; /* monotonic; rate limit of that warning */
    uint64_t              expire_budget_us;/* active expire time budget per cycle */
    int                   shutting_down;
    uint64_t              batch_commands;  /* commands run in the open batch */
    struct collection_reclaim *reclaim;    /* released collection pages to sweep */
    struct collection_cache *collection_cache; /* decoded collections between commands */
    struct auth_worker   *auth_worker;     /* password checks (shared/auth.h) */
    /* Replication (node/cluster.h, node/db.h). */
    struct keyindex      *tombstones;      /* keys whose record is a tombstone */
    uint64_t             *slot_digests;    /* SLOT_COUNT running digests */
    const struct version *import_version;  /* set while applying a replicated
                                              state: writes keep this version */
    struct cluster       *cluster;         /* membership, replication, repair */
};

/* A command implementation: reads c->argv, writes to c->reply. */
typedef void command_handler(struct client *c);

/* The handler of each command id (node/dispatch.c); NULL: not supported
 * by the node. */
command_handler *command_handler_for(enum command_id id);

/* Every handler, by file. */
#define DECLARE_HANDLER(id, name, arity, flags, first, last, step, categories, group, summary) \
    void command_##id(struct client *c);
COMMAND_TABLE(DECLARE_HANDLER)
#undef DECLARE_HANDLER

/* Replies "-ERR storage failure, see the node's log" (the storage layer has
 * logged the details). */
void reply_error_storage(struct client *c);
/* Replies the error of a blocking command herd does not support yet
 * (node/t_list.c); the connection stays open. */
void reply_error_blocking(struct client *c);

/* Lifecycle (node/server.c).  server_init() expects settings to be filled
 * in; it opens the data directory and the listener.  server_run() runs the
 * event loop until SIGTERM/SIGINT; server_close() commits, syncs and writes
 * the clean-shutdown marker when `clean`.  Each returns 0 or -1 (with a
 * message in error for server_init). */
int  server_init(struct server *server, char *error, size_t error_size);
int  server_run(struct server *server);
int  server_close(struct server *server, int clean);

/* Ends the open write batch now: commit (+fsync per policy), then release
 * the replies held for it. */
void server_commit_batch(struct server *server);
/* Called by the db layer when a write opened a new batch: schedules the
 * low-priority commit event. */
void server_batch_opened(struct server *server);

/* One CLIENT LIST line (without the trailing newline) into out. */
void client_describe(struct client *c, struct evbuffer *out);
/* Replication let go of the client's held replies: send them (the client
 * may be freed here when it was closing). */
void client_replies_released(struct client *c);
/* Closes a client once its pending output is flushed. */
void client_close_after_reply(struct client *c);

/* The cluster-secret gate (node/t_connection.c), called for every request
 * before the usual checks: on a node with a cluster secret it runs the
 * internal handshake commands and refuses everything else until the peer
 * proved the secret.  Returns 1 when the request goes on as usual, 0 when
 * it was answered here. */
int  client_cluster_gate(struct client *c, const struct command_info *info);

#endif
