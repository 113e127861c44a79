/*
 * connection.c — the connection and server commands both programs answer
 * themselves: PING ECHO SELECT QUIT RESET HELLO AUTH CLIENT COMMAND INFO
 * TIME (see connection.h).
 *
 * Every command works on a struct connection_call: the program's host
 * description, the client's connection state, the request and the reply
 * buffer.  Nothing here knows how either program reads, writes or lists
 * its clients; it asks the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "shared/clock.h"
#include "shared/connection.h"
#include "shared/log.h"
#include "shared/number.h"
#include "shared/reply.h"

#define NAME_ERROR "ERR Client names cannot contain spaces, newlines or special characters."
#define WRONGPASS_ERROR ACL_WRONGPASS_ERROR
#define HELLO_NOAUTH_ERROR "NOAUTH HELLO must be called with the client already " \
    "authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to " \
    "authenticate the client and select the RESP protocol version at the same time"
#define NOPASS_ERROR "ERR AUTH <password> called without any password configured for " \
                     "the default user. Are you sure your configuration is correct?"
#define OUT_OF_MEMORY_ERROR "ERR out of memory"

/* One connection command being run: for whom, in which program, with what
 * arguments, and where its reply goes. */
struct connection_call {
    const struct connection_host *host;
    struct connection_info       *connection;
    const struct resp_request    *request;
    struct evbuffer              *out;
};

typedef void call_handler(struct connection_call *call);

/* One subcommand of CLIENT or COMMAND. */
struct subcommand {
    const char   *name;        /* lower case */
    const char   *full_name;   /* "client|list": arity errors, CLIENT LIST cmd= */
    int           arity;       /* Redis's: counts the container and itself */
    call_handler *handler;
};

/* ------------------------------------------------------------------------
 * Connection state
 * ------------------------------------------------------------------------ */

void
connection_init(struct connection_info *connection, uint64_t id, int fd,
                const struct sockaddr *peer, uint64_t now_ms)
{
    memset(connection, 0, sizeof(*connection));
    connection->id = id;
    connection->fd = fd;
    if (peer != NULL) {
        network_format_address(peer, connection->address, sizeof(connection->address));
    } else {
        network_peer_address(fd, connection->address, sizeof(connection->address));
    }
    connection->created_ms = now_ms;
    connection->last_interaction_ms = now_ms;
}

/* Ends the connection's pending password check, if any (cancelling the
 * worker's job when `cancel`). */
static void
auth_check_free(struct connection_info *connection, int cancel)
{
    struct connection_auth_check *check = connection->auth.check;

    if (check == NULL) {
        return;
    }
    if (cancel && check->job != NULL) {
        auth_cancel(check->job);
    }
    free(check->setname);
    free(check->error);
    free(check);
    connection->auth.check = NULL;
}

void
connection_release(struct connection_info *connection)
{
    auth_check_free(connection, 1);
    free(connection->name);
    if (connection->library != NULL) {
        free(connection->library->name);
        free(connection->library->version);
        free(connection->library);
    }
    connection->name = NULL;
    connection->library = NULL;
}

int
connection_text_valid(const char *text, size_t length)
{
    size_t i;

    for (i = 0; i < length; i++) {
        if (text[i] < '!' || text[i] > '~') {
            return 0;
        }
    }
    return 1;
}

/* Replaces *field with a copy of text[0..length) (NULL when empty).
 * Returns 0, or -1 when out of memory (the field is unchanged). */
static int
text_field_set(char **field, const char *text, size_t length)
{
    char *copy = NULL;

    if (length > 0) {
        copy = malloc(length + 1);
        if (copy == NULL) {
            return -1;
        }
        memcpy(copy, text, length);
        copy[length] = '\0';
    }
    free(*field);
    *field = copy;
    return 0;
}

int
connection_set_name(struct connection_info *connection, const char *name, size_t length)
{
    if (!connection_text_valid(name, length)) {
        return -1;
    }
    return text_field_set(&connection->name, name, length) == 0 ? 0 : -2;
}

/* Whole seconds from `then` to `now` (0 if `now` is earlier). */
static unsigned long long
seconds_between(uint64_t then, uint64_t now)
{
    return now > then ? (unsigned long long)((now - then) / 1000) : 0;
}

void
connection_describe(const struct connection_info *connection,
                    const struct connection_usage *usage, uint64_t now_ms,
                    struct evbuffer *out)
{
    char local_address[NETWORK_ADDRESS_MAX];

    network_local_address(connection->fd, local_address, sizeof(local_address));
    evbuffer_add_printf(out,
        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%llu idle=%llu flags=%s "
        "db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=%zu "
        "multi-mem=0 rbs=%zu rbp=%zu obl=0 oll=%ld omem=%zu tot-mem=%zu events=%s "
        "cmd=%s user=%s redir=-1 resp=2 lib-name=%s lib-ver=%s",
        (unsigned long long)connection->id, connection->address,
        local_address, connection->fd,
        connection->name != NULL ? connection->name : "",
        seconds_between(connection->created_ms, now_ms),
        seconds_between(connection->last_interaction_ms, now_ms),
        usage->flags, usage->query_buffer, usage->query_buffer_free,
        usage->argv_memory, usage->read_buffer_size, usage->read_buffer_peak,
        usage->output_list_length, usage->output_memory, usage->total_memory,
        usage->events,
        connection->last_command != NULL ? connection->last_command : "NULL",
        connection->auth.user != NULL ? connection->auth.user->name : "default",
        connection->library != NULL && connection->library->name != NULL ?
            connection->library->name : "",
        connection->library != NULL && connection->library->version != NULL ?
            connection->library->version : "");
}

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

/* 1 when argument `index` exists and is `word` in any case. */
static int
argument_is(const struct connection_call *call, int index, const char *word)
{
    const struct resp_request *request = call->request;
    size_t length = strlen(word);

    return index < request->argc && request->argv_length[index] == length &&
           strncasecmp(request->argv[index], word, length) == 0;
}

/* Writes the bytes of `text` as one bulk string, emptying it. */
static void
reply_bulk_buffer(struct evbuffer *out, struct evbuffer *text)
{
    evbuffer_add_printf(out, "$%zu\r\n", evbuffer_get_length(text));
    evbuffer_add_buffer(out, text);
    evbuffer_add(out, "\r\n", 2);
}

/* Writes a help text as Redis does: an array of status lines. */
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

/* Runs the subcommand argv[1] names, with Redis's errors for an unknown
 * one and a wrong argument count; records it as the last command. */
static void
subcommand_dispatch(struct connection_call *call, const struct subcommand *table,
                    const char *container)
{
    const struct resp_request *request = call->request;
    const struct subcommand *sub;

    for (sub = table; sub->name != NULL; sub++) {
        if (argument_is(call, 1, sub->name)) {
            break;
        }
    }
    if (sub->name == NULL) {
        call->connection->last_command = NULL;
        reply_error_unknown_subcommand(call->out, request->argv[1], request->argv_length[1],
                                       container);
        return;
    }
    call->connection->last_command = sub->full_name;
    if (sub->arity > 0 ? request->argc != sub->arity : request->argc < -sub->arity) {
        reply_error_arity(call->out, sub->full_name);
        return;
    }
    sub->handler(call);
}

/* ------------------------------------------------------------------------
 * PING ECHO SELECT QUIT RESET TIME
 * ------------------------------------------------------------------------ */

static void
command_ping(struct connection_call *call)
{
    const struct resp_request *request = call->request;

    if (request->argc > 2) {
        reply_error_arity(call->out, "ping");
    } else if (request->argc == 2) {
        reply_bulk(call->out, request->argv[1], request->argv_length[1]);
    } else {
        reply_status(call->out, "PONG");
    }
}

static void
command_echo(struct connection_call *call)
{
    reply_bulk(call->out, call->request->argv[1], call->request->argv_length[1]);
}

/* herd has one database: SELECT 0 succeeds, any other index fails. */
static void
command_select(struct connection_call *call)
{
    long long index;

    if (!string_to_long_long(call->request->argv[1], call->request->argv_length[1], &index)) {
        reply_error_not_integer(call->out);
    } else if (index < -2147483648LL || index > 2147483647LL) {
        reply_error(call->out, "ERR value is out of range, value must between "
                    "-2147483648 and 2147483647");
    } else if (index != 0) {
        reply_error(call->out, "ERR DB index is out of range");
    } else {
        reply_ok(call->out);
    }
}

static void
command_quit(struct connection_call *call)
{
    reply_ok(call->out);
    call->host->close_after_reply(call->connection);
}

/* Logs out to what a new connection is: the default user when it needs
 * no password, else nobody. */
static void
auth_log_out(struct connection_info *connection)
{
    const struct acl *acl = connection->auth.acl;

    connection->auth.user = NULL;
    if (acl != NULL && !acl_requires_auth(acl)) {
        connection->auth.user = acl_default_user(acl);
    }
}

/* RESET: forgets the name and logs out, as Redis does (back to the
 * default user, who may need AUTH again). */
static void
command_reset(struct connection_call *call)
{
    free(call->connection->name);
    call->connection->name = NULL;
    if (call->connection->auth.acl != NULL) {
        auth_log_out(call->connection);
    }
    reply_status(call->out, "RESET");
}

static void
command_time(struct connection_call *call)
{
    struct timeval now;

    gettimeofday(&now, NULL);
    reply_array_header(call->out, 2);
    reply_bulk_long_long(call->out, (long long)now.tv_sec);
    reply_bulk_long_long(call->out, (long long)now.tv_usec);
}

/* ------------------------------------------------------------------------
 * AUTH and HELLO
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Access and password checks
 * ------------------------------------------------------------------------ */

void
connection_set_acl(struct connection_info *connection, const struct acl *acl,
                   struct auth_worker *worker, connection_auth_done *done)
{
    connection->auth.acl = acl;
    connection->auth.worker = worker;
    connection->auth.done = done;
    auth_log_out(connection);
}

int
connection_access_check(const struct connection_info *connection,
                        const struct command_info *info, int argc,
                        const char **argv, const size_t *argv_length)
{
    if (connection->auth.acl == NULL) {
        return CONNECTION_ACCESS_ALLOWED;
    }
    if (connection->auth.user == NULL) {
        return (info->flags & COMMAND_NOAUTH) ? CONNECTION_ACCESS_ALLOWED
                                              : CONNECTION_ACCESS_NOAUTH;
    }
    return acl_check(connection->auth.user, info, argc, argv, argv_length);
}

void
connection_access_reply(struct evbuffer *out, int result, const struct command_info *info)
{
    if (result == CONNECTION_ACCESS_NOAUTH) {
        reply_error(out, ACL_NOAUTH_ERROR);
    } else {
        acl_reply_denied(out, result, info);
    }
}

int
connection_access(struct connection_info *connection, const struct command_info *info,
                  int argc, const char **argv, const size_t *argv_length,
                  struct evbuffer *out)
{
    int result = connection_access_check(connection, info, argc, argv, argv_length);

    if (result == CONNECTION_ACCESS_ALLOWED) {
        return 1;
    }
    connection_access_reply(out, result, info);
    return 0;
}

int
connection_auth_pending(const struct connection_info *connection)
{
    return connection->auth.check != NULL;
}

/* The worker's result reaches the loop: hand it to the program. */
static void
auth_job_done(void *argument, int verified)
{
    struct connection_info *connection = argument;

    connection->auth.check->job = NULL;
    connection->auth.done(connection, verified);
}

/* Keeps the user name given, for the log: at most the buffer, with
 * anything unprintable shown as '?'. */
static void
auth_printable_name(char *buffer, size_t size, const char *name, size_t length)
{
    size_t i;

    if (length >= size) {
        length = size - 1;
    }
    for (i = 0; i < length; i++) {
        buffer[i] = name[i] >= ' ' && name[i] <= '~' ? name[i] : '?';
    }
    buffer[length] = '\0';
}

/* Logs a failed attempt: user (as auth_printable_name() shows it) and
 * address, never the password. */
static void
auth_log_failure(const struct connection_info *connection, const char *name)
{
    log_warning("AUTH failed for user '%s' from %s (attempt %d in a row)",
                name, connection->address, connection->auth.failures);
}

/* The user logs in (a password matched, or it has nopass). */
static void
auth_succeeded(struct connection_info *connection, const struct acl_user *user)
{
    connection->auth.user = user;
    connection->auth.failures = 0;
}

/* A user name or password from a request. */
struct auth_text {
    const char *text;
    size_t      length;
};

/*
 * Starts logging in as `name` with `password`.  Returns 1 when logged in
 * at once (nopass user), 0 after replying an error, 2 when a check is
 * pending (the reply comes from connection_auth_finish()).
 */
static int
auth_begin(struct connection_call *call, struct auth_text name, struct auth_text password,
           int hello)
{
    struct connection_auth *auth = &call->connection->auth;
    struct connection_auth_check *check;
    const struct acl_user *user = NULL;
    char printable[ACL_USER_NAME_MAX];

    user = acl_find_user(auth->acl, name.text, name.length);
    if (user != NULL && user->enabled && user->nopass) {
        auth_succeeded(call->connection, user);
        return 1;
    }
    if (user != NULL && !user->enabled) {
        user = NULL;
    }
    if (auth->worker == NULL) {
        auth->failures++;
        auth_printable_name(printable, sizeof(printable), name.text, name.length);
        auth_log_failure(call->connection, printable);
        reply_error(call->out, WRONGPASS_ERROR);
        return 0;
    }
    check = calloc(1, sizeof(*check));
    if (check == NULL) {
        reply_error(call->out, OUT_OF_MEMORY_ERROR);
        return 0;
    }
    check->job = auth_submit(auth->worker, user, password.text, password.length,
                             auth_failure_delay_ms(auth->failures), auth_job_done,
                             call->connection);
    if (check->job == NULL) {
        free(check);
        reply_error(call->out, OUT_OF_MEMORY_ERROR);
        return 0;
    }
    auth_printable_name(check->name, sizeof(check->name), name.text, name.length);
    check->candidate = user;
    check->hello = hello;
    check->redis_version = call->host->redis_version;
    auth->check = check;
    return 2;
}

/* Argument `index` of the call as an auth_text. */
static struct auth_text
call_text(const struct connection_call *call, int index)
{
    struct auth_text text = { call->request->argv[index], call->request->argv_length[index] };

    return text;
}

/* AUTH [username] password: "AUTH password" logs in as the default user,
 * and is an error when that user has no password. */
static void
command_auth(struct connection_call *call)
{
    const struct acl *acl = call->connection->auth.acl;
    const struct acl_user *default_user = acl != NULL ? acl_default_user(acl) : NULL;
    struct auth_text default_name = { "default", 7 };
    int status;

    if (call->request->argc > 3) {
        reply_error_syntax(call->out);
        return;
    }
    if (call->request->argc == 2) {
        if (default_user == NULL || (default_user->nopass && default_user->enabled)) {
            reply_error(call->out, NOPASS_ERROR);
            return;
        }
        status = auth_begin(call, default_name, call_text(call, 1), 0);
    } else {
        status = auth_begin(call, call_text(call, 1), call_text(call, 2), 0);
    }
    if (status == 1) {
        reply_ok(call->out);
    }
}

/* Sets the name from argument `index`; replies the error and returns -1
 * when that fails. */
static int
call_set_name(struct connection_call *call, int index)
{
    int status = connection_set_name(call->connection, call->request->argv[index],
                                     call->request->argv_length[index]);

    if (status == -1) {
        reply_error(call->out, NAME_ERROR);
    } else if (status != 0) {
        reply_error(call->out, OUT_OF_MEMORY_ERROR);
    }
    return status == 0 ? 0 : -1;
}

/* The map HELLO answers with. */
static void
reply_hello(struct connection_call *call)
{
    struct evbuffer *out = call->out;

    reply_map_header(out, 7);
    reply_bulk_cstring(out, "server");
    reply_bulk_cstring(out, "herd");
    reply_bulk_cstring(out, "version");
    reply_bulk_cstring(out, call->host->redis_version);
    reply_bulk_cstring(out, "proto");
    reply_integer(out, 2);
    reply_bulk_cstring(out, "id");
    reply_integer(out, (long long)call->connection->id);
    reply_bulk_cstring(out, "mode");
    reply_bulk_cstring(out, "standalone");
    reply_bulk_cstring(out, "role");
    reply_bulk_cstring(out, "master");
    reply_bulk_cstring(out, "modules");
    reply_array_header(out, 0);
}

/* Checks HELLO's protocol version (only 2 exists); replies the error and
 * returns -1 when it is not acceptable. */
static int
hello_check_version(struct connection_call *call)
{
    long long version;

    if (call->request->argc < 2) {
        return 0;
    }
    if (!string_to_long_long(call->request->argv[1], call->request->argv_length[1],
                             &version)) {
        reply_error(call->out, "ERR Protocol version is not an integer or out of range");
        return -1;
    }
    if (version != 2) {
        reply_error(call->out, "NOPROTO unsupported protocol version");
        return -1;
    }
    return 0;
}

/* Replaces *field with a NUL-terminated copy of argument `index`.
 * Returns 0, or -1 when out of memory. */
static int
call_copy_argument(const struct connection_call *call, int index, char **field)
{
    size_t length = call->request->argv_length[index];
    char *copy = malloc(length + 1);

    if (copy == NULL) {
        return -1;
    }
    memcpy(copy, call->request->argv[index], length);
    copy[length] = '\0';
    free(*field);
    *field = copy;
    return 0;
}

/*
 * HELLO's options after an AUTH whose check is pending: what they will do
 * once it is over.  SETNAME is remembered (the last one wins, a later AUTH
 * is ignored) and the first bad option's error is kept.
 */
static void
hello_remember_rest(struct connection_call *call, int first)
{
    const struct resp_request *request = call->request;
    struct connection_auth_check *auth = call->connection->auth.check;
    char text[256];
    int i, more, status = 0;

    for (i = first; i < request->argc && status == 0; i++) {
        more = request->argc - 1 - i;
        if (argument_is(call, i, "auth") && more >= 2) {
            i += 2;
        } else if (argument_is(call, i, "setname") && more >= 1) {
            status = call_copy_argument(call, i + 1, &auth->setname);
            i += 1;
        } else {
            snprintf(text, sizeof(text), "ERR Syntax error in HELLO option '%.*s'",
                     (int)(request->argv_length[i] < 128 ? request->argv_length[i] : 128),
                     request->argv[i]);
            auth->error = strdup(text);
            break;
        }
    }
}

/*
 * HELLO [protover [AUTH username password] [SETNAME name]].  As in Redis,
 * the options take effect one after another: a name set before a bad
 * option stays set, and the first failing option gives the error.  A
 * client that is not logged in by the end gets NOAUTH.  When AUTH needs a
 * password check, the options after it are applied when it is over.
 */
static void
command_hello(struct connection_call *call)
{
    const struct resp_request *request = call->request;
    int i, more, status;

    if (hello_check_version(call) != 0) {
        return;
    }
    for (i = 2; i < request->argc; i++) {
        more = request->argc - 1 - i;
        if (argument_is(call, i, "auth") && more >= 2) {
            status = auth_begin(call, call_text(call, i + 1), call_text(call, i + 2), 1);
            if (status == 0) {
                return;
            }
            if (status == 2) {
                hello_remember_rest(call, i + 3);
                return;
            }
            i += 2;
        } else if (argument_is(call, i, "setname") && more >= 1) {
            if (call_set_name(call, i + 1) != 0) {
                return;
            }
            i += 1;
        } else {
            reply_error_format(call->out, "ERR Syntax error in HELLO option '%.*s'",
                               (int)request->argv_length[i], request->argv[i]);
            return;
        }
    }
    if (call->connection->auth.acl != NULL && call->connection->auth.user == NULL) {
        reply_error(call->out, HELLO_NOAUTH_ERROR);
        return;
    }
    reply_hello(call);
}

/* Finishes a HELLO whose AUTH succeeded: its later options, then the map. */
static void
hello_finish(struct connection_info *connection, struct evbuffer *out)
{
    struct connection_auth_check *auth = connection->auth.check;
    struct connection_host host;
    struct connection_call call;
    int status = 0;

    if (auth->setname != NULL) {
        status = connection_set_name(connection, auth->setname, strlen(auth->setname));
    }
    if (status == -1) {
        reply_error(out, NAME_ERROR);
    } else if (status != 0) {
        reply_error(out, OUT_OF_MEMORY_ERROR);
    } else if (auth->error != NULL) {
        reply_error(out, auth->error);
    } else {
        memset(&host, 0, sizeof(host));
        host.redis_version = auth->redis_version;
        memset(&call, 0, sizeof(call));
        call.host = &host;
        call.connection = connection;
        call.out = out;
        reply_hello(&call);
    }
}

void
connection_auth_finish(struct connection_info *connection, int verified,
                       struct evbuffer *out)
{
    struct connection_auth_check *check = connection->auth.check;

    if (check == NULL) {
        return;
    }
    if (verified && check->candidate != NULL) {
        auth_succeeded(connection, check->candidate);
        if (check->hello) {
            hello_finish(connection, out);
        } else {
            reply_ok(out);
        }
    } else {
        connection->auth.failures++;
        auth_log_failure(connection, check->name);
        reply_error(out, WRONGPASS_ERROR);
    }
    auth_check_free(connection, 0);
}

/* ------------------------------------------------------------------------
 * ACL
 * ------------------------------------------------------------------------ */

static void
acl_whoami(struct connection_call *call)
{
    const struct acl_user *user = call->connection->auth.user;

    reply_bulk_cstring(call->out, user != NULL ? user->name : "default");
}

static void
acl_help(struct connection_call *call)
{
    static const char *const lines[] = {
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
        NULL
    };

    reply_help(call->out, lines);
}

static const struct subcommand acl_subcommands[] = {
    { "whoami", "acl|whoami", 2, acl_whoami },
    { "help",   "acl|help",   2, acl_help },
    { NULL,     NULL,         0, NULL }
};

static void
command_acl(struct connection_call *call)
{
    subcommand_dispatch(call, acl_subcommands, "acl");
}

void
connection_acl_command(struct connection_info *connection,
                       const struct resp_request *request, struct evbuffer *out)
{
    struct connection_call call;

    memset(&call, 0, sizeof(call));
    call.connection = connection;
    call.request = request;
    call.out = out;
    command_acl(&call);
}

/* ------------------------------------------------------------------------
 * CLIENT
 * ------------------------------------------------------------------------ */

static void
client_id(struct connection_call *call)
{
    reply_integer(call->out, (long long)call->connection->id);
}

static void
client_getname(struct connection_call *call)
{
    if (call->connection->name == NULL) {
        reply_null(call->out);
    } else {
        reply_bulk_cstring(call->out, call->connection->name);
    }
}

static void
client_setname(struct connection_call *call)
{
    if (call_set_name(call, 2) == 0) {
        reply_ok(call->out);
    }
}

/* CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; libraries send it). */
static void
client_setinfo(struct connection_call *call)
{
    const struct resp_request *request = call->request;
    const char *attribute;
    char **field;
    int is_version;

    if (argument_is(call, 2, "lib-name")) {
        attribute = "lib-name";
        is_version = 0;
    } else if (argument_is(call, 2, "lib-ver")) {
        attribute = "lib-ver";
        is_version = 1;
    } else {
        reply_error_format(call->out, "ERR Unrecognized option '%.*s'",
                           (int)request->argv_length[2], request->argv[2]);
        return;
    }
    if (!connection_text_valid(request->argv[3], request->argv_length[3])) {
        reply_error_format(call->out, "ERR %s cannot contain spaces, newlines or "
                           "special characters.", attribute);
        return;
    }
    if (call->connection->library == NULL &&
        (call->connection->library = calloc(1, sizeof(struct connection_library))) == NULL) {
        reply_error(call->out, OUT_OF_MEMORY_ERROR);
        return;
    }
    field = is_version ? &call->connection->library->version
                       : &call->connection->library->name;
    if (text_field_set(field, request->argv[3], request->argv_length[3]) != 0) {
        reply_error(call->out, OUT_OF_MEMORY_ERROR);
        return;
    }
    reply_ok(call->out);
}

/* Replies `lines` (CLIENT LIST lines, each ending in "\n") as one bulk
 * string and frees it; NULL means it could not be allocated. */
static void
reply_client_lines(struct connection_call *call, struct evbuffer *lines)
{
    if (lines == NULL) {
        reply_error(call->out, OUT_OF_MEMORY_ERROR);
        return;
    }
    reply_bulk_buffer(call->out, lines);
    evbuffer_free(lines);
}

/* What CLIENT LIST collects while the host visits its clients. */
struct client_list_walk {
    const struct connection_host *host;
    struct evbuffer              *lines;
    int                           by_id;      /* only the client with `id` */
    uint64_t                      id;
};

/* Adds the visited client's line when the walk wants it. */
static void
client_list_visit(struct connection_info *connection, void *argument)
{
    struct client_list_walk *walk = argument;

    if (walk->by_id && connection->id != walk->id) {
        return;
    }
    walk->host->describe(connection, walk->lines);
    evbuffer_add(walk->lines, "\n", 1);
}

/* Adds the lines of every client, or only of the one with id `id`. */
static void
client_list_collect(struct connection_call *call, struct evbuffer *lines, int by_id,
                    uint64_t id)
{
    struct client_list_walk walk = { call->host, lines, by_id, id };

    call->host->for_each_client(call->host->context, client_list_visit, &walk);
}

/* CLIENT LIST ID id...: the lines of the clients named, in argument order
 * (an id given twice shows twice, an unknown one not at all).  Every id
 * must be an integer, as in Redis. */
static void
client_list_ids(struct connection_call *call)
{
    const struct resp_request *request = call->request;
    struct evbuffer *lines;
    long long id;
    int i;

    for (i = 3; i < request->argc; i++) {
        if (!string_to_long_long(request->argv[i], request->argv_length[i], &id)) {
            reply_error(call->out, "ERR Invalid client ID");
            return;
        }
    }
    lines = evbuffer_new();
    for (i = 3; i < request->argc && lines != NULL; i++) {
        string_to_long_long(request->argv[i], request->argv_length[i], &id);
        if (id > 0) {
            client_list_collect(call, lines, 1, (uint64_t)id);
        }
    }
    reply_client_lines(call, lines);
}

/* CLIENT LIST TYPE type: every client is NORMAL, so the other types
 * (MASTER, REPLICA, SLAVE, PUBSUB) list none. */
static void
client_list_type(struct connection_call *call)
{
    const struct resp_request *request = call->request;
    struct evbuffer *lines;

    if (!argument_is(call, 3, "normal") && !argument_is(call, 3, "master") &&
        !argument_is(call, 3, "replica") && !argument_is(call, 3, "slave") &&
        !argument_is(call, 3, "pubsub")) {
        reply_error_format(call->out, "ERR Unknown client type '%.*s'",
                           (int)request->argv_length[3], request->argv[3]);
        return;
    }
    lines = evbuffer_new();
    if (lines != NULL && argument_is(call, 3, "normal")) {
        client_list_collect(call, lines, 0, 0);
    }
    reply_client_lines(call, lines);
}

/* CLIENT LIST [TYPE type | ID id...] */
static void
client_list(struct connection_call *call)
{
    struct evbuffer *lines;
    int argc = call->request->argc;

    if (argc == 4 && argument_is(call, 2, "type")) {
        client_list_type(call);
    } else if (argc > 3 && argument_is(call, 2, "id")) {
        client_list_ids(call);
    } else if (argc != 2) {
        reply_error_syntax(call->out);
    } else {
        lines = evbuffer_new();
        if (lines != NULL) {
            client_list_collect(call, lines, 0, 0);
        }
        reply_client_lines(call, lines);
    }
}

static void
client_info(struct connection_call *call)
{
    struct evbuffer *line = evbuffer_new();

    if (line != NULL) {
        call->host->describe(call->connection, line);
        evbuffer_add(line, "\n", 1);
    }
    reply_client_lines(call, line);
}

static void
client_help(struct connection_call *call)
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
        "    Prints this help.",
        NULL
    };

    reply_help(call->out, lines);
}

static const struct subcommand client_subcommands[] = {
    { "id",      "client|id",      2,  client_id },
    { "getname", "client|getname", 2,  client_getname },
    { "setname", "client|setname", 3,  client_setname },
    { "setinfo", "client|setinfo", 4,  client_setinfo },
    { "info",    "client|info",    2,  client_info },
    { "list",    "client|list",    -2, client_list },
    { "help",    "client|help",    2,  client_help },
    { NULL,      NULL,             0,  NULL }
};

static void
command_client(struct connection_call *call)
{
    subcommand_dispatch(call, client_subcommands, "client");
}

/* ------------------------------------------------------------------------
 * COMMAND
 * ------------------------------------------------------------------------ */

/* 1 when clients may see the command (internal ones are hidden). */
static int
command_visible(const struct command_info *info)
{
    return info != NULL && !(info->flags & COMMAND_INTERNAL);
}

/* The visible table entry named by argument `index`, or NULL. */
static const struct command_info *
visible_command(const struct connection_call *call, int index)
{
    const struct command_info *info = command_lookup(call->request->argv[index],
                                                     call->request->argv_length[index]);

    return command_visible(info) ? info : NULL;
}

static long long
visible_command_count(void)
{
    long long count = 0;
    int i;

    for (i = 0; i < COMMAND_COUNT; i++) {
        count += command_visible(&command_table[i]);
    }
    return count;
}

static void
command_count(struct connection_call *call)
{
    command_reply_count(call->out);
}

static void
command_info(struct connection_call *call)
{
    int i;

    if (call->request->argc == 2) {
        command_reply_all(call->out);
        return;
    }
    reply_array_header(call->out, call->request->argc - 2);
    for (i = 2; i < call->request->argc; i++) {
        command_reply_info(call->out, visible_command(call, i));
    }
}

/* COMMAND DOCS [name...]: a map of the known commands' docs; unknown
 * names are left out. */
static void
command_docs(struct connection_call *call)
{
    long long known = 0;
    int i;

    if (call->request->argc == 2) {
        reply_map_header(call->out, visible_command_count());
        for (i = 0; i < COMMAND_COUNT; i++) {
            if (command_visible(&command_table[i])) {
                command_reply_docs(call->out, &command_table[i]);
            }
        }
        return;
    }
    for (i = 2; i < call->request->argc; i++) {
        known += visible_command(call, i) != NULL;
    }
    reply_map_header(call->out, known);
    for (i = 2; i < call->request->argc; i++) {
        if (visible_command(call, i) != NULL) {
            command_reply_docs(call->out, visible_command(call, i));
        }
    }
}

static void
command_list(struct connection_call *call)
{
    int i;

    if (call->request->argc != 2) {
        reply_error_syntax(call->out);
        return;
    }
    reply_array_header(call->out, visible_command_count());
    for (i = 0; i < COMMAND_COUNT; i++) {
        if (command_visible(&command_table[i])) {
            reply_bulk_cstring(call->out, command_table[i].name);
        }
    }
}

/* 1 when COMMAND GETKEYS treats the command as one with keys. */
static int
command_has_keys(const struct command_info *info)
{
    return info->first_key > 0 || (info->flags & COMMAND_MOVABLEKEYS) != 0;
}

/*
 * COMMAND GETKEYS OBJECT sub [key]: Redis looks the subcommand up first
 * ("Invalid command specified" when unknown), then checks that it has
 * keys (HELP has none) and its arity (3).  Returns 1 when it replied.
 */
static int
command_getkeys_object(struct connection_call *call)
{
    const struct resp_request *request = call->request;
    int takes_key;

    if (request->argc < 4) {
        return 0;
    }
    takes_key = command_object_subcommand_keys(request->argv[3], request->argv_length[3]);
    if (takes_key < 0) {
        reply_error(call->out, "ERR Invalid command specified");
        return 1;
    }
    if (takes_key == 0) {
        reply_error(call->out, "ERR The command has no key arguments");
        return 1;
    }
    if (request->argc - 2 != 3) {
        reply_error(call->out, "ERR Invalid number of arguments specified for command");
        return 1;
    }
    return 0;
}

/* COMMAND GETKEYS command arg...: the key arguments, found as Redis finds
 * them (command_find_keys), with Redis's checks in Redis's order. */
static void
command_getkeys(struct connection_call *call)
{
    const struct resp_request *request = call->request;
    const struct command_info *info = visible_command(call, 2);
    int argc = request->argc - 2, i;
    struct command_keys keys;

    if (info == NULL) {
        reply_error(call->out, "ERR Invalid command specified");
        return;
    }
    if (info->id == COMMAND_OBJECT && command_getkeys_object(call)) {
        return;
    }
    if (!command_has_keys(info) && info->id != COMMAND_OBJECT) {
        reply_error(call->out, "ERR The command has no key arguments");
        return;
    }
    if (!command_arity_ok(info, argc)) {
        reply_error(call->out, "ERR Invalid number of arguments specified for command");
        return;
    }
    if (command_find_keys(info, argc, request->argv + 2, request->argv_length + 2, &keys) == 0) {
        reply_error(call->out, "ERR Invalid arguments specified for command");
        return;
    }
    reply_array_header(call->out, keys.count);
    for (i = 0; i < keys.count; i++) {
        int position = command_keys_position(&keys, i) + 2;

        reply_bulk(call->out, request->argv[position], request->argv_length[position]);
    }
}

static void
command_help(struct connection_call *call)
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
        "    Prints this help.",
        NULL
    };

    reply_help(call->out, lines);
}

static const struct subcommand command_subcommands[] = {
    { "count",   "command|count",   2,  command_count },
    { "info",    "command|info",    -2, command_info },
    { "docs",    "command|docs",    -2, command_docs },
    { "list",    "command|list",    -2, command_list },
    { "getkeys", "command|getkeys", -4, command_getkeys },
    { "help",    "command|help",    2,  command_help },
    { NULL,      NULL,              0,  NULL }
};

static void
command_command(struct connection_call *call)
{
    if (call->request->argc == 1) {
        command_reply_all(call->out);
        return;
    }
    subcommand_dispatch(call, command_subcommands, "command");
}

/* ------------------------------------------------------------------------
 * INFO
 * ------------------------------------------------------------------------ */

void
info_write_server(const struct connection_host *host, struct evbuffer *text)
{
    struct utsname system;
    struct timeval now;
    uint64_t monotonic_now = monotonic_milliseconds();
    unsigned long long uptime = seconds_between(host->start_ms, monotonic_now);

    if (uname(&system) != 0) {
        memset(&system, 0, sizeof(system));
    }
    gettimeofday(&now, NULL);
    evbuffer_add_printf(text,
        "# Server\r\n"
        "redis_version:%s\r\n"
        "herd_version:%s\r\n"
        "redis_mode:standalone\r\n"
        "herd_role:%s\r\n"
        "os:%s %s %s\r\n"
        "arch_bits:%d\r\n"
        "multiplexing_api:%s\r\n"
        "process_id:%ld\r\n"
        "run_id:%s\r\n"
        "tcp_port:%lld\r\n"
        "server_time_usec:%llu\r\n"
        "uptime_in_seconds:%llu\r\n"
        "uptime_in_days:%llu\r\n",
        host->redis_version, host->version, host->role, system.sysname, system.release,
        system.machine, (int)(sizeof(long) * 8), host->multiplexing_api, (long)getpid(),
        host->run_id, host->port,
        (unsigned long long)now.tv_sec * 1000000ULL + (unsigned long long)now.tv_usec,
        uptime, uptime / 86400);
    if (host->hz > 0) {
        evbuffer_add_printf(text, "hz:%lld\r\nconfigured_hz:%lld\r\n", host->hz, host->hz);
    }
    evbuffer_add_printf(text, "config_file:%s\r\n", host->config_file);
}

void
info_write_clients(const struct connection_host *host, struct evbuffer *text)
{
    evbuffer_add_printf(text,
        "# Clients\r\n"
        "connected_clients:%lu\r\n"
        "maxclients:%lld\r\n"
        "blocked_clients:0\r\n"
        "tracking_clients:0\r\n",
        host->client_count, host->maxclients);
}

/* 1 when INFO's arguments ask for section `name` (none, "all", "default"
 * and "everything" ask for every section). */
static int
info_wanted(const struct connection_call *call, const char *name)
{
    int i;

    if (call->request->argc == 1) {
        return 1;
    }
    for (i = 1; i < call->request->argc; i++) {
        if (argument_is(call, i, name) || argument_is(call, i, "all") ||
            argument_is(call, i, "default") || argument_is(call, i, "everything")) {
            return 1;
        }
    }
    return 0;
}

/* INFO [section...]: the wanted sections, in the host's order, separated
 * by an empty line. */
static void
command_info_sections(struct connection_call *call)
{
    const struct info_section *section;
    struct evbuffer *text = evbuffer_new();
    int written = 0;

    if (text == NULL) {
        reply_error(call->out, OUT_OF_MEMORY_ERROR);
        return;
    }
    for (section = call->host->info_sections; section->name != NULL; section++) {
        if (!info_wanted(call, section->name)) {
            continue;
        }
        if (written++ > 0) {
            evbuffer_add(text, "\r\n", 2);
        }
        section->write(call->host, text);
    }
    reply_bulk_buffer(call->out, text);
    evbuffer_free(text);
}

/* ------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------ */

/* The handler of a command this module answers, or NULL. */
static call_handler *
handler_for(enum command_id id)
{
    switch (id) {
    case COMMAND_PING:    return command_ping;
    case COMMAND_ECHO:    return command_echo;
    case COMMAND_SELECT:  return command_select;
    case COMMAND_QUIT:    return command_quit;
    case COMMAND_RESET:   return command_reset;
    case COMMAND_HELLO:   return command_hello;
    case COMMAND_AUTH:    return command_auth;
    case COMMAND_CLIENT:  return command_client;
    case COMMAND_COMMAND: return command_command;
    case COMMAND_INFO:    return command_info_sections;
    case COMMAND_TIME:    return command_time;
    case COMMAND_ACL:     return command_acl;
    default:              return NULL;
    }
}

int
connection_command_handled(enum command_id id)
{
    return handler_for(id) != NULL;
}

void
connection_execute(const struct connection_host *host, struct connection_info *connection,
                   const struct command_info *command, const struct resp_request *request,
                   struct evbuffer *out)
{
    struct connection_call call = { host, connection, request, out };
    call_handler *handler = handler_for(command->id);

    if (handler != NULL) {
        handler(&call);
    }
}
