/*
 * test_reply.c — the bytes of every reply writer.  The expected error
 * texts were captured from redis-server 7.0 with raw sockets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/buffer.h>

#include "shared/number.h"
#include "shared/reply.h"

/* A fresh output buffer per test. */
static int
setup_buffer(void **state)
{
    *state = evbuffer_new();
    return *state == NULL ? -1 : 0;
}

static int
teardown_buffer(void **state)
{
    evbuffer_free(*state);
    return 0;
}

/* Drains the buffer and checks it holds exactly expected[0..length). */
static void
assert_output(struct evbuffer *out, const char *expected, size_t length)
{
    size_t have = evbuffer_get_length(out);
    char *bytes = malloc(have + 1);

    assert_non_null(bytes);
    evbuffer_remove(out, bytes, have);
    bytes[have] = '\0';
    if (have != length || memcmp(bytes, expected, length) != 0) {
        fail_msg("got %zu bytes \"%s\", expected %zu bytes \"%.*s\"",
                 have, bytes, length, (int)length, expected);
    }
    free(bytes);
}

/* The same for an expected C string. */
static void
assert_output_text(struct evbuffer *out, const char *expected)
{
    assert_output(out, expected, strlen(expected));
}

static void
test_simple_replies(void **state)
{
    struct evbuffer *out = *state;

    reply_ok(out);
    assert_output_text(out, "+OK\r\n");
    reply_status(out, "PONG");
    assert_output_text(out, "+PONG\r\n");
    reply_null(out);
    assert_output_text(out, "$-1\r\n");
    reply_null_array(out);
    assert_output_text(out, "*-1\r\n");
    reply_array_header(out, 0);
    assert_output_text(out, "*0\r\n");
    reply_array_header(out, 12345);
    assert_output_text(out, "*12345\r\n");
    reply_map_header(out, 3);
    assert_output_text(out, "*6\r\n");
}

static void
test_integers(void **state)
{
    struct evbuffer *out = *state;

    reply_integer(out, 0);
    assert_output_text(out, ":0\r\n");
    reply_integer(out, -1);
    assert_output_text(out, ":-1\r\n");
    reply_integer(out, LLONG_MAX);
    assert_output_text(out, ":9223372036854775807\r\n");
    reply_integer(out, LLONG_MIN);
    assert_output_text(out, ":-9223372036854775808\r\n");
    reply_bulk_long_long(out, -42);
    assert_output_text(out, "$3\r\n-42\r\n");
}

static void
test_bulk_binary_safe(void **state)
{
    struct evbuffer *out = *state;

    reply_bulk(out, "", 0);
    assert_output_text(out, "$0\r\n\r\n");
    reply_bulk(out, "a\0b\r\nc\xff", 7);
    assert_output(out, "$7\r\na\0b\r\nc\xff\r\n", 13);
    reply_bulk_cstring(out, "hello");
    assert_output_text(out, "$5\r\nhello\r\n");
    reply_bulk_cstring(out, NULL);
    assert_output_text(out, "$-1\r\n");
}

static void
test_bulk_large(void **state)
{
    struct evbuffer *out = *state;
    size_t sizes[] = { 255, 256, 257, 100000 };
    size_t i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t length = sizes[i];
        char *data = malloc(length);
        char *expected = malloc(length + 32);
        int header;

        assert_non_null(data);
        assert_non_null(expected);
        memset(data, 'x', length);
        data[0] = '\0';
        header = snprintf(expected, 32, "$%zu\r\n", length);
        memcpy(expected + header, data, length);
        memcpy(expected + header + length, "\r\n", 2);
        reply_bulk(out, data, length);
        assert_output(out, expected, (size_t)header + length + 2);
        free(data);
        free(expected);
    }
}

static void
test_doubles(void **state)
{
    struct evbuffer *out = *state;

    /* ZSCORE's format in Redis 7.0. */
    reply_bulk_double(out, 1.1);
    assert_output_text(out, "$18\r\n1.1000000000000001\r\n");
    reply_bulk_double(out, 10.5);
    assert_output_text(out, "$4\r\n10.5\r\n");
    reply_bulk_double(out, INFINITY);
    assert_output_text(out, "$3\r\ninf\r\n");
    reply_bulk_double(out, -INFINITY);
    assert_output_text(out, "$4\r\n-inf\r\n");
    reply_bulk_double(out, -0.0);
    assert_output_text(out, "$2\r\n-0\r\n");
}

static void
test_long_doubles(void **state)
{
    struct evbuffer *out = *state;
    long double a, b;

    /* INCRBYFLOAT's format in Redis 7.0. */
    assert_true(string_to_long_double("1.1", 3, &a));
    assert_true(string_to_long_double("2.2", 3, &b));
    reply_bulk_long_double(out, a + b);
    assert_output_text(out, "$3\r\n3.3\r\n");
    reply_bulk_long_double(out, 3.0e3L);
    assert_output_text(out, "$4\r\n3000\r\n");
    reply_bulk_long_double(out, -0.0L);
    assert_output_text(out, "$1\r\n0\r\n");
    /* 1e300 prints 301 digits: more than the first stack buffer. */
    assert_true(string_to_long_double("1e300", 5, &a));
    reply_bulk_long_double(out, a);
    {
        size_t have = evbuffer_get_length(out);
        char *bytes = malloc(have);

        assert_non_null(bytes);
        evbuffer_remove(out, bytes, have);
        assert_int_equal(have, 6 + 301 + 2);
        assert_memory_equal(bytes, "$301\r\n1000000000000000000008997", 31);
        assert_memory_equal(bytes + have - 8, "006144\r\n", 8);
        free(bytes);
    }
}

static void
test_errors(void **state)
{
    struct evbuffer *out = *state;

    reply_error(out, "ERR syntax error");
    assert_output_text(out, "-ERR syntax error\r\n");
    reply_error_syntax(out);
    assert_output_text(out, "-ERR syntax error\r\n");
    reply_error_not_integer(out);
    assert_output_text(out, "-ERR value is not an integer or out of range\r\n");
    reply_error_wrong_type(out);
    assert_output_text(out, "-WRONGTYPE Operation against a key holding the "
                       "wrong kind of value\r\n");
    reply_error_format(out, "ERR invalid expire time in '%s' command", "set");
    assert_output_text(out, "-ERR invalid expire time in 'set' command\r\n");
}

static void
test_errors_never_contain_newlines(void **state)
{
    struct evbuffer *out = *state;

    reply_error(out, "ERR bad\r\nthing");
    assert_output_text(out, "-ERR bad  thing\r\n");
    /* As addReplyErrorFormat: newlines at the ends go, inner ones become
     * spaces. */
    reply_error_format(out, "ERR %s", "a\nb\r\n");
    assert_output_text(out, "-ERR a b\r\n");
    reply_error_format(out, "\r\nERR x");
    assert_output_text(out, "-ERR x\r\n");
}

static void
test_error_format_long(void **state)
{
    struct evbuffer *out = *state;
    char *argument = malloc(1001);
    char *expected = malloc(1100);

    assert_non_null(argument);
    assert_non_null(expected);
    memset(argument, 'y', 1000);
    argument[1000] = '\0';
    snprintf(expected, 1100, "-ERR long '%s'\r\n", argument);
    reply_error_format(out, "ERR long '%s'", argument);
    assert_output_text(out, expected);
    free(argument);
    free(expected);
}

static void
test_arity_error(void **state)
{
    struct evbuffer *out = *state;

    reply_error_arity(out, "get");
    assert_output_text(out, "-ERR wrong number of arguments for 'get' command\r\n");
    reply_error_arity(out, "client|setname");
    assert_output_text(out, "-ERR wrong number of arguments for "
                       "'client|setname' command\r\n");
}

/* Replies to an unknown command given as C strings. */
static void
unknown_command(struct evbuffer *out, int argc, const char **argv)
{
    size_t lengths[64];
    int i;

    for (i = 0; i < argc; i++) {
        lengths[i] = strlen(argv[i]);
    }
    reply_error_unknown_command(out, argc, argv, lengths);
}

static void
test_unknown_command_plain(void **state)
{
    struct evbuffer *out = *state;
    const char *foo[] = { "foo" };
    const char *foo_a_b[] = { "foo", "a", "b" };
    const char *quotes[] = { "foo", "a'b", "\"q\"" };
    const char *empty_argument[] = { "foo", "" };
    const char *empty_name[] = { "" };

    unknown_command(out, 1, foo);
    assert_output_text(out, "-ERR unknown command 'foo', with args beginning with: \r\n");
    unknown_command(out, 3, foo_a_b);
    assert_output_text(out, "-ERR unknown command 'foo', with args beginning with: "
                       "'a' 'b' \r\n");
    unknown_command(out, 3, quotes);
    assert_output_text(out, "-ERR unknown command 'foo', with args beginning with: "
                       "'a'b' '\"q\"' \r\n");
    unknown_command(out, 2, empty_argument);
    assert_output_text(out, "-ERR unknown command 'foo', with args beginning with: "
                       "'' \r\n");
    unknown_command(out, 1, empty_name);
    assert_output_text(out, "-ERR unknown command '', with args beginning with: \r\n");
}

static void
test_unknown_command_newlines(void **state)
{
    struct evbuffer *out = *state;
    const char *arguments[] = { "foo", "a b", "c\r\nd" };
    const char *name[] = { "fo o\r\nx", "a" };

    unknown_command(out, 3, arguments);
    assert_output_text(out, "-ERR unknown command 'foo', with args beginning with: "
                       "'a b' 'c  d' \r\n");
    unknown_command(out, 2, name);
    assert_output_text(out, "-ERR unknown command 'fo o  x', with args beginning "
                       "with: 'a' \r\n");
}

static void
test_unknown_command_binary(void **state)
{
    struct evbuffer *out = *state;
    const char *argv[] = { "f\0oo", "\0\x01\xff" };
    size_t lengths[] = { 4, 3 };

    /* Redis prints each argument as a C string: it stops at the NUL. */
    reply_error_unknown_command(out, 2, argv, lengths);
    assert_output_text(out, "-ERR unknown command 'f', with args beginning with: "
                       "'' \r\n");
}

static void
test_unknown_command_truncation(void **state)
{
    struct evbuffer *out = *state;
    char name[201], long_argument[201], x130[131], y2000[2001];
    char expected[1024];
    const char *long_name[2] = { name, "a" };
    const char *long_arg[2] = { "foo", long_argument };
    const char *two_long[3] = { "foo", x130, y2000 };
    const char *many[41];
    char many_storage[41][16];
    int i;

    memset(name, 'f', 200);
    name[200] = '\0';
    memset(long_argument, 'x', 200);
    long_argument[200] = '\0';
    memset(x130, 'x', 130);
    x130[130] = '\0';
    memset(y2000, 'y', 2000);
    y2000[2000] = '\0';

    /* The name is cut to 128 bytes. */
    unknown_command(out, 2, long_name);
    snprintf(expected, sizeof(expected), "-ERR unknown command '%.128s', with args "
             "beginning with: 'a' \r\n", name);
    assert_output_text(out, expected);

    /* An argument is cut to 128 bytes, and nothing follows it. */
    unknown_command(out, 2, long_arg);
    snprintf(expected, sizeof(expected), "-ERR unknown command 'foo', with args "
             "beginning with: '%.128s' \r\n", long_argument);
    assert_output_text(out, expected);
    unknown_command(out, 3, two_long);
    assert_output_text(out, expected);

    /* Arguments are added while the list is under 128 bytes: a0..a22. */
    many[0] = "foo";
    for (i = 0; i < 40; i++) {
        snprintf(many_storage[i], sizeof(many_storage[i]), "a%d", i);
        many[i + 1] = many_storage[i];
    }
    unknown_command(out, 41, many);
    assert_output_text(out, "-ERR unknown command 'foo', with args beginning with: "
                       "'a0' 'a1' 'a2' 'a3' 'a4' 'a5' 'a6' 'a7' 'a8' 'a9' 'a10' "
                       "'a11' 'a12' 'a13' 'a14' 'a15' 'a16' 'a17' 'a18' 'a19' "
                       "'a20' 'a21' 'a22' \r\n");
}

static void
test_unknown_subcommand(void **state)
{
    struct evbuffer *out = *state;
    char long_subcommand[201];
    char expected[512];

    reply_error_unknown_subcommand(out, "x", 1, "client");
    assert_output_text(out, "-ERR unknown subcommand 'x'. Try CLIENT HELP.\r\n");
    reply_error_unknown_subcommand(out, "x", 1, "config");
    assert_output_text(out, "-ERR unknown subcommand 'x'. Try CONFIG HELP.\r\n");
    reply_error_unknown_subcommand(out, "x y\r\n", 5, "client");
    assert_output_text(out, "-ERR unknown subcommand 'x y  '. Try CLIENT HELP.\r\n");
    /* Only the given length counts: no NUL terminator needed. */
    reply_error_unknown_subcommand(out, "xyz", 2, "client");
    assert_output_text(out, "-ERR unknown subcommand 'xy'. Try CLIENT HELP.\r\n");

    memset(long_subcommand, 'X', 200);
    long_subcommand[200] = '\0';
    reply_error_unknown_subcommand(out, long_subcommand, 200, "client");
    snprintf(expected, sizeof(expected),
             "-ERR unknown subcommand '%.128s'. Try CLIENT HELP.\r\n", long_subcommand);
    assert_output_text(out, expected);
}

static void
test_replies_append(void **state)
{
    struct evbuffer *out = *state;

    /* Writers append; a pipeline of replies comes out in order. */
    reply_array_header(out, 2);
    reply_bulk_cstring(out, "a");
    reply_integer(out, 1);
    reply_ok(out);
    assert_output_text(out, "*2\r\n$1\r\na\r\n:1\r\n+OK\r\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_simple_replies, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_integers, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_bulk_binary_safe, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_bulk_large, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_doubles, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_long_doubles, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_errors, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_errors_never_contain_newlines, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_error_format_long, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_arity_error, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_unknown_command_plain, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_unknown_command_newlines, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_unknown_command_binary, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_unknown_command_truncation, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_unknown_subcommand, setup_buffer, teardown_buffer),
        cmocka_unit_test_setup_teardown(test_replies_append, setup_buffer, teardown_buffer),
    };

    return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
