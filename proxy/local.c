/*
 * local.c — commands herd-proxy answers itself, with Redis 7.0's replies:
 * PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH, CLIENT, COMMAND, INFO,
 * TIME.
 *
 * There is no authentication yet: the only user is "default" without a
 * password, so AUTH and HELLO AUTH answer as a Redis server without
 * requirepass does.  INFO describes the proxy (server, clients, stats and
 * a "nodes" section); it has no keyspace section, because counting keys
 * would need a round trip to every node (use DBSIZE).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>
#include "shared/clock.h"
#include "shared/number.h"
#include "shared/reply.h"
#include "proxy/proxy.h"

/* A local command: reads the request, writes the reply to `out`. */
typedef void local_handler(struct proxy_client *client, const struct resp_request *request,
                           struct evbuffer *out);

static const char auth_without_password[] =
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?";
static const char wrong_password[] =
    "WRONGPASS invalid username-password pair or user is disabled.";
static const char bad_client_name[] =
    "ERR Client names cannot contain spaces, newlines or special characters.";

/* 1 when argument i of the request is `word` (any case). */
static int
argument_is(const struct resp_request *request, int i, const char *word)
{
    size_t length = strlen(word);

    return i < request->argc && request->argv_length[i] == length &&
           strncasecmp(request->argv[i], word, length) == 0;
}

/* A NUL-terminated copy of argument i. */
static char *
argument_copy(const struct resp_request *request, int i)
{
    char *copy = malloc(request->argv_length[i] + 1);

    if (copy != NULL) {
        memcpy(copy, request->argv[i], request->argv_length[i]);
        copy[request->argv_length[i]] = '\0';
    }
    return copy;
}

/* 1 when every byte is printable and not a space (Redis's name rule). */
static int
printable_word(const char *text, size_t length)
{
    size_t i;

    for (i = 0; i < length; i++) {
        if (text[i] < '!' || text[i] > '~') {
            return 0;
        }
    }
    return 1;
}

/* Replaces *field with argument i ("" clears it). */
static void
set_text_field(char **field, const struct resp_request *request, int i)
{
    free(*field);
    *field = request->argv_length[i] > 0 ? argument_copy(request, i) : NULL;
}

/* Validates and sets the client name; writes an error and returns -1 when
 * the name is not acceptable. */
static int
set_client_name(struct proxy_client *client, const struct resp_request *request, int i,
                struct evbuffer *out)
{
    if (!printable_word(request->argv[i], request->argv_length[i])) {
        reply_error(out, bad_client_name);
        return -1;
    }
    set_text_field(&client->name, request, i);
    return 0;
}

/* 1 when username/password would log in: only "default", any password. */
static int
credentials_valid(const struct resp_request *request, int user)
{
    return argument_is(request, user, "default");
}

static void
local_ping(struct proxy_client *client, const struct resp_request *request, struct evbuffer *out)
{
    (void)client;
    if (request->argc > 2) {
        reply_error_arity(out, "ping");
    } else if (request->argc == 2) {
        reply_bulk(out, request->argv[1], request->argv_length[1]);
    } else {
        reply_status(out, "PONG");
    }
}

static void
local_select(struct proxy_client *client, const struct resp_request *request, struct evbuffer *out)
{
    long long index;

    (void)client;
    if (!string_to_long_long(request->argv[1], request->argv_length[1], &index)) {
        reply_error_not_integer(out);
    } else if (index < INT_MIN || index > INT_MAX) {
        reply_error_format(out, "ERR value is out of range, value must between %d and %d",
                           INT_MIN, INT_MAX);
    } else if (index != 0) {
        reply_error(out, "ERR DB index is out of range");
    } else {
        reply_ok(out);
    }
}

static void
local_auth(struct proxy_client *client, const struct resp_request *request, struct evbuffer *out)
{
    (void)client;
    if (request->argc > 3) {
        reply_error_syntax(out);
    } else if (request->argc == 2) {
        reply_error(out, auth_without_password);
    } else if (credentials_valid(request, 1)) {
        reply_ok(out);
    } else {
        reply_error(out, wrong_password);
    }
}

/* The map HELLO answers with. */
static void
hello_reply(struct proxy_client *client, struct evbuffer *out)
{
    reply_map_header(out, 7);
    reply_bulk_cstring(out, "server");
    reply_bulk_cstring(out, "herd");
    reply_bulk_cstring(out, "version");
    reply_bulk_cstring(out, PROXY_REDIS_VERSION);
    reply_bulk_cstring(out, "proto");
    reply_integer(out, 2);
    reply_bulk_cstring(out, "id");
    reply_integer(out, (long long)client->id);
    reply_bulk_cstring(out, "mode");
    reply_bulk_cstring(out, "standalone");
    reply_bulk_cstring(out, "role");
    reply_bulk_cstring(out, "master");
    reply_bulk_cstring(out, "modules");
    reply_array_header(out, 0);
}

/* HELLO [protover [AUTH username password] [SETNAME name]]: only RESP2. */
static void
local_hello(struct proxy_client *client, const struct resp_request *request, struct evbuffer *out)
{
    long long version;
    int i, user = 0, name = 0;

    if (request->argc >= 2) {
        if (!string_to_long_long(request->argv[1], request->argv_length[1], &version)) {
            reply_error(out, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (version != 2) {
            reply_error(out, "NOPROTO unsupported protocol version");
            return;
        }
    }
    for (i = 2; i < request->argc; i++) {
        int more = request->argc - 1 - i;
        if (argument_is(request, i, "auth") && more >= 2) {
            user = i + 1;
            i += 2;
        } else if (argument_is(request, i, "setname") && more >= 1) {
            name = ++i;
        } else {
            reply_error_format(out, "ERR Syntax error in HELLO option '%.*s'",
                               (int)request->argv_length[i], request->argv[i]);
            return;
        }
    }
    if (user != 0 && !credentials_valid(request, user)) {
        reply_error(out, wrong_password);
        return;
    }
    if (name != 0 && set_client_name(client, request, name, out) != 0) {
        return;
    }
    hello_reply(client, out);
}

static void
local_reset(struct proxy_client *client, const struct resp_request *request, struct evbuffer *out)
{
    (void)request;
    free(client->name);
    client->name = NULL;
    reply_status(out, "RESET");
}

static void
local_time(struct proxy_client *client, const struct resp_request *request, struct evbuffer *out)
{
    struct timeval now;

    (void)client;
    (void)request;
    gettimeofday(&now, NULL);
    reply_array_header(out, 2);
    reply_bulk_long_long(out, (long long)now.tv_sec);
    reply_bulk_long_long(out, (long long)now.tv_usec);
}

/* ---------------------------------------------------------------- */
/* CLIENT                                                            */
/* ---------------------------------------------------------------- */

static const char *const client_help[] = {
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
    "      Return clients with the given IDs.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <LIB-NAME|LIB-VER> <value>",
    "    Record the client library's name or version.",
    "HELP",
    "    Prints this help.",
    NULL
};

/* Writes a help array of status lines. */
static void
reply_help(struct evbuffer *out, const char *const *lines)
{
    long long count = 0;

    while (lines[count] != NULL) {
        count++;
    }
    reply_array_header(out, count);
    for (count = 0; lines[count] != NULL; count++) {
        reply_status(out, lines[count]);
    }
}

/* Writes the bytes of `text` as one bulk string, emptying it. */
static void
reply_bulk_evbuffer(struct evbuffer *out, struct evbuffer *text)
{
    evbuffer_add_printf(out, "$%zu\r\n", evbuffer_get_length(text));
    evbuffer_add_buffer(out, text);
    evbuffer_add(out, "\r\n", 2);
}

/* 1 when the client's id is among the ID arguments (from index 3). */
static int
client_listed(const struct proxy_client *client, const struct resp_request *request)
{
    long long id;
    int i;

    for (i = 3; i < request->argc; i++) {
        if (string_to_long_long(request->argv[i], request->argv_length[i], &id) &&
            (uint64_t)id == client->id) {
            return 1;
        }
    }
    return 0;
}

/* Checks the ID arguments of CLIENT LIST ID; writes the error if bad. */
static int
client_ids_valid(const struct resp_request *request, struct evbuffer *out)
{
    long long id;
    int i;

    for (i = 3; i < request->argc; i++) {
        if (!string_to_long_long(request->argv[i], request->argv_length[i], &id) || id <= 0) {
            reply_error(out, "ERR Invalid client ID");
            return 0;
        }
    }
    return 1;
}

/* CLIENT LIST [TYPE type] [ID id ...] */
static void
client_list(struct proxy_client *client, const struct resp_request *request,
            struct evbuffer *out)
{
    struct proxy_client *each;
    struct evbuffer *text;
    int by_id = 0, none = 0;

    if (request->argc == 4 && argument_is(request, 2, "type")) {
        if (argument_is(request, 3, "master") || argument_is(request, 3, "replica") ||
            argument_is(request, 3, "slave") || argument_is(request, 3, "pubsub")) {
            none = 1;
        } else if (!argument_is(request, 3, "normal")) {
            reply_error_format(out, "ERR Unknown client type '%.*s'",
                               (int)request->argv_length[3], request->argv[3]);
            return;
        }
    } else if (request->argc > 3 && argument_is(request, 2, "id")) {
        if (!client_ids_valid(request, out)) {
            return;
        }
        by_id = 1;
    } else if (request->argc != 2) {
        reply_error_syntax(out);
        return;
    }
    text = evbuffer_new();
    if (text == NULL) {
        reply_error(out, "ERR out of memory");
        return;
    }
    TAILQ_FOREACH(each, &client->proxy->clients, link) {
        if (none || (by_id && !client_listed(each, request))) {
            continue;
        }
        proxy_client_describe(each, text);
        evbuffer_add(text, "\n", 1);
    }
    reply_bulk_evbuffer(out, text);
    evbuffer_free(text);
}

static void
client_info(struct proxy_client *client, const struct resp_request *request,
            struct evbuffer *out)
{
    struct evbuffer *text = evbuffer_new();

    (void)request;
    if (text == NULL) {
        reply_error(out, "ERR out of memory");
        return;
    }
    proxy_client_describe(client, text);
    evbuffer_add(text, "\n", 1);
    reply_bulk_evbuffer(out, text);
    evbuffer_free(text);
}

/* CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; libraries send it). */
static void
client_setinfo(struct proxy_client *client, const struct resp_request *request,
               struct evbuffer *out)
{
    char **field;
    const char *attribute;

    if (argument_is(request, 2, "lib-name")) {
        field = &client->library_name;
        attribute = "lib-name";
    } else if (argument_is(request, 2, "lib-ver")) {
        field = &client->library_version;
        attribute = "lib-ver";
    } else {
        reply_error_format(out, "ERR Unrecognized option '%.*s'",
                           (int)request->argv_length[2], request->argv[2]);
        return;
    }
    if (!printable_word(request->argv[3], request->argv_length[3])) {
        reply_error_format(out, "ERR %s cannot contain spaces, newlines or special characters.",
                           attribute);
        return;
    }
    set_text_field(field, request, 3);
    reply_ok(out);
}

static void
client_setname(struct proxy_client *client, const struct resp_request *request,
               struct evbuffer *out)
{
    if (set_client_name(client, request, 2, out) == 0) {
        reply_ok(out);
    }
}

static void
client_getname(struct proxy_client *client, const struct resp_request *request,
               struct evbuffer *out)
{
    (void)request;
    if (client->name == NULL) {
        reply_null(out);
    } else {
        reply_bulk_cstring(out, client->name);
    }
}

static void
client_id(struct proxy_client *client, const struct resp_request *request,
          struct evbuffer *out)
{
    (void)request;
    reply_integer(out, (long long)client->id);
}

static void
client_help_command(struct proxy_client *client, const struct resp_request *request,
                    struct evbuffer *out)
{
    (void)client;
    (void)request;
    reply_help(out, client_help);
}

/* A subcommand: name, Redis arity (counting the command), handler, and
 * the name CLIENT LIST shows for it. */
struct local_subcommand {
    const char     *name;
    int             arity;
    local_handler  *handler;
    const char     *full_name;
};

static const struct local_subcommand client_subcommands[] = {
    { "setname", 3,  client_setname,      "client|setname" },
    { "getname", 2,  client_getname,      "client|getname" },
    { "id",      2,  client_id,           "client|id" },
    { "setinfo", 4,  client_setinfo,      "client|setinfo" },
    { "info",    2,  client_info,         "client|info" },
    { "list",    -2, client_list,         "client|list" },
    { "help",    2,  client_help_command, "client|help" },
    { NULL, 0, NULL, NULL }
};

/* Finds the subcommand in argv[1] and checks its arity; writes the error
 * and returns NULL when that fails. */
static const struct local_subcommand *
find_subcommand(const struct local_subcommand *table, const char *command_name,
                const struct resp_request *request, struct evbuffer *out)
{
    const struct local_subcommand *sub;
    int argc = request->argc;

    for (sub = table; sub->name != NULL; sub++) {
        if (argument_is(request, 1, sub->name)) {
            if ((sub->arity > 0 && argc != sub->arity) ||
                (sub->arity < 0 && argc < -sub->arity)) {
                reply_error_arity(out, sub->full_name);
                return NULL;
            }
            return sub;
        }
    }
    reply_error_unknown_subcommand(out, request->argv[1], request->argv_length[1],
                                   command_name);
    return NULL;
}

static void
local_client(struct proxy_client *client, const struct resp_request *request,
             struct evbuffer *out)
{
    const struct local_subcommand *sub;

    sub = find_subcommand(client_subcommands, "CLIENT", request, out);
    if (sub != NULL) {
        client->last_command = sub->full_name;
        sub->handler(client, request, out);
    }
}

/* ---------------------------------------------------------------- */
/* COMMAND                                                           */
/* ---------------------------------------------------------------- */

static const char *const command_help[] = {
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all commands.",
    "COUNT",
    "    Return the total number of commands.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple commands.",
    "GETKEYS <full-command>",
    "    Return the keys from a full command.",
    "INFO [<command-name> ...]",
    "    Return details about multiple commands.",
    "LIST",
    "    Return a list of all commands.",
    "HELP",
    "    Prints this help.",
    NULL
};

/* The table entry a client may see, or NULL. */
static const struct command_info *
visible_command(const struct resp_request *request, int i)
{
    const struct command_info *info = command_lookup(request->argv[i], request->argv_length[i]);

    return (info != NULL && !(info->flags & COMMAND_INTERNAL)) ? info : NULL;
}

static void
command_count(struct proxy_client *client, const struct resp_request *request,
              struct evbuffer *out)
{
    (void)client;
    (void)request;
    command_reply_count(out);
}

static void
command_info(struct proxy_client *client, const struct resp_request *request,
             struct evbuffer *out)
{
    int i;

    (void)client;
    if (request->argc == 2) {
        command_reply_all(out);
        return;
    }
    reply_array_header(out, request->argc - 2);
    for (i = 2; i < request->argc; i++) {
        command_reply_info(out, visible_command(request, i));
    }
}

static void
command_docs(struct proxy_client *client, const struct resp_request *request,
             struct evbuffer *out)
{
    long long found = 0;
    int i;

    (void)client;
    if (request->argc == 2) {
        for (i = 0; i < COMMAND_COUNT; i++) {
            found += !(command_table[i].flags & COMMAND_INTERNAL);
        }
        reply_map_header(out, found);
        for (i = 0; i < COMMAND_COUNT; i++) {
            if (!(command_table[i].flags & COMMAND_INTERNAL)) {
                command_reply_docs(out, &command_table[i]);
            }
        }
        return;
    }
    for (i = 2; i < request->argc; i++) {
        found += visible_command(request, i) != NULL;
    }
    reply_map_header(out, found);
    for (i = 2; i < request->argc; i++) {
        if (visible_command(request, i) != NULL) {
            command_reply_docs(out, visible_command(request, i));
        }
    }
}

static void
command_list(struct proxy_client *client, const struct resp_request *request,
             struct evbuffer *out)
{
    long long count = 0;
    int i;

    (void)client;
    if (request->argc != 2) {
        reply_error_syntax(out);
        return;
    }
    for (i = 0; i < COMMAND_COUNT; i++) {
        count += !(command_table[i].flags & COMMAND_INTERNAL);
    }
    reply_array_header(out, count);
    for (i = 0; i < COMMAND_COUNT; i++) {
        if (!(command_table[i].flags & COMMAND_INTERNAL)) {
            reply_bulk_cstring(out, command_table[i].name);
        }
    }
}

/* COMMAND GETKEYS command arg...: the key arguments, from the table. */
static void
command_getkeys(struct proxy_client *client, const struct resp_request *request,
                struct evbuffer *out)
{
    const struct command_info *info = visible_command(request, 2);
    int argc = request->argc - 2, first, last, step, count, i;

    (void)client;
    if (info == NULL) {
        reply_error(out, "ERR Invalid command specified");
        return;
    }
    if (!command_arity_ok(info, argc)) {
        reply_error(out, "ERR Invalid number of arguments specified for command");
        return;
    }
    count = command_key_positions(info, argc, &first, &last, &step);
    if (count == 0) {
        reply_error(out, "ERR The command has no key arguments");
        return;
    }
    reply_array_header(out, count);
    for (i = first; i <= last; i += step) {
        reply_bulk(out, request->argv[2 + i], request->argv_length[2 + i]);
    }
}

static void
command_help_command(struct proxy_client *client, const struct resp_request *request,
                     struct evbuffer *out)
{
    (void)client;
    (void)request;
    reply_help(out, command_help);
}

static const struct local_subcommand command_subcommands[] = {
    { "count",   2,  command_count,        "command|count" },
    { "info",    -2, command_info,         "command|info" },
    { "docs",    -2, command_docs,         "command|docs" },
    { "list",    -2, command_list,         "command|list" },
    { "getkeys", -4, command_getkeys,      "command|getkeys" },
    { "help",    2,  command_help_command, "command|help" },
    { NULL, 0, NULL, NULL }
};

static void
local_command(struct proxy_client *client, const struct resp_request *request,
              struct evbuffer *out)
{
    const struct local_subcommand *sub;

    if (request->argc == 1) {
        command_reply_all(out);
        return;
    }
    sub = find_subcommand(command_subcommands, "COMMAND", request, out);
    if (sub != NULL) {
        client->last_command = sub->full_name;
        sub->handler(client, request, out);
    }
}

/* ---------------------------------------------------------------- */
/* INFO                                                              */
/* ---------------------------------------------------------------- */

static void
info_server(struct proxy *proxy, struct evbuffer *text)
{
    uint64_t uptime = (monotonic_milliseconds() - proxy->start_ms) / 1000;

    evbuffer_add_printf(text,
        "# Server\r\n"
        "redis_version:%s\r\n"
        "herd_version:%s\r\n"
        "redis_mode:standalone\r\n"
        "herd_role:proxy\r\n"
        "process_id:%ld\r\n"
        "run_id:%s\r\n"
        "tcp_port:%lld\r\n"
        "uptime_in_seconds:%llu\r\n"
        "uptime_in_days:%llu\r\n"
        "config_file:%s\r\n",
        PROXY_REDIS_VERSION, PROXY_VERSION, (long)getpid(), proxy->run_id,
        proxy->settings.port, (unsigned long long)uptime,
        (unsigned long long)(uptime / 86400), proxy->config_file);
}

static void
info_clients(struct proxy *proxy, struct evbuffer *text)
{
    evbuffer_add_printf(text,
        "# Clients\r\n"
        "connected_clients:%lu\r\n"
        "maxclients:%lld\r\n"
        "blocked_clients:0\r\n",
        proxy->client_count, proxy->settings.maxclients);
}

static void
info_stats(struct proxy *proxy, struct evbuffer *text)
{
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
info_nodes(struct proxy *proxy, struct evbuffer *text)
{
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

/* One INFO section. */
struct info_section {
    const char *name;
    void      (*write)(struct proxy *, struct evbuffer *);
};

static const struct info_section info_sections[] = {
    { "server",  info_server },
    { "clients", info_clients },
    { "stats",   info_stats },
    { "nodes",   info_nodes },
    { NULL, NULL }
};

/* 1 when section `name` was asked for (no argument, all, default and
 * everything ask for every section). */
static int
info_wanted(const struct resp_request *request, const char *name)
{
    int i;

    if (request->argc == 1) {
        return 1;
    }
    for (i = 1; i < request->argc; i++) {
        if (argument_is(request, i, name) || argument_is(request, i, "all") ||
            argument_is(request, i, "default") || argument_is(request, i, "everything")) {
            return 1;
        }
    }
    return 0;
}

static void
local_info(struct proxy_client *client, const struct resp_request *request,
           struct evbuffer *out)
{
    const struct info_section *section;
    struct evbuffer *text = evbuffer_new();
    int written = 0;

    if (text == NULL) {
        reply_error(out, "ERR out of memory");
        return;
    }
    for (section = info_sections; section->name != NULL; section++) {
        if (info_wanted(request, section->name)) {
            if (written++ > 0) {
                evbuffer_add(text, "\r\n", 2);
            }
            section->write(client->proxy, text);
        }
    }
    reply_bulk_evbuffer(out, text);
    evbuffer_free(text);
}

/* ---------------------------------------------------------------- */
/* Dispatch                                                          */
/* ---------------------------------------------------------------- */

static void
local_echo(struct proxy_client *client, const struct resp_request *request, struct evbuffer *out)
{
    (void)client;
    reply_bulk(out, request->argv[1], request->argv_length[1]);
}

static void
local_quit(struct proxy_client *client, const struct resp_request *request, struct evbuffer *out)
{
    (void)request;
    reply_ok(out);
    proxy_client_stop_reading(client);
}

/* The handler of a command the proxy answers, or NULL. */
static local_handler *
local_handler_for(enum command_id id)
{
    switch (id) {
    case COMMAND_PING:    return local_ping;
    case COMMAND_ECHO:    return local_echo;
    case COMMAND_SELECT:  return local_select;
    case COMMAND_QUIT:    return local_quit;
    case COMMAND_RESET:   return local_reset;
    case COMMAND_HELLO:   return local_hello;
    case COMMAND_AUTH:    return local_auth;
    case COMMAND_CLIENT:  return local_client;
    case COMMAND_COMMAND: return local_command;
    case COMMAND_INFO:    return local_info;
    case COMMAND_TIME:    return local_time;
    default:              return NULL;
    }
}

int
proxy_local_execute(struct proxy_client *client, const struct command_info *command,
                    const struct resp_request *request)
{
    local_handler *handler = local_handler_for(command->id);

    if (handler == NULL) {
        return 0;
    }
    handler(client, request, proxy_client_reply_begin(client));
    proxy_client_reply_end(client);
    return 1;
}
