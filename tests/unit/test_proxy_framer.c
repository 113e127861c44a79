/*
 * test_proxy_framer.c — the proxy's reply framer: it must find the exact
 * end of every RESP2 reply, whatever way the bytes are cut into reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proxy/proxy.h"

/* Feeds `text` in pieces of `piece` bytes; returns where the first reply
 * ended (bytes), 0 when it never completed, -1 when invalid. */
static long
frame_in_pieces(const char *text, size_t length, size_t piece)
{
    struct proxy_framer framer;
    enum proxy_framer_status status;
    size_t offset = 0, size, used;

    proxy_framer_reset(&framer);
    while (offset < length) {
        size = length - offset < piece ? length - offset : piece;
        status = proxy_framer_feed(&framer, text + offset, size, &used);
        if (status == PROXY_FRAMER_INVALID) {
            return -1;
        }
        offset += used;
        if (status == PROXY_FRAMER_COMPLETE) {
            return (long)offset;
        }
    }
    return 0;
}

/* The reply `reply` followed by junk must end exactly after `reply`, for
 * every piece size from 1 byte to all at once. */
static void
assert_frames(const char *reply)
{
    size_t length = strlen(reply), piece;
    char *with_tail = malloc(length + 8);

    memcpy(with_tail, reply, length);
    memcpy(with_tail + length, "+NEXT\r\n", 7);
    for (piece = 1; piece <= length + 7; piece++) {
        assert_int_equal(frame_in_pieces(with_tail, length + 7, piece), (long)length);
    }
    free(with_tail);
}

static void
test_simple_types(void **state)
{
    assert_frames("+OK\r\n");
    assert_frames("-ERR something bad\r\n");
    assert_frames(":-12345\r\n");
    assert_frames("$-1\r\n");
    assert_frames("*-1\r\n");
    assert_frames("*0\r\n");
    assert_frames("$0\r\n\r\n");
}

static void
test_bulk_with_crlf_inside(void **state)
{
    assert_frames("$12\r\nab\r\ncd\r\n$1\r\n\r\n");
    assert_frames("$5\r\n*3\r\n+\r\n");
}

static void
test_nested_arrays(void **state)
{
    assert_frames("*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$-1\r\n:7\r\n");
    assert_frames("*3\r\n*0\r\n*1\r\n*1\r\n+x\r\n$2\r\nhi\r\n");
    assert_frames("*2\r\n*-1\r\n$3\r\nend\r\n");
}

static void
test_incomplete(void **state)
{
    assert_int_equal(frame_in_pieces("$10\r\nabc", 8, 3), 0);
    assert_int_equal(frame_in_pieces("*2\r\n+a\r\n", 8, 1), 0);
    assert_int_equal(frame_in_pieces("+OK\r", 4, 4), 0);
}

static void
test_invalid(void **state)
{
    assert_int_equal(frame_in_pieces("?x\r\n", 4, 4), -1);
    assert_int_equal(frame_in_pieces("$abc\r\n", 6, 6), -1);
    assert_int_equal(frame_in_pieces("$-2\r\n", 5, 5), -1);
    assert_int_equal(frame_in_pieces("$\r\n", 3, 3), -1);
    assert_int_equal(frame_in_pieces("+OK\rX", 5, 5), -1);
    assert_int_equal(frame_in_pieces("$1\r\n", 4, 4), 0);
    /* A bulk not followed by CRLF: the stream is out of step. */
    assert_int_equal(frame_in_pieces("$1\r\nab\r\n", 8, 8), -1);
}

static void
test_depth_limit(void **state)
{
    char deep[4 * (PROXY_FRAMER_MAX_DEPTH + 2) + 8];
    size_t used = 0;
    int i;

    for (i = 0; i < PROXY_FRAMER_MAX_DEPTH + 1; i++) {
        memcpy(deep + used, "*1\r\n", 4);
        used += 4;
    }
    memcpy(deep + used, "+x\r\n", 4);
    used += 4;
    assert_int_equal(frame_in_pieces(deep, used, used), -1);
}

/* Scanning an evbuffer whose chains cut the replies anywhere. */
static void
test_scan_evbuffer(void **state)
{
    static const char *parts[] = { "+O", "K\r\n$3\r", "\nabc\r\n*2\r\n:1", "\r\n:2\r\n" };
    struct evbuffer *input = evbuffer_new();
    struct proxy_framer framer;
    size_t i;

    for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        evbuffer_add(input, parts[i], strlen(parts[i]));
    }
    proxy_framer_reset(&framer);
    assert_int_equal(proxy_framer_scan(&framer, input), PROXY_FRAMER_COMPLETE);
    assert_int_equal(framer.offset, 5);
    evbuffer_drain(input, framer.offset);
    framer.offset = 0;
    assert_int_equal(proxy_framer_scan(&framer, input), PROXY_FRAMER_COMPLETE);
    assert_int_equal(framer.offset, 9);
    evbuffer_drain(input, framer.offset);
    framer.offset = 0;
    assert_int_equal(proxy_framer_scan(&framer, input), PROXY_FRAMER_COMPLETE);
    assert_int_equal(framer.offset, 12);
    evbuffer_drain(input, framer.offset);
    framer.offset = 0;
    assert_int_equal(proxy_framer_scan(&framer, input), PROXY_FRAMER_INCOMPLETE);
    assert_int_equal(framer.offset, 0);
    evbuffer_free(input);
}

/* A long bulk can be streamed: bytes scanned so far are removed and the
 * framer still finds the end. */
static void
test_streaming_keeps_state(void **state)
{
    struct evbuffer *input = evbuffer_new();
    struct proxy_framer framer;
    char payload[1000];

    memset(payload, 'v', sizeof(payload));
    proxy_framer_reset(&framer);
    evbuffer_add(input, "$1000\r\n", 7);
    evbuffer_add(input, payload, 600);
    assert_int_equal(proxy_framer_scan(&framer, input), PROXY_FRAMER_INCOMPLETE);
    assert_int_equal(framer.offset, 607);
    evbuffer_drain(input, framer.offset);   /* streamed to the client */
    framer.offset = 0;
    evbuffer_add(input, payload, 400);
    evbuffer_add(input, "\r\n:5\r\n", 6);
    assert_int_equal(proxy_framer_scan(&framer, input), PROXY_FRAMER_COMPLETE);
    assert_int_equal(framer.offset, 402);
    evbuffer_free(input);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_types),
        cmocka_unit_test(test_bulk_with_crlf_inside),
        cmocka_unit_test(test_nested_arrays),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_scan_evbuffer),
        cmocka_unit_test(test_streaming_keeps_state),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
