/*
 * test_commands.c — command lookup, arity, key positions and the COMMAND
 * replies.  The COMMAND INFO bytes are compared with what redis-server 7.0
 * sends for the same command (minus its tips and key specs, which herd
 * leaves empty).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <hiredis/hiredis.h>

#include "shared/commands.h"

/* command_lookup() on a C string. */
static const struct command_info *
lookup(const char *name)
{
    return command_lookup(name, strlen(name));
}

static void
test_lookup_any_case(void **state)
{
    assert_ptr_equal(lookup("get"), &command_table[COMMAND_GET]);
    assert_ptr_equal(lookup("GET"), &command_table[COMMAND_GET]);
    assert_ptr_equal(lookup("gEt"), &command_table[COMMAND_GET]);
    assert_ptr_equal(lookup("incrbyfloat"), &command_table[COMMAND_INCRBYFLOAT]);
    assert_ptr_equal(lookup("INCRBYFLOAT"), &command_table[COMMAND_INCRBYFLOAT]);
    assert_ptr_equal(lookup("IncrByFloaT"), &command_table[COMMAND_INCRBYFLOAT]);
    assert_int_equal(lookup("mset")->id, COMMAND_MSET);
    assert_string_equal(lookup("Ping")->name, "ping");
}

static void
test_lookup_every_command(void **state)
{
    int i;

    for (i = 0; i < COMMAND_COUNT; i++) {
        char upper[64];
        size_t j, length = strlen(command_table[i].name);

        assert_int_equal(command_table[i].id, i);
        assert_ptr_equal(lookup(command_table[i].name), &command_table[i]);
        assert_true(length < sizeof(upper));
        for (j = 0; j < length; j++) {
            upper[j] = (char)toupper((unsigned char)command_table[i].name[j]);
        }
        assert_ptr_equal(command_lookup(upper, length), &command_table[i]);
    }
}

static void
test_lookup_unknown(void **state)
{
    assert_null(lookup(""));
    assert_null(lookup("ge"));
    assert_null(lookup("gett"));
    assert_null(lookup("foo"));
    assert_null(command_lookup("get\0", 4));
    assert_null(command_lookup("g\0t", 3));
    assert_null(lookup("incrbyfloa"));
    assert_null(lookup("incrbyfloatx"));
    /* Names that share a long prefix stay apart. */
    assert_int_equal(lookup("expire")->id, COMMAND_EXPIRE);
    assert_int_equal(lookup("expireat")->id, COMMAND_EXPIREAT);
    assert_int_equal(lookup("expiretime")->id, COMMAND_EXPIRETIME);
    assert_int_equal(lookup("pexpireat")->id, COMMAND_PEXPIREAT);
    assert_int_equal(lookup("pexpiretime")->id, COMMAND_PEXPIRETIME);
    assert_null(lookup("expirexxxx"));
    /* Only the name's own bytes: a prefix of a longer buffer. */
    assert_int_equal(command_lookup("getrange", 3)->id, COMMAND_GET);
    /* Non-ASCII bytes never fold onto ASCII letters. */
    assert_null(lookup("g\xc5t"));
}

static void
test_lookup_is_cheap(void **state)
{
    static const char *const names[] = {
        "GET", "set", "incrbyfloat", "TIME", "nosuchcommand", "pexpiretime",
    };
    const size_t count = sizeof(names) / sizeof(names[0]);
    size_t lengths[sizeof(names) / sizeof(names[0])];
    struct timespec started, ended;
    long rounds = 2000000, found = 0, i;
    double nanoseconds;

    for (i = 0; i < (long)count; i++) {
        lengths[i] = strlen(names[i]);
    }
    clock_gettime(CLOCK_MONOTONIC, &started);
    for (i = 0; i < rounds; i++) {
        found += command_lookup(names[i % count], lengths[i % count]) != NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &ended);
    nanoseconds = ((double)(ended.tv_sec - started.tv_sec) * 1e9 +
                   (double)(ended.tv_nsec - started.tv_nsec)) / (double)rounds;
    print_message("command_lookup: %.1f ns per lookup (%zu commands)\n",
                  nanoseconds, (size_t)COMMAND_COUNT);
    assert_int_equal(found, rounds - rounds / (long)count);
    /* Generous bound for a shared, possibly sanitised build. */
    assert_true(nanoseconds < 1000.0);
}

static void
test_arity(void **state)
{
    const struct command_info *get = &command_table[COMMAND_GET];
    const struct command_info *mset = &command_table[COMMAND_MSET];
    const struct command_info *del = &command_table[COMMAND_DEL];
    const struct command_info *scan = &command_table[COMMAND_SCAN];
    const struct command_info *ping = &command_table[COMMAND_PING];

    assert_false(command_arity_ok(get, 1));
    assert_true(command_arity_ok(get, 2));
    assert_false(command_arity_ok(get, 3));
    assert_false(command_arity_ok(mset, 2));
    assert_true(command_arity_ok(mset, 3));
    assert_true(command_arity_ok(mset, 5));
    assert_true(command_arity_ok(mset, 100));
    assert_false(command_arity_ok(del, 1));
    assert_true(command_arity_ok(del, 2));
    assert_true(command_arity_ok(del, 7));
    assert_false(command_arity_ok(scan, 1));
    assert_true(command_arity_ok(scan, 2));
    assert_true(command_arity_ok(scan, 6));
    assert_true(command_arity_ok(ping, 1));
    assert_true(command_arity_ok(ping, 2));
}

/* Checks command_key_positions() for one argc. */
static void
assert_keys(enum command_id id, int argc, int count, int first, int last, int step)
{
    int got_first = -99, got_last = -99, got_step = -99;

    assert_int_equal(command_key_positions(&command_table[id], argc,
                                           &got_first, &got_last, &got_step), count);
    if (count > 0) {
        assert_int_equal(got_first, first);
        assert_int_equal(got_last, last);
        assert_int_equal(got_step, step);
    }
}

static void
test_key_positions(void **state)
{
    int first, last, step, j, keys = 0;

    /* GET key */
    assert_keys(COMMAND_GET, 2, 1, 1, 1, 1);
    /* MSET k1 v1 k2 v2 (k3 v3) */
    assert_keys(COMMAND_MSET, 3, 1, 1, 1, 2);
    assert_keys(COMMAND_MSET, 5, 2, 1, 3, 2);
    assert_keys(COMMAND_MSET, 7, 3, 1, 5, 2);
    /* DEL k1 k2 k3 */
    assert_keys(COMMAND_DEL, 2, 1, 1, 1, 1);
    assert_keys(COMMAND_DEL, 4, 3, 1, 3, 1);
    /* MGET, EXISTS: every argument after the name. */
    assert_keys(COMMAND_MGET, 6, 5, 1, 5, 1);
    /* SCAN 0 MATCH x: no keys. */
    assert_keys(COMMAND_SCAN, 4, 0, 0, 0, 0);
    assert_keys(COMMAND_PING, 1, 0, 0, 0, 0);
    /* SET key value EX 10: only argument 1. */
    assert_keys(COMMAND_SET, 5, 1, 1, 1, 1);

    /* The resolved range iterates exactly over the keys. */
    assert_int_equal(command_key_positions(&command_table[COMMAND_MSET], 9,
                                           &first, &last, &step), 4);
    for (j = first; j <= last; j += step) {
        assert_int_equal(j % 2, 1);
        keys++;
    }
    assert_int_equal(keys, 4);
    /* A keyless command gives an empty loop. */
    command_key_positions(&command_table[COMMAND_SCAN], 2, &first, &last, &step);
    assert_true(first > last);
}

/* How many commands COMMAND shows (internal ones are hidden). */
static int
visible_command_count(void)
{
    int i, count = 0;

    for (i = 0; i < COMMAND_COUNT; i++) {
        count += (command_table[i].flags & COMMAND_INTERNAL) == 0;
    }
    return count;
}

/* Drains out and compares it with expected. */
static void
assert_output_text(struct evbuffer *out, const char *expected)
{
    size_t have = evbuffer_get_length(out);
    char *bytes = malloc(have + 1);

    assert_non_null(bytes);
    evbuffer_remove(out, bytes, have);
    bytes[have] = '\0';
    /* Compare before asserting so a failure does not leak the copy. */
    if (strcmp(bytes, expected) != 0) {
        print_error("got: %s\n", bytes);
        free(bytes);
        fail_msg("output differs from the expected bytes");
    }
    free(bytes);
}

static void
test_command_info_bytes(void **state)
{
    struct evbuffer *out = evbuffer_new();

    command_reply_info(out, lookup("get"));
    assert_output_text(out,
        "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
        "*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n");
    command_reply_info(out, lookup("mset"));
    assert_output_text(out,
        "*10\r\n$4\r\nmset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:-1\r\n:2\r\n"
        "*3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n*0\r\n*0\r\n");
    command_reply_info(out, lookup("del"));
    assert_output_text(out,
        "*10\r\n$3\r\ndel\r\n:-2\r\n*1\r\n+write\r\n:1\r\n:-1\r\n:1\r\n"
        "*3\r\n+@keyspace\r\n+@write\r\n+@slow\r\n*0\r\n*0\r\n*0\r\n");
    command_reply_info(out, lookup("keys"));
    assert_output_text(out,
        "*10\r\n$4\r\nkeys\r\n:2\r\n*1\r\n+readonly\r\n:0\r\n:0\r\n:0\r\n"
        "*4\r\n+@keyspace\r\n+@read\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n");
    /* Flags in Redis's order; herd's own flags are not shown. */
    command_reply_info(out, lookup("hello"));
    assert_output_text(out,
        "*10\r\n$5\r\nhello\r\n:-1\r\n*6\r\n+noscript\r\n+loading\r\n+stale\r\n+fast\r\n+no_auth\r\n+allow_busy\r\n"
        ":0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n");
    command_reply_info(out, NULL);
    assert_output_text(out, "$-1\r\n");
    evbuffer_free(out);
}

static void
test_command_count(void **state)
{
    struct evbuffer *out = evbuffer_new();
    char expected[32];

    command_reply_count(out);
    snprintf(expected, sizeof(expected), ":%d\r\n", visible_command_count());
    assert_output_text(out, expected);
    evbuffer_free(out);
}

static void
test_command_docs(void **state)
{
    struct evbuffer *out = evbuffer_new();
    const struct command_info *get = lookup("get");
    char expected[512];

    command_reply_docs(out, get);
    snprintf(expected, sizeof(expected),
             "$3\r\nget\r\n*6\r\n$7\r\nsummary\r\n$%zu\r\n%s\r\n"
             "$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n",
             strlen(get->summary), get->summary);
    assert_output_text(out, expected);
    evbuffer_free(out);
}

/* Parses one whole reply with hiredis; it must use every byte. */
static redisReply *
parse_reply(struct evbuffer *out)
{
    size_t length = evbuffer_get_length(out);
    char *bytes = malloc(length);
    redisReader *reader = redisReaderCreate();
    void *reply = NULL;

    assert_non_null(bytes);
    assert_non_null(reader);
    evbuffer_remove(out, bytes, length);
    assert_int_equal(redisReaderFeed(reader, bytes, length), REDIS_OK);
    assert_int_equal(redisReaderGetReply(reader, &reply), REDIS_OK);
    assert_non_null(reply);
    /* Nothing may be left over. */
    {
        void *extra = NULL;

        assert_int_equal(redisReaderGetReply(reader, &extra), REDIS_OK);
        assert_null(extra);
    }
    redisReaderFree(reader);
    free(bytes);
    return reply;
}

static void
test_command_all_is_well_formed(void **state)
{
    struct evbuffer *out = evbuffer_new();
    redisReply *reply;
    size_t i;

    command_reply_all(out);
    reply = parse_reply(out);
    assert_int_equal(reply->type, REDIS_REPLY_ARRAY);
    assert_int_equal(reply->elements, visible_command_count());
    for (i = 0; i < reply->elements; i++) {
        redisReply *entry = reply->element[i];
        const struct command_info *info;

        assert_int_equal(entry->type, REDIS_REPLY_ARRAY);
        assert_int_equal(entry->elements, 10);
        assert_int_equal(entry->element[0]->type, REDIS_REPLY_STRING);
        info = lookup(entry->element[0]->str);
        assert_non_null(info);
        assert_int_equal(info->flags & COMMAND_INTERNAL, 0);
        assert_int_equal(entry->element[1]->integer, info->arity);
        assert_int_equal(entry->element[2]->type, REDIS_REPLY_ARRAY);
        assert_int_equal(entry->element[3]->integer, info->first_key);
        assert_int_equal(entry->element[4]->integer, info->last_key);
        assert_int_equal(entry->element[5]->integer, info->key_step);
        assert_int_equal(entry->element[6]->type, REDIS_REPLY_ARRAY);
        assert_true(entry->element[6]->elements > 0);
        assert_int_equal(entry->element[6]->element[0]->type, REDIS_REPLY_STATUS);
        assert_int_equal(entry->element[6]->element[0]->str[0], '@');
    }
    freeReplyObject(reply);
    evbuffer_free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_any_case),
        cmocka_unit_test(test_lookup_every_command),
        cmocka_unit_test(test_lookup_unknown),
        cmocka_unit_test(test_lookup_is_cheap),
        cmocka_unit_test(test_arity),
        cmocka_unit_test(test_key_positions),
        cmocka_unit_test(test_command_info_bytes),
        cmocka_unit_test(test_command_count),
        cmocka_unit_test(test_command_docs),
        cmocka_unit_test(test_command_all_is_well_formed),
    };

    return cmocka_run_group_tests_name("commands", tests, NULL, NULL);
}
