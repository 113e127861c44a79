/*
 * client.c — client connections: accept, read and parse requests, keep
 * replies in request order, write them, apply backpressure, close.
 *
 * Reading goes straight from the socket into the connection's RESP parser
 * buffer (shared/resp.h).  Writing is deferred: a client with new output
 * is put on the proxy's flush list and written once at the end of the loop
 * turn (proxy_after_events), so a pipeline of replies leaves in one write.
 *
 * Backpressure: a client is not read while it has max-pipeline requests in
 * flight or more than the soft limit of replies waiting; it is closed when
 * its waiting replies exceed client-output-buffer-limit.
 *
 * Authentication: while the password of a client's AUTH is being checked
 * (shared/auth.h), none of its further requests is handled; they stay in
 * the parser buffer (still read, within client-query-buffer-limit) until
 * client_auth_done() writes the AUTH reply and carries on.
 *
 * TLS: a client of the TLS port (client->tls set) runs the same code
 * except for the socket calls: the read and write events first do the
 * handshake (SSL_accept semantics), then SSL_read/SSL_write.  An OpenSSL
 * step that needs the other direction (a read needing EV_WRITE) sets
 * PROXY_CLIENT_TLS_WANTS_WRITE, stops the read event and keeps the write
 * event armed until that step is done.  Bytes OpenSSL already decrypted
 * do not wake the socket, so the read event is activated by hand while
 * tls_has_pending().  The plaintext path only pays one pointer test per
 * read and per write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/network.h"
#include "shared/reply.h"
#include "proxy/proxy.h"

/* Bytes asked of the socket per read (more while a big request arrives). */
#define CLIENT_READ_SIZE       (16 * 1024)
#define CLIENT_READ_SIZE_LARGE (256 * 1024)
/* Most bytes handed to one SSL_write (one full TLS record). */
#define CLIENT_TLS_WRITE_SIZE  (16 * 1024)

static const char max_clients_error[] = "-ERR max number of clients reached\r\n";

static void client_tls_check_pending(struct proxy_client *client);

/* Bytes of replies the client has not been sent yet. */
static size_t
client_waiting_bytes(const struct proxy_client *client)
{
    return evbuffer_get_length(client->output) + client->held_bytes;
}

static size_t
client_soft_limit(const struct proxy_client *client)
{
    long long hard = client->proxy->settings.output_buffer_limit;

    return (size_t)(hard / PROXY_CLIENT_OUTPUT_SOFT_FRACTION);
}

/* 1 when the client must not be read for now. */
static int
client_must_pause(const struct proxy_client *client)
{
    return client->pending_count >= client->proxy->settings.max_pipeline ||
           client_waiting_bytes(client) >= client_soft_limit(client);
}

static void
client_pause(struct proxy_client *client)
{
    if (client->flags & PROXY_CLIENT_PAUSED) {
        return;
    }
    client->flags |= PROXY_CLIENT_PAUSED;
    event_del(client->read_event);
}

void
proxy_client_stop_reading(struct proxy_client *client)
{
    client->flags |= PROXY_CLIENT_CLOSE_AFTER_REPLY;
    event_del(client->read_event);
}

/* Queues the client for resumption when it was paused and may read now. */
static void
client_check_resume(struct proxy_client *client)
{
    if ((client->flags & PROXY_CLIENT_PAUSED) &&
        !(client->flags & (PROXY_CLIENT_CLOSING | PROXY_CLIENT_CLOSE_AFTER_REPLY)) &&
        !client_must_pause(client)) {
        proxy_schedule_client_resume(client);
    }
}

struct evbuffer *
proxy_client_reply_begin(struct proxy_client *client)
{
    struct proxy_request *request;

    client->immediate = NULL;
    if (TAILQ_EMPTY(&client->pending)) {
        return client->output;
    }
    request = proxy_request_new(client, PROXY_MERGE_LOCAL, COMMAND_COUNT);
    if (request == NULL) {
        proxy_out_of_memory();
    }
    if (request->reply == NULL && (request->reply = evbuffer_new()) == NULL) {
        proxy_out_of_memory();
    }
    client->immediate = request;
    return request->reply;
}

void
proxy_client_reply_end(struct proxy_client *client)
{
    struct proxy_request *request = client->immediate;
    size_t length;

    if (request != NULL) {
        client->immediate = NULL;
        length = evbuffer_get_length(request->reply);
        request->held = length;
        client->held_bytes += length;
        request->done = 1;
    }
    proxy_client_output_added(client);
}

void
proxy_client_error(struct proxy_client *client, const char *error)
{
    reply_error(proxy_client_reply_begin(client), error);
    proxy_client_reply_end(client);
}

void
proxy_client_advance(struct proxy_client *client)
{
    struct proxy_request *request;

    if (client->flags & PROXY_CLIENT_CLOSING) {
        return;
    }
    while ((request = TAILQ_FIRST(&client->pending)) != NULL && request->done) {
        if (request->held > 0) {
            client->held_bytes -= request->held;
            request->held = 0;
            evbuffer_add_buffer(client->output, request->reply);
        }
        TAILQ_REMOVE(&client->pending, request, client_link);
        client->pending_count--;
        proxy_request_release(request);
    }
    proxy_client_output_added(client);
    client_check_resume(client);
}

void
proxy_client_output_added(struct proxy_client *client)
{
    struct proxy *proxy = client->proxy;

    if (client->flags & PROXY_CLIENT_CLOSING) {
        return;
    }
    if (client_waiting_bytes(client) > (size_t)proxy->settings.output_buffer_limit) {
        proxy->stats.output_limit_closes++;
        log_warning("closing client id=%llu addr=%s: %zu bytes of replies waiting, "
                    "above client-output-buffer-limit",
                    (unsigned long long)client->connection_info.id,
                    client->connection_info.address,
                    client_waiting_bytes(client));
        proxy_client_close_later(client, NULL);
        return;
    }
    proxy_schedule_client_flush(client);
}

/* Replies the protocol error and closes once everything is written. */
static void
client_protocol_error(struct proxy_client *client)
{
    client->proxy->stats.protocol_errors++;
    log_verbose("client id=%llu addr=%s: %s", (unsigned long long)client->connection_info.id,
                client->connection_info.address, client->parser.error);
    proxy_client_error(client, client->parser.error);
    proxy_client_stop_reading(client);
}

/* Handles every complete request in the parser buffer, as far as
 * backpressure allows. */
static void
client_process_input(struct proxy_client *client)
{
    struct resp_request request;
    enum resp_parse_status status;

    if (client->flags & PROXY_CLIENT_PROCESSING) {
        return;
    }
    client->flags |= PROXY_CLIENT_PROCESSING;
    while (!(client->flags & (PROXY_CLIENT_PAUSED | PROXY_CLIENT_CLOSE_AFTER_REPLY |
                              PROXY_CLIENT_CLOSING)) &&
           !connection_auth_pending(&client->connection_info)) {
        status = resp_parser_next(&client->parser, &request);
        if (status == RESP_PARSE_INCOMPLETE) {
            break;
        }
        if (status == RESP_PARSE_ERROR) {
            client_protocol_error(client);
            break;
        }
        if (request.argc == 0) {
            continue;
        }
        proxy_route_request(client, &request);
        if (client_must_pause(client)) {
            client_pause(client);
        }
    }
    resp_parser_compact(&client->parser);
    client->flags &= ~PROXY_CLIENT_PROCESSING;
}

/* The password check of the client's AUTH is over: reply in order, then
 * handle the requests that waited behind it. */
static void
client_auth_done(struct connection_info *connection, int verified)
{
    struct proxy_client *client = CONNECTION_OWNER(connection, struct proxy_client,
                                                   connection_info);

    connection_auth_finish(connection, verified, proxy_client_reply_begin(client));
    proxy_client_reply_end(client);
    client_process_input(client);
}

void
proxy_client_resume(struct proxy_client *client)
{
    if (!(client->flags & PROXY_CLIENT_PAUSED) ||
        (client->flags & (PROXY_CLIENT_CLOSING | PROXY_CLIENT_CLOSE_AFTER_REPLY))) {
        return;
    }
    if (client_must_pause(client)) {
        return;
    }
    client->flags &= ~PROXY_CLIENT_PAUSED;
    event_add(client->read_event, NULL);
    client_process_input(client);
    if (client->tls != NULL) {
        client_tls_check_pending(client);
    }
}

/* How much to ask for, and where it goes (the parser buffer). */
static char *
client_read_space(struct proxy_client *client, size_t *want)
{
    char *space;

    *want = resp_parser_pending(&client->parser) > 0 ? CLIENT_READ_SIZE_LARGE
                                                      : CLIENT_READ_SIZE;
    space = resp_parser_space(&client->parser, *want);
    if (space == NULL) {
        proxy_out_of_memory();
    }
    return space;
}

/* `received` new bytes are in the parser buffer: handle them. */
static void
client_input_arrived(struct proxy_client *client, size_t received)
{
    resp_parser_commit(&client->parser, received);
    client->proxy->stats.net_input_bytes += (uint64_t)received;
    client->connection_info.last_interaction_ms = monotonic_milliseconds();
    client_process_input(client);
}

/* The client is done sending; answer what it asked, then close. */
static void
client_input_ended(struct proxy_client *client)
{
    proxy_client_stop_reading(client);
    proxy_client_output_added(client);
}

static void client_tls_readable(struct proxy_client *client);

static void
client_read_callback(evutil_socket_t fd, short what, void *argument)
{
    struct proxy_client *client = argument;
    size_t want;
    char *space;
    ssize_t received;

    (void)what;
    if (client->tls != NULL) {
        client_tls_readable(client);
        return;
    }
    space = client_read_space(client, &want);
    received = read(fd, space, want);
    if (received < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            proxy_client_close_later(client, strerror(errno));
        }
        return;
    }
    if (received == 0) {
        client_input_ended(client);
        return;
    }
    client_input_arrived(client, (size_t)received);
}

/* 1 when everything owed has been written and the client should go. */
static int
client_finished(const struct proxy_client *client)
{
    return (client->flags & PROXY_CLIENT_CLOSE_AFTER_REPLY) &&
           TAILQ_EMPTY(&client->pending) &&
           evbuffer_get_length(client->output) == 0;
}

static void
client_arm_write(struct proxy_client *client)
{
    if (!(client->flags & PROXY_CLIENT_WRITE_ARMED)) {
        client->flags |= PROXY_CLIENT_WRITE_ARMED;
        event_add(client->write_event, NULL);
    }
}

/* Stops waiting for EV_WRITE, unless a TLS step still needs it. */
static void
client_disarm_write(struct proxy_client *client)
{
    if ((client->flags & PROXY_CLIENT_WRITE_ARMED) &&
        !(client->flags & PROXY_CLIENT_TLS_WANTS_WRITE)) {
        client->flags &= ~PROXY_CLIENT_WRITE_ARMED;
        event_del(client->write_event);
    }
}

static int client_tls_write_output(struct proxy_client *client);

/* Writes what the socket takes.  Returns 0, or -1 after closing. */
static int
client_write(struct proxy_client *client)
{
    if (client->tls != NULL) {
        if (client_tls_write_output(client) != 0) {
            return -1;
        }
    } else if (evbuffer_get_length(client->output) > 0 &&
               evbuffer_write(client->output, client->connection_info.fd) < 0 &&
               errno != EAGAIN && errno != EINTR) {
        proxy_client_close_later(client, strerror(errno));
        return -1;
    }
    if (evbuffer_get_length(client->output) > 0) {
        client_arm_write(client);
        return 0;
    }
    client_disarm_write(client);
    if (client_finished(client)) {
        proxy_client_close_later(client, NULL);
        return -1;
    }
    client_check_resume(client);
    return 0;
}

static int client_tls_writable(struct proxy_client *client);

static void
client_write_callback(evutil_socket_t fd, short what, void *argument)
{
    struct proxy_client *client = argument;

    (void)fd;
    (void)what;
    if (client->tls != NULL && client_tls_writable(client) != 0) {
        return;
    }
    client_write(client);
}

/* ------------------------------------------------------------------ */
/* TLS transport                                                       */
/* ------------------------------------------------------------------ */

/* Marks the connection failed (no close_notify) and closes it. */
static void
client_tls_fail(struct proxy_client *client, const char *what, const char *error)
{
    log_verbose("client id=%llu addr=%s: TLS %s failed: %s",
                (unsigned long long)client->connection_info.id,
                client->connection_info.address, what, error);
    client->flags |= PROXY_CLIENT_TLS_BROKEN;
    proxy_client_close_later(client, NULL);
}

/* OpenSSL needs EV_WRITE before the handshake or a read can go on; the
 * read event is off meanwhile (the socket may stay readable). */
static void
client_tls_wait_writable(struct proxy_client *client)
{
    if (client->flags & PROXY_CLIENT_CLOSING) {
        return;
    }
    client->flags |= PROXY_CLIENT_TLS_WANTS_WRITE;
    event_del(client->read_event);
    client_arm_write(client);
}

/* Reads again at once when OpenSSL holds decrypted bytes and the client
 * is being read (the socket will not signal them). */
static void
client_tls_check_pending(struct proxy_client *client)
{
    if (!(client->flags & (PROXY_CLIENT_PAUSED | PROXY_CLIENT_CLOSE_AFTER_REPLY |
                           PROXY_CLIENT_CLOSING | PROXY_CLIENT_TLS_HANDSHAKE)) &&
        tls_has_pending(client->tls)) {
        event_active(client->read_event, EV_READ, 1);
    }
}

/* One handshake step. */
static void
client_tls_handshake(struct proxy_client *client)
{
    char error[256];

    client->flags &= ~PROXY_CLIENT_TLS_WANTS_WRITE;
    switch (tls_handshake(client->tls, error, sizeof(error))) {
    case TLS_DONE:
        client->flags &= ~PROXY_CLIENT_TLS_HANDSHAKE;
        log_debug("client id=%llu addr=%s: TLS handshake done (%s, %s)",
                  (unsigned long long)client->connection_info.id,
                  client->connection_info.address, SSL_get_version(client->tls),
                  SSL_get_cipher_name(client->tls));
        client_disarm_write(client);
        client_tls_check_pending(client);
        break;
    case TLS_WANT_READ:
        client_disarm_write(client);
        break;
    case TLS_WANT_WRITE:
        client_tls_wait_writable(client);
        break;
    case TLS_CLOSED:
        client_tls_fail(client, "handshake", "connection closed by the client");
        break;
    case TLS_FAILED:
        client_tls_fail(client, "handshake", error);
        break;
    }
}

/* SSL_read into the parser buffer until the socket is drained or the
 * space is full (one call returns one record at most), then handles the
 * requests. */
static void
client_tls_read(struct proxy_client *client)
{
    char error[256];
    size_t want, received, total = 0;
    char *space = client_read_space(client, &want);
    enum tls_status status = TLS_DONE;

    while (total < want && status == TLS_DONE) {
        received = 0;
        status = tls_read(client->tls, space + total, want - total, &received,
                          error, sizeof(error));
        if (status == TLS_DONE) {
            total += received;
        }
    }
    if (total > 0) {
        client_input_arrived(client, total);
    }
    switch (status) {
    case TLS_DONE:
        client_tls_check_pending(client);
        break;
    case TLS_WANT_READ:
        break;
    case TLS_WANT_WRITE:
        client_tls_wait_writable(client);
        break;
    case TLS_CLOSED:
        client_input_ended(client);
        break;
    case TLS_FAILED:
        client_tls_fail(client, "read", error);
        break;
    }
}

/* EV_READ (or decrypted bytes waiting) on a TLS client. */
static void
client_tls_readable(struct proxy_client *client)
{
    if (client->flags & PROXY_CLIENT_TLS_HANDSHAKE) {
        client_tls_handshake(client);
        return;
    }
    if (client->flags & (PROXY_CLIENT_PAUSED | PROXY_CLIENT_CLOSE_AFTER_REPLY |
                         PROXY_CLIENT_CLOSING | PROXY_CLIENT_TLS_WANTS_WRITE)) {
        return;
    }
    client_tls_read(client);
}

/* EV_WRITE on a TLS client: finishes a step that waited for it.  Returns
 * 1 when the event was the handshake's, else 0 (write the output). */
static int
client_tls_writable(struct proxy_client *client)
{
    if (client->flags & PROXY_CLIENT_CLOSING) {
        return 1;
    }
    if (client->flags & PROXY_CLIENT_TLS_WANTS_WRITE) {
        client->flags &= ~PROXY_CLIENT_TLS_WANTS_WRITE;
        if (!(client->flags & (PROXY_CLIENT_PAUSED | PROXY_CLIENT_CLOSE_AFTER_REPLY))) {
            event_add(client->read_event, NULL);
        }
        if (client->flags & PROXY_CLIENT_TLS_HANDSHAKE) {
            client_tls_handshake(client);
            return 1;
        }
        client_tls_read(client);
        if (client->flags & PROXY_CLIENT_CLOSING) {
            return 1;
        }
    }
    return (client->flags & PROXY_CLIENT_TLS_HANDSHAKE) ? 1 : 0;
}

/* Writes the output through SSL_write, a record at a time, until the
 * socket is full.  Renegotiation is off (shared/tls.c), so a write never
 * needs to read; if OpenSSL asked anyway the connection is closed rather
 * than left spinning.  Returns 0, or -1 after closing. */
static int
client_tls_write_output(struct proxy_client *client)
{
    char error[256];
    size_t length, chunk, written;
    unsigned char *data;

    if (client->flags & PROXY_CLIENT_TLS_HANDSHAKE) {
        return 0;
    }
    while ((length = evbuffer_get_length(client->output)) > 0) {
        chunk = length < CLIENT_TLS_WRITE_SIZE ? length : CLIENT_TLS_WRITE_SIZE;
        data = evbuffer_pullup(client->output, (ssize_t)chunk);
        if (data == NULL) {
            proxy_out_of_memory();
        }
        switch (tls_write(client->tls, data, chunk, &written, error, sizeof(error))) {
        case TLS_DONE:
            evbuffer_drain(client->output, written);
            break;
        case TLS_WANT_WRITE:
            return 0;
        case TLS_WANT_READ:
            client_tls_fail(client, "write", "renegotiation asked for");
            return -1;
        case TLS_CLOSED:
            client->flags |= PROXY_CLIENT_TLS_BROKEN;
            proxy_client_close_later(client, "connection closed");
            return -1;
        case TLS_FAILED:
            client_tls_fail(client, "write", error);
            return -1;
        }
    }
    return 0;
}

int
proxy_client_flush(struct proxy_client *client)
{
    if (client->flags & PROXY_CLIENT_CLOSING) {
        return -1;
    }
    if (client->flags & PROXY_CLIENT_WRITE_ARMED) {
        /* The socket was full; the write event takes over. */
        return 0;
    }
    return client_write(client);
}

void
proxy_client_close_later(struct proxy_client *client, const char *reason)
{
    if (client->flags & PROXY_CLIENT_CLOSING) {
        return;
    }
    if (reason != NULL) {
        log_verbose("closing client id=%llu addr=%s: %s",
                    (unsigned long long)client->connection_info.id,
                    client->connection_info.address, reason);
    }
    client->flags |= PROXY_CLIENT_CLOSING;
    event_del(client->read_event);
    event_del(client->write_event);
    TAILQ_REMOVE(&client->proxy->clients, client, link);
    TAILQ_INSERT_TAIL(&client->proxy->closing_clients, client, link);
}

/* Frees the client's requests; those with fragments still out on nodes
 * are orphaned and freed when their last reply arrives. */
static void
client_drop_requests(struct proxy_client *client)
{
    struct proxy_request *request;

    while ((request = TAILQ_FIRST(&client->pending)) != NULL) {
        TAILQ_REMOVE(&client->pending, request, client_link);
        if (request->fragments_pending > 0) {
            request->client = NULL;
        } else {
            proxy_request_destroy(request);
        }
    }
    while ((request = TAILQ_FIRST(&client->pool)) != NULL) {
        TAILQ_REMOVE(&client->pool, request, client_link);
        proxy_request_destroy(request);
    }
}

void
proxy_client_free(struct proxy_client *client)
{
    struct proxy *proxy = client->proxy;

    if (client->flags & PROXY_CLIENT_ON_FLUSH_LIST) {
        TAILQ_REMOVE(&proxy->flush_clients, client, flush_link);
    }
    if (client->flags & PROXY_CLIENT_ON_RESUME_LIST) {
        TAILQ_REMOVE(&proxy->resume_clients, client, resume_link);
    }
    if (client->flags & PROXY_CLIENT_CLOSING) {
        TAILQ_REMOVE(&proxy->closing_clients, client, link);
    } else {
        TAILQ_REMOVE(&proxy->clients, client, link);
    }
    client_drop_requests(client);
    event_free(client->read_event);
    event_free(client->write_event);
    evbuffer_free(client->output);
    resp_parser_free(&client->parser);
    if (client->tls != NULL) {
        tls_connection_free(client->tls, !(client->flags & (PROXY_CLIENT_TLS_BROKEN |
                                                            PROXY_CLIENT_TLS_HANDSHAKE)));
    }
    close(client->connection_info.fd);
    connection_release(&client->connection_info);
    proxy->client_count--;
    if (proxy->listener_paused_ms != 0) {
        proxy_enable_listeners(proxy);
    }
    free(client);
}

/* Sends the max-clients error and drops the connection (a TLS client
 * is dropped without a word: it expects a handshake, not text). */
static void
client_reject(struct proxy *proxy, int fd, int tls)
{
    ssize_t ignored;

    proxy->stats.rejected_connections++;
    if (!tls) {
        ignored = send(fd, max_clients_error, sizeof(max_clients_error) - 1, MSG_NOSIGNAL);
        (void)ignored;
    }
    close(fd);
}

/* The parser limits from the settings. */
static void
client_limits(const struct proxy_settings *settings, struct resp_limits *limits)
{
    resp_limits_default(limits);
    limits->max_bulk_length = settings->max_bulk_length;
    limits->max_multibulk_count = settings->max_multibulk_count;
    limits->max_inline_length = (size_t)settings->max_inline_length;
    limits->max_query_buffer = settings->query_buffer_limit;
}

void
proxy_client_accept(struct proxy *proxy, int fd, const struct sockaddr *address,
                    int address_length, SSL_CTX *tls_context)
{
    struct proxy_client *client;
    struct resp_limits limits;

    proxy->stats.connections_received++;
    if (proxy->client_count >= (unsigned long)proxy->settings.maxclients) {
        client_reject(proxy, fd, tls_context != NULL);
        return;
    }
    client = calloc(1, sizeof(*client));
    if (client == NULL) {
        proxy_out_of_memory();
    }
    if (tls_context != NULL) {
        client->tls = tls_connection_new(tls_context, fd);
        if (client->tls == NULL) {
            proxy_out_of_memory();
        }
        client->flags |= PROXY_CLIENT_TLS_HANDSHAKE;
    }
    (void)network_set_nodelay(fd);
    client->proxy = proxy;
    connection_init(&client->connection_info, ++proxy->next_client_id, fd, address,
                    monotonic_milliseconds());
    connection_set_acl(&client->connection_info, &proxy->settings.acl, proxy->auth_worker,
                       client_auth_done);
    client_limits(&proxy->settings, &limits);
    resp_parser_init(&client->parser, &limits);
    TAILQ_INIT(&client->pending);
    TAILQ_INIT(&client->pool);
    client->output = evbuffer_new();
    client->read_event = event_new(proxy->base, fd, EV_READ | EV_PERSIST,
                                   client_read_callback, client);
    client->write_event = event_new(proxy->base, fd, EV_WRITE | EV_PERSIST,
                                    client_write_callback, client);
    if (client->output == NULL || client->read_event == NULL || client->write_event == NULL) {
        proxy_out_of_memory();
    }
    TAILQ_INSERT_TAIL(&proxy->clients, client, link);
    proxy->client_count++;
    event_add(client->read_event, NULL);
}

void
proxy_client_describe(struct proxy_client *client, struct evbuffer *out)
{
    struct connection_usage usage;
    size_t output = evbuffer_get_length(client->output);
    const char *events = (client->flags & PROXY_CLIENT_WRITE_ARMED) ? "rw" : "r";

    if (client->flags & PROXY_CLIENT_PAUSED) {
        events = (client->flags & PROXY_CLIENT_WRITE_ARMED) ? "w" : "";
    }
    memset(&usage, 0, sizeof(usage));
    usage.flags = (client->flags & PROXY_CLIENT_CLOSE_AFTER_REPLY) ? "c" : "N";
    usage.events = events;
    usage.query_buffer = resp_parser_pending(&client->parser);
    usage.query_buffer_free = client->parser.capacity - client->parser.used;
    usage.read_buffer_size = client->parser.capacity;
    usage.output_list_length = client->pending_count;
    usage.output_memory = output + client->held_bytes;
    usage.total_memory = client->parser.capacity + output + client->held_bytes;
    connection_describe(&client->connection_info, &usage, monotonic_milliseconds(), out);
}
