/*
 * proxy.h — herd-proxy's one context (struct proxy) and the three kinds of
 * object it juggles, after twemproxy's design:
 *
 *   client   — a connection from a Redis client.  Its requests wait in a
 *              FIFO (client->pending) so replies leave in request order even
 *              when different nodes answer them at different times.
 *   request  — one client command.  It is answered locally, forwarded whole
 *              to one node, or split into fragments (one per node) whose
 *              replies are merged ("fragment/coalesce").
 *   backend  — the one pipelined connection to a herd-node.  Fragments sent
 *              on it wait in its FIFO (backend->outstanding) until the node's
 *              replies come back, in the same order.
 *
 * Everything runs on one libevent loop.  Output is not written from event
 * callbacks: connections with new output are put on flush lists and
 * written once per loop iteration (proxy_after_events), so requests from
 * many clients reach a node in one write.
 *
 * Error texts a client may get from the proxy for node trouble (the node is
 * shown as HOST:PORT, as configured):
 *   -ERR node HOST:PORT unavailable            not connected, connection
 *                                              lost, or connect failed
 *   -ERR node HOST:PORT timed out              no reply within node-timeout
 *                                              (the connection is reset)
 *   -ERR node HOST:PORT overloaded             too many request bytes are
 *                                              waiting to be sent to it
 *   -ERR node HOST:PORT sent an invalid reply  unparseable reply (the
 *                                              connection is reset)
 *   -ERR node HOST:PORT sent a reply above client-output-buffer-limit
 *                                              a reply the proxy must merge
 *                                              (KEYS, MGET...) was too big
 */
#ifndef HERD_PROXY_PROXY_H
#define HERD_PROXY_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <hiredis/hiredis.h>
#include "shared/auth.h"
#include "shared/commands.h"
#include "shared/connection.h"
#include "shared/placement.h"
#include "shared/resp.h"
#include "shared/slot.h"
#include "shared/tls.h"
#include "proxy/settings.h"
#include "proxy/distribution.h"

#define PROXY_VERSION        "0.1.0"
/* What INFO and HELLO report as the Redis version, so client libraries
 * enable the Redis 7.0 features herd implements. */
#define PROXY_REDIS_VERSION  "7.0.15"

/* Stop reading a client whose pending replies exceed this fraction of
 * client-output-buffer-limit; read again once below.  Generous, so a client
 * that writes a long pipeline before reading is not stalled early. */
#define PROXY_CLIENT_OUTPUT_SOFT_FRACTION 4
/* Longest reconnect back-off, unless node-reconnect-interval is longer. */
#define PROXY_RECONNECT_MAX_MS 5000
/* Bits of a cluster SCAN cursor that carry the node's own cursor. */
#define PROXY_SCAN_NODE_BITS 54

struct proxy;
struct proxy_client;
struct proxy_request;
struct proxy_backend;

/* ------------------------------------------------------------------ */
/* Reply framing: where one RESP2 reply in a byte stream ends.          */
/* ------------------------------------------------------------------ */

#define PROXY_FRAMER_MAX_DEPTH 32

/* What proxy_framer_scan() found. */
enum proxy_framer_status {
    PROXY_FRAMER_COMPLETE,    /* framer->offset bytes make one whole reply */
    PROXY_FRAMER_INCOMPLETE,  /* everything so far belongs to the reply */
    PROXY_FRAMER_INVALID      /* not RESP2 */
};

/* Resumable scanner of node replies.  It keeps only counts, never
 * positions, so bytes already scanned may be moved away (streamed) while
 * the rest of a long reply is still arriving. */
struct proxy_framer {
    size_t    offset;        /* bytes of the current reply scanned */
    int       state;         /* enum in framer.c */
    char      kind;          /* '$' or '*' while reading a length */
    int       negative;
    int       digits;
    long long number;
    long long bulk_remaining;                 /* payload bytes to skip */
    int       depth;                          /* open arrays */
    long long remaining[PROXY_FRAMER_MAX_DEPTH];  /* elements left in each */
};

void proxy_framer_reset(struct proxy_framer *framer);
/* Scans bytes data[0..length) of the current reply.  On COMPLETE, *used is
 * how many of them ended it; otherwise all were used. */
enum proxy_framer_status proxy_framer_feed(struct proxy_framer *framer,
                                           const char *data, size_t length,
                                           size_t *used);
/* Scans `input` from framer->offset on; on COMPLETE the reply is the first
 * framer->offset bytes of `input`. */
enum proxy_framer_status proxy_framer_scan(struct proxy_framer *framer,
                                           struct evbuffer *input);

/* ------------------------------------------------------------------ */
/* Requests and fragments                                              */
/* ------------------------------------------------------------------ */

/* How a request's reply is produced. */
enum proxy_merge {
    PROXY_MERGE_LOCAL,      /* answered by the proxy itself */
    PROXY_MERGE_FORWARD,    /* one node; its raw reply is the answer */
    PROXY_MERGE_MGET,       /* arrays, reassembled in key order */
    PROXY_MERGE_SUM,        /* integers, added */
    PROXY_MERGE_ALL_OK,     /* +OK when every fragment said OK */
    PROXY_MERGE_CONCAT,     /* arrays, concatenated (KEYS) */
    PROXY_MERGE_RANDOMKEY,  /* nodes tried one after another */
    PROXY_MERGE_SCAN,       /* cluster cursor rewritten */
    PROXY_MERGE_MEMBERSHIP  /* the proxy's own CLUSTER MEMBERS poll */
};

/* Why requests to a node fail (see the texts above). */
enum proxy_node_failure {
    PROXY_NODE_UNAVAILABLE,
    PROXY_NODE_TIMED_OUT,
    PROXY_NODE_OVERLOADED,
    PROXY_NODE_INVALID_REPLY,
    PROXY_NODE_REPLY_TOO_LARGE
};

/* The part of a request sent to one node; an entry of that node's FIFO. */
struct proxy_fragment {
    struct proxy_request  *request;
    struct proxy_backend  *backend;
    redisReply            *reply;     /* parsed reply kept for the merge */
    uint64_t               sent_ms;   /* monotonic time it was queued */
    size_t                 streamed;  /* reply bytes passed on before its end */
    int                    discarding;  /* reply too big to merge: dropped */
    TAILQ_ENTRY(proxy_fragment) backend_link;
};

/* One client command in flight.  Pooled per client: the evbuffer and the
 * arrays are kept when a request is reused. */
struct proxy_request {
    struct proxy_client   *client;     /* NULL once the client has gone */
    TAILQ_ENTRY(proxy_request) client_link;  /* client->pending, or pool */
    enum proxy_merge       merge;
    enum command_id        command;
    int                    done;       /* reply complete */
    int                    fragment_count;
    int                    fragments_pending;
    struct proxy_fragment *fragments;  /* &single, or `many` */
    struct proxy_fragment  single;
    struct proxy_fragment *many;
    int                    many_capacity;
    struct evbuffer       *reply;      /* held until earlier replies leave */
    size_t                 held;       /* bytes of `reply` counted in client */
    uint16_t              *order;      /* MGET: fragment of each key;
                                          RANDOMKEY: nodes to try */
    int                    order_count;
    int                    order_capacity;
    int                    attempt;    /* RANDOMKEY: next entry of order */
    int                    scan_ordinal;
    redisReply            *first_error;  /* RANDOMKEY: first node error */
};

struct proxy_request *proxy_request_new(struct proxy_client *client,
                                        enum proxy_merge merge,
                                        enum command_id command);
/* Makes room for `count` fragments.  Returns 0 or -1 (no memory). */
int  proxy_request_reserve(struct proxy_request *request, int count);
/* Gives a finished request back (to its client's pool, or free). */
void proxy_request_release(struct proxy_request *request);
void proxy_request_destroy(struct proxy_request *request);
/* The evbuffer bytes of this request's reply go to now: the client's
 * output when every earlier reply is written, else request->reply; NULL
 * when nobody wants them any more. */
struct evbuffer *proxy_request_destination(struct proxy_request *request);
/* Marks the reply complete and lets the client write what it can. */
void proxy_request_complete(struct proxy_request *request);
/* Every fragment of a merged request has answered (or none could be
 * sent): writes the merged reply and completes the request. */
void proxy_request_merge_done(struct proxy_request *request);

/* A node answered a fragment with `length` raw bytes at the start of
 * `input` (all of the reply when `complete`, else a first part). */
void proxy_fragment_forward(struct proxy_fragment *fragment, struct evbuffer *input,
                            size_t length, int complete);
/* A node's parsed reply for a fragment that is merged; takes `reply`. */
void proxy_fragment_replied(struct proxy_fragment *fragment, redisReply *reply);
/* The fragment failed for `failure` on its node. */
void proxy_fragment_failed(struct proxy_fragment *fragment,
                           enum proxy_node_failure failure);

/* ------------------------------------------------------------------ */
/* Clients                                                             */
/* ------------------------------------------------------------------ */

#define PROXY_CLIENT_PAUSED            (1u << 0)  /* not reading input */
#define PROXY_CLIENT_CLOSE_AFTER_REPLY (1u << 1)  /* QUIT or protocol error */
#define PROXY_CLIENT_CLOSING           (1u << 2)  /* freed after this loop turn */
#define PROXY_CLIENT_ON_FLUSH_LIST     (1u << 3)
#define PROXY_CLIENT_ON_RESUME_LIST    (1u << 4)
#define PROXY_CLIENT_WRITE_ARMED       (1u << 5)  /* waiting for EV_WRITE */
#define PROXY_CLIENT_PROCESSING        (1u << 6)  /* inside process_input */
#define PROXY_CLIENT_TLS_HANDSHAKE     (1u << 7)  /* TLS: handshake not over */
#define PROXY_CLIENT_TLS_WANTS_WRITE   (1u << 8)  /* TLS: handshake or read waits
                                                     for EV_WRITE */
#define PROXY_CLIENT_TLS_BROKEN        (1u << 9)  /* TLS: failed, no close_notify */
#define PROXY_CLIENT_POLL_READ         (1u << 10) /* in the poller for reading */
#define PROXY_CLIENT_POLL_WRITE        (1u << 11) /* in the poller for writing */
#define PROXY_CLIENT_TLS_READ_AGAIN    (1u << 12) /* TLS: decrypted bytes wait
                                                     (on the resume list) */

/* Free a client's session after this long without input or output. */
#define PROXY_SESSION_IDLE_MS 2000

/* What a client needs only while it is talking: the query buffer and its
 * parser, the replies not yet written and the requests in flight.  It is
 * created when the first bytes arrive and freed again once the client has
 * been idle for PROXY_SESSION_IDLE_MS with nothing in flight, so an idle
 * connection costs only its struct proxy_client.  A client of the TLS
 * port gets its session at once (the TLS state lives here). */
struct proxy_client_session {
    SSL                   *tls;            /* TLS port: the connection; else NULL */
    struct evbuffer       *output;
    struct resp_parser     parser;
    TAILQ_HEAD(, proxy_request) pending;   /* replies not yet written */
    int                    pending_count;
    TAILQ_HEAD(, proxy_request) pool;      /* released requests to reuse */
    int                    pool_count;
    size_t                 held_bytes;     /* replies waiting in requests */
    struct proxy_request  *immediate;      /* see proxy_client_reply_begin */
};

/* One connected client.  Kept small: an idle client is this struct and
 * its socket (see struct proxy_client_session for the rest).  Its socket
 * is watched by the proxy's client poller (proxy/poller.c), not by a
 * libevent event of its own. */
struct proxy_client {
    struct connection_info connection_info;  /* id, fd, name, addresses, times */
    struct proxy          *proxy;
    struct proxy_client_session *session;  /* NULL while idle */
    unsigned int           flags;
    TAILQ_ENTRY(proxy_client) link;        /* proxy->clients */
    TAILQ_ENTRY(proxy_client) flush_link;  /* proxy->flush_clients */
    TAILQ_ENTRY(proxy_client) resume_link; /* proxy->resume_clients */
};

TAILQ_HEAD(proxy_client_list, proxy_client);

/* Clients per block of client memory. */
#define PROXY_CLIENT_BLOCK 64

/* Client structs are carved from blocks and kept on a free list when their
 * connection ends (as nutcracker keeps its connections), so they sit
 * together in memory: the sessions freed between them then form whole free
 * pages the allocator can give back.  Blocks are freed at exit. */
struct proxy_client_block {
    struct proxy_client_block *next;
    struct proxy_client        clients[PROXY_CLIENT_BLOCK];
};

/* A new connection; `tls_context` is NULL on the plaintext port. */
void proxy_client_accept(struct proxy *proxy, int fd,
                         const struct sockaddr *address, int address_length,
                         SSL_CTX *tls_context);
/* Where a reply known right now is written: the output when nothing is
 * pending, else a new finished request's buffer.  Call
 * proxy_client_reply_end() after writing. */
struct evbuffer *proxy_client_reply_begin(struct proxy_client *client);
void proxy_client_reply_end(struct proxy_client *client);
/* Shorthand for an immediate error reply ("ERR ..." without '-'). */
void proxy_client_error(struct proxy_client *client, const char *error);
/* Writes every finished reply at the head of the FIFO to the output. */
void proxy_client_advance(struct proxy_client *client);
/* Call after adding to client->output: schedules the write and enforces
 * client-output-buffer-limit. */
void proxy_client_output_added(struct proxy_client *client);
/* Stops reading for good (QUIT, protocol error, end of input): the
 * client closes once every reply is written. */
void proxy_client_stop_reading(struct proxy_client *client);
/* Marks the client for closing at the end of this loop turn. */
void proxy_client_close_later(struct proxy_client *client, const char *reason);
void proxy_client_free(struct proxy_client *client);
/* Writes the output; returns -1 when the client was freed. */
int  proxy_client_flush(struct proxy_client *client);
/* Starts reading again and handles already buffered requests. */
void proxy_client_resume(struct proxy_client *client);
/* The line CLIENT LIST shows for this client (without newline). */
void proxy_client_describe(struct proxy_client *client, struct evbuffer *out);
/* The poller saw the client's socket ready (readable and/or writable). */
void proxy_client_ready(struct proxy_client *client, int readable, int writable);
/* Frees the client blocks (at exit, after every client was freed). */
void proxy_client_free_blocks(struct proxy *proxy);
/* Frees the sessions of clients idle for PROXY_SESSION_IDLE_MS. */
void proxy_client_release_idle_sessions(struct proxy *proxy, uint64_t now_ms);
/* The client's session, created when it has none. */
struct proxy_client_session *proxy_client_session(struct proxy_client *client);
/* Requests waiting for their reply (0 without a session). */
int  proxy_client_pending_count(const struct proxy_client *client);

/* ------------------------------------------------------------------ */
/* The client poller: one epoll set for every client socket            */
/* ------------------------------------------------------------------ */

/* Interest bits for proxy_poller_set(). */
#define PROXY_POLL_READ  1u
#define PROXY_POLL_WRITE 2u

/* Creates the epoll set and its libevent event.  Returns 0 or -1. */
int  proxy_poller_init(struct proxy *proxy);
void proxy_poller_free(struct proxy *proxy);
/* Changes what the poller watches on `fd` for `client` from `before` to
 * `after` (PROXY_POLL_* bits; 0 removes the socket).  Returns 0 or -1
 * (errno set). */
int  proxy_poller_set(struct proxy *proxy, struct proxy_client *client, int fd,
                      unsigned int before, unsigned int after);

/* ------------------------------------------------------------------ */
/* Backends (node connections)                                         */
/* ------------------------------------------------------------------ */

enum proxy_backend_state {
    PROXY_BACKEND_DOWN,
    PROXY_BACKEND_CONNECTING,
    PROXY_BACKEND_CONNECTED
};

/* Counters per node, shown by INFO. */
struct proxy_backend_stats {
    uint64_t requests;      /* fragments sent */
    uint64_t replies;
    uint64_t failures;      /* fragments failed by the proxy */
    uint64_t timeouts;
    uint64_t connections;   /* successful connects */
    uint64_t disconnects;
};

/* The connection to one node. */
struct proxy_backend {
    struct proxy          *proxy;
    int                    index;        /* in settings.nodes / placement */
    int                    ordinal;      /* position sorted by name (SCAN) */
    const struct proxy_node_address *node;
    enum proxy_backend_state state;
    int                    failed;       /* last attempt failed: refuse */
    int                    fd;
    int                    on_flush_list;
    int                    write_armed;
    struct event          *read_event;
    struct event          *write_event;
    struct event          *reconnect_event;
    struct evbuffer       *input;
    struct evbuffer       *output;
    struct proxy_framer    framer;
    redisReader           *reader;       /* parses replies that are merged */
    TAILQ_HEAD(, proxy_fragment) outstanding;
    long                   outstanding_count;
    uint64_t               connect_started_ms;
    uint64_t               last_read_ms;
    long long              reconnect_delay_ms;
    int                    auth_replies;  /* node-password AUTH replies to skip */
    int                    handshake_step; /* cluster-secret replies read while CONNECTING */
    /* node-tls: the connection's TLS state (NULL: plaintext). */
    SSL                   *tls;
    int                    tls_handshaking;      /* TLS handshake not over */
    int                    tls_read_wants_write; /* SSL_read waits for writability */
    int                    tls_write_wants_read; /* SSL_write waits for readability */
    struct proxy_backend_stats stats;
    TAILQ_ENTRY(proxy_backend) flush_link;
    /* Seed mode (proxy/membership.c). */
    int                    member;       /* a cluster member (node->name is its id) */
    int                    voted_alive;  /* most nodes' views say it is alive */
    unsigned char         *view;         /* this node's liveness view: 1 alive, per
                                            backend index */
    uint64_t               view_ms;      /* when the view was read (0: never) */
    int                    poll_pending; /* a CLUSTER MEMBERS is in flight */
    uint64_t               incarnation;  /* highest the nodes reported */
};

int  proxy_backend_init(struct proxy *proxy, struct proxy_backend *backend, int index);
void proxy_backend_free(struct proxy_backend *backend);
void proxy_backend_connect(struct proxy_backend *backend);
/* 0 when the node takes requests now, else 1 and why not in *failure. */
int  proxy_backend_refuses(const struct proxy_backend *backend,
                           enum proxy_node_failure *failure);
/* Queues a fragment whose bytes were just written to backend->output. */
void proxy_backend_enqueue(struct proxy_backend *backend, struct proxy_fragment *fragment);
/* Writes backend->output; call once per loop turn. */
void proxy_backend_flush(struct proxy_backend *backend);
/* Fails requests past node-timeout; gives up slow connects. */
void proxy_backend_check_timeouts(struct proxy_backend *backend, uint64_t now_ms);
/* "ERR node HOST:PORT unavailable" and friends. */
void proxy_node_error_text(const struct proxy_backend *backend,
                           enum proxy_node_failure failure,
                           char *buffer, size_t size);
const char *proxy_backend_state_name(enum proxy_backend_state state);

/* ------------------------------------------------------------------ */
/* Routing, merging, local commands, SCAN                              */
/* ------------------------------------------------------------------ */

/* Handles one parsed request of `client`. */
void proxy_route_request(struct proxy_client *client, const struct resp_request *request);
/* RANDOMKEY: sends to the next node to try; returns 0 when none is left. */
int  proxy_route_randomkey_next(struct proxy_request *request);

/* Writes the merged reply of a request whose fragments all answered. */
void proxy_merge_write(struct proxy_request *request, struct evbuffer *out);
/* RANDOMKEY: takes one node's reply; returns 1 when the answer is known
 * (then proxy_merge_write writes it), 0 to try the next node. */
int  proxy_merge_randomkey_reply(struct proxy_request *request, redisReply *reply);
/* Writes any parsed reply back as RESP2. */
void proxy_merge_write_reply(struct evbuffer *out, const redisReply *reply);
/* A hiredis reply object holding an error text (copied). */
redisReply *proxy_merge_error_reply(const char *text);

/* Answers commands the proxy handles itself; returns 0 when `command` is
 * not one of them. */
int  proxy_local_execute(struct proxy_client *client, const struct command_info *command,
                         const struct resp_request *request);

/* Cluster SCAN cursors: (node ordinal << 54) | the node's own cursor. */
int  proxy_scan_cursor_parse(const char *text, size_t length, int node_count,
                             int *ordinal, uint64_t *node_cursor);
/* The cursor the client gets after node `ordinal` returned `node_cursor`;
 * returns -1 when the node's cursor does not fit in 54 bits. */
int  proxy_scan_cursor_next(int ordinal, uint64_t node_cursor, int node_count,
                            uint64_t *cursor);
void proxy_scan_route(struct proxy_client *client, const struct resp_request *request);
void proxy_scan_merge(struct proxy_request *request, const redisReply *reply,
                      struct evbuffer *out);

/* ------------------------------------------------------------------ */
/* The context                                                         */
/* ------------------------------------------------------------------ */

/* Counters reported by INFO. */
struct proxy_stats {
    uint64_t connections_received;
    uint64_t rejected_connections;
    uint64_t commands_processed;
    uint64_t protocol_errors;
    uint64_t output_limit_closes;
    uint64_t idle_closes;
    uint64_t net_input_bytes;
    uint64_t fragmented_requests;
};

/* herd-proxy's one context. */
struct proxy {
    struct proxy_settings   settings;
    char                    config_file[PATH_MAX];
    struct event_base      *base;
    struct evconnlistener  *listener;         /* plaintext port; NULL: port 0 */
    struct evconnlistener  *tls_listener;     /* tls-port; NULL: no TLS */
    SSL_CTX                *tls_context;      /* shared/tls.h; NULL: no TLS */
    SSL_CTX                *node_tls_context; /* node-tls client context; NULL: no */
    uint64_t                listener_paused_ms;  /* accept failed (EMFILE); 0: no */
    struct proxy_backend   *backends;         /* settings.nodes order (seed mode:
                                                 seeds, then members as learnt) */
    int                     backend_count;
    int                     backend_capacity; /* fixed: backends never move */
    struct proxy_node_address *node_addresses; /* backend_capacity, by backend */
    /* Seed mode: the cluster's membership as the nodes report it. */
    int                     seed_mode;
    int                    *member_backend;   /* placement index -> backend index */
    int                     member_count;
    uint64_t                membership_digest;
    int                     cluster_replicas; /* as the nodes report it */
    uint64_t                last_membership_poll_ms;
    unsigned int            read_rotation;    /* read-consistency one */
    int                    *scan_order;       /* ordinal -> backend index */
    struct placement_table  placement;
    struct proxy_distribution *distribution;  /* pool mode (distribution.h);
                                                 NULL: slots */
    int16_t                 slot_backend[SLOT_COUNT];  /* first replica */
    struct proxy_client_list clients;
    unsigned long           client_count;
    struct proxy_client_list flush_clients;
    struct proxy_client_list resume_clients;
    struct proxy_client_list closing_clients;
    struct proxy_client_list free_clients;    /* unused structs of the blocks */
    struct proxy_client_block *client_blocks;
    TAILQ_HEAD(, proxy_backend) flush_backends;
    uint64_t                next_client_id;
    uint64_t                start_ms;         /* monotonic */
    uint64_t                start_unix;       /* seconds */
    uint64_t                random_state;     /* shared/random.h */
    struct proxy_stats      stats;
    struct event           *cron_event;
    struct event           *wakeup_event;     /* keeps the loop turning */
    int                     client_poll_fd;   /* epoll set of client sockets */
    struct event           *client_poll_event;  /* client_poll_fd readable */
    struct event           *signal_events[2];
    uint64_t                last_client_sweep_ms;
    int                     stopping;
    /* Scratch space for splitting a request by node. */
    uint16_t               *key_backend;
    int                     key_backend_capacity;
    int                    *keys_per_backend;
    int                    *fragment_of_backend;
    char                    run_id[41];
    struct auth_worker     *auth_worker;      /* password checks (shared/auth.h) */
};

int  proxy_init(struct proxy *proxy);
int  proxy_run(struct proxy *proxy);
void proxy_free(struct proxy *proxy);
/* Logs and aborts: the proxy cannot go on without memory for its own
 * bookkeeping (Redis does the same). */
void proxy_out_of_memory(void) __attribute__((noreturn));
/* Queues a backend for writing at the end of this loop turn. */
void proxy_schedule_backend_flush(struct proxy_backend *backend);
/* Queues a client for writing at the end of this loop turn. */
void proxy_schedule_client_flush(struct proxy_client *client);
void proxy_schedule_client_resume(struct proxy_client *client);
/* Accepts again on every port (after running out of descriptors). */
void proxy_enable_listeners(struct proxy *proxy);
/* The node a request for a slot goes to: with node lines, the slot's first
 * replica; in seed mode, the first usable home replica for a write (the
 * coordinator), for a read per read-consistency (proxy/membership.c);
 * NULL in seed mode before the membership is known. */
struct proxy_backend *proxy_backend_for_slot(struct proxy *proxy, unsigned int slot,
                                             int write);

/* Orders the SCAN ordinals of the backends by node name (again after a
 * member was added). */
void proxy_order_backends(struct proxy *proxy);

/* Seed mode (proxy/membership.c). */
/* Polls every connected node's CLUSTER MEMBERS when the interval passed. */
void proxy_membership_tick(struct proxy *proxy, uint64_t now_ms);
/* A node's CLUSTER MEMBERS reply (or an error reply). */
void proxy_membership_reply(struct proxy_backend *backend, const redisReply *reply);
/* Creates the seed backends.  Returns 0 or -1. */
int  proxy_membership_init(struct proxy *proxy);
/* 1 when requests may go to the backend now (seed mode: a member that most
 * nodes see alive, whose connection takes requests). */
int  proxy_backend_routable(const struct proxy_backend *backend);
/* Writes a keyspace listing (DBSIZE, KEYS, SCAN, RANDOMKEY) for one node:
 * in seed mode inside HERD.OWNED, so each key is listed by one replica. */
void proxy_write_listing(const struct proxy *proxy, struct evbuffer *out, int argc,
                         const char *const *argv, const size_t *lengths);
/* CLUSTER NODES / MEMBERS / INFO / MYID answered from the proxy's view. */
void proxy_membership_command(struct proxy_client *client, const struct resp_request *request);

#endif
