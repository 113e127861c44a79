/*
 * t_connection.c — connection and server commands: PING ECHO SELECT QUIT
 * RESET HELLO AUTH CLIENT COMMAND INFO TIME.
 *
 * Replies and error texts follow Redis 7.0 (CLIENT SETINFO follows 7.2,
 * since client libraries send it on connect).  Authentication is not
 * configurable yet, so the node behaves like a Redis whose default user
 * has no password: "AUTH default <anything>" succeeds, AUTH <password>
 * gets Redis's "no password configured" error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include "shared/commands.h"
#include "shared/number.h"
#include "shared/reply.h"
#include "node/db.h"
#include "node/keyindex.h"
#include "node/server.h"
#include "node/storage.h"

#define NAME_ERROR "ERR Client names cannot contain spaces, newlines or special characters."
#define WRONGPASS_ERROR "WRONGPASS invalid username-password pair or user is disabled."
#define NOPASS_ERROR "ERR AUTH <password> called without any password configured for " \
                     "the default user. Are you sure your configuration is correct?"

/* One subcommand of CLIENT or COMMAND. */
struct subcommand {
    const char *name;                    /* lower case */
    int         arity;                   /* counts the container and itself */
    void      (*handler)(struct client *c);
};

/* Case-insensitive comparison of an argument with a C string. */
static int
argument_is(const struct client *c, int index, const char *word)
{
    return c->argv_length[index] == strlen(word) &&
           strncasecmp(c->argv[index], word, c->argv_length[index]) == 0;
}

static int
arity_ok(int arity, int argc)
{
    return arity > 0 ? argc == arity : argc >= -arity;
}

/* Runs the subcommand named by argv[1], with Redis's errors for unknown
 * subcommands and wrong argument counts. */
static void
subcommand_dispatch(struct client *c, const struct subcommand *table,
                    const char *container, const char *container_upper)
{
    const struct subcommand *sub;
    char full_name[64];

    for (sub = table; sub->name != NULL; sub++) {
        if (argument_is(c, 1, sub->name)) {
            break;
        }
    }
    if (sub->name == NULL) {
        reply_error_unknown_subcommand(c->reply, c->argv[1], c->argv_length[1],
                                       container_upper);
        return;
    }
    if (!arity_ok(sub->arity, c->argc)) {
        snprintf(full_name, sizeof(full_name), "%s|%s", container, sub->name);
        reply_error_arity(c->reply, full_name);
        return;
    }
    sub->handler(c);
}

/* Replies the contents of an evbuffer as one bulk string. */
static void
reply_bulk_buffer(struct client *c, struct evbuffer *text)
{
    size_t length = evbuffer_get_length(text);

    reply_bulk(c->reply, length > 0 ? (const char *)evbuffer_pullup(text, -1) : "", length);
}

/* Replies a help text as Redis does: an array of status lines. */
static void
reply_help(struct client *c, const char *const *lines)
{
    long long count = 0;

    while (lines[count] != NULL) {
        count++;
    }
    reply_array_header(c->reply, count);
    for (count = 0; lines[count] != NULL; count++) {
        reply_status(c->reply, lines[count]);
    }
}

/* ------------------------------------------------------------------------
 * PING ECHO SELECT QUIT RESET TIME
 * ------------------------------------------------------------------------ */

void
command_PING(struct client *c)
{
    if (c->argc > 2) {
        reply_error_arity(c->reply, "ping");
    } else if (c->argc == 2) {
        reply_bulk(c->reply, c->argv[1], c->argv_length[1]);
    } else {
        reply_status(c->reply, "PONG");
    }
}

void
command_ECHO(struct client *c)
{
    reply_bulk(c->reply, c->argv[1], c->argv_length[1]);
}

void
command_SELECT(struct client *c)
{
    long long index;

    if (!string_to_long_long(c->argv[1], c->argv_length[1], &index)) {
        reply_error_not_integer(c->reply);
    } else if (index < -2147483648LL || index > 2147483647LL) {
        reply_error(c->reply, "ERR value is out of range, value must between "
                    "-2147483648 and 2147483647");
    } else if (index != 0) {
        reply_error(c->reply, "ERR DB index is out of range");
    } else {
        reply_ok(c->reply);
    }
}

void
command_QUIT(struct client *c)
{
    reply_ok(c->reply);
    client_close_after_reply(c);
}

void
command_RESET(struct client *c)
{
    c->name[0] = '\0';
    reply_status(c->reply, "RESET");
}

void
command_TIME(struct client *c)
{
    struct timeval now;

    gettimeofday(&now, NULL);
    reply_array_header(c->reply, 2);
    reply_bulk_long_long(c->reply, (long long)now.tv_sec);
    reply_bulk_long_long(c->reply, (long long)now.tv_usec);
}

/* ------------------------------------------------------------------------
 * AUTH and HELLO
 * ------------------------------------------------------------------------ */

/* Checks a username/password pair against the (password-less) default
 * user; replies the error and returns -1 when it fails. */
static int
authenticate(struct client *c, int user_index)
{
    if (argument_is(c, user_index, "default")) {
        return 0;
    }
    reply_error(c->reply, WRONGPASS_ERROR);
    return -1;
}

void
command_AUTH(struct client *c)
{
    if (c->argc > 3) {
        reply_error_syntax(c->reply);
    } else if (c->argc == 2) {
        reply_error(c->reply, NOPASS_ERROR);
    } else if (authenticate(c, 1) == 0) {
        reply_ok(c->reply);
    }
}

/* Redis's rule for client names: printable ASCII without spaces. */
static int
valid_client_name(const char *name, size_t length)
{
    size_t i;

    for (i = 0; i < length; i++) {
        if (name[i] < '!' || name[i] > '~') {
            return 0;
        }
    }
    return 1;
}

/* Sets the client name (empty clears it); replies the error and returns
 * -1 when the name is not allowed. */
static int
set_client_name(struct client *c, const char *name, size_t length)
{
    if (!valid_client_name(name, length)) {
        reply_error(c->reply, NAME_ERROR);
        return -1;
    }
    if (length >= sizeof(c->name)) {
        length = sizeof(c->name) - 1;
    }
    memcpy(c->name, name, length);
    c->name[length] = '\0';
    return 0;
}

static void
reply_hello(struct client *c)
{
    reply_map_header(c->reply, 7);
    reply_bulk_cstring(c->reply, "server");
    reply_bulk_cstring(c->reply, "herd");
    reply_bulk_cstring(c->reply, "version");
    reply_bulk_cstring(c->reply, HERD_REDIS_VERSION);
    reply_bulk_cstring(c->reply, "proto");
    reply_integer(c->reply, 2);
    reply_bulk_cstring(c->reply, "id");
    reply_integer(c->reply, (long long)c->id);
    reply_bulk_cstring(c->reply, "mode");
    reply_bulk_cstring(c->reply, "standalone");
    reply_bulk_cstring(c->reply, "role");
    reply_bulk_cstring(c->reply, "master");
    reply_bulk_cstring(c->reply, "modules");
    reply_array_header(c->reply, 0);
}

void
command_HELLO(struct client *c)
{
    long long version;
    int i, user_index = 0, name_index = 0;

    if (c->argc >= 2) {
        if (!string_to_long_long(c->argv[1], c->argv_length[1], &version)) {
            reply_error(c->reply, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (version != 2) {
            reply_error(c->reply, "NOPROTO unsupported protocol version");
            return;
        }
    }
    for (i = 2; i < c->argc; i++) {
        int more = c->argc - 1 - i;

        if (argument_is(c, i, "auth") && more >= 2) {
            user_index = i + 1;
            i += 2;
        } else if (argument_is(c, i, "setname") && more >= 1) {
            name_index = i + 1;
            i += 1;
        } else {
            reply_error_format(c->reply, "ERR Syntax error in HELLO option '%.*s'",
                               (int)c->argv_length[i], c->argv[i]);
            return;
        }
    }
    if (user_index != 0 && authenticate(c, user_index) != 0) {
        return;
    }
    if (name_index != 0 &&
        set_client_name(c, c->argv[name_index], c->argv_length[name_index]) != 0) {
        return;
    }
    reply_hello(c);
}

/* ------------------------------------------------------------------------
 * CLIENT
 * ------------------------------------------------------------------------ */

static void
client_id(struct client *c)
{
    reply_integer(c->reply, (long long)c->id);
}

static void
client_getname(struct client *c)
{
    if (c->name[0] == '\0') {
        reply_null(c->reply);
    } else {
        reply_bulk_cstring(c->reply, c->name);
    }
}

static void
client_setname(struct client *c)
{
    if (set_client_name(c, c->argv[2], c->argv_length[2]) == 0) {
        reply_ok(c->reply);
    }
}

static void
client_setinfo(struct client *c)
{
    char *target;
    size_t size, length = c->argv_length[3];
    const char *attribute;

    if (argument_is(c, 2, "lib-name")) {
        target = c->library_name;
        size = sizeof(c->library_name);
        attribute = "lib-name";
    } else if (argument_is(c, 2, "lib-ver")) {
        target = c->library_version;
        size = sizeof(c->library_version);
        attribute = "lib-ver";
    } else {
        reply_error_format(c->reply, "ERR Unrecognized option '%.*s'",
                           (int)c->argv_length[2], c->argv[2]);
        return;
    }
    if (!valid_client_name(c->argv[3], length)) {
        reply_error_format(c->reply, "ERR %s cannot contain spaces, newlines or "
                           "special characters.", attribute);
        return;
    }
    if (length >= size) {
        length = size - 1;
    }
    memcpy(target, c->argv[3], length);
    target[length] = '\0';
    reply_ok(c->reply);
}

static void
client_info(struct client *c)
{
    struct evbuffer *line = evbuffer_new();

    client_describe(c, line);
    evbuffer_add(line, "\n", 1);
    reply_bulk_buffer(c, line);
    evbuffer_free(line);
}

/* Which clients CLIENT LIST shows. */
struct client_filter {
    int       none;        /* TYPE master/replica/pubsub: no client matches */
    int       id_count;
    uint64_t *ids;
};

static int
client_filter_matches(const struct client_filter *filter, const struct client *c)
{
    int i;

    if (filter->none) {
        return 0;
    }
    if (filter->ids == NULL) {
        return 1;
    }
    for (i = 0; i < filter->id_count; i++) {
        if (filter->ids[i] == c->id) {
            return 1;
        }
    }
    return 0;
}

/* Parses CLIENT LIST's options; replies the error and returns -1 on bad
 * input.  filter->ids is malloc'd when IDs are given. */
static int
client_filter_parse(struct client *c, struct client_filter *filter)
{
    unsigned long long id;
    int i;

    memset(filter, 0, sizeof(*filter));
    if (c->argc == 4 && argument_is(c, 2, "type")) {
        if (argument_is(c, 3, "normal")) {
            return 0;
        }
        if (argument_is(c, 3, "master") || argument_is(c, 3, "replica") ||
            argument_is(c, 3, "slave") || argument_is(c, 3, "pubsub")) {
            filter->none = 1;
            return 0;
        }
        reply_error_format(c->reply, "ERR Unknown client type '%.*s'",
                           (int)c->argv_length[3], c->argv[3]);
        return -1;
    }
    if (c->argc > 3 && argument_is(c, 2, "id")) {
        filter->ids = calloc((size_t)(c->argc - 3), sizeof(*filter->ids));
        for (i = 3; i < c->argc && filter->ids != NULL; i++) {
            if (!string_to_unsigned_long_long(c->argv[i], c->argv_length[i], &id) || id == 0) {
                reply_error(c->reply, "ERR Invalid client ID");
                free(filter->ids);
                return -1;
            }
            filter->ids[filter->id_count++] = id;
        }
        return 0;
    }
    if (c->argc != 2) {
        reply_error_syntax(c->reply);
        return -1;
    }
    return 0;
}

static void
client_list(struct client *c)
{
    struct client_filter filter;
    struct evbuffer *lines;
    struct client *other;

    if (client_filter_parse(c, &filter) != 0) {
        return;
    }
    lines = evbuffer_new();
    TAILQ_FOREACH(other, &c->server->clients, clients_link) {
        if (client_filter_matches(&filter, other)) {
            client_describe(other, lines);
            evbuffer_add(lines, "\n", 1);
        }
    }
    reply_bulk_buffer(c, lines);
    evbuffer_free(lines);
    free(filter.ids);
}

static void
client_help(struct client *c)
{
    static const char *const lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "    * ID <id> [<id> ...]",
        "      Return clients with the given ids.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "HELP",
        "    Print this help.",
        NULL
    };

    reply_help(c, lines);
}

static const struct subcommand client_subcommands[] = {
    { "id",      2,  client_id },
    { "getname", 2,  client_getname },
    { "setname", 3,  client_setname },
    { "setinfo", 4,  client_setinfo },
    { "info",    2,  client_info },
    { "list",    -2, client_list },
    { "help",    2,  client_help },
    { NULL,      0,  NULL }
};

void
command_CLIENT(struct client *c)
{
    subcommand_dispatch(c, client_subcommands, "client", "CLIENT");
}

/* ------------------------------------------------------------------------
 * COMMAND
 * ------------------------------------------------------------------------ */

static void
command_count(struct client *c)
{
    command_reply_count(c->reply);
}

static void
command_info(struct client *c)
{
    int i;

    if (c->argc == 2) {
        command_reply_all(c->reply);
        return;
    }
    reply_array_header(c->reply, c->argc - 2);
    for (i = 2; i < c->argc; i++) {
        command_reply_info(c->reply, command_lookup(c->argv[i], c->argv_length[i]));
    }
}

static void
command_docs(struct client *c)
{
    const struct command_info *info;
    long long known = 0;
    int i;

    if (c->argc == 2) {
        reply_map_header(c->reply, COMMAND_COUNT);
        for (i = 0; i < COMMAND_COUNT; i++) {
            command_reply_docs(c->reply, &command_table[i]);
        }
        return;
    }
    for (i = 2; i < c->argc; i++) {
        known += command_lookup(c->argv[i], c->argv_length[i]) != NULL;
    }
    reply_map_header(c->reply, known);
    for (i = 2; i < c->argc; i++) {
        info = command_lookup(c->argv[i], c->argv_length[i]);
        if (info != NULL) {
            command_reply_docs(c->reply, info);
        }
    }
}

static void
command_list(struct client *c)
{
    int i;

    if (c->argc != 2) {
        reply_error_syntax(c->reply);
        return;
    }
    reply_array_header(c->reply, COMMAND_COUNT);
    for (i = 0; i < COMMAND_COUNT; i++) {
        reply_bulk_cstring(c->reply, command_table[i].name);
    }
}

static void
command_getkeys(struct client *c)
{
    const struct command_info *info = command_lookup(c->argv[2], c->argv_length[2]);
    int first, last, step, count, i, argc = c->argc - 2;

    if (info == NULL) {
        reply_error(c->reply, "ERR Invalid command specified");
        return;
    }
    if (info->first_key == 0) {
        reply_error(c->reply, "ERR The command has no key arguments");
        return;
    }
    if (!command_arity_ok(info, argc)) {
        reply_error(c->reply, "ERR Invalid number of arguments specified for command");
        return;
    }
    count = command_key_positions(info, argc, &first, &last, &step);
    reply_array_header(c->reply, count);
    for (i = first; count > 0 && i <= last; i += step) {
        reply_bulk(c->reply, c->argv[i + 2], c->argv_length[i + 2]);
    }
}

static void
command_help(struct client *c)
{
    static const char *const lines[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all commands.",
        "COUNT",
        "    Return the total number of commands in this server.",
        "LIST",
        "    Return a list of all commands in this server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full command.",
        "HELP",
        "    Print this help.",
        NULL
    };

    reply_help(c, lines);
}

static const struct subcommand command_subcommands[] = {
    { "count",   2,  command_count },
    { "info",    -2, command_info },
    { "docs",    -2, command_docs },
    { "list",    -2, command_list },
    { "getkeys", -4, command_getkeys },
    { "help",    2,  command_help },
    { NULL,      0,  NULL }
};

void
command_COMMAND(struct client *c)
{
    if (c->argc == 1) {
        command_reply_all(c->reply);
        return;
    }
    subcommand_dispatch(c, command_subcommands, "command", "COMMAND");
}

/* ------------------------------------------------------------------------
 * INFO
 * ------------------------------------------------------------------------ */

/* The sections of INFO, in output order. */
enum info_section {
    INFO_SERVER,
    INFO_CLIENTS,
    INFO_PERSISTENCE,
    INFO_STATS,
    INFO_REPLICATION,
    INFO_STORAGE,
    INFO_KEYSPACE,
    INFO_SECTION_COUNT
};

static const char *const info_section_names[INFO_SECTION_COUNT] = {
    "server", "clients", "persistence", "stats", "replication", "storage", "keyspace"
};

static void
info_server(struct server *server, struct evbuffer *out)
{
    struct utsname name;
    struct timeval now;
    uint64_t uptime = (wall_clock_milliseconds(NULL) - server->start_ms) / 1000;

    uname(&name);
    gettimeofday(&now, NULL);
    evbuffer_add_printf(out,
        "# Server\r\n"
        "redis_version:%s\r\n"
        "herd_version:%s\r\n"
        "redis_mode:standalone\r\n"
        "os:%s %s %s\r\n"
        "arch_bits:%d\r\n"
        "multiplexing_api:%s\r\n"
        "process_id:%ld\r\n"
        "run_id:%s\r\n"
        "tcp_port:%lld\r\n"
        "server_time_usec:%llu\r\n"
        "uptime_in_seconds:%llu\r\n"
        "uptime_in_days:%llu\r\n"
        "hz:%lld\r\n"
        "configured_hz:%lld\r\n"
        "config_file:%s\r\n",
        HERD_REDIS_VERSION, HERD_VERSION, name.sysname, name.release, name.machine,
        (int)(sizeof(long) * 8), event_base_get_method(server->base), (long)getpid(),
        server->run_id, server->settings.port,
        (unsigned long long)now.tv_sec * 1000000ULL + (unsigned long long)now.tv_usec,
        (unsigned long long)uptime, (unsigned long long)(uptime / 86400),
        server->settings.hz, server->settings.hz, server->config_file);
}

static void
info_clients(struct server *server, struct evbuffer *out)
{
    evbuffer_add_printf(out,
        "# Clients\r\n"
        "connected_clients:%lu\r\n"
        "maxclients:%lld\r\n"
        "blocked_clients:0\r\n"
        "tracking_clients:0\r\n",
        server->client_count, server->settings.maxclients);
}

static void
info_persistence(struct server *server, struct evbuffer *out)
{
    evbuffer_add_printf(out,
        "# Persistence\r\n"
        "loading:0\r\n"
        "async_loading:0\r\n"
        "rdb_bgsave_in_progress:0\r\n"
        "aof_enabled:0\r\n"
        "aof_rewrite_in_progress:0\r\n");
}

static void
info_stats(struct server *server, struct evbuffer *out)
{
    const struct server_stats *stats = &server->stats;

    evbuffer_add_printf(out,
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
info_replication(struct server *server, struct evbuffer *out)
{
    evbuffer_add_printf(out,
        "# Replication\r\n"
        "role:master\r\n"
        "connected_slaves:0\r\n");
}

static void
info_storage(struct server *server, struct evbuffer *out)
{
    struct storage_stats stats;

    storage_get_stats(server->storage, &stats);
    evbuffer_add_printf(out,
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
        "load_corrupt_dropped:%llu\r\n"
        "load_duration_ms:%llu\r\n",
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
        (unsigned long long)server->load.corrupt_dropped,
        (unsigned long long)server->load.duration_ms);
}

static void
info_keyspace(struct server *server, struct evbuffer *out)
{
    evbuffer_add_printf(out, "# Keyspace\r\n");
    if (db_size(server) > 0) {
        evbuffer_add_printf(out, "db0:keys=%lld,expires=%lld,avg_ttl=0\r\n",
                            db_size(server), db_expires_count(server));
    }
}

typedef void info_writer(struct server *server, struct evbuffer *out);

static info_writer *const info_writers[INFO_SECTION_COUNT] = {
    info_server, info_clients, info_persistence, info_stats,
    info_replication, info_storage, info_keyspace
};

/* Marks the sections named by argv[1..]; "all", "everything" and "default"
 * select every section. */
static void
info_select(struct client *c, int *wanted)
{
    int i, section;

    if (c->argc == 1) {
        for (section = 0; section < INFO_SECTION_COUNT; section++) {
            wanted[section] = 1;
        }
        return;
    }
    for (i = 1; i < c->argc; i++) {
        if (argument_is(c, i, "all") || argument_is(c, i, "everything") ||
            argument_is(c, i, "default")) {
            for (section = 0; section < INFO_SECTION_COUNT; section++) {
                wanted[section] = 1;
            }
        }
        for (section = 0; section < INFO_SECTION_COUNT; section++) {
            if (argument_is(c, i, info_section_names[section])) {
                wanted[section] = 1;
            }
        }
    }
}

void
command_INFO(struct client *c)
{
    int wanted[INFO_SECTION_COUNT] = { 0 };
    struct evbuffer *text = evbuffer_new();
    int section, written = 0;

    info_select(c, wanted);
    for (section = 0; section < INFO_SECTION_COUNT; section++) {
        if (!wanted[section]) {
            continue;
        }
        if (written++ > 0) {
            evbuffer_add(text, "\r\n", 2);
        }
        info_writers[section](c->server, text);
    }
    reply_bulk_buffer(c, text);
    evbuffer_free(text);
}
