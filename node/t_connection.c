/*
 * t_connection.c — the node's side of the connection and server commands
 * (PING ECHO SELECT QUIT RESET HELLO AUTH CLIENT COMMAND INFO TIME).
 *
 * The commands themselves are shared with herd-proxy (shared/connection.c).
 * What is the node's own is here: how it describes itself to them (struct
 * connection_host) and the INFO sections only a storage node has
 * (persistence, stats, replication, storage, keyspace).
 */
#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include "shared/connection.h"
#include "node/collection.h"
#include "node/db.h"
#include "node/keyindex.h"
#include "node/server.h"
#include "node/storage.h"

/* ------------------------------------------------------------------------
 * The node's own INFO sections
 * ------------------------------------------------------------------------ */

static void
info_persistence(const struct connection_host *host, struct evbuffer *text)
{
    evbuffer_add_printf(text,
        "# Persistence\r\n"
        "loading:0\r\n"
        "async_loading:0\r\n"
        "rdb_bgsave_in_progress:0\r\n"
        "aof_enabled:0\r\n"
        "aof_rewrite_in_progress:0\r\n");
}

static void
info_stats(const struct connection_host *host, struct evbuffer *text)
{
    const struct server *server = host->context;
    const struct server_stats *stats = &server->stats;

    evbuffer_add_printf(text,
        "# Stats\r\n"
        "total_connections_received:%llu\r\n"
        "total_commands_processed:%llu\r\n"
        "rejected_connections:%llu\r\n"
        "expired_keys:%llu\r\n"
        "expired_time_cap_reached_count:%llu\r\n"
        "expire_cycles:%llu\r\n"
        "evicted_keys:0\r\n"
        "keyspace_hits:%llu\r\n"
        "keyspace_misses:%llu\r\n"
        "protocol_errors:%llu\r\n"
        "output_buffer_limit_disconnections:%llu\r\n",
        (unsigned long long)stats->connections_received,
        (unsigned long long)stats->commands_processed,
        (unsigned long long)stats->rejected_connections,
        (unsigned long long)stats->expired_keys,
        (unsigned long long)stats->expire_time_limit_reached,
        (unsigned long long)stats->expire_cycles,
        (unsigned long long)stats->keyspace_hits,
        (unsigned long long)stats->keyspace_misses,
        (unsigned long long)stats->protocol_errors,
        (unsigned long long)stats->output_limit_disconnections);
}

static void
info_replication(const struct connection_host *host, struct evbuffer *text)
{
    evbuffer_add_printf(text,
        "# Replication\r\n"
        "role:master\r\n"
        "connected_slaves:0\r\n");
}

static void
info_storage(const struct connection_host *host, struct evbuffer *text)
{
    struct server *server = host->context;
    struct storage_stats stats;

    storage_get_stats(server->storage, &stats);
    evbuffer_add_printf(text,
        "# Storage\r\n"
        "storage_engine:tokyocabinet-hash\r\n"
        "storage_file:%s\r\n"
        "storage_file_size:%llu\r\n"
        "storage_records:%llu\r\n"
        "storage_index_memory:%llu\r\n"
        "fsync:%s\r\n"
        "commits:%llu\r\n"
        "last_commit_time_ms:%llu\r\n"
        "last_commit_duration_usec:%llu\r\n"
        "fsyncs:%llu\r\n"
        "last_fsync_time_ms:%llu\r\n"
        "previous_stop_clean:%d\r\n"
        "load_records:%llu\r\n"
        "load_collection_pages:%llu\r\n"
        "load_corrupt_dropped:%llu\r\n"
        "load_duration_ms:%llu\r\n"
        "reclaim_pending_collections:%llu\r\n",
        storage_path(server->storage),
        (unsigned long long)storage_file_size(server->storage),
        (unsigned long long)storage_record_count(server->storage),
        (unsigned long long)keyindex_memory(server->keyindex),
        storage_fsync_policy_name(server->settings.fsync),
        (unsigned long long)stats.commits,
        (unsigned long long)stats.last_commit_ms,
        (unsigned long long)stats.last_commit_us,
        (unsigned long long)stats.fsyncs,
        (unsigned long long)stats.last_fsync_ms,
        server->load.previous_stop_clean,
        (unsigned long long)server->load.records,
        (unsigned long long)server->load.pages,
        (unsigned long long)server->load.corrupt_dropped,
        (unsigned long long)server->load.duration_ms,
        (unsigned long long)collection_reclaim_pending(server));
}

static void
info_keyspace(const struct connection_host *host, struct evbuffer *text)
{
    struct server *server = host->context;

    evbuffer_add_printf(text, "# Keyspace\r\n");
    if (db_size(server) > 0) {
        evbuffer_add_printf(text, "db0:keys=%lld,expires=%lld,avg_ttl=0\r\n",
                            db_size(server), db_expires_count(server));
    }
}

/* INFO's sections on a node, in output order. */
static const struct info_section node_info_sections[] = {
    { "server",      info_write_server },
    { "clients",     info_write_clients },
    { "persistence", info_persistence },
    { "stats",       info_stats },
    { "replication", info_replication },
    { "storage",     info_storage },
    { "keyspace",    info_keyspace },
    { NULL,          NULL }
};

/* ------------------------------------------------------------------------
 * The node as the commands' host
 * ------------------------------------------------------------------------ */

static void
node_for_each_client(void *context, connection_visitor *visit, void *argument)
{
    struct server *server = context;
    struct client *c;

    TAILQ_FOREACH(c, &server->clients, clients_link) {
        visit(&c->connection_info, argument);
    }
}

static void
node_describe_client(struct connection_info *connection, struct evbuffer *out)
{
    client_describe(CONNECTION_OWNER(connection, struct client, connection_info), out);
}

static void
node_close_after_reply(struct connection_info *connection)
{
    client_close_after_reply(CONNECTION_OWNER(connection, struct client, connection_info));
}

/* Describes the node to the connection commands. */
static void
node_host(struct server *server, struct connection_host *host)
{
    host->role = "node";
    host->version = HERD_VERSION;
    host->redis_version = HERD_REDIS_VERSION;
    host->run_id = server->run_id;
    host->config_file = server->config_file;
    host->multiplexing_api = event_base_get_method(server->base);
    host->port = server->settings.port;
    host->hz = server->settings.hz;
    host->maxclients = server->settings.maxclients;
    host->client_count = server->client_count;
    host->start_ms = server->start_ms;
    host->info_sections = node_info_sections;
    host->context = server;
    host->for_each_client = node_for_each_client;
    host->describe = node_describe_client;
    host->close_after_reply = node_close_after_reply;
}

/* Runs the client's current command with the shared implementation. */
static void
node_connection_command(struct client *c)
{
    struct connection_host host;
    struct resp_request request = { 0 };

    node_host(c->server, &host);
    request.argc = c->argc;
    request.argv = c->argv;
    request.argv_length = c->argv_length;
    connection_execute(&host, &c->connection_info, c->command, &request, c->reply);
}

void
command_PING(struct client *c)
{
    node_connection_command(c);
}

void
command_ECHO(struct client *c)
{
    node_connection_command(c);
}

void
command_SELECT(struct client *c)
{
    node_connection_command(c);
}

void
command_QUIT(struct client *c)
{
    node_connection_command(c);
}

void
command_RESET(struct client *c)
{
    node_connection_command(c);
}

void
command_HELLO(struct client *c)
{
    node_connection_command(c);
}

void
command_AUTH(struct client *c)
{
    node_connection_command(c);
}

void
command_CLIENT(struct client *c)
{
    node_connection_command(c);
}

void
command_COMMAND(struct client *c)
{
    node_connection_command(c);
}

void
command_INFO(struct client *c)
{
    node_connection_command(c);
}

void
command_TIME(struct client *c)
{
    node_connection_command(c);
}

/* ACL WHOAMI | HELP (shared/connection.c answers). */
void
command_ACL(struct client *c)
{
    struct resp_request request;

    memset(&request, 0, sizeof(request));
    request.argc = c->argc;
    request.argv = c->argv;
    request.argv_length = c->argv_length;
    connection_acl_command(&c->connection_info, &request, c->reply);
}
