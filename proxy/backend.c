/*
 * backend.c — the one pipelined connection to each node.
 *
 * Requests from every client are appended to backend->output and their
 * fragments to backend->outstanding; the node answers in order, so the
 * reply at the front of backend->input belongs to the fragment at the
 * front of the FIFO.  The framer (framer.c) finds where each reply ends;
 * forwarded replies move to the client without being parsed, merged ones
 * are parsed by hiredis's redisReader, fed exactly that reply's bytes in
 * pieces of at most 16 KB (see ../shared/research/libraries.md).
 *
 * With node-password set, every new connection starts with an AUTH
 * (node-user's, or the default user's), put before any request already
 * queued; its reply is consumed here.  A node that refuses it gets its
 * connection closed (logged), so its requests fail as "unavailable".
 *
 * With cluster-secret set, a new connection first proves the secret
 * (shared/cluster_secret.h) while the backend is still CONNECTING: the
 * proxy writes HERD.CHALLENGE straight to the socket, reads the nonce,
 * writes HERD.PROVE, and only on its +OK does the backend become CONNECTED
 * (AUTH, then the requests queued meanwhile, go out after it, in order).
 * Nothing but the handshake is sent before the proof succeeded, and its
 * replies never reach a client.  During the handshake `handshake_step`
 * counts the handshake replies read so far (0: waiting for the nonce, 1:
 * waiting for HERD.PROVE's answer).  A refused proof closes the connection
 * like a failed connect: logged once, requests fail as "unavailable", and
 * reconnects back off.
 *
 * With node-tls, the connection is TLS (shared/tls.h, non-blocking
 * OpenSSL steps on the raw socket): once connect() finished, the TLS
 * handshake runs while the backend is CONNECTING (`tls_handshaking`); the
 * node must present a certificate signed by node-tls-ca-cert-file that
 * names the host of its `node` line (IP SAN for an address, DNS SAN for a
 * name), and the proxy presents node-tls-cert-file.  Every byte then goes
 * through SSL_read/SSL_write; a read that needs the socket writable (or a
 * write that needs it readable) is resumed by the other event.  Under TLS
 * 1.3 the node judges the proxy's certificate only after the client side
 * of the handshake is over, so without a cluster secret the proxy still
 * waits for one reply before it counts the node as connected: it sends a
 * PING (handshake_step 2; any reply, even -NOAUTH, will do, but the
 * refusal of a node that wants a cluster secret closes the connection).  A failed
 * handshake or verification is logged and closes the connection like a
 * failed connect.
 *
 * When the connection fails, every outstanding fragment fails with the
 * reason, and the proxy reconnects after node-reconnect-interval, doubling
 * the wait while the node stays down (up to PROXY_RECONNECT_MAX_MS).
 * While a node is down its requests fail at once instead of queueing.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "shared/clock.h"
#include "shared/cluster_secret.h"
#include "shared/log.h"
#include "shared/network.h"
#include "proxy/proxy.h"

/* Bytes asked of the socket per read; more while a long reply streams. */
#define BACKEND_READ_SIZE       (16 * 1024)
#define BACKEND_READ_SIZE_LARGE (256 * 1024)
/* Most bytes handed to one SSL_write (one TLS record holds 16 KB). */
#define BACKEND_TLS_WRITE_SIZE  (16 * 1024)
/* handshake_step while waiting for the reply to the TLS probe (PING). */
#define BACKEND_STEP_TLS_PROBE  2
/* A forwarded reply is passed on before its end once this much is in. */
#define BACKEND_STREAM_THRESHOLD (64 * 1024)
/* Largest piece fed to redisReader at once. */
#define BACKEND_FEED_MAX (16 * 1024)

static const char *const failure_texts[] = {
    [PROXY_NODE_UNAVAILABLE]   = "unavailable",
    [PROXY_NODE_TIMED_OUT]     = "timed out",
    [PROXY_NODE_OVERLOADED]    = "overloaded",
    [PROXY_NODE_INVALID_REPLY] = "sent an invalid reply",
    [PROXY_NODE_REPLY_TOO_LARGE] = "sent a reply above client-output-buffer-limit",
};

void
proxy_node_error_text(const struct proxy_backend *backend, enum proxy_node_failure failure,
                      char *buffer, size_t size)
{
    snprintf(buffer, size, "ERR node %s %s", backend->node->address, failure_texts[failure]);
}

const char *
proxy_backend_state_name(enum proxy_backend_state state)
{
    switch (state) {
    case PROXY_BACKEND_CONNECTED:
        return "connected";
    case PROXY_BACKEND_CONNECTING:
        return "connecting";
    default:
        return "down";
    }
}

static void backend_read_callback(evutil_socket_t fd, short what, void *argument);
static void backend_write_callback(evutil_socket_t fd, short what, void *argument);

static void
backend_reconnect_callback(evutil_socket_t fd, short what, void *argument)
{
    (void)fd;
    (void)what;
    proxy_backend_connect(argument);
}

int
proxy_backend_init(struct proxy *proxy, struct proxy_backend *backend, int index)
{
    memset(backend, 0, sizeof(*backend));
    backend->proxy = proxy;
    backend->index = index;
    backend->node = &proxy->node_addresses[index];
    backend->state = PROXY_BACKEND_DOWN;
    backend->fd = -1;
    backend->reconnect_delay_ms = proxy->settings.node_reconnect_interval;
    TAILQ_INIT(&backend->outstanding);
    proxy_framer_reset(&backend->framer);
    backend->input = evbuffer_new();
    backend->output = evbuffer_new();
    backend->reader = redisReaderCreate();
    backend->reconnect_event = evtimer_new(proxy->base, backend_reconnect_callback, backend);
    backend->view = calloc((size_t)proxy->backend_capacity, 1);
    if (backend->input == NULL || backend->output == NULL || backend->reader == NULL ||
        backend->reconnect_event == NULL || backend->view == NULL) {
        return -1;
    }
    return 0;
}

/* Closes the socket and its events (and its TLS state). */
static void
backend_close_socket(struct proxy_backend *backend)
{
    if (backend->tls != NULL) {
        tls_connection_free(backend->tls, !backend->tls_handshaking);
        backend->tls = NULL;
    }
    backend->tls_handshaking = 0;
    backend->tls_read_wants_write = 0;
    backend->tls_write_wants_read = 0;
    if (backend->read_event != NULL) {
        event_free(backend->read_event);
        backend->read_event = NULL;
    }
    if (backend->write_event != NULL) {
        event_free(backend->write_event);
        backend->write_event = NULL;
    }
    if (backend->fd >= 0) {
        close(backend->fd);
        backend->fd = -1;
    }
    backend->write_armed = 0;
}

void
proxy_backend_free(struct proxy_backend *backend)
{
    struct proxy_fragment *fragment;

    backend_close_socket(backend);
    /* Requests still outstanding belong to clients freed before this. */
    while ((fragment = TAILQ_FIRST(&backend->outstanding)) != NULL) {
        TAILQ_REMOVE(&backend->outstanding, fragment, backend_link);
        proxy_fragment_failed(fragment, PROXY_NODE_UNAVAILABLE);
    }
    if (backend->reconnect_event != NULL) {
        event_free(backend->reconnect_event);
    }
    if (backend->input != NULL) {
        evbuffer_free(backend->input);
    }
    if (backend->output != NULL) {
        evbuffer_free(backend->output);
    }
    if (backend->reader != NULL) {
        redisReaderFree(backend->reader);
    }
    free(backend->view);
    backend->view = NULL;
}

/* Replaces the reader (after an error its state is sticky). */
static void
backend_reset_reader(struct proxy_backend *backend)
{
    redisReader *fresh = redisReaderCreate();

    if (fresh == NULL) {
        return;
    }
    redisReaderFree(backend->reader);
    backend->reader = fresh;
}

/* Drops the connection: every outstanding request fails with `failure`;
 * a reconnect is scheduled. */
static void
backend_close(struct proxy_backend *backend, enum proxy_node_failure failure,
              const char *reason)
{
    struct proxy *proxy = backend->proxy;
    struct proxy_fragment *fragment;
    struct timeval delay;
    long long longest;

    /* Pool mode auto-eject counts every failure (distribution.c). */
    proxy_distribution_failure(proxy, backend->index);
    if (backend->state == PROXY_BACKEND_CONNECTED) {
        backend->stats.disconnects++;
        log_warning("node %s (%s): connection closed: %s; %ld requests failed",
                    backend->node->name, backend->node->address, reason,
                    backend->outstanding_count);
    } else if (!backend->failed) {
        log_warning("node %s (%s): cannot connect: %s", backend->node->name,
                    backend->node->address, reason);
    } else {
        log_verbose("node %s (%s): still down: %s", backend->node->name,
                    backend->node->address, reason);
    }
    backend_close_socket(backend);
    backend->state = PROXY_BACKEND_DOWN;
    backend->failed = 1;
    backend->auth_replies = 0;
    backend->handshake_step = 0;
    evbuffer_drain(backend->input, evbuffer_get_length(backend->input));
    evbuffer_drain(backend->output, evbuffer_get_length(backend->output));
    proxy_framer_reset(&backend->framer);
    backend_reset_reader(backend);
    if (backend->on_flush_list) {
        backend->on_flush_list = 0;
        TAILQ_REMOVE(&proxy->flush_backends, backend, flush_link);
    }
    while ((fragment = TAILQ_FIRST(&backend->outstanding)) != NULL) {
        TAILQ_REMOVE(&backend->outstanding, fragment, backend_link);
        backend->outstanding_count--;
        proxy_fragment_failed(fragment, failure);
    }
    delay.tv_sec = backend->reconnect_delay_ms / 1000;
    delay.tv_usec = (backend->reconnect_delay_ms % 1000) * 1000;
    evtimer_add(backend->reconnect_event, &delay);
    longest = proxy->settings.node_reconnect_interval > PROXY_RECONNECT_MAX_MS
                  ? proxy->settings.node_reconnect_interval : PROXY_RECONNECT_MAX_MS;
    backend->reconnect_delay_ms *= 2;
    if (backend->reconnect_delay_ms > longest) {
        backend->reconnect_delay_ms = longest;
    }
}

/* Opens a non-blocking socket towards the node; connect() is under way
 * when it returns a descriptor.  Returns -1 with errno-based reason. */
static int
backend_open_socket(struct proxy_backend *backend, const char **reason)
{
    struct addrinfo hints, *result = NULL;
    char port[16];
    int fd = -1, status;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", backend->node->port);
    status = getaddrinfo(backend->node->host, port, &hints, &result);
    if (status != 0) {
        *reason = gai_strerror(status);
        return -1;
    }
    fd = socket(result->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *reason = strerror(errno);
        goto out;
    }
    (void)network_set_nodelay(fd);
    if (connect(fd, result->ai_addr, result->ai_addrlen) != 0 && errno != EINPROGRESS) {
        *reason = strerror(errno);
        close(fd);
        fd = -1;
    }
out:
    freeaddrinfo(result);
    return fd;
}

void
proxy_backend_connect(struct proxy_backend *backend)
{
    struct proxy *proxy = backend->proxy;
    const char *reason = "unknown error";
    int fd;

    if (backend->state != PROXY_BACKEND_DOWN) {
        return;
    }
    backend->connect_started_ms = monotonic_milliseconds();
    fd = backend_open_socket(backend, &reason);
    if (fd < 0) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, reason);
        return;
    }
    backend->fd = fd;
    backend->read_event = event_new(proxy->base, fd, EV_READ | EV_PERSIST,
                                    backend_read_callback, backend);
    backend->write_event = event_new(proxy->base, fd, EV_WRITE | EV_PERSIST,
                                     backend_write_callback, backend);
    if (backend->read_event == NULL || backend->write_event == NULL) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, "out of memory");
        return;
    }
    backend->state = PROXY_BACKEND_CONNECTING;
    backend->write_armed = 1;
    event_add(backend->write_event, NULL);
}

int
proxy_backend_refuses(const struct proxy_backend *backend, enum proxy_node_failure *failure)
{
    if (backend->state == PROXY_BACKEND_CONNECTED ||
        (backend->state == PROXY_BACKEND_CONNECTING && !backend->failed)) {
        if (evbuffer_get_length(backend->output) >
            (size_t)backend->proxy->settings.query_buffer_limit) {
            *failure = PROXY_NODE_OVERLOADED;
            return 1;
        }
        return 0;
    }
    *failure = PROXY_NODE_UNAVAILABLE;
    return 1;
}

void
proxy_backend_enqueue(struct proxy_backend *backend, struct proxy_fragment *fragment)
{
    fragment->backend = backend;
    fragment->reply = NULL;
    fragment->streamed = 0;
    fragment->discarding = 0;
    fragment->sent_ms = monotonic_milliseconds();
    fragment->request->fragments_pending++;
    TAILQ_INSERT_TAIL(&backend->outstanding, fragment, backend_link);
    backend->outstanding_count++;
    backend->stats.requests++;
    proxy_schedule_backend_flush(backend);
}

/* Arms or disarms the write event. */
static void
backend_want_write(struct proxy_backend *backend, int wanted)
{
    if (wanted && !backend->write_armed) {
        backend->write_armed = 1;
        event_add(backend->write_event, NULL);
    } else if (!wanted && backend->write_armed) {
        backend->write_armed = 0;
        event_del(backend->write_event);
    }
}

/* Writes the front of `buffer` through TLS until it is empty or the
 * connection would block (then tls_write_wants_read says which event
 * resumes it).  Returns 0 when all was written, 1 when it would block,
 * -1 with a reason when the connection broke. */
static int
backend_tls_write(struct proxy_backend *backend, struct evbuffer *buffer,
                  char *reason, size_t reason_size)
{
    enum tls_status status;
    unsigned char *data;
    size_t length, written;

    backend->tls_write_wants_read = 0;
    while ((length = evbuffer_get_length(buffer)) > 0) {
        /* Never shorter than the previous attempt: OpenSSL's retry rule. */
        length = length < BACKEND_TLS_WRITE_SIZE ? length : BACKEND_TLS_WRITE_SIZE;
        data = evbuffer_pullup(buffer, (ev_ssize_t)length);
        if (data == NULL) {
            snprintf(reason, reason_size, "out of memory");
            return -1;
        }
        status = tls_write(backend->tls, data, length, &written, reason, reason_size);
        if (status == TLS_DONE) {
            evbuffer_drain(buffer, written);
            continue;
        }
        if (status == TLS_WANT_WRITE) {
            return 1;
        }
        if (status == TLS_WANT_READ) {
            backend->tls_write_wants_read = 1;
            return 1;
        }
        if (status == TLS_CLOSED) {
            snprintf(reason, reason_size, "connection closed by the node");
        }
        return -1;
    }
    return 0;
}

/* Writes what the socket takes.  Returns 0, or -1 after closing. */
static int
backend_write(struct proxy_backend *backend)
{
    char reason[256];
    int waiting;

    if (backend->tls != NULL) {
        if (backend_tls_write(backend, backend->output, reason, sizeof(reason)) < 0) {
            backend_close(backend, PROXY_NODE_UNAVAILABLE, reason);
            return -1;
        }
    } else if (evbuffer_get_length(backend->output) > 0 &&
               evbuffer_write(backend->output, backend->fd) < 0 &&
               errno != EAGAIN && errno != EINTR) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, strerror(errno));
        return -1;
    }
    waiting = evbuffer_get_length(backend->output) > 0 && !backend->tls_write_wants_read;
    backend_want_write(backend, waiting || backend->tls_read_wants_write);
    return 0;
}

void
proxy_backend_flush(struct proxy_backend *backend)
{
    if (backend->state != PROXY_BACKEND_CONNECTED || backend->write_armed) {
        return;
    }
    backend_write(backend);
}

/* Appends one RESP argument to a request being built. */
static void
add_argument(struct evbuffer *request, const char *text)
{
    evbuffer_add_printf(request, "$%zu\r\n", strlen(text));
    evbuffer_add(request, text, strlen(text));
    evbuffer_add(request, "\r\n", 2);
}

/* Puts AUTH [node-user] node-password before anything queued for the
 * node.  Returns 0, or -1 when out of memory. */
static int
backend_queue_auth(struct proxy_backend *backend)
{
    const struct proxy_settings *settings = &backend->proxy->settings;
    struct evbuffer *request;
    int has_user = settings->node_user[0] != '\0';

    if (settings->node_password[0] == '\0') {
        return 0;
    }
    request = evbuffer_new();
    if (request == NULL) {
        return -1;
    }
    evbuffer_add_printf(request, "*%d\r\n", has_user ? 3 : 2);
    add_argument(request, "AUTH");
    if (has_user) {
        add_argument(request, settings->node_user);
    }
    add_argument(request, settings->node_password);
    evbuffer_prepend_buffer(backend->output, request);
    evbuffer_free(request);
    backend->auth_replies = 1;
    return 0;
}

/* The reply to the connection's AUTH is the first framer->offset bytes of
 * the input.  Returns 0, or -1 after closing when the node refused it. */
static int
backend_auth_reply(struct proxy_backend *backend, size_t length)
{
    char reason[256], text[160];
    size_t shown = length - 2 < sizeof(text) - 1 ? length - 2 : sizeof(text) - 1;

    backend->auth_replies--;
    if (evbuffer_copyout(backend->input, text, shown) != (ev_ssize_t)shown || text[0] != '-') {
        evbuffer_drain(backend->input, length);
        return 0;
    }
    text[shown] = '\0';
    evbuffer_drain(backend->input, length);
    snprintf(reason, sizeof(reason), "the node refused AUTH (check node-user and "
             "node-password): %s", text + 1);
    backend_close(backend, PROXY_NODE_UNAVAILABLE, reason);
    return -1;
}

/* Writes a whole handshake request straight to the socket (nothing else
 * has been sent yet, so it fits in the socket buffer).  Returns 0, or -1
 * after closing. */
static int
backend_send_handshake(struct proxy_backend *backend, struct evbuffer *request)
{
    char reason[256], message[320];
    int result;

    if (backend->tls != NULL) {
        result = backend_tls_write(backend, request, reason, sizeof(reason));
        if (result != 0) {
            /* Under TLS 1.3 a node's refusal of our certificate shows here. */
            snprintf(message, sizeof(message), "cannot send the handshake over TLS: %s",
                     result > 0 ? "the connection would block" : reason);
            backend_close(backend, PROXY_NODE_UNAVAILABLE, message);
            return -1;
        }
        return 0;
    }
    while (evbuffer_get_length(request) > 0) {
        if (evbuffer_write(request, backend->fd) <= 0) {
            if (errno == EINTR) {
                continue;
            }
            backend_close(backend, PROXY_NODE_UNAVAILABLE,
                          "cannot send the cluster-secret handshake");
            return -1;
        }
    }
    return 0;
}

/* Sends HERD.CHALLENGE (cluster-secret); the nonce comes back on the read
 * event.  Requests stay queued until the proof succeeded. */
static void
backend_start_handshake(struct proxy_backend *backend)
{
    struct evbuffer *request = evbuffer_new();

    if (request == NULL) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, "out of memory");
        return;
    }
    backend->write_armed = 0;
    event_del(backend->write_event);
    backend->handshake_step = 0;
    event_add(backend->read_event, NULL);
    evbuffer_add_printf(request, "*1\r\n");
    add_argument(request, "HERD.CHALLENGE");
    backend_send_handshake(backend, request);
    evbuffer_free(request);
}

/* Sends PING over a fresh TLS connection (no cluster secret): its reply
 * shows that the node accepted the proxy's certificate. */
static void
backend_start_tls_probe(struct proxy_backend *backend)
{
    struct evbuffer *request = evbuffer_new();

    if (request == NULL) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, "out of memory");
        return;
    }
    backend_want_write(backend, 0);
    backend->handshake_step = BACKEND_STEP_TLS_PROBE;
    event_add(backend->read_event, NULL);
    evbuffer_add_printf(request, "*1\r\n");
    add_argument(request, "PING");
    backend_send_handshake(backend, request);
    evbuffer_free(request);
}

/* The nonce arrived: sends HERD.PROVE proxy <proof>.  Returns 0, or -1
 * after closing. */
static int
backend_send_proof(struct proxy_backend *backend, const char *nonce, size_t nonce_length)
{
    char proof[CLUSTER_PROOF_HEX_LENGTH + 1];
    struct evbuffer *request;
    int result;

    if (cluster_proof_compute(&backend->proxy->settings.cluster_secret, nonce, nonce_length,
                              "proxy", 5, proof) != 0) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE,
                      "the node sent a malformed HERD.CHALLENGE nonce");
        return -1;
    }
    request = evbuffer_new();
    if (request == NULL) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, "out of memory");
        return -1;
    }
    evbuffer_add_printf(request, "*3\r\n");
    add_argument(request, "HERD.PROVE");
    add_argument(request, "proxy");
    add_argument(request, proof);
    result = backend_send_handshake(backend, request);
    evbuffer_free(request);
    OPENSSL_cleanse(proof, sizeof(proof));
    if (result == 0) {
        backend->handshake_step = 1;
    }
    return result;
}

/* Closes after the node answered a handshake command with an error. */
static void
backend_handshake_refused(struct proxy_backend *backend, const char *step,
                          const redisReply *reply)
{
    char reason[320];

    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(reason, sizeof(reason), "the node refused %s (is cluster-secret the same "
                 "on the proxy and the node?): %.160s", step, reply->str);
    } else {
        snprintf(reason, sizeof(reason), "unexpected reply to %s", step);
    }
    backend_close(backend, PROXY_NODE_UNAVAILABLE, reason);
}

static void backend_connected(struct proxy_backend *backend);
static void backend_start_tls(struct proxy_backend *backend);
static void backend_transport_ready(struct proxy_backend *backend);
static redisReply *backend_parse_reply(struct proxy_backend *backend, size_t length);

/* Reads the handshake's replies (nothing else can arrive before the
 * proof succeeded). */
static void
backend_handshake_input(struct proxy_backend *backend)
{
    enum proxy_framer_status status;
    redisReply *reply;
    size_t length;

    while (backend->state == PROXY_BACKEND_CONNECTING &&
           evbuffer_get_length(backend->input) > 0) {
        status = proxy_framer_scan(&backend->framer, backend->input);
        if (status == PROXY_FRAMER_INVALID) {
            backend_close(backend, PROXY_NODE_INVALID_REPLY, "invalid RESP in reply");
            return;
        }
        if (status == PROXY_FRAMER_INCOMPLETE) {
            return;
        }
        length = backend->framer.offset;
        backend->framer.offset = 0;
        reply = backend_parse_reply(backend, length);
        evbuffer_drain(backend->input, length);
        if (reply == NULL) {
            backend_close(backend, PROXY_NODE_INVALID_REPLY, "invalid reply in the handshake");
            return;
        }
        if (backend->handshake_step == BACKEND_STEP_TLS_PROBE &&
            reply->type == REDIS_REPLY_ERROR &&
            strcmp(reply->str, CLUSTER_NOT_MEMBER_ERROR) == 0) {
            backend_close(backend, PROXY_NODE_UNAVAILABLE, "the node requires a cluster "
                          "secret (set the same cluster-secret on the proxy)");
        } else if (backend->handshake_step == BACKEND_STEP_TLS_PROBE) {
            backend->handshake_step = 0;
            backend_connected(backend);
        } else if (backend->handshake_step == 0 && reply->type == REDIS_REPLY_STRING) {
            backend_send_proof(backend, reply->str, reply->len);
        } else if (backend->handshake_step == 0) {
            backend_handshake_refused(backend, "HERD.CHALLENGE", reply);
        } else if (reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "OK") == 0) {
            backend->handshake_step = 0;
            backend_connected(backend);
        } else {
            backend_handshake_refused(backend, "the cluster-secret proof", reply);
        }
        freeReplyObject(reply);
    }
}

/* The transport is up (TCP, then TLS if any): the cluster-secret proof,
 * or the TLS probe, or straight to connected. */
static void
backend_transport_ready(struct proxy_backend *backend)
{
    if (cluster_secret_configured(&backend->proxy->settings.cluster_secret)) {
        backend_start_handshake(backend);
    } else if (backend->tls != NULL) {
        backend_start_tls_probe(backend);
    } else {
        backend_connected(backend);
    }
}

/* One step of the TLS handshake; waits for the event it needs. */
static void
backend_tls_handshake(struct proxy_backend *backend)
{
    char reason[256], message[320];

    switch (tls_handshake(backend->tls, reason, sizeof(reason))) {
    case TLS_DONE:
        backend->tls_handshaking = 0;
        log_verbose("node %s (%s): TLS handshake done (%s)", backend->node->name,
                    backend->node->address, SSL_get_version(backend->tls));
        backend_transport_ready(backend);
        return;
    case TLS_WANT_READ:
        backend_want_write(backend, 0);
        event_add(backend->read_event, NULL);
        return;
    case TLS_WANT_WRITE:
        backend_want_write(backend, 1);
        return;
    case TLS_CLOSED:
        snprintf(reason, sizeof(reason), "connection closed by the node");
        break;
    default:
        break;
    }
    snprintf(message, sizeof(message), "TLS handshake failed: %s", reason);
    backend_close(backend, PROXY_NODE_UNAVAILABLE, message);
}

/* connect() is over: starts the TLS handshake, checking the node's
 * certificate against the host of its `node` line. */
static void
backend_start_tls(struct proxy_backend *backend)
{
    backend->tls = tls_client_connection_new(backend->proxy->node_tls_context, backend->fd,
                                             backend->node->host);
    if (backend->tls == NULL) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, "cannot start TLS");
        return;
    }
    backend->tls_handshaking = 1;
    backend_tls_handshake(backend);
}

/* The non-blocking connect finished, well or badly. */
static void
backend_connect_finished(struct proxy_backend *backend)
{
    int error = 0;
    socklen_t length = sizeof(error);

    if (getsockopt(backend->fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        error = errno;
    }
    if (error != 0) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, strerror(error));
        return;
    }
    if (backend->proxy->node_tls_context != NULL) {
        backend_start_tls(backend);
        return;
    }
    backend_transport_ready(backend);
}

/* The connection is ready for requests (after the cluster-secret proof,
 * if any): AUTH first when configured, then whatever is queued. */
static void
backend_connected(struct proxy_backend *backend)
{
    if (backend_queue_auth(backend) != 0) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, "out of memory");
        return;
    }
    backend->state = PROXY_BACKEND_CONNECTED;
    backend->failed = 0;
    backend->reconnect_delay_ms = backend->proxy->settings.node_reconnect_interval;
    backend->last_read_ms = monotonic_milliseconds();
    backend->stats.connections++;
    event_add(backend->read_event, NULL);   /* no-op when the handshake added it */
    log_notice("node %s (%s): connected", backend->node->name, backend->node->address);
    backend_write(backend);
}

static void
backend_write_callback(evutil_socket_t fd, short what, void *argument)
{
    struct proxy_backend *backend = argument;

    (void)fd;
    (void)what;
    if (backend->tls_handshaking) {
        backend_tls_handshake(backend);
        return;
    }
    if (backend->state == PROXY_BACKEND_CONNECTING && backend->tls == NULL) {
        backend_connect_finished(backend);
        return;
    }
    if (backend->tls_read_wants_write) {
        backend->tls_read_wants_write = 0;
        backend_want_write(backend, 0);
        backend_read_callback(backend->fd, EV_READ, backend);
    }
    /* Nothing queued goes out before the handshake is over. */
    if (backend->state == PROXY_BACKEND_CONNECTED) {
        backend_write(backend);
    }
}

/* Parses the first `length` bytes of the input (exactly one reply) with
 * redisReader.  Returns the reply, or NULL when hiredis rejects it. */
static redisReply *
backend_parse_reply(struct proxy_backend *backend, size_t length)
{
    struct evbuffer_iovec vector[8];
    struct evbuffer_ptr position;
    size_t fed = 0, piece, chunk;
    void *reply = NULL;
    int count, i;

    while (fed < length) {
        if (evbuffer_ptr_set(backend->input, &position, fed, EVBUFFER_PTR_SET) != 0) {
            return NULL;
        }
        count = evbuffer_peek(backend->input, (ev_ssize_t)(length - fed), &position, vector, 8);
        if (count <= 0) {
            return NULL;
        }
        for (i = 0; i < count && i < 8 && fed < length; i++) {
            chunk = vector[i].iov_len < length - fed ? vector[i].iov_len : length - fed;
            for (piece = 0; piece < chunk; piece += BACKEND_FEED_MAX) {
                size_t size = chunk - piece < BACKEND_FEED_MAX ? chunk - piece : BACKEND_FEED_MAX;
                if (redisReaderFeed(backend->reader, (char *)vector[i].iov_base + piece,
                                    size) != REDIS_OK) {
                    goto failed;
                }
            }
            fed += chunk;
        }
    }
    if (redisReaderGetReply(backend->reader, &reply) != REDIS_OK || reply == NULL) {
        goto failed;
    }
    return reply;
failed:
    log_warning("node %s (%s): unparseable reply: %s", backend->node->name,
                backend->node->address, backend->reader->errstr);
    backend_reset_reader(backend);
    return NULL;
}

/* Hands the complete reply at the front of the input to its fragment. */
static void
backend_deliver(struct proxy_backend *backend, struct proxy_fragment *fragment, size_t length)
{
    redisReply *reply;

    backend->stats.replies++;
    proxy_distribution_success(backend->proxy, backend->index);
    if (fragment->discarding) {
        evbuffer_drain(backend->input, length);
        proxy_fragment_failed(fragment, PROXY_NODE_REPLY_TOO_LARGE);
        return;
    }
    if (fragment->request->merge == PROXY_MERGE_FORWARD) {
        proxy_fragment_forward(fragment, backend->input, length, 1);
        return;
    }
    reply = backend_parse_reply(backend, length);
    evbuffer_drain(backend->input, length);
    if (reply == NULL) {
        proxy_fragment_failed(fragment, PROXY_NODE_INVALID_REPLY);
        return;
    }
    proxy_fragment_replied(fragment, reply);
}

/* Part of a long reply is in: a forwarded one streams on to the client; one
 * that must be merged is held, unless it has grown past what the client
 * may be sent, then it is dropped as it comes (and the request fails). */
static void
backend_partial_reply(struct proxy_backend *backend, struct proxy_fragment *fragment)
{
    size_t scanned = backend->framer.offset;

    if (scanned < BACKEND_STREAM_THRESHOLD) {
        return;
    }
    if (fragment->request->merge == PROXY_MERGE_FORWARD && !fragment->discarding) {
        proxy_fragment_forward(fragment, backend->input, scanned, 0);
        backend->framer.offset = 0;
        return;
    }
    if (fragment->discarding ||
        scanned > (size_t)backend->proxy->settings.output_buffer_limit) {
        fragment->discarding = 1;
        evbuffer_drain(backend->input, scanned);
        backend->framer.offset = 0;
    }
}

/* 1 when the complete reply of `length` bytes at the front of the input is
 * a node's refusal of a proxy that lacks the cluster secret. */
static int
backend_reply_not_member(struct proxy_backend *backend, size_t length)
{
    static const char refusal[] = "-" CLUSTER_NOT_MEMBER_ERROR "\r\n";
    char text[sizeof(refusal)];

    if (length != sizeof(refusal) - 1 ||
        evbuffer_copyout(backend->input, text, length) != (ev_ssize_t)length) {
        return 0;
    }
    return memcmp(text, refusal, length) == 0;
}

/* Matches every complete reply in the input with its fragment. */
static void
backend_process_input(struct proxy_backend *backend)
{
    struct proxy_fragment *fragment;
    enum proxy_framer_status status;
    size_t length;

    while (backend->state == PROXY_BACKEND_CONNECTED &&
           evbuffer_get_length(backend->input) > 0) {
        if (backend->auth_replies > 0) {
            status = proxy_framer_scan(&backend->framer, backend->input);
            if (status == PROXY_FRAMER_INVALID) {
                backend_close(backend, PROXY_NODE_INVALID_REPLY, "invalid RESP in reply");
                return;
            }
            if (status == PROXY_FRAMER_INCOMPLETE) {
                return;
            }
            length = backend->framer.offset;
            backend->framer.offset = 0;
            if (backend_auth_reply(backend, length) != 0) {
                return;
            }
            continue;
        }
        fragment = TAILQ_FIRST(&backend->outstanding);
        if (fragment == NULL) {
            backend_close(backend, PROXY_NODE_INVALID_REPLY, "reply to no request");
            return;
        }
        status = proxy_framer_scan(&backend->framer, backend->input);
        if (status == PROXY_FRAMER_INVALID) {
            backend_close(backend, PROXY_NODE_INVALID_REPLY, "invalid RESP in reply");
            return;
        }
        if (status == PROXY_FRAMER_INCOMPLETE) {
            backend_partial_reply(backend, fragment);
            return;
        }
        length = backend->framer.offset;
        backend->framer.offset = 0;
        if (backend_reply_not_member(backend, length)) {
            backend_close(backend, PROXY_NODE_UNAVAILABLE, "the node requires a cluster "
                          "secret (set the same cluster-secret on the proxy)");
            return;
        }
        TAILQ_REMOVE(&backend->outstanding, fragment, backend_link);
        backend->outstanding_count--;
        backend_deliver(backend, fragment, length);
    }
}

/* Bytes to ask for in one read. */
static size_t
backend_read_size(const struct proxy_backend *backend)
{
    if (backend->framer.offset > 0 || backend->framer.bulk_remaining > BACKEND_READ_SIZE) {
        return BACKEND_READ_SIZE_LARGE;
    }
    return BACKEND_READ_SIZE;
}

/* Hands freshly read input to the handshake or to the fragments. */
static void
backend_input_arrived(struct proxy_backend *backend)
{
    backend->last_read_ms = monotonic_milliseconds();
    if (backend->state == PROXY_BACKEND_CONNECTING) {
        backend_handshake_input(backend);
        return;
    }
    backend_process_input(backend);
}

/* Reads one piece through TLS.  Returns 1 when bytes arrived, 0 when it
 * must wait for an event, -1 after closing. */
static int
backend_tls_read_once(struct proxy_backend *backend)
{
    struct evbuffer_iovec vector;
    enum tls_status status;
    char reason[256];
    size_t received = 0;

    if (evbuffer_reserve_space(backend->input, (ev_ssize_t)backend_read_size(backend),
                               &vector, 1) != 1) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, "out of memory");
        return -1;
    }
    status = tls_read(backend->tls, vector.iov_base, vector.iov_len, &received,
                      reason, sizeof(reason));
    if (status == TLS_DONE) {
        vector.iov_len = received;
        evbuffer_commit_space(backend->input, &vector, 1);
        return 1;
    }
    if (status == TLS_WANT_READ) {
        return 0;
    }
    if (status == TLS_WANT_WRITE) {
        backend->tls_read_wants_write = 1;
        backend_want_write(backend, 1);
        return 0;
    }
    if (status == TLS_CLOSED) {
        snprintf(reason, sizeof(reason), "connection closed by the node");
    }
    backend_close(backend, PROXY_NODE_UNAVAILABLE, reason);
    return -1;
}

/* The socket is readable on a TLS connection: the handshake, or replies
 * (also those OpenSSL already decrypted), then a write that waited. */
static void
backend_tls_read(struct proxy_backend *backend)
{
    int result;

    if (backend->tls_handshaking) {
        backend_tls_handshake(backend);
        return;
    }
    do {
        result = backend_tls_read_once(backend);
        if (result <= 0) {
            break;
        }
        backend_input_arrived(backend);
    } while (backend->tls != NULL && tls_has_pending(backend->tls));
    if (backend->tls != NULL && backend->tls_write_wants_read) {
        backend_write(backend);
    }
}

static void
backend_read_callback(evutil_socket_t fd, short what, void *argument)
{
    struct proxy_backend *backend = argument;
    struct evbuffer_iovec vector[2];
    struct iovec io[2];
    size_t want = backend_read_size(backend), left;
    ssize_t received;
    int count, i;

    (void)what;
    if (backend->tls != NULL) {
        backend_tls_read(backend);
        return;
    }
    count = evbuffer_reserve_space(backend->input, (ev_ssize_t)want, vector, 2);
    if (count <= 0) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, "out of memory");
        return;
    }
    for (i = 0; i < count; i++) {
        io[i].iov_base = vector[i].iov_base;
        io[i].iov_len = vector[i].iov_len;
    }
    received = readv(fd, io, count);
    if (received < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            backend_close(backend, PROXY_NODE_UNAVAILABLE, strerror(errno));
        }
        return;
    }
    if (received == 0) {
        backend_close(backend, PROXY_NODE_UNAVAILABLE, "connection closed by the node");
        return;
    }
    left = (size_t)received;
    for (i = 0; i < count; i++) {
        vector[i].iov_len = vector[i].iov_len < left ? vector[i].iov_len : left;
        left -= vector[i].iov_len;
    }
    evbuffer_commit_space(backend->input, vector, count);
    backend_input_arrived(backend);
}

void
proxy_backend_check_timeouts(struct proxy_backend *backend, uint64_t now_ms)
{
    uint64_t timeout = (uint64_t)backend->proxy->settings.node_timeout;
    struct proxy_fragment *head;
    uint64_t since;

    if (backend->state == PROXY_BACKEND_CONNECTING) {
        if (now_ms - backend->connect_started_ms >= timeout) {
            backend_close(backend, PROXY_NODE_UNAVAILABLE, "connect timed out");
        }
        return;
    }
    head = TAILQ_FIRST(&backend->outstanding);
    if (backend->state != PROXY_BACKEND_CONNECTED || head == NULL) {
        return;
    }
    since = head->sent_ms > backend->last_read_ms ? head->sent_ms : backend->last_read_ms;
    if (now_ms - since >= timeout) {
        backend->stats.timeouts++;
        backend_close(backend, PROXY_NODE_TIMED_OUT, "no reply within node-timeout");
    }
}
