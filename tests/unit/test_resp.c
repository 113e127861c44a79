/*
 * test_resp.c — the incremental request parser.  Every error text and
 * every odd-but-accepted input below was sent to redis-server 7.0 over a
 * raw socket to confirm what Redis does with it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "shared/resp.h"

/* A parser with default limits per test. */
static int
setup_parser(void **state)
{
    struct resp_parser *parser = malloc(sizeof(*parser));

    if (parser == NULL) {
        return -1;
    }
    resp_parser_init(parser, NULL);
    *state = parser;
    return 0;
}

static int
teardown_parser(void **state)
{
    resp_parser_free(*state);
    free(*state);
    return 0;
}

/* Appends a C string. */
static void
feed(struct resp_parser *parser, const char *text)
{
    assert_int_equal(resp_parser_append(parser, text, strlen(text)), 0);
}

/* Appends bytes that may contain NULs. */
static void
feed_bytes(struct resp_parser *parser, const char *bytes, size_t length)
{
    assert_int_equal(resp_parser_append(parser, bytes, length), 0);
}

/* Argument i of the request must be expected[0..length). */
static void
assert_argument(const struct resp_request *request, int i,
                const char *expected, size_t length)
{
    assert_true(i < request->argc);
    assert_int_equal(request->argv_length[i], length);
    assert_memory_equal(request->argv[i], expected, length);
}

/* The next request must have exactly the C string arguments given
 * (NULL-terminated list). */
static void
assert_next_request(struct resp_parser *parser, ...)
{
    struct resp_request request;
    const char *expected;
    va_list arguments;
    int i = 0;

    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    va_start(arguments, parser);
    while ((expected = va_arg(arguments, const char *)) != NULL) {
        assert_argument(&request, i, expected, strlen(expected));
        i++;
    }
    va_end(arguments);
    assert_int_equal(request.argc, i);
}

/* The next call must find nothing to do. */
static void
assert_incomplete(struct resp_parser *parser)
{
    struct resp_request request;

    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_INCOMPLETE);
}

/* The next call must fail with exactly `error`. */
static void
assert_error(struct resp_parser *parser, const char *error)
{
    struct resp_request request;

    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_ERROR);
    assert_string_equal(parser->error, error);
}

/* A fresh parser with the given input must fail with `error`. */
static void
assert_input_error(const struct resp_limits *limits, const char *input,
                   size_t length, const char *error)
{
    struct resp_parser parser;
    struct resp_request request;

    resp_parser_init(&parser, limits);
    feed_bytes(&parser, input, length);
    if (resp_parser_next(&parser, &request) != RESP_PARSE_ERROR) {
        fail_msg("no error for \"%.*s\"", (int)length, input);
    }
    assert_string_equal(parser.error, error);
    resp_parser_free(&parser);
}

/* The same for a C string with default limits. */
static void
assert_text_error(const char *input, const char *error)
{
    assert_input_error(NULL, input, strlen(input), error);
}

static void
test_multibulk_request(void **state)
{
    struct resp_parser *parser = *state;
    struct resp_request request;
    const char *input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n";

    feed(parser, input);
    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    assert_int_equal(request.argc, 3);
    assert_argument(&request, 0, "SET", 3);
    assert_argument(&request, 1, "k", 1);
    assert_argument(&request, 2, "value", 5);
    assert_int_equal(request.inline_request, 0);
    /* raw spans the exact request bytes, ready to forward. */
    assert_int_equal(request.raw_length, strlen(input));
    assert_memory_equal(request.raw, input, strlen(input));
    assert_incomplete(parser);
    assert_int_equal(resp_parser_pending(parser), 0);
}

static void
test_bulk_bytes_are_not_copied(void **state)
{
    struct resp_parser *parser = *state;
    struct resp_request request;
    int i;

    feed(parser, "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n");
    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    for (i = 0; i < request.argc; i++) {
        assert_true(request.argv[i] >= parser->buffer);
        assert_true(request.argv[i] + request.argv_length[i] <=
                    parser->buffer + parser->used);
    }
    assert_ptr_equal(request.argv[1], parser->buffer + 18);
}

static void
test_inline_request(void **state)
{
    struct resp_parser *parser = *state;
    struct resp_request request;

    feed(parser, "SET \"a b\" 'c d' e\r\n");
    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    assert_int_equal(request.inline_request, 1);
    assert_int_equal(request.argc, 4);
    assert_argument(&request, 0, "SET", 3);
    assert_argument(&request, 1, "a b", 3);
    assert_argument(&request, 2, "c d", 3);
    assert_argument(&request, 3, "e", 1);
    assert_int_equal(request.raw_length, 19);
    assert_incomplete(parser);

    /* A bare "\n" ends a line too; a '\r' before it is not an argument. */
    feed(parser, "PING\nECHO x\r\r\n");
    assert_next_request(parser, "PING", NULL);
    assert_next_request(parser, "ECHO", "x", NULL);
    assert_incomplete(parser);
}

static void
test_pipelined_requests(void **state)
{
    struct resp_parser *parser = *state;
    struct resp_request request;

    feed(parser, "*1\r\n$4\r\nPING\r\nECHO a\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
         "*2\r\n$3\r\nGET\r\n$1");
    assert_next_request(parser, "PING", NULL);
    assert_next_request(parser, "ECHO", "a", NULL);
    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    assert_argument(&request, 1, "k", 1);
    assert_int_equal(request.raw_length, 20);
    assert_memory_equal(request.raw, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 20);
    assert_incomplete(parser);
    assert_int_equal(resp_parser_pending(parser), 15);

    /* Compaction keeps the partial request; it completes afterwards. */
    resp_parser_compact(parser);
    assert_int_equal(parser->used, 15);
    feed(parser, "\r\nz\r\n");
    assert_next_request(parser, "GET", "z", NULL);
    assert_incomplete(parser);
}

static void
test_empty_requests_are_skipped(void **state)
{
    struct resp_parser *parser = *state;
    struct resp_request request;

    /* "*0", "*-1" and any count <= 0 are skipped, as are empty lines. */
    feed(parser, "*0\r\n*-1\r\n*-5\r\n\r\n\n   \r\n\t\r\nPING\r\n");
    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    assert_int_equal(request.argc, 1);
    assert_argument(&request, 0, "PING", 4);
    assert_int_equal(request.raw_length, 6);
    assert_memory_equal(request.raw, "PING\r\n", 6);
    assert_incomplete(parser);
    assert_int_equal(resp_parser_pending(parser), 0);
}

/* Feeds input one byte at a time; the request appears on the last byte. */
static void
feed_bytewise_and_check(struct resp_parser *parser, const char *input,
                        size_t length)
{
    size_t i;

    for (i = 0; i < length; i++) {
        feed_bytes(parser, input + i, 1);
        if (i + 1 < length) {
            assert_incomplete(parser);
            resp_parser_compact(parser);
        }
    }
}

static void
test_one_byte_at_a_time(void **state)
{
    struct resp_parser *parser = *state;
    struct resp_request request;
    const char multibulk[] = "*3\r\n$3\r\nSET\r\n$3\r\na\0b\r\n$4\r\n\r\n\r\n\r\n";
    const char inline_line[] = "SET \"a b\" c\r\n";

    feed_bytewise_and_check(parser, multibulk, sizeof(multibulk) - 1);
    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    assert_int_equal(request.argc, 3);
    assert_argument(&request, 1, "a\0b", 3);
    assert_argument(&request, 2, "\r\n\r\n", 4);
    assert_incomplete(parser);
    resp_parser_compact(parser);

    feed_bytewise_and_check(parser, inline_line, sizeof(inline_line) - 1);
    assert_next_request(parser, "SET", "a b", "c", NULL);
}

/* Seconds since some fixed point. */
static double
now_seconds(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/*
 * Feeds length bytes of `fill` after `header`, one byte per call, with a
 * parse after each byte; then `tail`.  Returns the seconds it took.
 */
static double
time_bytewise(struct resp_parser *parser, const char *header, char fill,
              size_t length, const char *tail)
{
    struct resp_request request;
    double started = now_seconds();
    size_t i;

    feed(parser, header);
    for (i = 0; i < length; i++) {
        feed_bytes(parser, &fill, 1);
        assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_INCOMPLETE);
    }
    feed(parser, tail);
    return now_seconds() - started;
}

static void
test_bytewise_parsing_is_linear(void **state)
{
    struct resp_limits limits;
    struct resp_parser parser;
    struct resp_request request;
    size_t length = 2 * 1024 * 1024;
    double seconds;

    /* Rescanning from the start on each byte would take hours here. */
    resp_limits_default(&limits);
    limits.max_inline_length = 4 * 1024 * 1024;
    resp_parser_init(&parser, &limits);

    seconds = time_bytewise(&parser, "*2\r\n$4\r\nECHO\r\n$2097152\r\n", 'v',
                            length, "\r\n");
    assert_int_equal(resp_parser_next(&parser, &request), RESP_PARSE_REQUEST);
    assert_int_equal(request.argv_length[1], length);
    resp_parser_compact(&parser);
    assert_true(seconds < 2.0);

    seconds += time_bytewise(&parser, "ECHO ", 'w', length, "\r\n");
    assert_int_equal(resp_parser_next(&parser, &request), RESP_PARSE_REQUEST);
    assert_int_equal(request.argv_length[1], length);
    resp_parser_compact(&parser);

    /* A long header line (rejected at the end) is scanned once too. */
    seconds += time_bytewise(&parser, "*1\r\n$", '1', length, "\r\n");
    assert_int_equal(resp_parser_next(&parser, &request), RESP_PARSE_ERROR);
    assert_string_equal(parser.error, "ERR Protocol error: invalid bulk length");
    print_message("3 x 2 MB fed one byte at a time: %.3f s\n", seconds);
    assert_true(seconds < 5.0);
    resp_parser_free(&parser);
}

static void
test_binary_safe_bulks(void **state)
{
    struct resp_parser *parser = *state;
    struct resp_request request;
    const char input[] = "*3\r\n$3\r\nSET\r\n$4\r\n\0\r\n\xff\r\n$6\r\n*1\r\n$0\r\n";

    feed_bytes(parser, input, sizeof(input) - 1);
    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    assert_int_equal(request.argc, 3);
    assert_argument(&request, 1, "\0\r\n\xff", 4);
    assert_argument(&request, 2, "*1\r\n$0", 6);
    assert_int_equal(request.raw_length, sizeof(input) - 1);

    /* Empty bulks are arguments too. */
    feed(parser, "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
    assert_next_request(parser, "ECHO", "", NULL);
}

static void
test_redis_lenient_terminators(void **state)
{
    struct resp_parser *parser = *state;

    /* Redis skips the byte after '\r' and the two bytes after a bulk
     * without looking at them. */
    feed(parser, "*1\r\n$4\r\nPINGxx");
    assert_next_request(parser, "PING", NULL);
    feed(parser, "*1\rX$4\rXPING\rX");
    assert_next_request(parser, "PING", NULL);
    assert_incomplete(parser);
}

static void
test_lines_without_carriage_return_wait(void **state)
{
    struct resp_parser *parser = *state;

    /* Header lines end at '\r': Redis waits on "*1\n$4\nPING\n". */
    feed(parser, "*1\n$4\nPING\n");
    assert_incomplete(parser);
    /* The byte after '\r' must have arrived before the line counts. */
    resp_parser_free(parser);
    resp_parser_init(parser, NULL);
    feed(parser, "*1\r");
    assert_incomplete(parser);
    feed(parser, "\n$4\r");
    assert_incomplete(parser);
    feed(parser, "\nPING\r");
    assert_incomplete(parser);
    feed(parser, "\n");
    assert_next_request(parser, "PING", NULL);
}

static void
test_multibulk_length_errors(void **state)
{
    static const char *const inputs[] = {
        "*abc\r\n", "*+1\r\n", "*01\r\n", "*-0\r\n", "*1 \r\n", "* 1\r\n",
        "*\r\n", "*1a\r\n", "*9223372036854775808\r\n",
        /* herd's default limit (Redis 7.0 allows up to INT_MAX). */
        "*1048577\r\n",
    };
    size_t i;

    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        assert_text_error(inputs[i], "ERR Protocol error: invalid multibulk length");
    }
}

static void
test_bulk_length_errors(void **state)
{
    static const char *const inputs[] = {
        "*1\r\n$abc\r\n", "*1\r\n$-1\r\n", "*1\r\n$-5\r\n", "*1\r\n$+4\r\n",
        "*1\r\n$04\r\n", "*1\r\n$-0\r\n", "*1\r\n$\r\n", "*1\r\n$ 4\r\n",
        "*1\r\n$4 \r\n", "*1\r\n$600000000\r\n", "*1\r\n$9223372036854775808\r\n",
        "*2\r\n$4\r\nECHO\r\n$-1\r\n",
    };
    size_t i;

    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        assert_text_error(inputs[i], "ERR Protocol error: invalid bulk length");
    }
}

static void
test_expected_dollar(void **state)
{
    assert_text_error("*1\r\nx\r\n", "ERR Protocol error: expected '$', got 'x'");
    assert_text_error("*2\r\n$4\r\nECHO\r\n:1\r\n",
                      "ERR Protocol error: expected '$', got ':'");
    /* Line breaks are shown as spaces, as Redis does. */
    assert_text_error("*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '");
    assert_text_error("*1\r\n\nabc\r\n", "ERR Protocol error: expected '$', got ' '");
    assert_input_error(NULL, "*1\r\n\0abc\r\n", 10,
                       "ERR Protocol error: expected '$', got ' '");
}

static void
test_huge_declared_bulk(void **state)
{
    struct resp_parser *parser = *state;

    /* Exactly the default limit (512 MB) is accepted and waits for the
     * bytes without allocating them up front. */
    feed(parser, "*1\r\n$536870912\r\nabc");
    assert_incomplete(parser);
    assert_true(parser->capacity < 1024 * 1024);
    assert_text_error("*1\r\n$536870913\r\n", "ERR Protocol error: invalid bulk length");
}

static void
test_unbalanced_quotes(void **state)
{
    assert_text_error("SET \"a b\r\n", "ERR Protocol error: unbalanced quotes in request");
    assert_text_error("SET 'a\r\n", "ERR Protocol error: unbalanced quotes in request");
    assert_text_error("SET \"a\"b c\r\n",
                      "ERR Protocol error: unbalanced quotes in request");
}

static void
test_error_state_is_sticky(void **state)
{
    struct resp_parser *parser = *state;

    feed(parser, "*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n");
    assert_next_request(parser, "PING", NULL);
    assert_error(parser, "ERR Protocol error: invalid multibulk length");
    feed(parser, "PING\r\n");
    assert_error(parser, "ERR Protocol error: invalid multibulk length");
}

/* Limits small enough to test each at its value and one above. */
static void
small_limits(struct resp_limits *limits)
{
    resp_limits_default(limits);
    limits->max_bulk_length = 10;
    limits->max_multibulk_count = 3;
    limits->max_inline_length = 10;
    limits->max_query_buffer = 100;
}

static void
test_limit_bulk_length(void **state)
{
    struct resp_limits limits;
    struct resp_parser parser;

    small_limits(&limits);
    resp_parser_init(&parser, &limits);
    feed(&parser, "*1\r\n$10\r\n0123456789\r\n");
    assert_next_request(&parser, "0123456789", NULL);
    resp_parser_free(&parser);

    assert_input_error(&limits, "*1\r\n$11\r\n", 9,
                       "ERR Protocol error: invalid bulk length");
}

static void
test_limit_multibulk_count(void **state)
{
    struct resp_limits limits;
    struct resp_parser parser;

    small_limits(&limits);
    resp_parser_init(&parser, &limits);
    feed(&parser, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    assert_next_request(&parser, "a", "b", "c", NULL);
    resp_parser_free(&parser);

    assert_input_error(&limits, "*4\r\n", 4, "ERR Protocol error: invalid multibulk length");
}

static void
test_limit_inline_length(void **state)
{
    struct resp_limits limits;
    struct resp_parser parser;

    small_limits(&limits);
    resp_parser_init(&parser, &limits);
    /* 10 bytes without a newline yet: wait; a trailing '\r' is not
     * counted. */
    feed(&parser, "ECHO 12345");
    assert_incomplete(&parser);
    feed(&parser, "\r");
    assert_incomplete(&parser);
    feed(&parser, "\n");
    assert_next_request(&parser, "ECHO", "12345", NULL);
    resp_parser_free(&parser);

    /* 11 bytes: refused whether or not the newline has arrived. */
    assert_input_error(&limits, "ECHO 123456", 11,
                       "ERR Protocol error: too big inline request");
    assert_input_error(&limits, "ECHO 123456\r\n", 13,
                       "ERR Protocol error: too big inline request");
}

static void
test_limit_header_lines(void **state)
{
    struct resp_limits limits;
    struct resp_parser parser;

    small_limits(&limits);
    limits.max_multibulk_count = 1000 * 1000 * 1000;
    limits.max_bulk_length = 1000 * 1000 * 1000;
    limits.max_query_buffer = 1000;

    /* "*123456789" is a 10-byte line: accepted. */
    resp_parser_init(&parser, &limits);
    feed(&parser, "*123456789");
    assert_incomplete(&parser);
    feed(&parser, "\r\n$123456789");
    assert_incomplete(&parser);
    feed(&parser, "\r\n");
    assert_incomplete(&parser);
    resp_parser_free(&parser);

    /* 11-byte header lines: refused, with or without their '\r'. */
    assert_input_error(&limits, "*1234567890", 11,
                       "ERR Protocol error: too big mbulk count string");
    assert_input_error(&limits, "*1234567890\r\n", 13,
                       "ERR Protocol error: too big mbulk count string");
    assert_input_error(&limits, "*1\r\n$1234567890", 15,
                       "ERR Protocol error: too big bulk count string");
    assert_input_error(&limits, "*1\r\n$1234567890\r\n", 17,
                       "ERR Protocol error: too big bulk count string");
}

static void
test_default_header_line_limit(void **state)
{
    /* 64 KB + 1 digits without '\r', as redis-server refuses them. */
    size_t length = 64 * 1024 + 2;
    char *input = malloc(length);

    assert_non_null(input);
    memset(input, '1', length);
    input[0] = '*';
    assert_input_error(NULL, input, length,
                       "ERR Protocol error: too big mbulk count string");
    input[0] = 'a';
    assert_input_error(NULL, input, length,
                       "ERR Protocol error: too big inline request");
    free(input);
}

static void
test_limit_query_buffer(void **state)
{
    struct resp_limits limits;
    struct resp_parser parser;
    char filler[100];

    small_limits(&limits);
    limits.max_bulk_length = 1000;
    memset(filler, 'x', sizeof(filler));

    /* 100 pending bytes of an incomplete request: fine; 101: refused. */
    resp_parser_init(&parser, &limits);
    feed(&parser, "*1\r\n$200\r\n");
    feed_bytes(&parser, filler, 100 - 10);
    assert_int_equal(resp_parser_pending(&parser), 100);
    assert_incomplete(&parser);
    feed_bytes(&parser, filler, 1);
    assert_error(&parser, "ERR Protocol error: query buffer limit exceeded");
    resp_parser_free(&parser);

    /* Complete requests do not count against it once returned. */
    resp_parser_init(&parser, &limits);
    feed(&parser, "*1\r\n$80\r\n");
    feed_bytes(&parser, filler, 80);
    feed(&parser, "\r\n*1\r\n$4\r\nPI");
    assert_int_equal(resp_parser_pending(&parser), 101);
    assert_int_equal(resp_parser_next(&parser, &(struct resp_request){ 0 }),
                     RESP_PARSE_REQUEST);
    assert_int_equal(resp_parser_pending(&parser), 10);
    assert_incomplete(&parser);
    resp_parser_free(&parser);
}

static void
test_buffer_growth_rebases_arguments(void **state)
{
    struct resp_parser *parser = *state;
    struct resp_request request;
    size_t big = 200 * 1024;
    char *value = malloc(big);
    char header[64];

    assert_non_null(value);
    memset(value, 'v', big);
    value[0] = 'A';
    value[big - 1] = 'Z';

    /* The first arguments are parsed while the buffer is small... */
    feed(parser, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n");
    snprintf(header, sizeof(header), "$%zu\r\n", big);
    feed(parser, header);
    assert_incomplete(parser);
    /* ...then a large one forces several reallocations. */
    feed_bytes(parser, value, big);
    feed(parser, "\r\n");
    assert_true(parser->capacity >= big);
    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    assert_argument(&request, 0, "SET", 3);
    assert_argument(&request, 1, "key", 3);
    assert_argument(&request, 2, value, big);
    assert_true(request.argv[0] >= parser->buffer &&
                request.argv[0] < parser->buffer + parser->used);
    free(value);
}

static void
test_compaction_mid_request(void **state)
{
    struct resp_parser *parser = *state;
    struct resp_request request;

    /* A request returned, then a partial one whose first argument is
     * complete: compaction must move the argument offsets with it. */
    feed(parser, "PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv");
    assert_next_request(parser, "PING", NULL);
    assert_incomplete(parser);
    resp_parser_compact(parser);
    assert_int_equal(parser->start, 0);
    assert_int_equal(resp_parser_pending(parser), parser->used);
    feed(parser, "al\r\n");
    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    assert_argument(&request, 0, "SET", 3);
    assert_argument(&request, 1, "k", 1);
    assert_argument(&request, 2, "val", 3);
    assert_ptr_equal(request.raw, parser->buffer);
}

static void
test_no_allocation_per_request(void **state)
{
    struct resp_parser *parser = *state;
    const char *argv_before, *inline_before;
    int capacity_before, i;
    size_t inline_capacity_before;

    feed(parser, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nECHO abc\r\n");
    assert_next_request(parser, "GET", "k", NULL);
    assert_next_request(parser, "ECHO", "abc", NULL);
    resp_parser_compact(parser);
    argv_before = (const char *)parser->argv;
    inline_before = parser->inline_copy;
    capacity_before = parser->argv_capacity;
    inline_capacity_before = parser->inline_capacity;

    for (i = 0; i < 1000; i++) {
        feed(parser, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nECHO abc\r\n");
        assert_next_request(parser, "GET", "k", NULL);
        assert_next_request(parser, "ECHO", "abc", NULL);
        resp_parser_compact(parser);
    }
    assert_ptr_equal(parser->argv, argv_before);
    assert_ptr_equal(parser->inline_copy, inline_before);
    assert_int_equal(parser->argv_capacity, capacity_before);
    assert_int_equal(parser->inline_capacity, inline_capacity_before);
}

static void
test_many_arguments(void **state)
{
    struct resp_parser *parser = *state;
    struct resp_request request;
    char item[32];
    int i, count = 1000;

    snprintf(item, sizeof(item), "*%d\r\n", count);
    feed(parser, item);
    for (i = 0; i < count; i++) {
        char value[16];

        snprintf(value, sizeof(value), "%d", i);
        snprintf(item, sizeof(item), "$%zu\r\n%s\r\n", strlen(value), value);
        feed(parser, item);
    }
    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    assert_int_equal(request.argc, count);
    assert_argument(&request, 0, "0", 1);
    assert_argument(&request, 999, "999", 3);

    /* Inline lines with more arguments than the arrays hold grow them. */
    feed(parser, "a b c d e f g h i j k l m n o p q r s t u v w x y z\r\n");
    assert_int_equal(resp_parser_next(parser, &request), RESP_PARSE_REQUEST);
    assert_int_equal(request.argc, 26);
    assert_argument(&request, 25, "z", 1);
}

static void
test_space_and_commit(void **state)
{
    struct resp_parser *parser = *state;
    char *space;

    space = resp_parser_space(parser, 6);
    assert_non_null(space);
    memcpy(space, "PING\r\nxx", 6);
    resp_parser_commit(parser, 6);
    assert_next_request(parser, "PING", NULL);
    /* The space offered is at least what was asked for. */
    space = resp_parser_space(parser, 100000);
    assert_non_null(space);
    assert_true(parser->capacity - parser->used >= 100000);
}

static void
test_compaction_shrinks_idle_buffer(void **state)
{
    struct resp_parser *parser = *state;
    size_t big = 3 * 1024 * 1024;
    char *value = malloc(big);
    char header[64];

    assert_non_null(value);
    memset(value, 'q', big);
    snprintf(header, sizeof(header), "*2\r\n$4\r\nECHO\r\n$%zu\r\n", big);
    feed(parser, header);
    feed_bytes(parser, value, big);
    feed(parser, "\r\n");
    assert_int_equal(resp_parser_next(parser, &(struct resp_request){ 0 }),
                     RESP_PARSE_REQUEST);
    assert_true(parser->capacity >= big);
    resp_parser_compact(parser);
    assert_int_equal(parser->used, 0);
    assert_true(parser->capacity <= 1024 * 1024);
    feed(parser, "PING\r\n");
    assert_next_request(parser, "PING", NULL);
    free(value);
}

int
main(void)
{
#define PARSER_TEST(name) cmocka_unit_test_setup_teardown(name, setup_parser, teardown_parser)
    const struct CMUnitTest tests[] = {
        PARSER_TEST(test_multibulk_request),
        PARSER_TEST(test_bulk_bytes_are_not_copied),
        PARSER_TEST(test_inline_request),
        PARSER_TEST(test_pipelined_requests),
        PARSER_TEST(test_empty_requests_are_skipped),
        PARSER_TEST(test_one_byte_at_a_time),
        cmocka_unit_test(test_bytewise_parsing_is_linear),
        PARSER_TEST(test_binary_safe_bulks),
        PARSER_TEST(test_redis_lenient_terminators),
        PARSER_TEST(test_lines_without_carriage_return_wait),
        cmocka_unit_test(test_multibulk_length_errors),
        cmocka_unit_test(test_bulk_length_errors),
        cmocka_unit_test(test_expected_dollar),
        PARSER_TEST(test_huge_declared_bulk),
        cmocka_unit_test(test_unbalanced_quotes),
        PARSER_TEST(test_error_state_is_sticky),
        cmocka_unit_test(test_limit_bulk_length),
        cmocka_unit_test(test_limit_multibulk_count),
        cmocka_unit_test(test_limit_inline_length),
        cmocka_unit_test(test_limit_header_lines),
        cmocka_unit_test(test_default_header_line_limit),
        cmocka_unit_test(test_limit_query_buffer),
        PARSER_TEST(test_buffer_growth_rebases_arguments),
        PARSER_TEST(test_compaction_mid_request),
        PARSER_TEST(test_no_allocation_per_request),
        PARSER_TEST(test_many_arguments),
        PARSER_TEST(test_space_and_commit),
        PARSER_TEST(test_compaction_shrinks_idle_buffer),
    };
#undef PARSER_TEST

    return cmocka_run_group_tests_name("resp", tests, NULL, NULL);
}
