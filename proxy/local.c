/*
 * local.c — the commands herd-proxy answers itself: PING, ECHO, SELECT,
 * QUIT, RESET, HELLO, AUTH, CLIENT, COMMAND, INFO, TIME.
 *
 * The commands themselves are shared with herd-node (shared/connection.c).
 * What is the proxy's own is here: how it describes itself to them (struct
 * connection_host) and its INFO sections (stats and nodes).  INFO has no
 * keyspace section, because counting keys would need a round trip to
 * every node (use DBSIZE).
 */
#include <stdio.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include "shared/connection.h"
#include "proxy/proxy.h"

/* ------------------------------------------------------------------------
 * The proxy's own INFO sections
 * ------------------------------------------------------------------------ */

static void
info_stats(const struct connection_host *host, struct evbuffer *text)
{
    const struct proxy *proxy = host->context;
    const struct proxy_stats *stats = &proxy->stats;

    evbuffer_add_printf(text,
        "# Stats\r\n"
        "total_connections_received:%llu\r\n"
        "total_commands_processed:%llu\r\n"
        "total_net_input_bytes:%llu\r\n"
        "rejected_connections:%llu\r\n"
        "protocol_errors:%llu\r\n"
        "client_output_limit_disconnections:%llu\r\n"
        "client_idle_disconnections:%llu\r\n"
        "fragmented_requests:%llu\r\n",
        (unsigned long long)stats->connections_received,
        (unsigned long long)stats->commands_processed,
        (unsigned long long)stats->net_input_bytes,
        (unsigned long long)stats->rejected_connections,
        (unsigned long long)stats->protocol_errors,
        (unsigned long long)stats->output_limit_closes,
        (unsigned long long)stats->idle_closes,
        (unsigned long long)stats->fragmented_requests);
}

/* One line per node: identity, address, state and traffic. */
static void
info_nodes(const struct connection_host *host, struct evbuffer *text)
{
    const struct proxy *proxy = host->context;
    const struct proxy_backend *backend;
    int i;

    evbuffer_add_printf(text,
        "# Nodes\r\n"
        "nodes:%d\r\n"
        "replicas:%lld\r\n"
        "placement_digest:%016llx\r\n",
        proxy->backend_count, proxy->settings.replicas,
        (unsigned long long)proxy->placement.digest);
    for (i = 0; i < proxy->backend_count; i++) {
        backend = &proxy->backends[i];
        evbuffer_add_printf(text,
            "node%d:name=%s,address=%s,state=%s,outstanding=%ld,requests=%llu,"
            "replies=%llu,failures=%llu,timeouts=%llu,connections=%llu\r\n",
            i, backend->node->name, backend->node->address,
            backend->state == PROXY_BACKEND_CONNECTED ? "connected" : "down",
            backend->outstanding_count,
            (unsigned long long)backend->stats.requests,
            (unsigned long long)backend->stats.replies,
            (unsigned long long)backend->stats.failures,
            (unsigned long long)backend->stats.timeouts,
            (unsigned long long)backend->stats.connections);
    }
}

/* INFO's sections on the proxy, in output order. */
static const struct info_section proxy_info_sections[] = {
    { "server",  info_write_server },
    { "clients", info_write_clients },
    { "stats",   info_stats },
    { "nodes",   info_nodes },
    { NULL,      NULL }
};

/* ------------------------------------------------------------------------
 * The proxy as the commands' host
 * ------------------------------------------------------------------------ */

static void
proxy_for_each_client(void *context, connection_visitor *visit, void *argument)
{
    struct proxy *proxy = context;
    struct proxy_client *client;

    TAILQ_FOREACH(client, &proxy->clients, link) {
        visit(&client->connection_info, argument);
    }
}

static void
proxy_describe_client(struct connection_info *connection, struct evbuffer *out)
{
    proxy_client_describe(CONNECTION_OWNER(connection, struct proxy_client, connection_info),
                          out);
}

static void
proxy_close_after_reply(struct connection_info *connection)
{
    proxy_client_stop_reading(CONNECTION_OWNER(connection, struct proxy_client,
                                               connection_info));
}

/* Describes the proxy to the connection commands. */
static void
proxy_host(struct proxy *proxy, struct connection_host *host)
{
    host->role = "proxy";
    host->version = PROXY_VERSION;
    host->redis_version = PROXY_REDIS_VERSION;
    host->run_id = proxy->run_id;
    host->config_file = proxy->config_file;
    host->multiplexing_api = event_base_get_method(proxy->base);
    host->port = proxy->settings.port;
    host->hz = 0;
    host->maxclients = proxy->settings.maxclients;
    host->client_count = proxy->client_count;
    host->start_ms = proxy->start_ms;
    host->info_sections = proxy_info_sections;
    host->context = proxy;
    host->for_each_client = proxy_for_each_client;
    host->describe = proxy_describe_client;
    host->close_after_reply = proxy_close_after_reply;
}

int
proxy_local_execute(struct proxy_client *client, const struct command_info *command,
                    const struct resp_request *request)
{
    struct connection_host host;

    if (!connection_command_handled(command->id)) {
        return 0;
    }
    proxy_host(client->proxy, &host);
    connection_execute(&host, &client->connection_info, command, request,
                       proxy_client_reply_begin(client));
    proxy_client_reply_end(client);
    return 1;
}
