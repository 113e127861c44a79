/*
 * proxy.c — the context: set-up, the loop, the work done after each loop
 * turn (resume paused clients, write to nodes, write to clients, free
 * closed clients), the periodic timer and shutdown.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/network.h"
#include "shared/random.h"
#include "proxy/proxy.h"

/* How often the timer runs, at most and at least (milliseconds). */
#define CRON_INTERVAL_MAX_MS 100
#define CRON_INTERVAL_MIN_MS 10
/* Idle clients are looked for this often. */
#define CLIENT_SWEEP_INTERVAL_MS 1000
/* Accepting resumes this long after running out of descriptors. */
#define ACCEPT_RETRY_MS 1000
/* Resumed clients handled per loop turn before yielding to the loop. */
#define RESUME_ROUNDS 4

void
proxy_out_of_memory(void)
{
    log_warning("out of memory");
    abort();
}

void
proxy_schedule_backend_flush(struct proxy_backend *backend)
{
    if (!backend->on_flush_list) {
        backend->on_flush_list = 1;
        TAILQ_INSERT_TAIL(&backend->proxy->flush_backends, backend, flush_link);
    }
}

void
proxy_schedule_client_flush(struct proxy_client *client)
{
    if (!(client->flags & PROXY_CLIENT_ON_FLUSH_LIST)) {
        client->flags |= PROXY_CLIENT_ON_FLUSH_LIST;
        TAILQ_INSERT_TAIL(&client->proxy->flush_clients, client, flush_link);
    }
}

void
proxy_schedule_client_resume(struct proxy_client *client)
{
    if (!(client->flags & PROXY_CLIENT_ON_RESUME_LIST)) {
        client->flags |= PROXY_CLIENT_ON_RESUME_LIST;
        TAILQ_INSERT_TAIL(&client->proxy->resume_clients, client, resume_link);
    }
}

/* Lets paused clients that may read again handle their buffered input. */
static void
proxy_resume_clients(struct proxy *proxy)
{
    struct proxy_client *client;

    while ((client = TAILQ_FIRST(&proxy->resume_clients)) != NULL) {
        TAILQ_REMOVE(&proxy->resume_clients, client, resume_link);
        client->flags &= ~PROXY_CLIENT_ON_RESUME_LIST;
        proxy_client_resume(client);
    }
}

static void
proxy_flush_backends(struct proxy *proxy)
{
    struct proxy_backend *backend;

    while ((backend = TAILQ_FIRST(&proxy->flush_backends)) != NULL) {
        TAILQ_REMOVE(&proxy->flush_backends, backend, flush_link);
        backend->on_flush_list = 0;
        proxy_backend_flush(backend);
    }
}

static void
proxy_flush_clients(struct proxy *proxy)
{
    struct proxy_client *client;

    while ((client = TAILQ_FIRST(&proxy->flush_clients)) != NULL) {
        TAILQ_REMOVE(&proxy->flush_clients, client, flush_link);
        client->flags &= ~PROXY_CLIENT_ON_FLUSH_LIST;
        proxy_client_flush(client);
    }
}

static void
proxy_free_closed_clients(struct proxy *proxy)
{
    struct proxy_client *client;

    while ((client = TAILQ_FIRST(&proxy->closing_clients)) != NULL) {
        proxy_client_free(client);
    }
}

/* The work of the end of every loop turn.  Resumed clients may produce
 * requests and local replies, and written clients may become resumable,
 * so a few rounds run; anything left keeps the loop from sleeping. */
static void
proxy_after_events(struct proxy *proxy)
{
    int round;

    for (round = 0; round < RESUME_ROUNDS; round++) {
        proxy_resume_clients(proxy);
        proxy_flush_backends(proxy);
        proxy_flush_clients(proxy);
        if (TAILQ_EMPTY(&proxy->resume_clients)) {
            break;
        }
    }
    proxy_free_closed_clients(proxy);
    if (!TAILQ_EMPTY(&proxy->resume_clients) || !TAILQ_EMPTY(&proxy->flush_backends) ||
        !TAILQ_EMPTY(&proxy->flush_clients)) {
        event_active(proxy->wakeup_event, EV_TIMEOUT, 0);
    }
}

static void
proxy_wakeup_callback(evutil_socket_t fd, short what, void *argument)
{
    (void)fd;
    (void)what;
    (void)argument;
}

/* Closes clients idle for longer than `timeout` seconds (never those
 * waiting for replies). */
static void
proxy_close_idle_clients(struct proxy *proxy, uint64_t now)
{
    uint64_t limit = (uint64_t)proxy->settings.timeout * 1000;
    struct proxy_client *client, *next;

    if (limit == 0) {
        return;
    }
    for (client = TAILQ_FIRST(&proxy->clients); client != NULL; client = next) {
        next = TAILQ_NEXT(client, link);
        if (proxy_client_pending_count(client) == 0 &&
            now - client->connection_info.last_interaction_ms > limit) {
            proxy->stats.idle_closes++;
            proxy_client_close_later(client, "idle timeout");
        }
    }
}

static void
proxy_cron_callback(evutil_socket_t fd, short what, void *argument)
{
    struct proxy *proxy = argument;
    uint64_t now = monotonic_milliseconds();
    int i;

    (void)fd;
    (void)what;
    for (i = 0; i < proxy->backend_count; i++) {
        proxy_backend_check_timeouts(&proxy->backends[i], now);
    }
    if (now - proxy->last_client_sweep_ms >= CLIENT_SWEEP_INTERVAL_MS) {
        proxy->last_client_sweep_ms = now;
        proxy_close_idle_clients(proxy, now);
        proxy_client_release_idle_sessions(proxy, now);
    }
    if (proxy->listener_paused_ms != 0 && now - proxy->listener_paused_ms >= ACCEPT_RETRY_MS) {
        /* Out of descriptors a while ago: try accepting again. */
        proxy_enable_listeners(proxy);
    }
    if (proxy->seed_mode) {
        proxy_membership_tick(proxy, now);
    }
}

static void
proxy_signal_callback(evutil_socket_t signal_number, short what, void *argument)
{
    struct proxy *proxy = argument;

    (void)what;
    log_notice("received %s, shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    proxy->stopping = 1;
    event_base_loopbreak(proxy->base);
}

void
proxy_enable_listeners(struct proxy *proxy)
{
    proxy->listener_paused_ms = 0;
    if (proxy->listener != NULL) {
        evconnlistener_enable(proxy->listener);
    }
    if (proxy->tls_listener != NULL) {
        evconnlistener_enable(proxy->tls_listener);
    }
}

static void
proxy_accept_callback(struct evconnlistener *listener, evutil_socket_t fd,
                      struct sockaddr *address, int length, void *argument)
{
    (void)listener;
    proxy_client_accept(argument, fd, address, length, NULL);
}

/* A connection on tls-port: the client starts with the handshake. */
static void
proxy_tls_accept_callback(struct evconnlistener *listener, evutil_socket_t fd,
                          struct sockaddr *address, int length, void *argument)
{
    struct proxy *proxy = argument;

    (void)listener;
    proxy_client_accept(proxy, fd, address, length, proxy->tls_context);
}

/* accept() failed, typically EMFILE: stop accepting until a client goes
 * or a second passes, instead of spinning. */
static void
proxy_accept_error_callback(struct evconnlistener *listener, void *argument)
{
    struct proxy *proxy = argument;

    log_warning("accept failed: %s", strerror(errno));
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        evconnlistener_disable(listener);
        proxy->listener_paused_ms = monotonic_milliseconds();
    }
}

/* Builds the TLS context from the tls-* options (when tls-port is set):
 * certificate, key and CA problems stop the start with their reason. */
static int
proxy_setup_tls(struct proxy *proxy)
{
    const struct proxy_settings *settings = &proxy->settings;
    struct tls_options options;
    char error[PATH_MAX + 512];

    if (settings->tls_port == 0) {
        return 0;
    }
    memset(&options, 0, sizeof(options));
    options.cert_file = settings->tls_cert_file;
    options.key_file = settings->tls_key_file;
    options.ca_cert_file = settings->tls_ca_cert_file;
    options.auth_clients = settings->tls_auth_clients;
    options.protocols = settings->tls_protocols;
    proxy->tls_context = tls_server_context_new(&options, error, sizeof(error));
    if (proxy->tls_context == NULL) {
        log_warning("TLS set-up failed: %s", error);
        return -1;
    }
    return 0;
}

/* Builds the client context for node-tls: the CA that signs the nodes'
 * certificates and the proxy's own certificate. */
static int
proxy_setup_node_tls(struct proxy *proxy)
{
    const struct proxy_settings *settings = &proxy->settings;
    struct tls_options options;
    char error[PATH_MAX + 512];

    if (!settings->node_tls) {
        return 0;
    }
    memset(&options, 0, sizeof(options));
    options.cert_file = settings->node_tls_cert_file;
    options.key_file = settings->node_tls_key_file;
    options.ca_cert_file = settings->node_tls_ca_cert_file;
    options.protocols = settings->tls_protocols;
    options.option_prefix = "node-";
    proxy->node_tls_context = tls_client_context_new(&options, error, sizeof(error));
    if (proxy->node_tls_context == NULL) {
        log_warning("node TLS set-up failed: %s", error);
        return -1;
    }
    return 0;
}

/* Opens the plaintext port and the TLS port (each unless 0). */
static int
proxy_listen(struct proxy *proxy)
{
    char error[256];

    if (proxy->settings.port != 0) {
        proxy->listener = network_listen(proxy->base, proxy->settings.bind,
                                         proxy->settings.port, proxy_accept_callback,
                                         proxy_accept_error_callback, proxy,
                                         error, sizeof(error));
        if (proxy->listener == NULL) {
            log_warning("%s", error);
            return -1;
        }
    }
    if (proxy->settings.tls_port != 0) {
        proxy->tls_listener = network_listen(proxy->base, proxy->settings.bind,
                                             proxy->settings.tls_port,
                                             proxy_tls_accept_callback,
                                             proxy_accept_error_callback, proxy,
                                             error, sizeof(error));
        if (proxy->tls_listener == NULL) {
            log_warning("%s", error);
            return -1;
        }
    }
    return 0;
}

/* Orders backend indexes by node name (the SCAN ordinals). */
static int
proxy_compare_names(const void *a, const void *b, void *argument)
{
    const struct proxy *proxy = argument;

    return strcmp(proxy->node_addresses[*(const int *)a].name,
                  proxy->node_addresses[*(const int *)b].name);
}

/* Builds the placement table and the slot -> node map of a fixed pool. */
static int
proxy_build_placement(struct proxy *proxy)
{
    struct placement_member *members;
    const int16_t *replicas;
    int count, i;
    unsigned int slot;

    if (proxy->seed_mode) {
        return 0;      /* built when the nodes report the membership */
    }
    members = calloc((size_t)proxy->backend_count, sizeof(*members));
    if (members == NULL) {
        return -1;
    }
    for (i = 0; i < proxy->backend_count; i++) {
        snprintf(members[i].id, sizeof(members[i].id), "%s", proxy->node_addresses[i].name);
        members[i].owns_data = 1;
    }
    if (placement_build(&proxy->placement, members, proxy->backend_count,
                        (int)proxy->settings.replicas) != 0) {
        free(members);
        return -1;
    }
    free(members);
    for (slot = 0; slot < SLOT_COUNT; slot++) {
        replicas = placement_replicas(&proxy->placement, slot, &count);
        if (count < 1 || replicas[0] < 0 || replicas[0] >= proxy->backend_count) {
            return -1;
        }
        proxy->slot_backend[slot] = replicas[0];
    }
    proxy->membership_digest = proxy->placement.digest;
    return 0;
}

/* Orders the SCAN ordinals of the backends by name. */
void
proxy_order_backends(struct proxy *proxy)
{
    int i;

    for (i = 0; i < proxy->backend_count; i++) {
        proxy->scan_order[i] = i;
    }
    qsort_r(proxy->scan_order, (size_t)proxy->backend_count, sizeof(int),
            proxy_compare_names, proxy);
    for (i = 0; i < proxy->backend_count; i++) {
        proxy->backends[proxy->scan_order[i]].ordinal = i;
    }
}

/* Creates the backends: one per node line, or (seed mode) one per seed,
 * with room for every member learnt later.  Backends never move, so the
 * arrays are allocated once at their final capacity. */
static int
proxy_create_backends(struct proxy *proxy)
{
    int capacity, i;

    proxy->seed_mode = proxy->settings.seed_count > 0;
    capacity = proxy->seed_mode ? PLACEMENT_MAX_MEMBERS + proxy->settings.seed_count
                                : proxy->settings.node_count;
    proxy->backend_capacity = capacity;
    proxy->backends = calloc((size_t)capacity, sizeof(*proxy->backends));
    proxy->node_addresses = calloc((size_t)capacity, sizeof(*proxy->node_addresses));
    proxy->scan_order = calloc((size_t)capacity, sizeof(*proxy->scan_order));
    proxy->keys_per_backend = calloc((size_t)capacity, sizeof(*proxy->keys_per_backend));
    proxy->fragment_of_backend = calloc((size_t)capacity, sizeof(*proxy->fragment_of_backend));
    proxy->member_backend = calloc((size_t)capacity, sizeof(*proxy->member_backend));
    if (proxy->backends == NULL || proxy->node_addresses == NULL ||
        proxy->scan_order == NULL || proxy->keys_per_backend == NULL ||
        proxy->fragment_of_backend == NULL || proxy->member_backend == NULL) {
        return -1;
    }
    if (proxy->seed_mode) {
        return proxy_membership_init(proxy);
    }
    proxy->backend_count = capacity;
    for (i = 0; i < capacity; i++) {
        proxy->node_addresses[i] = proxy->settings.nodes[i];
        if (proxy_backend_init(proxy, &proxy->backends[i], i) != 0) {
            return -1;
        }
        proxy->backends[i].member = 1;
    }
    proxy_order_backends(proxy);
    return 0;
}

/* Timers and signal handlers. */
static int
proxy_add_events(struct proxy *proxy)
{
    long long interval = proxy->settings.node_timeout / 10;
    struct timeval tick;

    if (interval > CRON_INTERVAL_MAX_MS) {
        interval = CRON_INTERVAL_MAX_MS;
    }
    if (interval < CRON_INTERVAL_MIN_MS) {
        interval = CRON_INTERVAL_MIN_MS;
    }
    tick.tv_sec = 0;
    tick.tv_usec = interval * 1000;
    proxy->cron_event = event_new(proxy->base, -1, EV_PERSIST, proxy_cron_callback, proxy);
    proxy->wakeup_event = event_new(proxy->base, -1, 0, proxy_wakeup_callback, proxy);
    proxy->signal_events[0] = evsignal_new(proxy->base, SIGTERM, proxy_signal_callback, proxy);
    proxy->signal_events[1] = evsignal_new(proxy->base, SIGINT, proxy_signal_callback, proxy);
    if (proxy->cron_event == NULL || proxy->wakeup_event == NULL ||
        proxy->signal_events[0] == NULL || proxy->signal_events[1] == NULL) {
        return -1;
    }
    event_add(proxy->cron_event, &tick);
    event_add(proxy->signal_events[0], NULL);
    event_add(proxy->signal_events[1], NULL);
    return 0;
}

int
proxy_init(struct proxy *proxy)
{
    char error[256];
    int i;

    proxy->client_poll_fd = -1;
    TAILQ_INIT(&proxy->clients);
    TAILQ_INIT(&proxy->flush_clients);
    TAILQ_INIT(&proxy->resume_clients);
    TAILQ_INIT(&proxy->closing_clients);
    TAILQ_INIT(&proxy->free_clients);
    TAILQ_INIT(&proxy->flush_backends);
    proxy->random_state = random_seed();
    random_hex(&proxy->random_state, proxy->run_id, sizeof(proxy->run_id) - 1);
    proxy->start_ms = monotonic_milliseconds();
    proxy->start_unix = wall_clock_milliseconds(NULL) / 1000;
    proxy->last_client_sweep_ms = proxy->start_ms;
    proxy->base = event_base_new();
    if (proxy->base == NULL) {
        log_warning("cannot create the event loop");
        return -1;
    }
    proxy->auth_worker = auth_worker_start(proxy->base, error, sizeof(error));
    if (proxy->auth_worker == NULL) {
        log_warning("%s", error);
        return -1;
    }
    if (proxy_create_backends(proxy) != 0 || proxy_build_placement(proxy) != 0 ||
        proxy_distribution_init(proxy) != 0) {
        log_warning("cannot set up the nodes (out of memory?)");
        return -1;
    }
    if (proxy_setup_tls(proxy) != 0 || proxy_setup_node_tls(proxy) != 0 ||
        proxy_add_events(proxy) != 0 || proxy_poller_init(proxy) != 0 ||
        proxy_listen(proxy) != 0) {
        return -1;
    }
    for (i = 0; i < proxy->backend_count; i++) {
        proxy_backend_connect(&proxy->backends[i]);
    }
    if (proxy->distribution != NULL) {
        log_notice("pool mode: distribution %s, hash %s, hash-tag '%s', auto-eject %s",
                   proxy_distribution_names[proxy->settings.distribution],
                   hash_function_names[proxy->settings.hash], proxy->settings.hash_tag,
                   proxy->settings.auto_eject_hosts ? "yes" : "no");
    }
    log_notice("herd-proxy %s listening on %s port %lld, TLS port %lld, %d nodes, "
               "%lld replicas, placement digest %016llx", PROXY_VERSION,
               proxy->settings.bind, proxy->settings.port, proxy->settings.tls_port,
               proxy->backend_count, proxy->settings.replicas,
               (unsigned long long)proxy->placement.digest);
    return 0;
}

int
proxy_run(struct proxy *proxy)
{
    while (!proxy->stopping) {
        if (event_base_loop(proxy->base, EVLOOP_ONCE) < 0) {
            log_warning("event loop failed");
            return -1;
        }
        proxy_after_events(proxy);
    }
    return 0;
}

void
proxy_free(struct proxy *proxy)
{
    struct proxy_client *client;
    int i;

    while ((client = TAILQ_FIRST(&proxy->clients)) != NULL) {
        proxy_client_close_later(client, NULL);
    }
    proxy_free_closed_clients(proxy);
    proxy_client_free_blocks(proxy);
    auth_worker_stop(proxy->auth_worker);
    proxy->auth_worker = NULL;
    for (i = 0; proxy->backends != NULL && i < proxy->backend_count; i++) {
        proxy_backend_free(&proxy->backends[i]);
    }
    if (proxy->listener != NULL) {
        evconnlistener_free(proxy->listener);
    }
    if (proxy->tls_listener != NULL) {
        evconnlistener_free(proxy->tls_listener);
    }
    proxy_poller_free(proxy);
    tls_context_free(proxy->tls_context);
    tls_context_free(proxy->node_tls_context);
    if (proxy->cron_event != NULL) {
        event_free(proxy->cron_event);
    }
    if (proxy->wakeup_event != NULL) {
        event_free(proxy->wakeup_event);
    }
    for (i = 0; i < 2; i++) {
        if (proxy->signal_events[i] != NULL) {
            event_free(proxy->signal_events[i]);
        }
    }
    placement_free(&proxy->placement);
    proxy_distribution_free(proxy);
    free(proxy->backends);
    free(proxy->scan_order);
    free(proxy->keys_per_backend);
    free(proxy->fragment_of_backend);
    free(proxy->node_addresses);
    free(proxy->member_backend);
    free(proxy->key_backend);
    if (proxy->base != NULL) {
        event_base_free(proxy->base);
    }
    proxy_settings_free(&proxy->settings);
}
