/*
 * server.c — herd-node's event loop: the listener, client connections,
 * request parsing and dispatch, held replies and group commit, the cron
 * and signals.
 *
 * Replies.  Handlers write into c->reply, an evbuffer of the client's own
 * (not the bufferevent's output).  When the client's input has been
 * processed, client_flush() writes c->reply straight to the socket (as
 * Redis does) and only what the socket does not take goes to the
 * bufferevent's output, which libevent then writes when the socket is
 * writable.  Compared with always going through the bufferevent this saves
 * two epoll_ctl calls per request burst.
 *
 * Group commit.  The event base has two priorities.  All I/O runs at
 * priority 0; the commit event runs at priority 1, so libevent fires it
 * only once a loop turn has no I/O callbacks left.  The first write of a
 * turn opens a storage batch and activates the commit event.  Every client
 * that ran a command while the batch was open is "held": it is put on
 * server->waiting_commit and client_flush() leaves its replies in c->reply,
 * so nothing of them reaches the socket.  The commit event commits the
 * batch (and fsyncs it under `fsync always`) and then flushes every held
 * client.  So no reply that depends on a write leaves the node before the
 * write is committed.  A batch is also committed early, between two
 * commands, once it reaches BATCH_MAX_WRITES writes or BATCH_MAX_BYTES
 * bytes.
 *
 * Closing.  bufferevent_free() does not flush, so a client that must be
 * closed after its last reply (QUIT, protocol error) stops reading and is
 * freed once everything is written: by client_flush() when the socket
 * took it all, else by the write callback when the output drains.
 *
 * Backpressure.  While a client's pending output is above a soft limit
 * (half the output buffer limit, at most 64 MB) the node stops reading its
 * socket, so TCP flow control slows a client that sends faster than it
 * reads; requests already read are still executed.  Reading resumes when
 * the output has drained to half the soft limit (write low-watermark
 * callback, or at once when the socket took everything).  Above the hard
 * limit (client-output-buffer-limit) the client is closed, as Redis does:
 * a client that pipelines requests and never reads its replies is
 * disconnected.
 *
 * Authentication.  Every client starts logged in as the default user, or
 * as nobody when that user needs a password (shared/connection.h); each
 * command passes connection_access() after its arity check.  AUTH or
 * HELLO AUTH with a password to verify hands it to the password thread
 * (shared/auth.h) and the client runs none of its further requests (it is
 * still read, within client-query-buffer-limit) until the result comes
 * back on the loop (client_auth_done); other clients are served meanwhile.
 *
 * Cluster secret.  With cluster-secret set, every connection is a would-be
 * cluster member: client_cluster_gate() (node/t_connection.c) answers
 * HERD.CHALLENGE and HERD.PROVE and refuses every other command (but QUIT)
 * until the proof succeeded; a wrong proof, or CLIENT_CLUSTER_REFUSALS_MAX
 * refused commands, close the connection.  Requests pipelined behind a
 * failed HERD.PROVE are never run (the client is closing).  After the
 * proof, AUTH and ACL apply as to any client.
 *
 * TLS.  With tls-port set, a second listener takes TLS connections: each
 * client's bufferevent is an OpenSSL one (libevent's bufferevent_openssl)
 * accepting the handshake, with the tls-* context of shared/tls.h; with
 * tls-auth-clients yes a peer without a certificate signed by
 * tls-ca-cert-file fails the handshake and is closed.  Such a client
 * (CLIENT_TLS) never has its replies written straight to the socket:
 * they always go through the bufferevent, which encrypts them.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/err.h>
#include "shared/clock.h"
#include "shared/commands.h"
#include "shared/connection.h"
#include "shared/log.h"
#include "shared/network.h"
#include "shared/random.h"
#include "shared/reply.h"
#include "shared/resp.h"
#include "node/cluster.h"
#include "node/collection.h"
#include "node/db.h"
#include "node/expire.h"
#include "node/keyindex.h"
#include "node/server.h"
#include "node/settings.h"
#include "node/storage.h"

#define PRIORITY_IO          0
#define PRIORITY_COMMIT      1
#define PRIORITY_COUNT       2
#define BATCH_MAX_WRITES     1000
#define BATCH_MAX_BYTES      (4 * 1024 * 1024)
#define OUTPUT_SOFT_LIMIT_MAX (64LL * 1024 * 1024)
#define MAX_CLIENTS_MESSAGE  "-ERR max number of clients reached\r\n"

static void client_process_input(struct client *c);
static void server_resume_listeners(struct server *server);
static int client_flush(struct client *c);

/* Pages of deleted collections the cron removes per cycle (hz per second). */
#define SERVER_RECLAIM_PAGES_PER_CYCLE 1000

/* ------------------------------------------------------------------------
 * Clients
 * ------------------------------------------------------------------------ */

static void
client_free(struct client *c)
{
    struct server *server = c->server;

    TAILQ_REMOVE(&server->clients, c, clients_link);
    if (c->flags & CLIENT_WAITING_COMMIT) {
        TAILQ_REMOVE(&server->waiting_commit, c, commit_link);
    }
    cluster_client_gone(c);
    bufferevent_free(c->connection);
    evbuffer_free(c->reply);
    resp_parser_free(&c->parser);
    connection_release(&c->connection_info);
    free(c);
    server->client_count--;
    server_resume_listeners(server);
}

void
client_close_after_reply(struct client *c)
{
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    bufferevent_disable(c->connection, EV_READ);
}

/* Holds the client's replies until the open batch commits. */
static void
client_hold(struct client *c)
{
    if (c->flags & CLIENT_WAITING_COMMIT) {
        return;
    }
    c->flags |= CLIENT_WAITING_COMMIT;
    TAILQ_INSERT_TAIL(&c->server->waiting_commit, c, commit_link);
}

/* Bytes of reply not yet written to the socket. */
static size_t
client_pending_output(struct client *c)
{
    return evbuffer_get_length(c->reply) +
           evbuffer_get_length(bufferevent_get_output(c->connection));
}

static long long
output_soft_limit(const struct server *server)
{
    long long limit = server->settings.output_buffer_limit;

    if (limit <= 0 || limit / 2 > OUTPUT_SOFT_LIMIT_MAX) {
        return OUTPUT_SOFT_LIMIT_MAX;
    }
    return limit / 2;
}

/* Applies the output limits after a command.  Returns -1 if the client was
 * closed (and freed). */
static int
client_check_output(struct client *c)
{
    struct server *server = c->server;
    size_t pending = client_pending_output(c);
    long long soft = output_soft_limit(server);
    struct evbuffer *line;

    if (server->settings.output_buffer_limit > 0 &&
        (long long)pending > server->settings.output_buffer_limit) {
        line = evbuffer_new();
        client_describe(c, line);
        evbuffer_add(line, "", 1);
        log_warning("Client %s closed for overcoming of output buffer limits.",
                    (const char *)evbuffer_pullup(line, -1));
        evbuffer_free(line);
        server->stats.output_limit_disconnections++;
        client_free(c);
        return -1;
    }
    if ((long long)pending > soft && !(c->flags & CLIENT_OUTPUT_PAUSED)) {
        c->flags |= CLIENT_OUTPUT_PAUSED;
        bufferevent_disable(c->connection, EV_READ);
        bufferevent_setwatermark(c->connection, EV_WRITE, (size_t)(soft / 2), 0);
    }
    return 0;
}

/* Ends the batch early when it grew past its cap. */
static void
server_check_batch_size(struct server *server)
{
    uint64_t writes, bytes;

    storage_batch_size(server->storage, &writes, &bytes);
    if (writes >= BATCH_MAX_WRITES || bytes >= BATCH_MAX_BYTES) {
        server_commit_batch(server);
    }
}

/* Checks the arity of a known command and runs its handler.  Either way
 * the command becomes CLIENT LIST's cmd=, as in Redis. */
static void
client_run_command(struct client *c, const struct command_info *info,
                   command_handler *handler)
{
    struct server *server = c->server;
    size_t start = 0;
    int tracked = 0;

    c->connection_info.last_command = info->name;
    if (!command_arity_ok(info, c->argc)) {
        reply_error_arity(c->reply, info->name);
        return;
    }
    if (!connection_access(&c->connection_info, info, c->argc, c->argv, c->argv_length,
                           c->reply)) {
        return;
    }
    if ((info->flags & COMMAND_WRITE) && !(info->flags & COMMAND_INTERNAL) &&
        cluster_has_peers(server->cluster)) {
        if (!cluster_write_allowed(server->cluster, c, info)) {
            return;
        }
        start = evbuffer_get_length(c->reply);
        tracked = 1;
    }
    c->command = info;
    server->command_time_ms = wall_clock_milliseconds(NULL);
    handler(c);
    server->command_time_ms = 0;
    if (tracked) {
        cluster_note_write_reply(c, start, evbuffer_get_length(c->reply));
    }
    server->stats.commands_processed++;
    c->command = NULL;
}

/* Looks the command up, checks it and runs it.  Returns -1 if the client
 * was closed. */
static int
client_execute(struct client *c, const struct resp_request *request)
{
    struct server *server = c->server;
    const struct command_info *info;
    command_handler *handler = NULL;

    c->argc = request->argc;
    c->argv = request->argv;
    c->argv_length = request->argv_length;
    info = command_lookup(c->argv[0], c->argv_length[0]);
    if (info != NULL && (!(info->flags & COMMAND_INTERNAL) ||
                         !(info->flags & COMMAND_NOAUTH))) {
        /* Internal commands other than the cluster-secret handshake run
         * like any other when no secret is set (docs/security.md). */
        handler = command_handler_for(info->id);
    }
    if (!client_cluster_gate(c, info)) {
        /* answered by the cluster-secret gate */
    } else if (handler == NULL) {
        reply_error_unknown_command(c->reply, c->argc, c->argv, c->argv_length);
    } else {
        client_run_command(c, info, handler);
    }
    c->argc = 0;
    c->argv = NULL;
    c->argv_length = NULL;
    if (storage_in_batch(server->storage)) {
        client_hold(c);
        server->batch_commands++;
        server_check_batch_size(server);
    }
    return client_check_output(c);
}

static void
client_protocol_error(struct client *c)
{
    const char *message = c->parser.error;

    c->server->stats.protocol_errors++;
    log_verbose("Protocol error from client %s: %s", c->connection_info.address, message);
    if (strncmp(message, "ERR ", 4) == 0) {
        reply_error(c->reply, message);
    } else {
        reply_error_format(c->reply, "ERR %s", message);
    }
    client_close_after_reply(c);
}

/* Runs the complete requests in the client's query buffer until none is
 * left or the client must stop.  Returns -1 if the client was closed. */
static int
client_run_requests(struct client *c)
{
    struct resp_request request;
    enum resp_parse_status status;

    while (!(c->flags & CLIENT_CLOSE_AFTER_REPLY) &&
           !connection_auth_pending(&c->connection_info)) {
        status = resp_parser_next(&c->parser, &request);
        if (status == RESP_PARSE_INCOMPLETE) {
            break;
        }
        if (status == RESP_PARSE_ERROR) {
            client_protocol_error(c);
            break;
        }
        if (request.argc == 0) {
            continue;
        }
        if (client_execute(c, &request) != 0) {
            return -1;
        }
    }
    resp_parser_compact(&c->parser);
    return 0;
}

/* Parses and runs the client's requests, then sends the replies. */
static void
client_process_input(struct client *c)
{
    int flushed;

    do {
        if (client_run_requests(c) != 0) {
            return;
        }
        flushed = client_flush(c);
    } while (flushed == 1);
}

/* Lifts the output pause once the queued output is small again. */
static int
client_resume_if_drained(struct client *c)
{
    struct evbuffer *output = bufferevent_get_output(c->connection);

    if (!(c->flags & CLIENT_OUTPUT_PAUSED) ||
        evbuffer_get_length(output) > (size_t)(output_soft_limit(c->server) / 2)) {
        return 0;
    }
    c->flags &= ~CLIENT_OUTPUT_PAUSED;
    bufferevent_setwatermark(c->connection, EV_WRITE, 0, 0);
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
        return 0;
    }
    bufferevent_enable(c->connection, EV_READ);
    return 1;
}

/*
 * Sends the client's replies unless they are held for a commit: straight
 * to the socket when the bufferevent has nothing queued, the rest queued
 * behind.  Returns -1 if the client was closed (everything written after
 * QUIT or a protocol error), 1 if an output pause was lifted (the caller
 * runs the waiting requests), else 0.
 */
static int
client_flush(struct client *c)
{
    struct evbuffer *output = bufferevent_get_output(c->connection);

    if ((c->flags & CLIENT_WAITING_COMMIT) || !TAILQ_EMPTY(&c->holds)) {
        return 0;
    }
    if (evbuffer_get_length(output) == 0 && !(c->flags & CLIENT_TLS)) {
        while (evbuffer_get_length(c->reply) > 0 &&
               evbuffer_write(c->reply, c->connection_info.fd) > 0) {
        }
    }
    if (evbuffer_get_length(c->reply) > 0) {
        evbuffer_add_buffer(output, c->reply);
    }
    if ((c->flags & CLIENT_CLOSE_AFTER_REPLY) && evbuffer_get_length(output) == 0) {
        client_free(c);
        return -1;
    }
    return client_resume_if_drained(c);
}

static void
client_read_callback(struct bufferevent *connection, void *argument)
{
    struct client *c = argument;
    struct evbuffer *input = bufferevent_get_input(connection);
    size_t available;
    char *space;
    int copied;

    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
        evbuffer_drain(input, evbuffer_get_length(input));
        return;
    }
    while ((available = evbuffer_get_length(input)) > 0) {
        space = resp_parser_space(&c->parser, available);
        if (space == NULL) {
            log_warning("Closing client %s: cannot grow its query buffer",
                        c->connection_info.address);
            client_free(c);
            return;
        }
        copied = evbuffer_remove(input, space, available);
        if (copied <= 0) {
            break;
        }
        resp_parser_commit(&c->parser, (size_t)copied);
    }
    c->connection_info.last_interaction_ms = monotonic_milliseconds();
    client_process_input(c);
}

/* The bufferevent wrote queued output down to the low watermark. */
static void
client_write_callback(struct bufferevent *connection, void *argument)
{
    struct client *c = argument;

    c->connection_info.last_interaction_ms = monotonic_milliseconds();
    if ((c->flags & CLIENT_CLOSE_AFTER_REPLY) && client_pending_output(c) == 0) {
        client_free(c);
        return;
    }
    if (client_resume_if_drained(c)) {
        client_process_input(c);
    }
}

/* Logs why a TLS client failed (a refused certificate, most often). */
static void
client_log_tls_error(struct client *c)
{
    unsigned long code = bufferevent_get_openssl_error(c->connection);
    char reason[256];

    if (code == 0) {
        return;
    }
    ERR_error_string_n(code, reason, sizeof(reason));
    while (bufferevent_get_openssl_error(c->connection) != 0) {
    }
    log_verbose("TLS error with client %s: %s", c->connection_info.address, reason);
}

static void
client_event_callback(struct bufferevent *connection, short events, void *argument)
{
    struct client *c = argument;

    if ((c->flags & CLIENT_TLS) && (events & BEV_EVENT_ERROR)) {
        client_log_tls_error(c);
    }
    if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        log_debug("Client closed connection %s", c->connection_info.address);
        client_free(c);
    }
}

/* The password check of the client's AUTH is over: reply, then run the
 * requests that waited behind it. */
static void
client_auth_done(struct connection_info *connection, int verified)
{
    struct client *c = CONNECTION_OWNER(connection, struct client, connection_info);

    connection_auth_finish(connection, verified, c->reply);
    client_process_input(c);
}

/* The client's bufferevent: a plain socket one, or with `tls` a TLS one
 * that starts by accepting the handshake.  Closes fd on failure. */
static struct bufferevent *
client_new_connection(struct server *server, evutil_socket_t fd, int tls)
{
    struct bufferevent *connection;
    SSL *ssl;

    if (!tls) {
        connection = bufferevent_socket_new(server->base, fd, BEV_OPT_CLOSE_ON_FREE);
        if (connection == NULL) {
            evutil_closesocket(fd);
        }
        return connection;
    }
    ssl = tls_connection_new(server->tls_context, fd);
    if (ssl == NULL) {
        evutil_closesocket(fd);
        return NULL;
    }
    /* Freeing it frees the SSL and closes the socket. */
    connection = bufferevent_openssl_socket_new(server->base, fd, ssl,
                                                BUFFEREVENT_SSL_ACCEPTING,
                                                BEV_OPT_CLOSE_ON_FREE);
    if (connection == NULL) {
        SSL_free(ssl);
        evutil_closesocket(fd);
        return NULL;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(connection, 1);
    return connection;
}

static struct client *
client_create(struct server *server, evutil_socket_t fd, int tls)
{
    struct resp_limits limits;
    struct client *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        evutil_closesocket(fd);
        return NULL;
    }
    TAILQ_INIT(&c->holds);
    c->connection = client_new_connection(server, fd, tls);
    if (c->connection == NULL) {
        free(c);
        return NULL;
    }
    if (tls) {
        c->flags |= CLIENT_TLS;
    }
    bufferevent_priority_set(c->connection, PRIORITY_IO);
    c->reply = evbuffer_new();
    if (c->reply == NULL) {
        bufferevent_free(c->connection);
        free(c);
        return NULL;
    }
    node_settings_resp_limits(&server->settings, &limits);
    resp_parser_init(&c->parser, &limits);
    c->server = server;
    connection_init(&c->connection_info, ++server->next_client_id, fd, NULL,
                    monotonic_milliseconds());
    connection_set_acl(&c->connection_info, &server->settings.acl, server->auth_worker,
                       client_auth_done);
    TAILQ_INSERT_TAIL(&server->clients, c, clients_link);
    server->client_count++;
    bufferevent_setcb(c->connection, client_read_callback, client_write_callback,
                      client_event_callback, c);
    bufferevent_enable(c->connection, EV_READ | EV_WRITE);
    return c;
}

/* "N", or the letters of the client's special states. */
static void
client_flags_text(const struct client *c, char *out, size_t size)
{
    size_t used = 0;

    if ((c->flags & CLIENT_CLOSE_AFTER_REPLY) && used + 1 < size) {
        out[used++] = 'c';
    }
    if (used == 0) {
        out[used++] = 'N';
    }
    out[used] = '\0';
}

void
client_describe(struct client *c, struct evbuffer *out)
{
    struct connection_usage usage;
    size_t output = client_pending_output(c);
    size_t argv_memory = 0;
    short enabled = bufferevent_get_enabled(c->connection);
    char flags[8], events[3];
    int i, used = 0;

    for (i = 0; i < c->argc; i++) {
        argv_memory += c->argv_length[i];
    }
    client_flags_text(c, flags, sizeof(flags));
    if (enabled & EV_READ) {
        events[used++] = 'r';
    }
    if (output > 0) {
        events[used++] = 'w';
    }
    events[used] = '\0';
    memset(&usage, 0, sizeof(usage));
    usage.flags = flags;
    usage.events = events;
    usage.query_buffer = c->parser.used;
    usage.query_buffer_free = c->parser.capacity - c->parser.used;
    usage.argv_memory = argv_memory;
    usage.read_buffer_size = c->parser.capacity;
    usage.read_buffer_peak = c->parser.capacity;
    usage.output_memory = output;
    usage.total_memory = sizeof(*c) + c->parser.capacity + output;
    connection_describe(&c->connection_info, &usage, monotonic_milliseconds(), out);
}

/* ------------------------------------------------------------------------
 * Listener
 * ------------------------------------------------------------------------ */

/* Takes a new connection (`tls`: from tls-port), unless maxclients is
 * reached (a plaintext peer is told why; a TLS one cannot be). */
static void
server_accept(struct server *server, evutil_socket_t fd, int tls)
{
    if ((long long)server->client_count >= server->settings.maxclients) {
        if (!tls) {
            (void)!write(fd, MAX_CLIENTS_MESSAGE, sizeof(MAX_CLIENTS_MESSAGE) - 1);
        }
        evutil_closesocket(fd);
        server->stats.rejected_connections++;
        return;
    }
    (void)network_set_nodelay(fd);
    if (client_create(server, fd, tls) != NULL) {
        server->stats.connections_received++;
    }
}

static void
accept_callback(struct evconnlistener *listener, evutil_socket_t fd,
                struct sockaddr *address, int address_length, void *argument)
{
    server_accept(argument, fd, 0);
}

static void
tls_accept_callback(struct evconnlistener *listener, evutil_socket_t fd,
                    struct sockaddr *address, int address_length, void *argument)
{
    server_accept(argument, fd, 1);
}

/* accept() failed (EMFILE, ENFILE, ...): stop accepting until the cron or
 * a closing client re-enables the listener, instead of spinning. */
static void
accept_error_callback(struct evconnlistener *listener, void *argument)
{
    struct server *server = argument;
    int error = EVUTIL_SOCKET_ERROR();
    uint64_t now = monotonic_milliseconds();

    if (server->accept_error_logged_ms == 0 || now - server->accept_error_logged_ms >= 1000) {
        log_warning("Accepting client connection: %s; pausing the listener",
                    evutil_socket_error_to_string(error));
        server->accept_error_logged_ms = now;
    }
    evconnlistener_disable(listener);
    server->listener_paused = 1;
}

/* Re-enables listeners paused by an accept failure. */
static void
server_resume_listeners(struct server *server)
{
    if (!server->listener_paused) {
        return;
    }
    if (server->listener != NULL) {
        evconnlistener_enable(server->listener);
    }
    if (server->tls_listener != NULL) {
        evconnlistener_enable(server->tls_listener);
    }
    server->listener_paused = 0;
}

/* Builds the TLS context from the tls-* options (when tls-port is set). */
static int
server_setup_tls(struct server *server, char *error, size_t error_size)
{
    const struct node_settings *settings = &server->settings;
    struct tls_options options;
    char reason[PATH_MAX + 512];

    if (settings->tls_port == 0) {
        return 0;
    }
    memset(&options, 0, sizeof(options));
    options.cert_file = settings->tls_cert_file;
    options.key_file = settings->tls_key_file;
    options.ca_cert_file = settings->tls_ca_cert_file;
    options.auth_clients = settings->tls_auth_clients;
    options.protocols = settings->tls_protocols;
    server->tls_context = tls_server_context_new(&options, reason, sizeof(reason));
    if (server->tls_context == NULL) {
        snprintf(error, error_size, "TLS set-up failed: %s", reason);
        return -1;
    }
    return 0;
}

/* Opens the plaintext port and the TLS port (each unless 0). */
static int
server_listen(struct server *server, char *error, size_t error_size)
{
    if (server->settings.port != 0) {
        server->listener = network_listen(server->base, server->settings.bind,
                                          server->settings.port, accept_callback,
                                          accept_error_callback, server, error, error_size);
        if (server->listener == NULL) {
            return -1;
        }
    }
    if (server->settings.tls_port != 0) {
        server->tls_listener = network_listen(server->base, server->settings.bind,
                                              server->settings.tls_port, tls_accept_callback,
                                              accept_error_callback, server,
                                              error, error_size);
        if (server->tls_listener == NULL) {
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Commit, cron, signals
 * ------------------------------------------------------------------------ */

void
server_batch_opened(struct server *server)
{
    if (server->commit_event != NULL) {
        event_active(server->commit_event, EV_TIMEOUT, 1);
    }
}

/* Sends a client's replies after a commit or a replication release. */
static void
client_send_released(struct client *c)
{
    if (client_flush(c) == 1) {
        /* Its output pause was lifted: run its waiting requests from the
         * loop, not from inside whatever command is committing. */
        bufferevent_trigger(c->connection, EV_READ,
                            BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
    }
}

void
client_replies_released(struct client *c)
{
    client_send_released(c);
}

void
server_commit_batch(struct server *server)
{
    struct client *c;

    if (collection_cache_flush(server) != 0) {
        log_warning("storage: cannot write cached collections; exiting");
        exit(1);
    }
    storage_commit(server->storage);
    server->batch_commands = 0;
    if (server->cluster != NULL) {
        cluster_batch_committed(server->cluster);   /* holds clients if it must */
    }
    while ((c = TAILQ_FIRST(&server->waiting_commit)) != NULL) {
        TAILQ_REMOVE(&server->waiting_commit, c, commit_link);
        c->flags &= ~CLIENT_WAITING_COMMIT;
        client_send_released(c);
    }
}

static void
commit_callback(evutil_socket_t fd, short events, void *argument)
{
    server_commit_batch(argument);
}

/* Closes clients idle for longer than `timeout` seconds. */
static void
close_idle_clients(struct server *server, uint64_t now)
{
    struct client *c, *next;
    uint64_t limit = (uint64_t)server->settings.timeout * 1000;

    if (server->settings.timeout <= 0) {
        return;
    }
    for (c = TAILQ_FIRST(&server->clients); c != NULL; c = next) {
        next = TAILQ_NEXT(c, clients_link);
        if (!(c->flags & CLIENT_WAITING_COMMIT) && TAILQ_EMPTY(&c->holds) &&
            now - c->connection_info.last_interaction_ms > limit) {
            log_verbose("Closing idle client %s", c->connection_info.address);
            client_free(c);
        }
    }
}

static void
cron_callback(evutil_socket_t fd, short events, void *argument)
{
    struct server *server = argument;

    expire_cycle(server);
    if (collection_reclaim_step(server, SERVER_RECLAIM_PAGES_PER_CYCLE) < 0) {
        log_warning("reclaim: sweeping released collection pages failed; will retry");
    }
    close_idle_clients(server, monotonic_milliseconds());
    server_resume_listeners(server);
}

static void
signal_callback(evutil_socket_t signal_number, short events, void *argument)
{
    struct server *server = argument;

    log_notice("Received %s, scheduling shutdown...",
               signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    server->shutting_down = 1;
    event_base_loopbreak(server->base);
}

static int
server_add_event(struct server *server, struct event **slot, evutil_socket_t fd,
                 short events, event_callback_fn callback, int priority,
                 const struct timeval *interval)
{
    *slot = event_new(server->base, fd, events, callback, server);
    if (*slot == NULL || event_priority_set(*slot, priority) != 0) {
        return -1;
    }
    if ((events & (EV_SIGNAL | EV_PERSIST)) && event_add(*slot, interval) != 0) {
        return -1;
    }
    return 0;
}

static int
server_create_events(struct server *server, char *error, size_t error_size)
{
    struct timeval interval;
    long long period_us = 1000000 / (server->settings.hz > 0 ? server->settings.hz : 10);

    interval.tv_sec = (time_t)(period_us / 1000000);
    interval.tv_usec = (suseconds_t)(period_us % 1000000);
    if (server_add_event(server, &server->commit_event, -1, 0, commit_callback,
                         PRIORITY_COMMIT, NULL) != 0 ||
        server_add_event(server, &server->cron_event, -1, EV_PERSIST, cron_callback,
                         PRIORITY_IO, &interval) != 0 ||
        server_add_event(server, &server->signal_events[0], SIGTERM,
                         EV_SIGNAL | EV_PERSIST, signal_callback, PRIORITY_IO, NULL) != 0 ||
        server_add_event(server, &server->signal_events[1], SIGINT,
                         EV_SIGNAL | EV_PERSIST, signal_callback, PRIORITY_IO, NULL) != 0) {
        snprintf(error, error_size, "cannot create the server's events");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------------ */

/* Seeds the generator (RANDOMKEY) and draws a 40-hex-digit run id, like
 * Redis's run_id. */
static void
server_make_run_id(struct server *server)
{
    server->random_state = random_seed();
    random_hex(&server->random_state, server->run_id, sizeof(server->run_id) - 1);
}

static void
server_log_ready(struct server *server)
{
    if (server->load.previous_stop_clean) {
        log_notice("herd-node %s ready: port %lld, TLS port %lld, dir %s, node-index %lld, "
                   "fsync %s; %lld keys (%lld with expiry) loaded in %llu ms after a clean stop",
                   HERD_VERSION, server->settings.port, server->settings.tls_port,
                   server->settings.dir,
                   server->settings.node_index,
                   storage_fsync_policy_name(server->settings.fsync),
                   db_size(server), db_expires_count(server),
                   (unsigned long long)server->load.duration_ms);
    } else {
        log_notice("herd-node %s ready: port %lld, TLS port %lld, dir %s, node-index %lld, "
                   "fsync %s; recovered after an unclean stop: %llu records validated, %llu "
                   "corrupt dropped, %lld keys (%lld with expiry) in %llu ms",
                   HERD_VERSION, server->settings.port, server->settings.tls_port,
                   server->settings.dir,
                   server->settings.node_index,
                   storage_fsync_policy_name(server->settings.fsync),
                   (unsigned long long)server->load.records,
                   (unsigned long long)server->load.corrupt_dropped,
                   db_size(server), db_expires_count(server),
                   (unsigned long long)server->load.duration_ms);
    }
}

int
server_init(struct server *server, char *error, size_t error_size)
{
    TAILQ_INIT(&server->clients);
    TAILQ_INIT(&server->waiting_commit);
    hlc_init(&server->clock, wall_clock_milliseconds, NULL);
    server->start_ms = monotonic_milliseconds();
    server->expire_budget_us = EXPIRE_CYCLE_MIN_BUDGET_US;
    server_make_run_id(server);
    signal(SIGPIPE, SIG_IGN);
    server->base = event_base_new();
    if (server->base == NULL || event_base_priority_init(server->base, PRIORITY_COUNT) != 0) {
        snprintf(error, error_size, "cannot create the event loop");
        return -1;
    }
    server->auth_worker = auth_worker_start(server->base, error, error_size);
    if (server->auth_worker == NULL ||
        server_create_events(server, error, error_size) != 0 ||
        server_setup_tls(server, error, error_size) != 0 ||
        server_listen(server, error, error_size) != 0 ||
        db_open(server, error, error_size) != 0) {
        return -1;
    }
    server->cluster = cluster_new(server, error, error_size);
    if (server->cluster == NULL) {
        return -1;
    }
    server_log_ready(server);
    return 0;
}

int
server_run(struct server *server)
{
    return event_base_dispatch(server->base) < 0 ? -1 : 0;
}

static void
server_free_events(struct server *server)
{
    size_t i;

    if (server->commit_event != NULL) {
        event_free(server->commit_event);
        server->commit_event = NULL;
    }
    if (server->cron_event != NULL) {
        event_free(server->cron_event);
        server->cron_event = NULL;
    }
    for (i = 0; i < sizeof(server->signal_events) / sizeof(server->signal_events[0]); i++) {
        if (server->signal_events[i] != NULL) {
            event_free(server->signal_events[i]);
            server->signal_events[i] = NULL;
        }
    }
}

int
server_close(struct server *server, int clean)
{
    struct client *c;
    int result = 0;

    if (server->listener != NULL) {
        evconnlistener_free(server->listener);
        server->listener = NULL;
    }
    if (server->tls_listener != NULL) {
        evconnlistener_free(server->tls_listener);
        server->tls_listener = NULL;
    }
    if (server->storage != NULL) {
        server_commit_batch(server);
    }
    while ((c = TAILQ_FIRST(&server->clients)) != NULL) {
        client_free(c);
    }
    cluster_free(server->cluster);
    server->cluster = NULL;
    if (server->storage != NULL) {
        result = db_close(server, clean);
        if (result == 0 && clean) {
            log_notice("herd-node is now ready to exit, bye bye...");
        }
    } else {
        keyindex_free(server->keyindex);
        server->keyindex = NULL;
    }
    auth_worker_stop(server->auth_worker);
    server->auth_worker = NULL;
    tls_context_free(server->tls_context);
    server->tls_context = NULL;
    server_free_events(server);
    if (server->base != NULL) {
        event_base_free(server->base);
        server->base = NULL;
    }
    return result;
}

void
reply_error_storage(struct client *c)
{
    reply_error(c->reply, "ERR storage failure, see the node's log");
}
