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
 * Memory: an idle client is its struct proxy_client only.  The session
 * (parser, query buffer, output, requests) is created when bytes arrive and
 * freed by the cron once the client has been idle for PROXY_SESSION_IDLE_MS
 * with nothing in flight (proxy_client_release_idle_sessions), and the
 * socket is watched by the proxy's poller (proxy/poller.c), not by events
 * of its own.  What the poller watches follows the flags: reading unless
 * paused, closing or waiting on TLS; writing while PROXY_CLIENT_WRITE_ARMED
 * (client_update_poll).
 *
 * TLS: a client of the TLS port (session->tls set) runs the same code
 * except for the socket calls: readiness first drives the handshake
 * (SSL_accept semantics), then SSL_read/SSL_write.  An OpenSSL step that
 * needs the other direction (a read needing writability) sets
 * PROXY_CLIENT_TLS_WANTS_WRITE, which stops reading and keeps writing
 * watched until that step is done.  Bytes OpenSSL already decrypted do not
 * wake the socket, so the client is put on the resume list with
 * PROXY_CLIENT_TLS_READ_AGAIN while tls_has_pending().  The plaintext path
 * only pays one pointer test per read and per write.
 */
#include <errno.h>
#include <malloc.h>
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
static void client_tls_readable(struct proxy_client *client);

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

struct proxy_client_session *
proxy_client_session(struct proxy_client *client)
{
    struct proxy_client_session *session = client->session;
    struct resp_limits limits;

    if (session != NULL) {
        return session;
    }
    session = calloc(1, sizeof(*session));
    if (session == NULL || (session->output = evbuffer_new()) == NULL) {
        proxy_out_of_memory();
    }
    client_limits(&client->proxy->settings, &limits);
    resp_parser_init(&session->parser, &limits);
    TAILQ_INIT(&session->pending);
    TAILQ_INIT(&session->pool);
    client->session = session;
    return session;
}

/* Frees the session and everything in it (its requests must have been
 * dropped or be none). */
static void
client_session_free(struct proxy_client *client)
{
    struct proxy_client_session *session = client->session;
    struct proxy_request *request;

    if (session == NULL) {
        return;
    }
    while ((request = TAILQ_FIRST(&session->pool)) != NULL) {
        TAILQ_REMOVE(&session->pool, request, client_link);
        proxy_request_destroy(request);
    }
    evbuffer_free(session->output);
    resp_parser_free(&session->parser);
    if (session->tls != NULL) {
        tls_connection_free(session->tls, !(client->flags & (PROXY_CLIENT_TLS_BROKEN |
                                                             PROXY_CLIENT_TLS_HANDSHAKE)));
    }
    free(session);
    client->session = NULL;
}

int
proxy_client_pending_count(const struct proxy_client *client)
{
    return client->session != NULL ? client->session->pending_count : 0;
}

/* What the poller should watch for the client now (PROXY_POLL_*). */
static unsigned int
client_wanted_poll(const struct proxy_client *client)
{
    unsigned int wanted = 0;

    if (!(client->flags & (PROXY_CLIENT_PAUSED | PROXY_CLIENT_CLOSE_AFTER_REPLY |
                           PROXY_CLIENT_CLOSING | PROXY_CLIENT_TLS_WANTS_WRITE))) {
        wanted |= PROXY_POLL_READ;
    }
    if ((client->flags & PROXY_CLIENT_WRITE_ARMED) &&
        !(client->flags & PROXY_CLIENT_CLOSING)) {
        wanted |= PROXY_POLL_WRITE;
    }
    return wanted;
}

/* Makes the poller watch what the flags say.  A failure to change it can
 * only leave the client stuck, so the client is closed. */
static void
client_update_poll(struct proxy_client *client)
{
    unsigned int before = 0, after = client_wanted_poll(client);

    if (client->flags & PROXY_CLIENT_POLL_READ) {
        before |= PROXY_POLL_READ;
    }
    if (client->flags & PROXY_CLIENT_POLL_WRITE) {
        before |= PROXY_POLL_WRITE;
    }
    if (before == after) {
        return;
    }
    if (proxy_poller_set(client->proxy, client, client->connection_info.fd,
                         before, after) != 0) {
        log_warning("client id=%llu addr=%s: cannot watch its socket: %s",
                    (unsigned long long)client->connection_info.id,
                    client->connection_info.address, strerror(errno));
        if (!(client->flags & PROXY_CLIENT_CLOSING)) {
            proxy_client_close_later(client, NULL);
        }
        return;
    }
    client->flags &= ~(PROXY_CLIENT_POLL_READ | PROXY_CLIENT_POLL_WRITE);
    if (after & PROXY_POLL_READ) {
        client->flags |= PROXY_CLIENT_POLL_READ;
    }
    if (after & PROXY_POLL_WRITE) {
        client->flags |= PROXY_CLIENT_POLL_WRITE;
    }
}

/* Bytes of replies the client has not been sent yet. */
static size_t
client_waiting_bytes(const struct proxy_client *client)
{
    const struct proxy_client_session *session = client->session;

    if (session == NULL) {
        return 0;
    }
    return evbuffer_get_length(session->output) + session->held_bytes;
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
    return proxy_client_pending_count(client) >= client->proxy->settings.max_pipeline ||
           client_waiting_bytes(client) >= client_soft_limit(client);
}

static void
client_pause(struct proxy_client *client)
{
    if (client->flags & PROXY_CLIENT_PAUSED) {
        return;
    }
    client->flags |= PROXY_CLIENT_PAUSED;
    client_update_poll(client);
}

void
proxy_client_stop_reading(struct proxy_client *client)
{
    client->flags |= PROXY_CLIENT_CLOSE_AFTER_REPLY;
    client_update_poll(client);
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
    struct proxy_client_session *session = proxy_client_session(client);
    struct proxy_request *request;

    session->immediate = NULL;
    if (TAILQ_EMPTY(&session->pending)) {
        return session->output;
    }
    request = proxy_request_new(client, PROXY_MERGE_LOCAL, COMMAND_COUNT);
    if (request == NULL) {
        proxy_out_of_memory();
    }
    if (request->reply == NULL && (request->reply = evbuffer_new()) == NULL) {
        proxy_out_of_memory();
    }
    session->immediate = request;
    return request->reply;
}

void
proxy_client_reply_end(struct proxy_client *client)
{
    struct proxy_client_session *session = client->session;
    struct proxy_request *request = session->immediate;
    size_t length;

    if (request != NULL) {
        session->immediate = NULL;
        length = evbuffer_get_length(request->reply);
        request->held = length;
        session->held_bytes += length;
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
    struct proxy_client_session *session = client->session;
    struct proxy_request *request;

    if (client->flags & PROXY_CLIENT_CLOSING) {
        return;
    }
    while ((request = TAILQ_FIRST(&session->pending)) != NULL && request->done) {
        if (request->held > 0) {
            session->held_bytes -= request->held;
            request->held = 0;
            evbuffer_add_buffer(session->output, request->reply);
        }
        TAILQ_REMOVE(&session->pending, request, client_link);
        session->pending_count--;
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
                client->connection_info.address, client->session->parser.error);
    proxy_client_error(client, client->session->parser.error);
    proxy_client_stop_reading(client);
}

/* Handles every complete request in the parser buffer, as far as
 * backpressure allows. */
static void
client_process_input(struct proxy_client *client)
{
    struct resp_parser *parser = &client->session->parser;
    struct resp_request request;
    enum resp_parse_status status;

    if (client->flags & PROXY_CLIENT_PROCESSING) {
        return;
    }
    client->flags |= PROXY_CLIENT_PROCESSING;
    while (!(client->flags & (PROXY_CLIENT_PAUSED | PROXY_CLIENT_CLOSE_AFTER_REPLY |
                              PROXY_CLIENT_CLOSING)) &&
           !connection_auth_pending(&client->connection_info)) {
        status = resp_parser_next(parser, &request);
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
    resp_parser_compact(parser);
    resp_parser_release_buffer(parser);
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
    if (client->flags & PROXY_CLIENT_TLS_READ_AGAIN) {
        client->flags &= ~PROXY_CLIENT_TLS_READ_AGAIN;
        if (!(client->flags & PROXY_CLIENT_CLOSING)) {
            client_tls_readable(client);
        }
    }
    if (!(client->flags & PROXY_CLIENT_PAUSED) ||
        (client->flags & (PROXY_CLIENT_CLOSING | PROXY_CLIENT_CLOSE_AFTER_REPLY))) {
        return;
    }
    if (client_must_pause(client)) {
        return;
    }
    client->flags &= ~PROXY_CLIENT_PAUSED;
    client_update_poll(client);
    client_process_input(client);
    if (client->session->tls != NULL) {
        client_tls_check_pending(client);
    }
}

/* How much to ask for, and where it goes (the parser buffer). */
static char *
client_read_space(struct proxy_client *client, size_t *want)
{
    struct resp_parser *parser = &proxy_client_session(client)->parser;
    char *space;

    *want = resp_parser_pending(parser) > 0 ? CLIENT_READ_SIZE_LARGE : CLIENT_READ_SIZE;
    space = resp_parser_space(parser, *want);
    if (space == NULL) {
        proxy_out_of_memory();
    }
    return space;
}

/* `received` new bytes are in the parser buffer: handle them. */
static void
client_input_arrived(struct proxy_client *client, size_t received)
{
    resp_parser_commit(&client->session->parser, received);
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

/* The socket is readable. */
static void
client_readable(struct proxy_client *client)
{
    size_t want;
    char *space;
    ssize_t received;

    if (client->session != NULL && client->session->tls != NULL) {
        client_tls_readable(client);
        return;
    }
    space = client_read_space(client, &want);
    received = read(client->connection_info.fd, space, want);
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
           client_waiting_bytes(client) == 0 && proxy_client_pending_count(client) == 0;
}

static void
client_arm_write(struct proxy_client *client)
{
    if (!(client->flags & PROXY_CLIENT_WRITE_ARMED)) {
        client->flags |= PROXY_CLIENT_WRITE_ARMED;
        client_update_poll(client);
    }
}

/* Stops waiting for EV_WRITE, unless a TLS step still needs it. */
static void
client_disarm_write(struct proxy_client *client)
{
    if ((client->flags & PROXY_CLIENT_WRITE_ARMED) &&
        !(client->flags & PROXY_CLIENT_TLS_WANTS_WRITE)) {
        client->flags &= ~PROXY_CLIENT_WRITE_ARMED;
        client_update_poll(client);
    }
}

static int client_tls_write_output(struct proxy_client *client);

/* Writes what the socket takes.  Returns 0, or -1 after closing. */
static int
client_write(struct proxy_client *client)
{
    struct proxy_client_session *session = client->session;

    if (session == NULL) {
        client_disarm_write(client);
        return 0;
    }
    if (session->tls != NULL) {
        if (client_tls_write_output(client) != 0) {
            return -1;
        }
    } else if (evbuffer_get_length(session->output) > 0 &&
               evbuffer_write(session->output, client->connection_info.fd) < 0 &&
               errno != EAGAIN && errno != EINTR) {
        proxy_client_close_later(client, strerror(errno));
        return -1;
    }
    if (evbuffer_get_length(session->output) > 0) {
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

/* The socket is writable. */
static void
client_writable(struct proxy_client *client)
{
    if (client->session != NULL && client->session->tls != NULL &&
        client_tls_writable(client) != 0) {
        return;
    }
    client_write(client);
}

void
proxy_client_ready(struct proxy_client *client, int readable, int writable)
{
    if (readable && (client->flags & PROXY_CLIENT_POLL_READ) &&
        !(client->flags & PROXY_CLIENT_CLOSING)) {
        client_readable(client);
    }
    if (writable && (client->flags & PROXY_CLIENT_POLL_WRITE) &&
        !(client->flags & PROXY_CLIENT_CLOSING)) {
        client_writable(client);
    }
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
    client_update_poll(client);
    client_arm_write(client);
}

/* Reads again at once when OpenSSL holds decrypted bytes and the client
 * is being read (the socket will not signal them). */
static void
client_tls_check_pending(struct proxy_client *client)
{
    if (!(client->flags & (PROXY_CLIENT_PAUSED | PROXY_CLIENT_CLOSE_AFTER_REPLY |
                           PROXY_CLIENT_CLOSING | PROXY_CLIENT_TLS_HANDSHAKE)) &&
        tls_has_pending(client->session->tls)) {
        client->flags |= PROXY_CLIENT_TLS_READ_AGAIN;
        proxy_schedule_client_resume(client);
    }
}

/* One handshake step. */
static void
client_tls_handshake(struct proxy_client *client)
{
    SSL *tls = client->session->tls;
    char error[256];

    client->flags &= ~PROXY_CLIENT_TLS_WANTS_WRITE;
    client_update_poll(client);
    switch (tls_handshake(tls, error, sizeof(error))) {
    case TLS_DONE:
        client->flags &= ~PROXY_CLIENT_TLS_HANDSHAKE;
        log_debug("client id=%llu addr=%s: TLS handshake done (%s, %s)",
                  (unsigned long long)client->connection_info.id,
                  client->connection_info.address, SSL_get_version(tls),
                  SSL_get_cipher_name(tls));
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
        status = tls_read(client->session->tls, space + total, want - total, &received,
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
        client_update_poll(client);
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
    struct proxy_client_session *session = client->session;
    char error[256];
    size_t length, chunk, written;
    unsigned char *data;

    if (client->flags & PROXY_CLIENT_TLS_HANDSHAKE) {
        return 0;
    }
    while ((length = evbuffer_get_length(session->output)) > 0) {
        chunk = length < CLIENT_TLS_WRITE_SIZE ? length : CLIENT_TLS_WRITE_SIZE;
        data = evbuffer_pullup(session->output, (ssize_t)chunk);
        if (data == NULL) {
            proxy_out_of_memory();
        }
        switch (tls_write(session->tls, data, chunk, &written, error, sizeof(error))) {
        case TLS_DONE:
            evbuffer_drain(session->output, written);
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
    client_update_poll(client);
    TAILQ_REMOVE(&client->proxy->clients, client, link);
    TAILQ_INSERT_TAIL(&client->proxy->closing_clients, client, link);
}

/* Frees the client's requests; those with fragments still out on nodes
 * are orphaned and freed when their last reply arrives. */
static void
client_drop_requests(struct proxy_client *client)
{
    struct proxy_request *request;

    if (client->session == NULL) {
        return;
    }
    while ((request = TAILQ_FIRST(&client->session->pending)) != NULL) {
        TAILQ_REMOVE(&client->session->pending, request, client_link);
        if (request->fragments_pending > 0) {
            request->client = NULL;
        } else {
            proxy_request_destroy(request);
        }
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
    client_session_free(client);
    close(client->connection_info.fd);
    connection_release(&client->connection_info);
    proxy->client_count--;
    if (proxy->listener_paused_ms != 0) {
        proxy_enable_listeners(proxy);
    }
    TAILQ_INSERT_HEAD(&proxy->free_clients, client, link);
}

/* A zeroed client struct from the free list (a new block when empty). */
static struct proxy_client *
client_allocate(struct proxy *proxy)
{
    struct proxy_client_block *block;
    struct proxy_client *client;
    int i;

    if (TAILQ_EMPTY(&proxy->free_clients)) {
        block = malloc(sizeof(*block));
        if (block == NULL) {
            proxy_out_of_memory();
        }
        block->next = proxy->client_blocks;
        proxy->client_blocks = block;
        for (i = PROXY_CLIENT_BLOCK - 1; i >= 0; i--) {
            TAILQ_INSERT_HEAD(&proxy->free_clients, &block->clients[i], link);
        }
    }
    client = TAILQ_FIRST(&proxy->free_clients);
    TAILQ_REMOVE(&proxy->free_clients, client, link);
    memset(client, 0, sizeof(*client));
    return client;
}

void
proxy_client_free_blocks(struct proxy *proxy)
{
    struct proxy_client_block *block;

    while ((block = proxy->client_blocks) != NULL) {
        proxy->client_blocks = block->next;
        free(block);
    }
    TAILQ_INIT(&proxy->free_clients);
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

void
proxy_client_accept(struct proxy *proxy, int fd, const struct sockaddr *address,
                    int address_length, SSL_CTX *tls_context)
{
    struct proxy_client *client;
    SSL *tls = NULL;

    proxy->stats.connections_received++;
    if (proxy->client_count >= (unsigned long)proxy->settings.maxclients) {
        client_reject(proxy, fd, tls_context != NULL);
        return;
    }
    client = client_allocate(proxy);
    (void)network_set_nodelay(fd);
    client->proxy = proxy;
    connection_init(&client->connection_info, ++proxy->next_client_id, fd, address,
                    monotonic_milliseconds());
    connection_set_acl(&client->connection_info, &proxy->settings.acl, proxy->auth_worker,
                       client_auth_done);
    if (tls_context != NULL) {
        tls = tls_connection_new(tls_context, fd);
        if (tls == NULL) {
            proxy_out_of_memory();
        }
        proxy_client_session(client)->tls = tls;
        client->flags |= PROXY_CLIENT_TLS_HANDSHAKE;
    }
    TAILQ_INSERT_TAIL(&proxy->clients, client, link);
    proxy->client_count++;
    client_update_poll(client);
}

void
proxy_client_describe(struct proxy_client *client, struct evbuffer *out)
{
    const struct proxy_client_session *session = client->session;
    struct connection_usage usage;
    size_t output = session != NULL ? evbuffer_get_length(session->output) : 0;
    size_t held = session != NULL ? session->held_bytes : 0;
    const char *events = (client->flags & PROXY_CLIENT_WRITE_ARMED) ? "rw" : "r";

    if (client->flags & PROXY_CLIENT_PAUSED) {
        events = (client->flags & PROXY_CLIENT_WRITE_ARMED) ? "w" : "";
    }
    memset(&usage, 0, sizeof(usage));
    usage.flags = (client->flags & PROXY_CLIENT_CLOSE_AFTER_REPLY) ? "c" : "N";
    usage.events = events;
    if (session != NULL) {
        usage.query_buffer = resp_parser_pending(&session->parser);
        usage.query_buffer_free = session->parser.capacity - session->parser.used;
        usage.read_buffer_size = session->parser.capacity;
        usage.output_list_length = session->pending_count;
        usage.total_memory = session->parser.capacity;
    }
    usage.output_memory = output + held;
    usage.total_memory += output + held;
    connection_describe(&client->connection_info, &usage, monotonic_milliseconds(), out);
}

/* 1 when the client's session can go: idle long enough, nothing read
 * but not handled, nothing to write, no request or password check in
 * flight, no TLS (its state lives in the session). */
static int
client_session_idle(const struct proxy_client *client, uint64_t now_ms)
{
    const struct proxy_client_session *session = client->session;

    return session != NULL && session->tls == NULL &&
           now_ms - client->connection_info.last_interaction_ms >= PROXY_SESSION_IDLE_MS &&
           !(client->flags & (PROXY_CLIENT_PAUSED | PROXY_CLIENT_CLOSE_AFTER_REPLY |
                              PROXY_CLIENT_CLOSING | PROXY_CLIENT_ON_FLUSH_LIST |
                              PROXY_CLIENT_ON_RESUME_LIST | PROXY_CLIENT_WRITE_ARMED |
                              PROXY_CLIENT_PROCESSING)) &&
           session->pending_count == 0 && evbuffer_get_length(session->output) == 0 &&
           resp_parser_pending(&session->parser) == 0 &&
           !connection_auth_pending(&client->connection_info);
}

void
proxy_client_release_idle_sessions(struct proxy *proxy, uint64_t now_ms)
{
    struct proxy_client *client;
    int released = 0;

    TAILQ_FOREACH(client, &proxy->clients, link) {
        if (client_session_idle(client, now_ms)) {
            client_session_free(client);
            released++;
        }
    }
    if (released > 0) {
        /* The freed query buffers sit between live clients in the heap,
         * where free() keeps their pages; give those pages back. */
        malloc_trim(0);
    }
}
