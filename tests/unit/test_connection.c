/*
 * test_connection.c — the shared connection commands (shared/connection.h)
 * run against a fake host with three clients: name rules, the CLIENT LIST
 * line, HELLO's options, CLIENT LIST's filters, subcommand errors, INFO's
 * section choice.  Expected error texts were captured from redis-server
 * 7.0 with raw sockets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <event2/buffer.h>

#include "shared/commands.h"
#include "shared/acl.h"
#include "shared/connection.h"
#include "shared/resp.h"

#define FAKE_CLIENTS 3
#define FAKE_NOW_MS  100000

/* A program with three clients (ids 1, 2, 3) whose CLIENT LIST lines are
 * "client=<id>", so tests can see which clients a command listed. */
struct fake_program {
    struct connection_info clients[FAKE_CLIENTS];
    int                    closed[FAKE_CLIENTS];   /* close_after_reply calls */
    struct connection_host host;
    struct evbuffer       *out;
    struct acl             acl;    /* only the default user: on, nopass */
};

/* The one fake program of a test (cmocka's state). */
static struct fake_program *
program_of(void **state)
{
    return *state;
}

static void
fake_for_each_client(void *context, connection_visitor *visit, void *argument)
{
    struct fake_program *program = context;
    int i;

    for (i = 0; i < FAKE_CLIENTS; i++) {
        visit(&program->clients[i], argument);
    }
}

static void
fake_describe(struct connection_info *connection, struct evbuffer *out)
{
    evbuffer_add_printf(out, "client=%llu", (unsigned long long)connection->id);
}

/* Client `id` is clients[id - 1], so the program is found from it. */
static void
fake_close_after_reply(struct connection_info *connection)
{
    struct fake_program *program = CONNECTION_OWNER(connection - (connection->id - 1),
                                                    struct fake_program, clients);

    program->closed[connection->id - 1]++;
}

static void
fake_section_first(const struct connection_host *host, struct evbuffer *text)
{
    evbuffer_add_printf(text, "# First\r\none:1\r\n");
}

static void
fake_section_second(const struct connection_host *host, struct evbuffer *text)
{
    evbuffer_add_printf(text, "# Second\r\ntwo:2\r\n");
}

static const struct info_section fake_sections[] = {
    { "first",  fake_section_first },
    { "second", fake_section_second },
    { NULL,     NULL }
};

static int
setup_program(void **state)
{
    struct fake_program *program = calloc(1, sizeof(*program));
    struct sockaddr_in peer;
    int i;

    if (program == NULL || (program->out = evbuffer_new()) == NULL) {
        free(program);
        return -1;
    }
    memset(&peer, 0, sizeof(peer));
    peer.sin_family = AF_INET;
    peer.sin_port = htons(5000);
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (acl_init(&program->acl) != 0) {
        evbuffer_free(program->out);
        free(program);
        return -1;
    }
    for (i = 0; i < FAKE_CLIENTS; i++) {
        connection_init(&program->clients[i], (uint64_t)i + 1, -1,
                        (const struct sockaddr *)&peer, FAKE_NOW_MS);
        connection_set_acl(&program->clients[i], &program->acl, NULL, NULL);
    }
    program->host.role = "test";
    program->host.version = "0.0.1";
    program->host.redis_version = "7.0.15";
    program->host.run_id = "0123456789012345678901234567890123456789";
    program->host.config_file = "";
    program->host.multiplexing_api = "epoll";
    program->host.maxclients = 50;
    program->host.client_count = FAKE_CLIENTS;
    program->host.info_sections = fake_sections;
    program->host.context = program;
    program->host.for_each_client = fake_for_each_client;
    program->host.describe = fake_describe;
    program->host.close_after_reply = fake_close_after_reply;
    *state = program;
    return 0;
}

static int
teardown_program(void **state)
{
    struct fake_program *program = *state;
    int i;

    for (i = 0; i < FAKE_CLIENTS; i++) {
        connection_release(&program->clients[i]);
    }
    evbuffer_free(program->out);
    acl_free(&program->acl);
    free(program);
    return 0;
}

/* Runs argv[0..argc) (a command the module answers) as client `index` of
 * the program; returns the reply as a malloc'd C string. */
static char *
execute(struct fake_program *program, int index, int argc, const char **argv)
{
    struct resp_request request;
    size_t lengths[16];
    size_t have;
    char *reply;
    int i;

    assert_true(argc <= 16);
    for (i = 0; i < argc; i++) {
        lengths[i] = strlen(argv[i]);
    }
    memset(&request, 0, sizeof(request));
    request.argc = argc;
    request.argv = argv;
    request.argv_length = lengths;
    assert_non_null(command_lookup(argv[0], lengths[0]));
    assert_true(connection_command_handled(command_lookup(argv[0], lengths[0])->id));
    connection_execute(&program->host, &program->clients[index],
                       command_lookup(argv[0], lengths[0]), &request, program->out);
    have = evbuffer_get_length(program->out);
    reply = calloc(1, have + 1);
    assert_non_null(reply);
    evbuffer_remove(program->out, reply, have);
    return reply;
}

/* execute() and check the reply is exactly `expected`. */
static void
run_as(struct fake_program *program, int index, const char *expected, int argc,
       const char **argv)
{
    char *reply = execute(program, index, argc, argv);

    if (strcmp(reply, expected) != 0) {
        fail_msg("%s: got \"%s\", expected \"%s\"", argv[0], reply, expected);
    }
    free(reply);
}

/* run_as() for client 0 with the arguments listed inline. */
#define RUN(program, expected, ...) do { \
        const char *arguments_[] = { __VA_ARGS__ }; \
        run_as((program), 0, (expected), \
               (int)(sizeof(arguments_) / sizeof(arguments_[0])), arguments_); \
    } while (0)

#define NAME_ERROR \
    "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
#define WRONGPASS  "-WRONGPASS invalid username-password pair or user is disabled.\r\n"

/* ------------------------------------------------------------------------ */

static void
test_text_valid(void **state)
{
    assert_true(connection_text_valid("redis-py", 8));
    assert_true(connection_text_valid("", 0));
    assert_true(connection_text_valid("!~", 2));
    assert_false(connection_text_valid("a b", 3));
    assert_false(connection_text_valid("a\n", 2));
    assert_false(connection_text_valid("a\0b", 3));
    assert_false(connection_text_valid("\x7f", 1));
    assert_false(connection_text_valid("\xc3\xa9", 2));
}

static void
test_set_name(void **state)
{
    struct connection_info connection;
    char long_name[301];

    memset(&connection, 0, sizeof(connection));
    assert_int_equal(connection_set_name(&connection, "first", 5), 0);
    assert_string_equal(connection.name, "first");
    assert_int_equal(connection_set_name(&connection, "bad name", 8), -1);
    assert_string_equal(connection.name, "first");
    /* Redis keeps names of any length. */
    memset(long_name, 'x', 300);
    long_name[300] = '\0';
    assert_int_equal(connection_set_name(&connection, long_name, 300), 0);
    assert_string_equal(connection.name, long_name);
    assert_int_equal(connection_set_name(&connection, "", 0), 0);
    assert_null(connection.name);
    connection_release(&connection);
}

static void
test_init(void **state)
{
    struct fake_program *program = program_of(state);
    const struct connection_info *first = &program->clients[0];

    assert_int_equal(first->id, 1);
    assert_int_equal(first->fd, -1);
    assert_string_equal(first->address, "127.0.0.1:5000");
    assert_int_equal(first->created_ms, FAKE_NOW_MS);
    assert_int_equal(first->last_interaction_ms, FAKE_NOW_MS);
    assert_null(first->name);
    assert_null(first->last_command);
}

static void
test_describe_line(void **state)
{
    struct fake_program *program = program_of(state);
    struct connection_info *connection = &program->clients[1];
    struct connection_usage usage = {
        "c", "rw", 26, 16358, 10, 16384, 16384, 2, 40, 17000
    };
    char line[1024];
    size_t length;

    assert_int_equal(connection_set_name(connection, "worker", 6), 0);
    connection->library = calloc(1, sizeof(*connection->library));
    assert_non_null(connection->library);
    connection->library->name = strdup("redis-py");
    connection->library->version = strdup("5.0.1");
    connection->last_command = "client|list";
    connection->last_interaction_ms = FAKE_NOW_MS + 61000;
    connection_describe(connection, &usage, FAKE_NOW_MS + 125500, program->out);
    length = evbuffer_get_length(program->out);
    assert_true(length < sizeof(line));
    evbuffer_remove(program->out, line, length);
    line[length] = '\0';
    assert_string_equal(line,
        "id=2 addr=127.0.0.1:5000 laddr=?:0 fd=-1 name=worker age=125 idle=64 flags=c "
        "db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=16358 argv-mem=10 "
        "multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=2 omem=40 tot-mem=17000 events=rw "
        "cmd=client|list user=default redir=-1 resp=2 lib-name=redis-py lib-ver=5.0.1");
}

/* No name, no command yet, and a clock reading older than the
 * connection (never negative ages). */
static void
test_describe_fresh_connection(void **state)
{
    struct fake_program *program = program_of(state);
    struct connection_usage usage = { "N", "r", 0, 0, 0, 0, 0, 0, 0, 0 };
    char line[1024];
    size_t length;

    connection_describe(&program->clients[0], &usage, FAKE_NOW_MS - 5000, program->out);
    length = evbuffer_get_length(program->out);
    evbuffer_remove(program->out, line, length);
    line[length] = '\0';
    assert_non_null(strstr(line, " name= age=0 idle=0 flags=N "));
    assert_non_null(strstr(line, " cmd=NULL user=default "));
    assert_non_null(strstr(line, " lib-name= lib-ver="));
}

static void
test_ping_echo_select(void **state)
{
    struct fake_program *program = program_of(state);

    RUN(program, "+PONG\r\n", "PING");
    RUN(program, "$2\r\nhi\r\n", "PING", "hi");
    RUN(program, "-ERR wrong number of arguments for 'ping' command\r\n", "PING", "a", "b");
    RUN(program, "$0\r\n\r\n", "ECHO", "");
    RUN(program, "+OK\r\n", "SELECT", "0");
    RUN(program, "-ERR DB index is out of range\r\n", "SELECT", "1");
    RUN(program, "-ERR value is out of range, value must between -2147483648 and "
        "2147483647\r\n", "SELECT", "2147483648");
    RUN(program, "-ERR value is not an integer or out of range\r\n", "SELECT", "1.5");
}

/* TIME: seconds and microseconds as two bulk strings. */
static void
test_time(void **state)
{
    struct fake_program *program = program_of(state);
    char *reply = execute(program, 0, 1, (const char *[]){ "TIME" });
    unsigned long long seconds, microseconds;
    int seconds_length, microseconds_length;

    assert_int_equal(sscanf(reply, "*2\r\n$%d\r\n%llu\r\n$%d\r\n%llu\r\n", &seconds_length,
                            &seconds, &microseconds_length, &microseconds), 4);
    assert_true(seconds > 1700000000ULL);
    assert_true(microseconds < 1000000ULL);
    free(reply);
}

static void
test_auth(void **state)
{
    struct fake_program *program = program_of(state);

    RUN(program, "-ERR AUTH <password> called without any password configured for the "
        "default user. Are you sure your configuration is correct?\r\n", "AUTH", "secret");
    RUN(program, "+OK\r\n", "AUTH", "default", "anything");
    RUN(program, WRONGPASS, "AUTH", "DEFAULT", "anything");   /* names are case-sensitive */
    RUN(program, WRONGPASS, "AUTH", "someone", "secret");
    RUN(program, "-ERR syntax error\r\n", "AUTH", "a", "b", "c");
}

static void
test_hello_reply(void **state)
{
    struct fake_program *program = program_of(state);
    const char *map =
        "*14\r\n$6\r\nserver\r\n$4\r\nherd\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
        "$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:1\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"
        "$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n";

    RUN(program, map, "HELLO");
    RUN(program, map, "HELLO", "2");
    RUN(program, map, "HELLO", "2", "AUTH", "default", "x", "SETNAME", "named");
    assert_string_equal(program->clients[0].name, "named");
    RUN(program, "-NOPROTO unsupported protocol version\r\n", "HELLO", "3");
    RUN(program, "-NOPROTO unsupported protocol version\r\n", "HELLO", "-1", "foo");
    RUN(program, "-ERR Protocol version is not an integer or out of range\r\n",
        "HELLO", "abc", "foo");
    RUN(program, "-ERR Protocol version is not an integer or out of range\r\n",
        "HELLO", "99999999999999999999");
}

/* Options act one after another, as in Redis 7.0: the first bad one
 * answers, and a name set before it stays. */
static void
test_hello_options_in_order(void **state)
{
    struct fake_program *program = program_of(state);

    RUN(program, "-ERR Syntax error in HELLO option 'foo'\r\n",
        "HELLO", "2", "SETNAME", "kept", "foo");
    assert_string_equal(program->clients[0].name, "kept");
    RUN(program, NAME_ERROR, "HELLO", "2", "SETNAME", "a b", "foo");
    RUN(program, NAME_ERROR, "HELLO", "2", "SETNAME", "a b", "AUTH", "x", "y");
    RUN(program, WRONGPASS, "HELLO", "2", "AUTH", "x", "y", "SETNAME", "a b");
    RUN(program, "-ERR Syntax error in HELLO option 'AUTH'\r\n",
        "HELLO", "2", "AUTH", "default");
    RUN(program, "-ERR Syntax error in HELLO option 'setname'\r\n", "HELLO", "2", "setname");
    assert_string_equal(program->clients[0].name, "kept");
}

static void
test_client_names(void **state)
{
    struct fake_program *program = program_of(state);

    RUN(program, "$-1\r\n", "CLIENT", "GETNAME");
    RUN(program, "+OK\r\n", "CLIENT", "SETNAME", "myname");
    RUN(program, "$6\r\nmyname\r\n", "CLIENT", "GETNAME");
    RUN(program, NAME_ERROR, "CLIENT", "SETNAME", "bad\nname");
    RUN(program, "$6\r\nmyname\r\n", "CLIENT", "GETNAME");
    RUN(program, "+RESET\r\n", "RESET");
    RUN(program, "$-1\r\n", "CLIENT", "GETNAME");
    RUN(program, "+OK\r\n", "CLIENT", "SETNAME", "again");
    RUN(program, "+OK\r\n", "CLIENT", "SETNAME", "");
    RUN(program, "$-1\r\n", "CLIENT", "GETNAME");
    RUN(program, ":1\r\n", "CLIENT", "ID");
}

static void
test_client_setinfo(void **state)
{
    struct fake_program *program = program_of(state);

    RUN(program, "+OK\r\n", "CLIENT", "SETINFO", "LIB-NAME", "redis-py");
    RUN(program, "+OK\r\n", "CLIENT", "SETINFO", "lib-ver", "5.0.1");
    assert_string_equal(program->clients[0].library->name, "redis-py");
    assert_string_equal(program->clients[0].library->version, "5.0.1");
    RUN(program, "-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n",
        "CLIENT", "SETINFO", "lib-ver", "a b");
    RUN(program, "-ERR Unrecognized option 'lib-x'\r\n", "CLIENT", "SETINFO", "lib-x", "a");
    assert_string_equal(program->clients[0].library->version, "5.0.1");
}

/* Unknown subcommands and wrong counts, and what CLIENT LIST's cmd= then
 * shows (Redis: NULL for an unknown subcommand, the full name else). */
static void
test_subcommand_errors(void **state)
{
    struct fake_program *program = program_of(state);

    RUN(program, "-ERR unknown subcommand 'nosuch'. Try CLIENT HELP.\r\n", "CLIENT", "nosuch");
    assert_null(program->clients[0].last_command);
    RUN(program, "-ERR wrong number of arguments for 'client|setname' command\r\n",
        "CLIENT", "SETNAME");
    assert_string_equal(program->clients[0].last_command, "client|setname");
    RUN(program, "-ERR wrong number of arguments for 'client|id' command\r\n",
        "CLIENT", "ID", "x");
    RUN(program, "-ERR unknown subcommand 'x'. Try COMMAND HELP.\r\n", "COMMAND", "x");
    RUN(program, "-ERR wrong number of arguments for 'command|count' command\r\n",
        "COMMAND", "COUNT", "x");
    RUN(program, "-ERR wrong number of arguments for 'command|getkeys' command\r\n",
        "COMMAND", "GETKEYS", "get");
    RUN(program, "-ERR unknown subcommand 'getID'. Try CLIENT HELP.\r\n", "CLIENT", "getID");
    assert_null(program->clients[0].last_command);
    RUN(program, ":1\r\n", "CLIENT", "Id");
    assert_string_equal(program->clients[0].last_command, "client|id");
}

static void
test_client_list_all_and_info(void **state)
{
    struct fake_program *program = program_of(state);

    RUN(program, "$27\r\nclient=1\nclient=2\nclient=3\n\r\n", "CLIENT", "LIST");
    RUN(program, "$27\r\nclient=1\nclient=2\nclient=3\n\r\n",
        "CLIENT", "LIST", "TYPE", "normal");
    RUN(program, "$0\r\n\r\n", "CLIENT", "LIST", "TYPE", "master");
    RUN(program, "$0\r\n\r\n", "CLIENT", "LIST", "TYPE", "PUBSUB");
    RUN(program, "-ERR Unknown client type 'foo'\r\n", "CLIENT", "LIST", "TYPE", "foo");
    RUN(program, "-ERR syntax error\r\n", "CLIENT", "LIST", "foo");
    RUN(program, "-ERR syntax error\r\n", "CLIENT", "LIST", "ID");
    RUN(program, "-ERR syntax error\r\n", "CLIENT", "LIST", "TYPE", "normal", "x");
    run_as(program, 1, "$9\r\nclient=2\n\r\n", 2, (const char *[]){ "CLIENT", "INFO" });
}

/* CLIENT LIST ID: in argument order, repeats kept, unknown ids skipped;
 * any integer is an id (as in Redis), anything else is an error. */
static void
test_client_list_ids(void **state)
{
    struct fake_program *program = program_of(state);

    RUN(program, "$27\r\nclient=3\nclient=1\nclient=3\n\r\n",
        "CLIENT", "LIST", "ID", "3", "1", "3", "99");
    RUN(program, "$0\r\n\r\n", "CLIENT", "LIST", "ID", "0", "-1", "9223372036854775807");
    RUN(program, "-ERR Invalid client ID\r\n", "CLIENT", "LIST", "ID", "1", "abc");
    RUN(program, "-ERR Invalid client ID\r\n", "CLIENT", "LIST", "ID", "+2");
    RUN(program, "-ERR Invalid client ID\r\n", "CLIENT", "LIST", "ID", "18446744073709551615");
}

static void
test_quit(void **state)
{
    struct fake_program *program = program_of(state);

    run_as(program, 2, "+OK\r\n", 1, (const char *[]){ "QUIT" });
    assert_int_equal(program->closed[2], 1);
    assert_int_equal(program->closed[0], 0);
}

static void
test_command_getkeys(void **state)
{
    struct fake_program *program = program_of(state);

    RUN(program, "*2\r\n$1\r\na\r\n$1\r\nc\r\n",
        "COMMAND", "GETKEYS", "mset", "a", "b", "c", "d");
    RUN(program, "*1\r\n$1\r\nk\r\n", "COMMAND", "GETKEYS", "GET", "k");
    RUN(program, "-ERR Invalid command specified\r\n", "COMMAND", "GETKEYS", "nosuch", "a");
    /* No keys is reported before a wrong argument count, as Redis does. */
    RUN(program, "-ERR The command has no key arguments\r\n",
        "COMMAND", "GETKEYS", "dbsize", "a");
    RUN(program, "-ERR Invalid number of arguments specified for command\r\n",
        "COMMAND", "GETKEYS", "get", "a", "b");
    RUN(program, "-ERR syntax error\r\n", "COMMAND", "LIST", "FILTERBY");
    RUN(program, "*1\r\n$-1\r\n", "COMMAND", "INFO", "nosuch");
    RUN(program, "*0\r\n", "COMMAND", "DOCS", "nosuch");
}

static void
test_info_sections(void **state)
{
    struct fake_program *program = program_of(state);
    const char *both = "$35\r\n# First\r\none:1\r\n\r\n# Second\r\ntwo:2\r\n\r\n";

    RUN(program, both, "INFO");
    RUN(program, both, "INFO", "all");
    RUN(program, both, "INFO", "EVERYTHING");
    RUN(program, both, "INFO", "default");
    RUN(program, both, "INFO", "second", "first");
    RUN(program, "$17\r\n# Second\r\ntwo:2\r\n\r\n", "INFO", "Second");
    RUN(program, "$0\r\n\r\n", "INFO", "nosuch");
}

static void
test_info_shared_sections(void **state)
{
    struct fake_program *program = program_of(state);
    const char *server_head = "# Server\r\nredis_version:7.0.15\r\nherd_version:0.0.1\r\n"
                              "redis_mode:standalone\r\nherd_role:test\r\n";
    char text[2048];
    size_t length;

    info_write_clients(&program->host, program->out);
    length = evbuffer_get_length(program->out);
    evbuffer_remove(program->out, text, length);
    text[length] = '\0';
    assert_string_equal(text, "# Clients\r\nconnected_clients:3\r\nmaxclients:50\r\n"
                        "blocked_clients:0\r\ntracking_clients:0\r\n");

    info_write_server(&program->host, program->out);
    length = evbuffer_get_length(program->out);
    assert_true(length < sizeof(text));
    evbuffer_remove(program->out, text, length);
    text[length] = '\0';
    assert_true(strncmp(text, server_head, strlen(server_head)) == 0);
    assert_non_null(strstr(text, "\r\nrun_id:0123456789012345678901234567890123456789\r\n"));
    assert_null(strstr(text, "hz:"));
    assert_non_null(strstr(text, "\r\nconfig_file:\r\n"));
    program->host.hz = 10;
    info_write_server(&program->host, program->out);
    length = evbuffer_get_length(program->out);
    evbuffer_remove(program->out, text, length);
    text[length] = '\0';
    assert_non_null(strstr(text, "\r\nhz:10\r\nconfigured_hz:10\r\nconfig_file:\r\n"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_valid),
        cmocka_unit_test(test_set_name),
        cmocka_unit_test_setup_teardown(test_init, setup_program, teardown_program),
        cmocka_unit_test_setup_teardown(test_describe_line, setup_program, teardown_program),
        cmocka_unit_test_setup_teardown(test_describe_fresh_connection, setup_program,
                                        teardown_program),
        cmocka_unit_test_setup_teardown(test_ping_echo_select, setup_program,
                                        teardown_program),
        cmocka_unit_test_setup_teardown(test_time, setup_program, teardown_program),
        cmocka_unit_test_setup_teardown(test_auth, setup_program, teardown_program),
        cmocka_unit_test_setup_teardown(test_hello_reply, setup_program, teardown_program),
        cmocka_unit_test_setup_teardown(test_hello_options_in_order, setup_program,
                                        teardown_program),
        cmocka_unit_test_setup_teardown(test_client_names, setup_program, teardown_program),
        cmocka_unit_test_setup_teardown(test_client_setinfo, setup_program, teardown_program),
        cmocka_unit_test_setup_teardown(test_subcommand_errors, setup_program,
                                        teardown_program),
        cmocka_unit_test_setup_teardown(test_client_list_all_and_info, setup_program,
                                        teardown_program),
        cmocka_unit_test_setup_teardown(test_client_list_ids, setup_program, teardown_program),
        cmocka_unit_test_setup_teardown(test_quit, setup_program, teardown_program),
        cmocka_unit_test_setup_teardown(test_command_getkeys, setup_program, teardown_program),
        cmocka_unit_test_setup_teardown(test_info_sections, setup_program, teardown_program),
        cmocka_unit_test_setup_teardown(test_info_shared_sections, setup_program,
                                        teardown_program),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
