/*
 * t_connection.c — the node's side of the connection and server commands
 * (PING ECHO SELECT QUIT RESET HELLO AUTH CLIENT COMMAND INFO TIME).
 *
 * The commands themselves are shared with herd-proxy (shared/connection.c).
 * What is the node's own is here: how it describes itself to them (struct
 * connection_host) and the INFO sections only a storage node has
 * (persistence, stats, replication, storage, keyspace), and the node's side
 * of the cluster secret (HERD.CHALLENGE, HERD.PROVE and the gate in front
 * of every command; see shared/cluster_secret.h).
 */
#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include "shared/cluster_secret.h"
#include "shared/connection.h"
#include "shared/log.h"
#include "shared/reply.h"
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
    const struct server *server = host->context;

    evbuffer_add_printf(text,
        "# Replication\r\n"
        "role:master\r\n"
        "connected_slaves:0\r\n"
        "cluster_secret_required:%d\r\n",
        cluster_secret_configured(&server->settings.cluster_secret));
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

/* ------------------------------------------------------------------------
 * The cluster secret
 * ------------------------------------------------------------------------ */

#define CLUSTER_PROOF_REFUSED_ERROR \
    "ERR cluster secret proof refused"

/* A command other than the handshake before the proof: a clear error, and
 * the connection closes after a few. */
static void
cluster_refuse(struct client *c)
{
    reply_error(c->reply, CLUSTER_NOT_MEMBER_ERROR);
    c->cluster_refusals++;
    if (c->cluster_refusals >= CLIENT_CLUSTER_REFUSALS_MAX) {
        log_warning("Closing client %s: not a cluster member (cluster-secret is set and "
                    "the peer did not prove it)", c->connection_info.address);
        client_close_after_reply(c);
    }
}

/* Runs an internal command: HERD.CHALLENGE or HERD.PROVE (before the
 * proof), or a member's replication and gossip (after it): their own arity
 * check, no ACL (they come before AUTH and are no user's business).  A malformed one before
 * the proof counts as a refused command. */
static void
cluster_run_internal(struct client *c, const struct command_info *info)
{
    command_handler *handler = command_handler_for(info->id);

    c->connection_info.last_command = info->name;
    if (handler == NULL) {
        reply_error_unknown_command(c->reply, c->argc, c->argv, c->argv_length);
        return;
    }
    if (!command_arity_ok(info, c->argc)) {
        reply_error_arity(c->reply, info->name);
        if (!(c->flags & CLIENT_CLUSTER_MEMBER) &&
            ++c->cluster_refusals >= CLIENT_CLUSTER_REFUSALS_MAX) {
            client_close_after_reply(c);
        }
        return;
    }
    c->command = info;
    handler(c);
    c->command = NULL;
}

int
client_cluster_gate(struct client *c, const struct command_info *info)
{
    if (!cluster_secret_configured(&c->server->settings.cluster_secret)) {
        return 1;
    }
    if (info != NULL && (info->flags & COMMAND_INTERNAL)) {
        if (!(info->flags & COMMAND_NOAUTH) && !(c->flags & CLIENT_CLUSTER_MEMBER)) {
            cluster_refuse(c);
        } else {
            cluster_run_internal(c, info);
        }
        return 0;
    }
    if ((c->flags & CLIENT_CLUSTER_MEMBER) || (info != NULL && info->id == COMMAND_QUIT)) {
        return 1;
    }
    cluster_refuse(c);
    return 0;
}

/* HERD.CHALLENGE: a fresh nonce for this connection's proof. */
void
command_HERD_CHALLENGE(struct client *c)
{
    if (c->flags & CLIENT_CLUSTER_MEMBER) {
        reply_error(c->reply, "ERR this connection already proved the cluster secret");
        return;
    }
    if (cluster_nonce_new(c->cluster_nonce) != 0) {
        c->cluster_nonce[0] = '\0';
        log_warning("Cannot draw a cluster nonce for client %s (RAND_bytes failed)",
                    c->connection_info.address);
        reply_error(c->reply, "ERR cannot draw a random nonce, see the node's log");
        return;
    }
    reply_bulk(c->reply, c->cluster_nonce, CLUSTER_NONCE_HEX_LENGTH);
}

/* A refused proof: logged with the peer's address (never the proof or the
 * secret), answered, and the connection closed. */
static void
cluster_proof_refused(struct client *c, const char *why)
{
    log_warning("Refused cluster member %s: %s; closing the connection",
                c->connection_info.address, why);
    reply_error(c->reply, CLUSTER_PROOF_REFUSED_ERROR);
    client_close_after_reply(c);
}

/* HERD.PROVE <role> <proof>: the HMAC of this connection's nonce.  The
 * nonce is used once, whatever the outcome. */
void
command_HERD_PROVE(struct client *c)
{
    const char *role = c->argv[1], *proof = c->argv[2];
    size_t role_length = c->argv_length[1], proof_length = c->argv_length[2];
    char nonce[CLUSTER_NONCE_HEX_LENGTH + 1];
    int proved;

    if (c->flags & CLIENT_CLUSTER_MEMBER) {
        reply_error(c->reply, "ERR this connection already proved the cluster secret");
        return;
    }
    memcpy(nonce, c->cluster_nonce, sizeof(nonce));
    c->cluster_nonce[0] = '\0';
    if (nonce[0] == '\0') {
        cluster_proof_refused(c, "HERD.PROVE without HERD.CHALLENGE");
        return;
    }
    if (!cluster_role_valid(role, role_length)) {
        cluster_proof_refused(c, "unknown role in HERD.PROVE");
        return;
    }
    proved = cluster_proof_verify(&c->server->settings.cluster_secret, nonce,
                                  CLUSTER_NONCE_HEX_LENGTH, role, role_length,
                                  proof, proof_length);
    if (!proved) {
        cluster_proof_refused(c, "wrong cluster-secret proof (is its cluster-secret the "
                                 "same as this node's?)");
        return;
    }
    c->flags |= CLIENT_CLUSTER_MEMBER;
    log_verbose("Client %s proved the cluster secret (role %.*s)",
                c->connection_info.address, (int)role_length, role);
    reply_ok(c->reply);
}
